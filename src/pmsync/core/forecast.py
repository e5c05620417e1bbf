"""Forecasts: when each deal will really be done, and whether its promise holds.

Three layers, each usable alone:
- `QueuePlan` schedules one PM's queue with the estimates as given (the plan);
- evidence (past overruns, three-point estimates) re-schedules the whole queue per sample,
  with a fixed seed, for P50/P80 and the chance of meeting each promise;
- `Forecaster` puts PMs, deals and history together: the portfolio's forecasts, and
  check-date's question about a deal that is not in anyone's queue yet.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pmsync.core.calendar import WorkCalendar
from pmsync.core.draws import as_lists, draw_array, draw_lists, job_key, queue_key
from pmsync.core.models import LOADED_STAGES, PM, Actual, Deal, Settings
from pmsync.core.schedule import (
    NEW_DEAL_ORDER,
    Job,
    in_order,
    schedule_sample_lists,
    schedule_samples,
    schedule_units,
)
from pmsync.errors import BadInput

REALISTIC, AT_RISK, UNREALISTIC = "realistic", "at-risk", "unrealistic"
OWN_HISTORY_MIN = 5
TEAM_HISTORY_MIN = 3
# Full Monte-Carlo runs for this many best PMs when check-date tries every PM.
FULL_CHECKS = 5


# -- evidence ------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """Overrun ratios (actual / estimate at signing) that apply to one PM's queue."""

    ratios: Sequence[float]
    source: str  # "own", "team" or "none"

    @property
    def median_ratio(self) -> float | None:
        from statistics import median  # not at import: it loads decimal and fractions

        return median(self.ratios) if len(self.ratios) else None


class History:
    """What delivered deals teach: overrun ratios per PM and team, actuals per kind.

    Read in one pass and kept as numbers: a big team has hundreds of thousands of delivered
    deals."""

    def __init__(self, delivered: Iterable[Actual]) -> None:
        self.by_pm: dict[str, array[float]] = {}
        self.team: array[float] = array("d")
        self.team_days: array[int] = array("l")  # delivery day (ordinal) of each team ratio
        self.actuals_by_kind: dict[str, array[float]] = {}
        for a in delivered:
            if a.actual_hours is None:
                continue
            if a.kind:
                if a.kind not in self.actuals_by_kind:
                    self.actuals_by_kind[a.kind] = array("d")
                self.actuals_by_kind[a.kind].append(a.actual_hours)
            ratio = a.ratio
            if ratio is None:
                continue
            self.team.append(ratio)
            self.team_days.append(a.delivered_on.toordinal() if a.delivered_on else 0)
            if a.pm:
                if a.pm not in self.by_pm:
                    self.by_pm[a.pm] = array("d")
                self.by_pm[a.pm].append(ratio)

    def team_ratios(self, first: date, last: date) -> list[float]:
        """Overrun ratios of the deals delivered from `first` to `last`."""
        lo, hi = first.toordinal(), last.toordinal()
        return [r for r, d in zip(self.team, self.team_days, strict=True) if lo <= d <= hi]

    def evidence_for(self, pm: str) -> Evidence:
        own = self.by_pm.get(pm, ())
        if len(own) >= OWN_HISTORY_MIN:
            return Evidence(own, "own")
        if len(self.team) >= TEAM_HISTORY_MIN:
            return Evidence(self.team, "team")
        return Evidence((), "none")

    def reference_hours(self, kind: str) -> tuple[float, int]:
        """Median actual hours of delivered deals of a kind, and how many there were."""
        actuals = self.actuals_by_kind.get(kind, [])
        if not actuals:
            known = ", ".join(sorted(self.actuals_by_kind)) or "none yet"
            raise BadInput(
                f"no delivered deals of kind '{kind}' to learn from (kinds with history: "
                f"{known}); give the effort with --hours"
            )
        from statistics import median

        return median(actuals), len(actuals)


# -- one PM's queue ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one deal landed in a schedule."""

    start: date | None
    finish: date | None
    p50: date | None = None
    p80: date | None = None
    on_time_probability: float | None = None


# Up to this many (sample x job) draws in one command, plain Python answers before numpy
# would have finished importing; past it numpy takes over (the dates are the same).
PYTHON_DRAWS = 50_000


class Effort:
    """Chooses plain Python or numpy for each Monte-Carlo run of one command."""

    def __init__(self, python_draws: int = PYTHON_DRAWS, reuse_numpy: bool = True) -> None:
        self.python_left = python_draws
        self.reuse_numpy = reuse_numpy

    def use_numpy(self, draws: int) -> bool:
        if self.reuse_numpy and "numpy" in sys.modules:
            return True  # already paid for
        if draws <= self.python_left:
            self.python_left -= draws
            return False
        return True


class QueuePlan:
    """One PM's queue scheduled from today, with Monte-Carlo where there is evidence."""

    def __init__(
        self,
        pm: PM,
        jobs: Sequence[Job],
        today: date,
        evidence: Evidence,
        settings: Settings,
        calendar: WorkCalendar | None = None,
        effort: Effort | None = None,
    ) -> None:
        self.pm = pm
        self.effort = effort or Effort()
        self.today = today
        self.cal = calendar or WorkCalendar(pm, today)
        self.jobs = in_order(jobs)
        self.evidence = evidence
        self.settings = settings
        # Each job's samples, drawn once per queue (a list or a numpy column).
        self._samples: dict[tuple[int, int | None], Any] = {}

    def forget_samples(self) -> None:
        self._samples.clear()

    def _first_allowed(self, job: Job) -> int:
        return self.cal.index_from(max(job.start or self.today, self.today))

    def plan(self, jobs: Sequence[Job] | None = None, simulate: bool = True) -> list[Slot]:
        """Slots for `jobs` (default: the queue), in queue order; `simulate=False` gives
        the plan on the estimates as given, without Monte-Carlo."""
        jobs = self.jobs if jobs is None else jobs
        cal = self.cal
        releases = [self._first_allowed(j) for j in jobs]
        units = [(r, cal.units(j.hours)) for r, j in zip(releases, jobs, strict=True)]
        days = [
            (None, None) if s is None else (cal.day(s[0]), cal.day(s[1]))
            for s in schedule_units(cal.day_units, units)
        ]
        if not simulate or not (len(self.evidence.ratios) or any(j.has_range for j in jobs)):
            return [Slot(start, finish) for start, finish in days]
        return self._simulate(jobs, releases, days)

    def _simulate(
        self, jobs: Sequence[Job], releases: list[int], days: list[tuple[Any, Any]]
    ) -> list[Slot]:
        n, cal = self.settings.samples, self.cal
        numpy = self.effort.use_numpy(len(jobs) * n)
        new = [j for j in jobs if (j.deal_id, j.order) not in self._samples]
        if new:
            queue = queue_key(self.settings.seed, self.pm.name)
            keys = [job_key(queue, j) for j in new]
            ratios = self.evidence.ratios
            if numpy:
                block = draw_array(new, keys, ratios, n, cal.hour_units)
                drawn: Sequence[Any] = [block[:, k] for k in range(len(new))]
            else:
                drawn = draw_lists(new, keys, ratios, n, cal.hour_units)
            for j, column in zip(new, drawn, strict=True):
                self._samples[(j.deal_id, j.order)] = column
        columns = [self._samples[(j.deal_id, j.order)] for j in jobs]
        limits = [cal.count_through(j.promised) if j.promised else 0 for j in jobs]
        summary = _summary_array if numpy else _summary_lists
        p50s, p80s, worked, on_time = summary(cal.day_units, releases, columns, limits, n)
        return [
            Slot(
                start,
                finish,
                cal.day(p50s[k]),
                cal.day(p80s[k]),
                on_time[k] if jobs[k].promised is not None else None,
            )
            if worked[k]
            else Slot(start, finish)
            for k, (start, finish) in enumerate(days)
        ]


# Each gives, per job: P50 and P80 finish (nearest rank; a sample with nothing left to do
# counts as done today), whether any sample has work, and the share of samples that finish
# before the promise's limit (working days counted through the promised date).
_Summary = tuple[list[int], list[int], list[bool], list[float]]


def _summary_lists(
    day_units: int, releases: list[int], columns: list[Any], limits: list[int], n: int
) -> _Summary:
    lasts = schedule_sample_lists(day_units, releases, as_lists(columns))
    p50s, p80s, worked, on_time = [], [], [], []
    for last, limit in zip(lasts, limits, strict=True):
        ordered = sorted(last)
        p50s.append(max(ordered[-(-n // 2) - 1], 0))
        p80s.append(max(ordered[-(-n * 4 // 5) - 1], 0))
        worked.append(ordered[-1] >= 0)
        on_time.append(sum(1 for x in last if x < limit) / n)
    return p50s, p80s, worked, on_time


def _summary_array(
    day_units: int, releases: list[int], columns: list[Any], limits: list[int], n: int
) -> _Summary:
    import numpy as np

    units = np.stack([np.asarray(c, dtype=np.int64) for c in columns], axis=1)
    last = schedule_samples(day_units, releases, units)
    ordered = np.sort(last, axis=0)
    return (
        np.maximum(ordered[-(-n // 2) - 1], 0).tolist(),
        np.maximum(ordered[-(-n * 4 // 5) - 1], 0).tolist(),
        (ordered[-1] >= 0).tolist(),
        (np.count_nonzero(last < np.array(limits, dtype=np.int64), axis=0) / n).tolist(),
    )


# -- verdicts ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: str | None
    slack_days: int | None


def judge(cal: WorkCalendar, promised: date | None, slot: Slot, buffer: int) -> Judgement:
    if slot.finish is None:
        return Judgement(REALISTIC if promised else None, None)
    if promised is None:
        return Judgement(None, None)
    slack = cal.working_days_between(slot.finish, promised)
    if slot.p80 is not None and slot.p50 is not None:
        if slot.p80 <= promised:
            return Judgement(REALISTIC, slack)
        return Judgement(AT_RISK if slot.p50 <= promised else UNREALISTIC, slack)
    if slot.finish > promised:
        return Judgement(UNREALISTIC, slack)
    return Judgement(AT_RISK if slack < buffer else REALISTIC, slack)


def safe_finish(slot: Slot) -> date | None:
    """The date a promise has to clear: P80 where there is evidence, else the plan."""
    return slot.p80 or slot.finish


# -- the portfolio and check-date ----------------------------------------------------


@dataclass(frozen=True, slots=True)
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
    verdict: str | None
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
    verdict: str
    suggested_date: date | None
    knock_on: tuple[KnockOn, ...] = ()
    evidence: Evidence = field(default_factory=lambda: Evidence((), "none"))
    full: bool = True  # False: ranked on the plan alone, without Monte-Carlo or knock-on


@dataclass(frozen=True)
class CheckResult:
    best: Outcome
    alternatives: tuple[Outcome, ...]
    reference: tuple[str, float, int] | None = None  # kind, median hours, deals behind it


def deal_job(deal: Deal, include_pipeline: bool = False) -> Job | None:
    """A deal as load on its PM, or None when it is not load (no PM, no estimate...)."""
    if deal.pm is None or deal.estimate is None:
        return None
    if deal.stage in LOADED_STAGES:
        weight = 1.0
    elif include_pipeline and deal.stage == "pipeline":
        weight = (deal.probability if deal.probability is not None else 100.0) / 100.0
    else:
        return None
    est = deal.estimate
    return Job(
        deal_id=deal.id,
        hours=(deal.remaining_hours or 0.0) * weight,
        promised=deal.promised,
        start=deal.start,
        low=est.low,
        likely=est.hours,
        high=est.high,
        logged=deal.logged_hours,
        weight=weight,
    )


class Forecaster:
    """PMs, their load and the team's history, ready to answer forecast questions."""

    def __init__(
        self,
        pms: Sequence[PM],
        deals: Sequence[Deal],
        delivered: Iterable[Actual],
        today: date,
        settings: Settings,
        include_pipeline: bool = False,
        effort: Effort | None = None,
    ) -> None:
        self.pms = {p.name: p for p in pms}
        self.effort = effort or Effort()
        self.today = today
        self.settings = settings
        self.history = History(delivered)
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
            self.effort,
        )

    def queue(self, pm: str) -> QueuePlan:
        """One PM's queue, kept for the questions that come back to it."""
        if pm not in self._plans:
            self._plans[pm] = self._plan(pm)
        return self._plans[pm]

    # -- every recorded deal ---------------------------------------------------------
    def portfolio(self, pms: Sequence[str] | None = None) -> dict[int, DealForecast]:
        out: dict[int, DealForecast] = {}
        for name in pms if pms is not None else self.pms:
            # A portfolio visits each queue once: a queue not asked about before is planned
            # and let go, so a hundred thousand deals never stand as jobs all at once.
            q = self._plans.get(name) or self._plan(name)
            slots = q.plan()
            q.forget_samples()
            for job, slot in zip(q.jobs, slots, strict=True):
                j = judge(q.cal, job.promised, slot, self.settings.at_risk_buffer)
                safe = safe_finish(slot)
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
                    suggested_date=self._safe_date(q.cal, slot),
                    remaining_hours=job.hours,
                    safe_slack_days=None
                    if job.promised is None or safe is None
                    else q.cal.working_days_between(safe, job.promised),
                )
        return out

    def _safe_date(self, cal: WorkCalendar, slot: Slot) -> date | None:
        if slot.finish is None:
            return None
        if slot.p80 is not None:
            return max(slot.p80, self.today)
        return cal.add_working_days(slot.finish, self.settings.at_risk_buffer)

    # -- check-date ------------------------------------------------------------------
    def check(self, cand: Candidate, pm: str | None = None) -> CheckResult:
        if not self.pms:
            raise BadInput("no PMs recorded yet; add one with: pmsync pm add NAME --capacity 40")
        if pm is not None and pm not in self.pms:
            raise BadInput(f"unknown PM '{pm}'; known PMs: {', '.join(sorted(self.pms))}")
        names = [pm] if pm else sorted(self.pms)
        # Rank every PM on the plan alone (cheap), run the full forecast for the best few,
        # and work out knock-on only for the one proposed.
        ranked = sorted((self._evaluate(cand, n, full=False) for n in names), key=_rank_key(cand))
        full = [
            self._with_knock_on(cand, self._evaluate(cand, o.pm, full=True))
            for o in ranked[:FULL_CHECKS]
        ]
        full.sort(key=_rank_key(cand))
        return CheckResult(full[0], tuple(full[1:] + ranked[FULL_CHECKS:]))

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
            safe = self._safe_date(q.cal, slot) or self.today
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
        j = judge(q.cal, promised, slot, self.settings.at_risk_buffer)
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
                        safe_finish(b),
                        safe_finish(s),
                    )
                )
        return tuple(out)


def _meets(slot: Slot, promised: date) -> bool:
    finish = safe_finish(slot)
    return finish is None or finish <= promised


def _rank_key(cand: Candidate):
    def key(o: Outcome) -> tuple:
        if cand.promised is None:
            return (o.suggested_date, o.pm)
        return (o.p80 or o.forecast_finish or date.min, o.pm)

    return key
