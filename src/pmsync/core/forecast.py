"""Forecasts: when each deal will really be done, and whether its promise holds.

`Forecaster` puts PMs, deals and history together: the portfolio's forecasts, and
check-date's question about a deal that is not in anyone's queue yet. One PM's queue is
planned in `montecarlo`, history read in `history`, and verdicts given in `verdicts`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from pmsync.core.calendar import HORIZON_YEARS, WorkCalendar
from pmsync.core.history import History
from pmsync.core.lifecycle import LOADED_STAGES, Stage
from pmsync.core.models import PM, Actual, Deal, TimeOff, probability_weight
from pmsync.core.montecarlo import DrawBudget, QueuePlan, Slot, keeps_promise
from pmsync.core.overrun import NO_EVIDENCE, Evidence
from pmsync.core.schedule import NEW_DEAL_ORDER, FreeCapacity, Job, in_order
from pmsync.core.settings import Settings
from pmsync.core.verdicts import AT_RISK, REALISTIC, Verdict, judge
from pmsync.errors import CannotForecast, NoForecast, NoPMs, UnknownPM

# Full Monte-Carlo runs for this many best PMs when check-date tries every PM.
FULL_CHECKS = 5
# Planning a deal's queue at the few places check-date tries costs about what this many
# Monte-Carlo samples of it do: how a caller weighs the plan pass against a portfolio.
PLAN_WEIGHT = 200

_Planned = list["Outcome | tuple[str, str]"]
# Runs a function over shares of the PMs, in order, and joins what the shares gave; the int
# is what one deal of a PM's queue costs there, in Monte-Carlo samples.
ShareMap = Callable[[Callable[[Sequence[str]], _Planned], Sequence[str], int], _Planned]


def _in_one(work: Callable[[Sequence[str]], _Planned], names: Sequence[str], _: int) -> _Planned:
    return work(names)


class DealForecast(NamedTuple):
    """One open deal's forecast. A tuple: a portfolio makes a hundred thousand of them, and
    a share worked out in another process comes back pickled."""

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
    cannot_forecast: str | None = None  # why this PM's queue has no forecast (CannotForecast)

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
    kind: str | None = None  # the kind of work, which its overruns depend on


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
    evidence: Evidence = NO_EVIDENCE
    full: bool = True  # False: forecast on the plan alone, without Monte-Carlo
    safe_slack_days: int | None = None  # working days from P80 to the promise
    # The PM's time off between the finish and the promise: slack that is not there.
    away: tuple[TimeOff, ...] = ()

    @property
    def safe_finish(self) -> date | None:
        """What a promise has to clear: P80 where there is evidence, else the plan."""
        return self.p80 or self.forecast_finish

    @property
    def keeps_promises(self) -> bool:
        """Realistic for the work, and no recorded promise breaks."""
        return self.verdict == REALISTIC and not self.knock_on


@dataclass(frozen=True)
class CheckResult:
    best: Outcome
    alternatives: tuple[Outcome, ...]
    reference: tuple[str, float, int] | None = None  # kind, median hours, deals behind it
    asked: date | None = None  # the date asked about (None: the earliest realistic one)
    left_out: tuple[tuple[str, str], ...] = ()  # PMs whose queue cannot be forecast, and why


def why_no_forecast(reason: str) -> str:
    """Why a PM's queue has no forecast (a CannotForecast reason), in words."""
    if reason == "no-capacity":
        return "capacity too small to schedule"
    if reason == "horizon":
        return f"the work runs past {HORIZON_YEARS} years (check hours, capacity and time off)"
    return reason


def deal_job(deal: Deal, include_pipeline: bool = False) -> Job | None:
    """A deal as load on its PM, or None when it is not load (no PM, no estimate...)."""
    est = deal.estimate
    if deal.pm is None or est is None:
        return None
    return load_job(
        deal.id,
        deal.stage,
        deal.probability,
        deal.promised,
        deal.start,
        est.hours,
        est.low,
        est.high,
        deal.logged_hours,
        include_pipeline,
        deal.kind,
    )


def load_job(
    deal_id: int,
    stage: str,
    probability: float | None,
    promised: date | None,
    start: date | None,
    hours: float,
    low: float | None,
    high: float | None,
    logged: float,
    include_pipeline: bool = False,
    kind: str | None = None,
) -> Job | None:
    """A deal's numbers as load on its PM (its estimate, what is logged, its stage), or None
    when its stage is not load."""
    if stage in LOADED_STAGES:
        weight = 1.0
    elif include_pipeline and stage == Stage.PIPELINE:
        weight = probability_weight(probability)
    else:
        return None
    # Positional: ten thousand of these are made for a list of the team's deals.
    return Job(
        deal_id,
        max(0.0, hours - logged) * weight,
        promised,
        start,
        None,
        low,
        hours,
        high,
        logged,
        weight,
        kind,
    )


class Forecaster:
    """PMs, their load and the team's history, ready to answer forecast questions."""

    def __init__(
        self,
        pms: Sequence[PM],
        deals: Sequence[Deal],
        delivered: Iterable[Actual] | History | Callable[[], History],
        today: date,
        settings: Settings,
        include_pipeline: bool = False,
        budget: DrawBudget | None = None,
    ) -> None:
        """`delivered`: the team's history, or how to read it when first needed (check-date
        plans every queue on the estimates alone while it is read)."""
        self.pms = {p.name: p for p in pms}
        self.budget = budget or DrawBudget()
        self.today = today
        self.settings = settings
        self._history: History | Callable[[], History] = (
            History(delivered) if isinstance(delivered, Iterable) else delivered
        )
        self.deals = {d.id: d for d in deals}
        self.include_pipeline = include_pipeline
        # Each PM's open deals, made into jobs when that PM's queue is first asked about.
        self._deals_of: dict[str, list[Deal]] = {name: [] for name in self.pms}
        for d in deals:
            if d.pm in self._deals_of:
                self._deals_of[d.pm].append(d)
        self._jobs: dict[str, list[Job]] = {}
        self._titles: dict[int, str] = {}
        self._plans: dict[str, QueuePlan] = {}
        self._calendars: dict[str, WorkCalendar] = {}

    @classmethod
    def from_loads(
        cls,
        pms: Sequence[PM],
        loads: Iterable[tuple[str, Job, str]],
        delivered: History | Callable[[], History],
        today: date,
        settings: Settings,
        include_pipeline: bool = False,
    ) -> Forecaster:
        """The engine from each open deal's load (PM, job, title) rather than whole deals:
        what check-date needs, read without making a `Deal` of every one."""
        engine = cls(pms, (), delivered, today, settings, include_pipeline)
        engine._jobs = {name: [] for name in engine.pms}
        for pm, job, title in loads:
            if pm in engine._jobs:
                engine._jobs[pm].append(job)
                engine._titles[job.deal_id] = title
        return engine

    def _load(self, pm: str) -> list[Job]:
        """The PM's open deals as load on them."""
        jobs = self._jobs.get(pm)
        if jobs is None:
            made = (deal_job(d, self.include_pipeline) for d in self._deals_of[pm])
            jobs = self._jobs[pm] = [j for j in made if j is not None]
        return jobs

    @property
    def history(self) -> History:
        if not isinstance(self._history, History):
            self._history = self._history()
        return self._history

    def learn(self) -> None:
        """Read history and fit the overrun model now: before queues are shared with other
        processes (each would fit it again), or while other work waits on something else."""
        self.history.model  # noqa: B018 - worked out and kept

    def size(self, pm: str) -> int:
        """How many deals are load on the PM: what planning their queue costs."""
        jobs = self._jobs.get(pm)
        return len(jobs) if jobs is not None else len(self._deals_of.get(pm, ()))

    def title(self, deal_id: int) -> str:
        deal = self.deals.get(deal_id)
        return deal.title if deal is not None else self._titles.get(deal_id, "")

    def calendar(self, pm: str) -> WorkCalendar:
        if pm not in self._calendars:
            self._calendars[pm] = WorkCalendar(self.pms[pm], self.today)
        return self._calendars[pm]

    def _plan(self, pm: str) -> QueuePlan:
        return QueuePlan(
            self.pms[pm],
            self._load(pm),
            self.today,
            lambda: self.history.overrun_for(pm),
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
        self.budget.expect(sum(self.size(n) for n in names) * self.settings.samples)
        for name in names:
            # A portfolio visits each queue once: a queue not asked about before is planned
            # and let go, so a hundred thousand deals never stand as jobs all at once.
            try:
                kept = self._plans.get(name)
                q = kept or self._plan(name)
                slots = q.plan(once=kept is None)
            except CannotForecast as exc:
                out.update(self._unforecastable(name, exc.reason))
                continue
            q.forget_samples()
            if self.deals and name not in self._plans:
                # Made again from the deals if asked for again (an engine from loads has
                # no deals: its jobs are all it has).
                del self._jobs[name]
            buffer = self.settings.at_risk_buffer
            for job, slot in zip(q.jobs, slots, strict=True):
                j = judge(job.promised, slot, buffer)
                # Positional: a portfolio makes one per open deal.
                out[job.deal_id] = DealForecast(
                    job.deal_id,
                    name,
                    job.promised,
                    slot.start,
                    slot.finish,
                    slot.p50,
                    slot.p80,
                    slot.on_time_probability,
                    j.slack_days,
                    j.verdict,
                    slot.suggested_date,
                    job.hours,
                    slot.safe_slack_days,
                )
        return out

    def _unforecastable(self, pm: str, reason: str) -> dict[int, DealForecast]:
        """The deals of a queue that cannot be forecast, each saying why."""
        out = {}
        for job in self._load(pm):
            out[job.deal_id] = DealForecast(
                job.deal_id,
                pm,
                job.promised,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                job.hours,
                cannot_forecast=reason,
            )
        return out

    # -- check-date ------------------------------------------------------------------
    def check(
        self,
        cand: Candidate,
        pm: str | None = None,
        reference: tuple[str, float, int] | None = None,
        each: ShareMap | None = None,
    ) -> CheckResult:
        """check-date's answer for `cand`; `reference`: the kind whose median effort it is.

        Every PM is forecast on the plan alone (cheap), the best few again with Monte-Carlo;
        the one proposed keeps every promise if anyone can. A PM whose queue cannot be
        forecast is left out and named, unless it is the PM asked for. `each` runs each pass
        over shares of the PMs (in order; the caller may spread them over processes)."""
        if not self.pms:
            raise NoPMs()
        if pm is not None and pm not in self.pms:
            raise UnknownPM(pm, sorted(self.pms))
        names = [pm] if pm else sorted(self.pms)
        left_out: list[tuple[str, str]] = []
        # Plain Python or numpy, chosen once for the whole answer: the best few queues are
        # simulated, each at a few dates.
        widest = sorted((self.size(n) for n in names), reverse=True)[:FULL_CHECKS]
        self.budget.expect(3 * sum(widest) * self.settings.samples)

        def evaluate(name: str, full: bool) -> Outcome | tuple[str, str]:
            try:
                return self._evaluate(cand, name, full)
            except CannotForecast as exc:
                if pm is not None:
                    raise
                return (name, exc.reason)

        def plan_pass(share: Sequence[str]) -> list[Outcome | tuple[str, str]]:
            return [evaluate(name, full=False) for name in share]

        def full_pass(share: Sequence[str]) -> list[Outcome | tuple[str, str]]:
            return [evaluate(name, full=True) for name in share]

        def kept(results: Iterable[Outcome | tuple[str, str]]) -> list[Outcome]:
            outcomes = []
            for r in results:
                if isinstance(r, Outcome):
                    outcomes.append(r)
                else:
                    left_out.append(r)
            return outcomes

        key = _rank_key(cand)
        each = each or _in_one
        ranked = sorted(kept(each(plan_pass, names, PLAN_WEIGHT)), key=key)
        # Each best queue is simulated at a few dates.
        best = [o.pm for o in ranked[:FULL_CHECKS]]
        full = sorted(kept(each(full_pass, best, 3 * self.settings.samples)), key=key)
        if not full:
            raise NoForecast(left_out)
        return CheckResult(
            full[0],
            tuple(full[1:] + ranked[FULL_CHECKS:]),
            reference,
            cand.promised,
            tuple(left_out),
        )

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
            kind=cand.kind,
        )

    def _evaluate(self, cand: Candidate, pm: str, full: bool) -> Outcome:
        place = _Placement(self.queue(pm), cand, full)
        suggested, slot = self._suggest(place, cand)
        knock_on: tuple[KnockOn, ...]
        if cand.promised is None or cand.promised == suggested:
            promised, knock_on = suggested, ()
        else:
            promised = cand.promised
            slot, knock_on = place.at(self._job(cand, promised), self.title)
        j = judge(promised, slot, self.settings.at_risk_buffer)
        verdict = j.verdict or REALISTIC
        if knock_on and verdict == REALISTIC:
            verdict = AT_RISK  # met only by breaking another client's promise
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
            verdict=verdict,
            suggested_date=suggested,
            knock_on=knock_on,
            evidence=_evidence(place.queue, cand) if full else NO_EVIDENCE,
            full=full,
            safe_slack_days=slot.safe_slack_days,
            away=_away(self.pms[pm], slot.safe_finish, promised),
        )

    def _suggest(self, place: _Placement, cand: Candidate) -> tuple[date, Slot]:
        """The earliest promise that is realistic for the work and breaks no recorded
        promise, and the work's slot there.

        Placed at a later date the work only moves back in the queue, so its finish only
        gets later and the promises it breaks only fewer: every date skipped fails one of
        the two. A date before the slot's own safe date is not realistic; a date before the
        last promise it breaks keeps it ahead of that deal, whose finish is then unchanged,
        so still broken."""
        d = self.today
        while True:
            job = self._job(cand, d)
            slot = place.ahead_slot(job)
            safe = slot.suggested_date or self.today
            if safe > d:
                d = safe
                continue
            broken = place.broken(job)
            if not broken:
                return d, slot
            last = max(j.promised for j in broken if j.promised is not None)
            # Same date: the work still sorts ahead (a recorded deal by its id); a day later
            # it does not.
            d = last if last > d else d + timedelta(days=1)


class _Placement:
    """Work under check-date placed in one PM's queue: its slot at a promised date, and the
    promises already made that it would break there. Which promises the queue keeps as it
    stands is worked out once and reused for every date tried.

    Without Monte-Carlo, the queue is scheduled once and the capacity left after each deal
    kept (`FreeCapacity`): a date tried places the work there without scheduling the deals
    ahead of it again, and re-schedules only those behind it, and only to see what breaks."""

    def __init__(self, queue: QueuePlan, cand: Candidate, full: bool) -> None:
        self.queue = queue
        self.full = full
        self.others = [j for j in queue.jobs if j.deal_id != cand.deal_id]
        self._keys = [j.sort_key for j in self.others]
        self._kept: dict[int, bool] | None = None
        ranged = cand.low is not None or cand.high is not None
        self._plain = not (full and (ranged or queue.simulates(self.others)))
        # Without Monte-Carlo: per deal of `others`, its first day, units and promise limit,
        # its span in the queue as it stands, and the capacity free before it (and after all).
        self._free: list[FreeCapacity] = []
        self._needs: list[tuple[int, int, int]] = []
        self._spans: dict[int, tuple[int, int] | None] = {}
        # Per place among `others`: the capacity left after the work, its span, and what
        # it breaks there (None: not worked out yet).
        self._at: dict[int, tuple[FreeCapacity, tuple[int, int] | None, list | None]] = {}

    def _capacity(self) -> list[FreeCapacity]:
        if not self._free:
            q = self.queue
            units, release = q.cal.units, q.release
            self._needs = needs = [
                (release(j) if j.start else 0, units(j.hours), through)
                for j, through in zip(self.others, q.limits(self.others), strict=True)
            ]
            free = FreeCapacity(q.cal.day_units)
            snapshots, spans, kept = self._free, self._spans, {}
            copy, take = free.copy, free.take
            for j, (first, need, through) in zip(self.others, needs, strict=True):
                snapshots.append(copy())
                span = spans[j.deal_id] = take(first, need)
                kept[j.deal_id] = keeps_promise(j, span, through)
            snapshots.append(free)
            self._kept = kept
        return self._free

    def _place(self, job: Job) -> tuple[int, tuple[int, int] | None]:
        """Where the work stands among `others`, and its span there. The same work at any
        date that puts it at the same place has the same slot and breaks the same
        promises: both are kept per place."""
        k = bisect_left(self._keys, job.sort_key)
        if k not in self._at:
            q = self.queue
            free = self._capacity()[k].copy()
            self._at[k] = (free, free.take(q.release(job), q.cal.units(job.hours)), None)
        return k, self._at[k][1]

    def _behind(self, k: int) -> list[tuple[Job, tuple[int, int]]]:
        """With the work at place k, the deals behind it that kept their promise and now
        miss it, with their new span."""
        free, span, found = self._at[k]
        if found is None:
            found = []
            kept, take = self._kept_now(), free.copy().take
            for j, (release, need, limit) in zip(self.others[k:], self._needs[k:], strict=True):
                after = take(release, need)  # every one takes its capacity, kept or not
                if after is not None and kept[j.deal_id] and not keeps_promise(j, after, limit):
                    found.append((j, after))
            self._at[k] = (free, span, found)
        return found

    def ahead_slot(self, job: Job) -> Slot:
        """The work's slot: only the deals ahead of it matter."""
        if self._plain:
            return self.queue.plain_slot(job, self._place(job)[1])
        ahead = [j for j in self.others if j.sort_key < job.sort_key]
        return self.queue.placed([*ahead, job], len(ahead), simulate=self.full)[0]

    def _kept_now(self) -> dict[int, bool]:
        if self._plain:
            self._capacity()
        if self._kept is None:
            kept = self.queue.keeps(self.others, simulate=self.full)
            self._kept = {j.deal_id: k for j, k in zip(self.others, kept, strict=True)}
        return self._kept

    def broken(self, job: Job) -> list[Job]:
        """The deals behind the work that keep their promise without it and miss it with it.
        Only a deal behind the work can change, and only one that keeps its promise now."""
        kept = self._kept_now()
        if not any(j.sort_key > job.sort_key and kept[j.deal_id] for j in self.others):
            return []
        if self._plain:
            return [j for j, _ in self._behind(self._place(job)[0])]
        jobs = in_order([*self.others, job])
        return self._slipping(jobs, self.queue.keeps(jobs, simulate=self.full), job)

    def _slipping(self, jobs: list[Job], keeps: list[bool], job: Job) -> list[Job]:
        kept = self._kept_now()
        return [
            j
            for j, k in zip(jobs, keeps, strict=True)
            if not k and j.sort_key > job.sort_key and kept[j.deal_id]
        ]

    def at(self, job: Job, title: Callable[[int], str]) -> tuple[Slot, tuple[KnockOn, ...]]:
        """The work's slot at its promise, and the promises that breaks."""
        q = self.queue
        if self._plain:
            k, span = self._place(job)
            slot = q.plain_slot(job, span)
            moved = [
                (j, q.plain_slot(j, self._spans[j.deal_id]), q.plain_slot(j, after))
                for j, after in self._behind(k)
            ]
        else:
            jobs = in_order([*self.others, job])
            slot, keeps = q.placed(jobs, jobs.index(job), simulate=True)
            broken = self._slipping(jobs, keeps, job)
            if not broken:
                return slot, ()
            # Only now are the dates of the deals that slip worth making.
            before = {j.deal_id: s for j, s in zip(self.others, q.plan(self.others), strict=True)}
            after = {j.deal_id: s for j, s in zip(jobs, q.plan(jobs), strict=True)}
            moved = [(j, before[j.deal_id], after[j.deal_id]) for j in broken]
        knock_on = tuple(
            KnockOn(
                j.deal_id,
                title(j.deal_id),
                j.promised,
                was.safe_finish,
                now.safe_finish,
            )
            for j, was, now in moved
            if j.promised is not None
        )
        return slot, knock_on


def _evidence(queue: QueuePlan, cand: Candidate) -> Evidence:
    if queue.overrun is None:
        return NO_EVIDENCE
    return queue.overrun.evidence(cand.kind)


def _away(pm: PM, finish: date | None, promised: date | None) -> tuple[TimeOff, ...]:
    """The PM's time off that falls after the finish and by the promise."""
    if finish is None or promised is None or promised <= finish:
        return ()
    return tuple(t for t in pm.timeoff if t.start <= promised and t.end > finish)


def _rank_key(cand: Candidate) -> Callable[[Outcome], tuple]:
    """Who is proposed. With a date asked: among the PMs who keep it and every promise,
    the earliest safe finish; else the earliest date that would. Without: the earliest."""

    def key(o: Outcome) -> tuple:
        if cand.promised is not None and o.keeps_promises:
            return (0, o.safe_finish or date.min, o.pm)
        return (1, o.suggested_date or date.max, o.pm)

    return key
