"""Forecasts: when each deal will really be done, and whether its promise holds.

`Forecaster` puts PMs, deals and history together: the portfolio's forecasts, and
check-date's question about a deal that is not in anyone's queue yet. One PM's queue is
planned in `montecarlo`, history read in `history`, and verdicts given in `verdicts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from pmsync.core.calendar import WorkCalendar
from pmsync.core.history import Evidence, History
from pmsync.core.lifecycle import LOADED_STAGES, Stage
from pmsync.core.models import PM, Actual, Deal, probability_weight
from pmsync.core.montecarlo import DrawBudget, QueuePlan, Slot
from pmsync.core.schedule import NEW_DEAL_ORDER, Job, in_order
from pmsync.core.settings import Settings
from pmsync.core.verdicts import REALISTIC, Verdict, judge
from pmsync.errors import NoPMs, UnknownPM

# Full Monte-Carlo runs for this many best PMs when check-date tries every PM.
FULL_CHECKS = 5


@dataclass(slots=True)
class DealForecast:
    deal_id: int
    pm: str
    promised: date | None
    start: date | None
    finish: date | None
    p50: date | None
    p80: date | None
    on_time_probability: float | None
    slack_days: int | None
    verdict: Verdict | None
    suggested_date: date | None
    remaining_hours: float
    safe_slack_days: int | None = None  # slack against P80 where there is evidence

    @property
    def safe_finish(self) -> date | None:
        return self.p80 or self.finish


@dataclass(frozen=True)
class KnockOn:
    deal_id: int
    title: str
    promised: date
    finish_before: date | None
    finish_after: date | None


@dataclass(frozen=True)
class Candidate:
    """The work check-date asks about: a recorded deal, or a promise not yet made."""

    hours: float
    promised: date | None = None
    start: date | None = None
    low: float | None = None
    high: float | None = None
    logged: float = 0.0
    deal_id: int | None = None  # set when the deal is recorded
    title: str = "new deal"


@dataclass(frozen=True)
class Outcome:
    pm: str
    effort_hours: float
    promised: date | None
    forecast_start: date | None
    forecast_finish: date | None
    slack_days: int | None
    p50: date | None
    p80: date | None
    on_time_probability: float | None
    verdict: Verdict
    suggested_date: date | None
    knock_on: tuple[KnockOn, ...] = ()
    evidence: Evidence = field(default_factory=lambda: Evidence((), "none"))
    full: bool = True  # False: ranked on the plan alone, without Monte-Carlo or knock-on


@dataclass(frozen=True)
class CheckResult:
    best: Outcome
    alternatives: tuple[Outcome, ...]
    reference: tuple[str, float, int] | None = None  # kind, median hours, deals behind it
    asked: date | None = None  # the date asked about (None: the earliest realistic one)


def deal_job(deal: Deal, include_pipeline: bool = False) -> Job | None:
    """A deal as load on its PM, or None when it is not load (no PM, no estimate...)."""
    if deal.pm is None or deal.estimate is None:
        return None
    if deal.stage in LOADED_STAGES:
        weight = 1.0
    elif include_pipeline and deal.stage == Stage.PIPELINE:
        weight = probability_weight(deal.probability)
    else:
        return None
    est = deal.estimate
    # Positional: ten thousand of these are made for a list of the team's deals.
    return Job(
        deal.id,
        (deal.remaining_hours or 0.0) * weight,
        deal.promised,
        deal.start,
        None,
        est.low,
        est.hours,
        est.high,
        deal.logged_hours,
        weight,
    )


class Forecaster:
    """PMs, their load and the team's history, ready to answer forecast questions."""

    def __init__(
        self,
        pms: Sequence[PM],
        deals: Sequence[Deal],
        delivered: Iterable[Actual] | History,
        today: date,
        settings: Settings,
        include_pipeline: bool = False,
        budget: DrawBudget | None = None,
    ) -> None:
        self.pms = {p.name: p for p in pms}
        self.budget = budget or DrawBudget()
        self.today = today
        self.settings = settings
        self.history = delivered if isinstance(delivered, History) else History(delivered)
        self.deals = {d.id: d for d in deals}
        self.include_pipeline = include_pipeline
        self._load: dict[str, list[Deal]] = {name: [] for name in self.pms}
        for d in deals:
            if d.pm in self._load:
                self._load[d.pm].append(d)
        self._plans: dict[str, QueuePlan] = {}
        self._calendars: dict[str, WorkCalendar] = {}

    def calendar(self, pm: str) -> WorkCalendar:
        if pm not in self._calendars:
            self._calendars[pm] = WorkCalendar(self.pms[pm], self.today)
        return self._calendars[pm]

    def _plan(self, pm: str) -> QueuePlan:
        jobs = [deal_job(d, self.include_pipeline) for d in self._load[pm]]
        return QueuePlan(
            self.pms[pm],
            [j for j in jobs if j is not None],
            self.today,
            self.history.evidence_for(pm),
            self.settings,
            self.calendar(pm),
            self.budget,
        )

    def queue(self, pm: str) -> QueuePlan:
        """One PM's queue, kept for the questions that come back to it."""
        if pm not in self._plans:
            self._plans[pm] = self._plan(pm)
        return self._plans[pm]

    # -- every recorded deal ---------------------------------------------------------
    def portfolio(self, pms: Sequence[str] | None = None) -> dict[int, DealForecast]:
        out: dict[int, DealForecast] = {}
        names = list(pms if pms is not None else self.pms)
        self.budget.expect(sum(len(self._load[n]) for n in names) * self.settings.samples)
        for name in names:
            # A portfolio visits each queue once: a queue not asked about before is planned
            # and let go, so a hundred thousand deals never stand as jobs all at once.
            q = self._plans.get(name) or self._plan(name)
            slots = q.plan()
            q.forget_samples()
            buffer = self.settings.at_risk_buffer
            for job, slot in zip(q.jobs, slots, strict=True):
                j = judge(job.promised, slot, buffer)
                out[job.deal_id] = DealForecast(
                    deal_id=job.deal_id,
                    pm=name,
                    promised=job.promised,
                    start=slot.start,
                    finish=slot.finish,
                    p50=slot.p50,
                    p80=slot.p80,
                    on_time_probability=slot.on_time_probability,
                    slack_days=j.slack_days,
                    verdict=j.verdict,
                    suggested_date=slot.suggested_date,
                    remaining_hours=job.hours,
                    safe_slack_days=slot.safe_slack_days,
                )
        return out

    # -- check-date ------------------------------------------------------------------
    def check(
        self,
        cand: Candidate,
        pm: str | None = None,
        reference: tuple[str, float, int] | None = None,
    ) -> CheckResult:
        """check-date's answer for `cand`; `reference`: the kind whose median effort it is."""
        if not self.pms:
            raise NoPMs()
        if pm is not None and pm not in self.pms:
            raise UnknownPM(pm, sorted(self.pms))
        names = [pm] if pm else sorted(self.pms)
        # Rank every PM on the plan alone (cheap), run the full forecast for the best few,
        # and work out knock-on only for the one proposed.
        ranked = sorted((self._evaluate(cand, n, full=False) for n in names), key=_rank_key(cand))
        full = [
            self._with_knock_on(cand, self._evaluate(cand, o.pm, full=True))
            for o in ranked[:FULL_CHECKS]
        ]
        full.sort(key=_rank_key(cand))
        return CheckResult(
            full[0], tuple(full[1:] + ranked[FULL_CHECKS:]), reference, cand.promised
        )

    def _with_knock_on(self, cand: Candidate, o: Outcome) -> Outcome:
        """Which promises giving the work to this PM would break: a seller weighs that
        against the earlier finish, so every fully forecast PM gets it."""
        job = self._job(cand, o.promised)
        return replace(o, knock_on=self._knock_on(self.queue(o.pm), self._without(cand, o.pm), job))

    def _without(self, cand: Candidate, pm: str) -> list[Job]:
        return [j for j in self.queue(pm).jobs if j.deal_id != cand.deal_id]

    def _job(self, cand: Candidate, promised: date | None) -> Job:
        return Job(
            deal_id=cand.deal_id if cand.deal_id is not None else -1,
            hours=max(0.0, cand.hours - cand.logged),
            promised=promised,
            start=cand.start,
            order=cand.deal_id if cand.deal_id is not None else NEW_DEAL_ORDER,
            low=cand.low,
            likely=cand.hours,
            high=cand.high,
            logged=cand.logged,
        )

    def _slot_at(self, q: QueuePlan, others: list[Job], job: Job, full: bool) -> Slot:
        """The candidate's slot when placed by its promise; deals after it don't matter."""
        ahead = [j for j in others if j.sort_key < job.sort_key]
        return q.plan([*ahead, job], simulate=full)[-1]

    def _suggest(self, q: QueuePlan, others: list[Job], cand: Candidate, full: bool) -> date:
        """Earliest promise that would be realistic: the least fixed point of
        `date -> safe date when placed at that date`, which only moves forward."""
        d = self.today
        while True:
            slot = self._slot_at(q, others, self._job(cand, d), full)
            safe = slot.suggested_date or self.today
            if safe <= d:
                return d
            d = safe

    def _evaluate(self, cand: Candidate, pm: str, full: bool) -> Outcome:
        q = self.queue(pm)
        others = self._without(cand, pm)
        # Ranking with a date asked only needs each PM's finish; the suggestion is worked out
        # for the PMs that get a full forecast.
        suggested = None
        if full or cand.promised is None:
            suggested = self._suggest(q, others, cand, full)
        promised = cand.promised or suggested
        job = self._job(cand, promised)
        slot = self._slot_at(q, others, job, full)
        j = judge(promised, slot, self.settings.at_risk_buffer)
        return Outcome(
            pm=pm,
            effort_hours=cand.hours,
            promised=promised,
            forecast_start=slot.start,
            forecast_finish=slot.finish,
            slack_days=j.slack_days,
            p50=slot.p50,
            p80=slot.p80,
            on_time_probability=slot.on_time_probability,
            verdict=j.verdict or REALISTIC,
            suggested_date=suggested,
            evidence=q.evidence if full else Evidence((), "none"),
            full=full,
        )

    def _knock_on(self, q: QueuePlan, others: list[Job], job: Job) -> tuple[KnockOn, ...]:
        after_jobs = [j for j in others if j.sort_key > job.sort_key]
        if not after_jobs:
            return ()
        before = q.plan(others)
        with_new = q.plan(in_order([*others, job]))
        before_by_id = {j.deal_id: s for j, s in zip(others, before, strict=True)}
        out = []
        later = {j.deal_id for j in after_jobs}
        for j, s in zip(in_order([*others, job]), with_new, strict=True):
            if j.deal_id not in later or j.promised is None:
                continue
            b = before_by_id[j.deal_id]
            if _meets(b, j.promised) and not _meets(s, j.promised):
                deal = self.deals.get(j.deal_id)
                out.append(
                    KnockOn(
                        j.deal_id,
                        deal.title if deal else "",
                        j.promised,
                        b.safe_finish,
                        s.safe_finish,
                    )
                )
        return tuple(out)


def _meets(slot: Slot, promised: date) -> bool:
    finish = slot.safe_finish
    return finish is None or finish <= promised


def _rank_key(cand: Candidate):
    def key(o: Outcome) -> tuple:
        if cand.promised is None:
            return (o.suggested_date, o.pm)
        return (o.p80 or o.forecast_finish or date.min, o.pm)

    return key
