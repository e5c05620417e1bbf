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
from pmsync.core.draws import (
    as_lists,
    draw_array,
    draw_lists,
    job_key,
    job_key_array,
    queue_key,
)
from pmsync.core.models import LOADED_STAGES, PM, Actual, Deal, Settings, overrun
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


# What history reads of one delivered deal: PM, kind, delivery day (ordinal, 0 when
# unknown), the estimate at signing (else the first) and the actual hours.
HistoryRow = tuple[str | None, str | None, int, float | None, float | None]


class History:
    """What delivered deals teach: overrun ratios per PM and team, actuals per kind.

    Read in one pass and kept as numbers: a big team has hundreds of thousands of delivered
    deals."""

    def __init__(self, delivered: Iterable[Actual] = ()) -> None:
        self.by_pm: dict[str, array[float]] = {}
        self.team: array[float] = array("d")
        self.team_days: array[int] = array("l")  # delivery day (ordinal) of each team ratio
        self.actuals_by_kind: dict[str, array[float]] = {}
        self.add(
            (
                a.pm,
                a.kind,
                a.delivered_on.toordinal() if a.delivered_on else 0,
                a.estimate_hours,
                a.actual_hours,
            )
            for a in delivered
        )

    @classmethod
    def from_rows(cls, rows: Iterable[HistoryRow]) -> History:
        """History straight from storage's rows, without a record per delivered deal."""
        history = cls()
        history.add(rows)
        return history

    def add(self, rows: Iterable[HistoryRow]) -> None:
        by_pm, kinds, team, days = self.by_pm, self.actuals_by_kind, self.team, self.team_days
        for pm, kind, day, estimate, actual in rows:
            if actual is None:
                continue
            if kind:
                if kind not in kinds:
                    kinds[kind] = array("d")
                kinds[kind].append(actual)
            ratio = overrun(actual, estimate)
            if ratio is None:
                continue
            team.append(ratio)
            days.append(day)
            if pm:
                if pm not in by_pm:
                    by_pm[pm] = array("d")
                by_pm[pm].append(ratio)

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


# The records made per deal are not frozen: a frozen dataclass sets each field through
# object.__setattr__, which made building ten thousand of them several times slower.


@dataclass(slots=True)
class Slot:
    """Where one deal landed in a schedule, and how that stands against its promise."""

    start: date | None
    finish: date | None
    p50: date | None = None
    p80: date | None = None
    on_time_probability: float | None = None
    slack_days: int | None = None  # working days from the finish to the promise
    safe_slack_days: int | None = None  # the same from P80 where there is evidence
    safe_date: date | None = None  # the earliest promise this slot would keep: see `plan`


# Up to this many (sample x job) draws in one command, plain Python answers before numpy
# would have finished importing; past it numpy takes over (the dates are the same).
PYTHON_DRAWS = 50_000


class Effort:
    """Chooses plain Python or numpy for each Monte-Carlo run of one command."""

    def __init__(self, python_draws: int = PYTHON_DRAWS, reuse_numpy: bool = True) -> None:
        self.python_left = python_draws
        self.reuse_numpy = reuse_numpy

    def expect(self, draws: int) -> None:
        """Announce the draws a whole command will make: when they will not all fit in
        plain Python, numpy starts with the first queue instead of after Python has spent
        its budget on a few."""
        if draws > self.python_left:
            self.python_left = 0

    def use_numpy(self, draws: int) -> bool:
        if self.reuse_numpy and "numpy" in sys.modules:
            return True  # already paid for
        if draws <= self.python_left:
            self.python_left -= draws
            return False
        return True


# Per job: P50 and P80 finish as working-day indices (None without Monte-Carlo or when no
# sample has work) and the share of samples that keep the promise.
_Percentiles = tuple[list[int | None], list[int | None], list[float | None]]


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

    def plan(self, jobs: Sequence[Job] | None = None, simulate: bool = True) -> list[Slot]:
        """Slots for `jobs` (default: the queue), in queue order; `simulate=False` gives
        the plan on the estimates as given, without Monte-Carlo.

        Everything is worked out on working-day indices, which is what keeps a portfolio
        of ten thousand deals quick: day `i` is the (i+1)-th working day from today, so the
        slack to a promise not yet past is the working days through it less i+1."""
        jobs = self.jobs if jobs is None else jobs
        cal = self.cal
        today = self.today
        # A deal may start on its start date, and no deal before today.
        releases = [cal.index_from(j.start) if j.start and j.start > today else 0 for j in jobs]
        spans = schedule_units(
            cal.day_units, [(r, cal.units(j.hours)) for r, j in zip(releases, jobs, strict=True)]
        )
        # Working days through each promise: slack, on-time samples and verdicts count to it.
        limits = [cal.count_through(j.promised) if j.promised else 0 for j in jobs]
        if simulate and (len(self.evidence.ratios) or any(j.has_range for j in jobs)):
            p50s, p80s, on_time = self._simulate(jobs, releases, limits)
        else:
            p50s = p80s = on_time = [None] * len(jobs)
        return [
            self._slot(*args) for args in zip(jobs, spans, limits, p50s, p80s, on_time, strict=True)
        ]

    def _slot(
        self,
        job: Job,
        span: tuple[int, int] | None,
        limit: int,
        p50: int | None,
        p80: int | None,
        on_time: float | None,
    ) -> Slot:
        if span is None:
            return Slot(None, None)
        cal, buffer = self.cal, self.settings.at_risk_buffer
        start, finish = cal.day(span[0]), cal.day(span[1])
        # The earliest promise this slot keeps: P80 where there is evidence, else the
        # finish plus the at-risk buffer.
        if p80 is not None:
            safe = p80
            safe_date = max(cal.day(p80), self.today)
        else:
            safe = span[1]
            safe_date = cal.day(safe + buffer) if buffer > 0 else finish
        promised = job.promised
        if promised is None:
            slack = safe_slack = None
        elif promised >= cal.first:
            slack, safe_slack = limit - span[1] - 1, limit - safe - 1
        else:  # a promise already past: counted on dates
            slack = cal.working_days_between(finish, promised)
            safe_slack = cal.working_days_between(cal.day(safe), promised)
        if p50 is None or p80 is None:
            return Slot(start, finish, None, None, None, slack, safe_slack, safe_date)
        return Slot(
            start,
            finish,
            cal.day(p50),
            cal.day(p80),
            None if promised is None else on_time,
            slack,
            safe_slack,
            safe_date,
        )

    def _simulate(
        self, jobs: Sequence[Job], releases: list[int], limits: list[int]
    ) -> _Percentiles:
        n, cal = self.settings.samples, self.cal
        numpy = self.effort.use_numpy(len(jobs) * n)
        new = [j for j in jobs if (j.deal_id, j.order) not in self._samples]
        block = None
        if new:
            queue = queue_key(self.settings.seed, self.pm.name)
            ratios = self.evidence.ratios
            if numpy:
                block = draw_array(new, job_key_array(queue, new), ratios, n, cal.hour_units)
                drawn: Sequence[Any] = list(block)
            else:
                keys = [job_key(queue, j) for j in new]
                drawn = draw_lists(new, keys, ratios, n, cal.hour_units)
            for j, column in zip(new, drawn, strict=True):
                self._samples[(j.deal_id, j.order)] = column
        if numpy:
            # A queue drawn in one go is scheduled from its block as it stands.
            if block is None or len(new) != len(jobs):
                block = _stack([self._samples[(j.deal_id, j.order)] for j in jobs])
            return _percentiles_array(cal.day_units, releases, block, limits, n)
        columns = [self._samples[(j.deal_id, j.order)] for j in jobs]
        return _percentiles_lists(cal.day_units, releases, as_lists(columns), limits, n)


# Both give, per job: P50 and P80 finish (nearest rank; a sample with nothing left to do
# counts as done today; None when no sample has work) and the share of samples that finish
# within the promise's limit (working days counted through the promised date).


def _percentiles_lists(
    day_units: int, releases: list[int], columns: list[list[int]], limits: list[int], n: int
) -> _Percentiles:
    lasts = schedule_sample_lists(day_units, releases, columns)
    p50s: list[int | None] = []
    p80s: list[int | None] = []
    on_time: list[float | None] = []
    for last, limit in zip(lasts, limits, strict=True):
        ordered = sorted(last)
        worked = ordered[-1] >= 0
        p50s.append(max(ordered[-(-n // 2) - 1], 0) if worked else None)
        p80s.append(max(ordered[-(-n * 4 // 5) - 1], 0) if worked else None)
        on_time.append(sum(1 for x in last if x < limit) / n)
    return p50s, p80s, on_time


def _stack(columns: list[Any]) -> Any:
    import numpy as np

    return np.stack([np.asarray(c, dtype=np.int64) for c in columns])


def _percentiles_array(
    day_units: int, releases: list[int], units: Any, limits: list[int], n: int
) -> _Percentiles:
    import numpy as np

    last = schedule_samples(day_units, releases, units)
    ordered = np.sort(last, axis=1)  # numpy's vectorised sort beats np.partition here
    worked = (ordered[:, n - 1] >= 0).tolist()
    p50s = np.maximum(ordered[:, -(-n // 2) - 1], 0).tolist()
    p80s = np.maximum(ordered[:, -(-n * 4 // 5) - 1], 0).tolist()
    kept = np.count_nonzero(last < np.array(limits, dtype=last.dtype)[:, None], axis=1)
    on_time = (kept / n).tolist()
    return (
        [p if w else None for p, w in zip(p50s, worked, strict=True)],
        [p if w else None for p, w in zip(p80s, worked, strict=True)],
        on_time,
    )


# -- verdicts ------------------------------------------------------------------------


@dataclass(slots=True)
class Judgement:
    verdict: str | None
    slack_days: int | None


def judge(promised: date | None, slot: Slot, buffer: int) -> Judgement:
    if slot.finish is None:
        return Judgement(REALISTIC if promised else None, None)
    if promised is None:
        return Judgement(None, None)
    slack = slot.slack_days
    if slot.p80 is not None and slot.p50 is not None:
        if slot.p80 <= promised:
            return Judgement(REALISTIC, slack)
        return Judgement(AT_RISK if slot.p50 <= promised else UNREALISTIC, slack)
    if slot.finish > promised:
        return Judgement(UNREALISTIC, slack)
    return Judgement(AT_RISK if slack is not None and slack < buffer else REALISTIC, slack)


def safe_finish(slot: Slot) -> date | None:
    """The date a promise has to clear: P80 where there is evidence, else the plan."""
    return slot.p80 or slot.finish


# -- the portfolio and check-date ----------------------------------------------------


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
        effort: Effort | None = None,
    ) -> None:
        self.pms = {p.name: p for p in pms}
        self.effort = effort or Effort()
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
        names = list(pms if pms is not None else self.pms)
        self.effort.expect(sum(len(self._load[n]) for n in names) * self.settings.samples)
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
                    suggested_date=slot.safe_date,
                    remaining_hours=job.hours,
                    safe_slack_days=slot.safe_slack_days,
                )
        return out

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
            safe = slot.safe_date or self.today
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
