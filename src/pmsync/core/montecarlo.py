"""Monte-Carlo forecasts of one PM's queue: the plan on the estimates as given, and where
there is evidence (past overruns, three-point estimates) the whole queue re-scheduled per
sample, with counter-based draws, for P50/P80 and the chance of meeting each promise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pmsync.core.calendar import WorkCalendar
from pmsync.core.draws import as_lists, draw_array, draw_lists, job_key, job_key_array, queue_key
from pmsync.core.models import PM
from pmsync.core.overrun import QueueOverrun
from pmsync.core.schedule import (
    Job,
    in_order,
    schedule_sample_lists,
    schedule_samples,
    schedule_units,
)
from pmsync.core.settings import Settings
from pmsync.errors import CannotForecast

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
    suggested_date: date | None = None  # the earliest promise this slot would keep: `_slot`

    @property
    def safe_finish(self) -> date | None:
        """The date a promise has to clear: P80 where there is evidence, else the plan."""
        return self.p80 or self.finish


# Up to this many (sample x job) draws in one command, plain Python answers before numpy
# would have finished importing; past it numpy takes over (the dates are the same).
PYTHON_DRAWS = 50_000


class DrawBudget:
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

    def prepare(self) -> None:
        """Import numpy now if the draws announced will need it: while other work waits on
        something else (check-date's plan pass on other cores)."""
        if self.python_left == 0 and self.reuse_numpy:
            import numpy  # noqa: F401

    def use_numpy(self, draws: int) -> bool:
        if self.reuse_numpy and "numpy" in sys.modules:
            return True  # already paid for
        if draws <= self.python_left:
            self.python_left -= draws
            return False
        return True


def keeps_promise(job: Job, span: tuple[int, int] | None, limit: int) -> bool:
    """Whether a job's safe finish (the last day of `span`: the plan's, or P80's) falls
    within the `limit` working days through its promise; True without a promise or work."""
    return job.promised is None or span is None or span[1] < limit


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
        overrun: QueueOverrun | Callable[[], QueueOverrun | None] | None,
        settings: Settings,
        calendar: WorkCalendar | None = None,
        budget: DrawBudget | None = None,
    ) -> None:
        """`overrun`: what the queue samples overruns from (None: no history to learn them
        from), or how to get it when first needed: planning on the estimates alone never
        needs it, so check-date's plan pass can run before history has been read."""
        self.pm = pm
        self.budget = budget or DrawBudget()
        self.today = today
        self.cal = calendar or WorkCalendar(pm, today)
        if self.cal.day_units <= 0:
            # Less than a thousandth of an hour a day: no work would ever finish.
            raise CannotForecast(pm.name, "no-capacity")
        self.jobs = in_order(jobs)
        # Whether the queue has evidence is the queue's, not a subset's: a deal placed
        # ahead of a ranged one is forecast the same way whichever part of the queue is
        # planned.
        self._ranged = any(j.has_range for j in self.jobs)
        self._through: dict[date, int] = {}
        self._overrun = overrun
        self.settings = settings
        # Each job's samples, drawn once per queue (a list or a numpy column).
        self._samples: dict[tuple, Any] = {}

    @property
    def overrun(self) -> QueueOverrun | None:
        if callable(self._overrun):
            self._overrun = self._overrun()
        return self._overrun

    def forget_samples(self) -> None:
        self._samples.clear()

    def plan(
        self, jobs: Sequence[Job] | None = None, simulate: bool = True, once: bool = False
    ) -> list[Slot]:
        """Slots for `jobs` (default: the queue), in queue order; `simulate=False` gives
        the plan on the estimates as given, without Monte-Carlo.

        Everything is worked out on working-day indices, which is what keeps a portfolio
        of ten thousand deals quick: day `i` is the (i+1)-th working day from today, so the
        slack to a promise not yet past is the working days through it less i+1.

        `once`: the queue is planned this once (a portfolio), so its draws are not kept."""
        jobs = self.jobs if jobs is None else jobs
        if not jobs:
            return []
        spans, limits, p50s, p80s, on_time = self._schedule(jobs, simulate, once)
        return [
            self._slot(*args) for args in zip(jobs, spans, limits, p50s, p80s, on_time, strict=True)
        ]

    def placed(
        self, jobs: Sequence[Job], at: int, simulate: bool = True
    ) -> tuple[Slot, list[bool]]:
        """The slot of `jobs[at]`, and for every job whether it keeps its promise (as in
        `keeps`): one schedule, and one slot made instead of one per job."""
        spans, limits, p50s, p80s, on_time = self._schedule(jobs, simulate)
        slot = self._slot(jobs[at], spans[at], limits[at], p50s[at], p80s[at], on_time[at])
        return slot, self._keeps(jobs, spans, limits, p80s)

    def keeps(self, jobs: Sequence[Job], simulate: bool = True) -> list[bool]:
        """For each of `jobs` (in queue order), whether its safe finish (P80 where there is
        evidence, else the plan) is on or before its promise; True without a promise or
        without work. What check-date asks of every deal behind the work it places, so
        it is answered on day numbers, without making a slot per deal."""
        if not jobs:
            return []
        spans, limits, _, p80s, _ = self._schedule(jobs, simulate)
        return self._keeps(jobs, spans, limits, p80s)

    @staticmethod
    def _keeps(
        jobs: Sequence[Job], spans: list, limits: list[int], p80s: list[int | None]
    ) -> list[bool]:
        return [
            keeps_promise(job, span if p80 is None else (p80, p80), limit)
            for job, span, limit, p80 in zip(jobs, spans, limits, p80s, strict=True)
        ]

    def release(self, job: Job) -> int:
        """The first working day the deal may take: its start date, and no day before today."""
        return self.cal.index_from(job.start) if job.start and job.start > self.today else 0

    def limits(self, jobs: Sequence[Job]) -> list[int]:
        """Working days through each deal's promise (0 without one): slack, on-time samples
        and verdicts count to it. check-date plans the same queue many times: each promise
        is counted once, those not counted before in one go."""
        through = self._through
        missing = {j.promised for j in jobs if j.promised is not None} - through.keys()
        if missing:
            through.update(zip(missing, self.cal.count_each(missing), strict=True))
        return [0 if j.promised is None else through[j.promised] for j in jobs]

    def simulates(self, jobs: Sequence[Job]) -> bool:
        """Whether these jobs get Monte-Carlo: the queue has evidence or a ranged estimate."""
        return self.overrun is not None or self._ranged or any(j.has_range for j in jobs)

    def plain_slot(self, job: Job, span: tuple[int, int] | None) -> Slot:
        """The slot of a job scheduled without Monte-Carlo."""
        return self._slot(job, span, self.limits([job])[0], None, None, None)

    def _schedule(self, jobs: Sequence[Job], simulate: bool, once: bool = False) -> tuple:
        cal = self.cal
        releases = [self.release(j) for j in jobs]
        spans = schedule_units(
            cal.day_units, [(r, cal.units(j.hours)) for r, j in zip(releases, jobs, strict=True)]
        )
        limits = self.limits(jobs)
        if simulate and self.simulates(jobs):
            p50s, p80s, on_time = self._simulate(jobs, releases, limits, once)
        else:
            p50s, p80s, on_time = [None] * len(jobs), [None] * len(jobs), [None] * len(jobs)
        return spans, limits, p50s, p80s, on_time

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
        p80_day = None
        if p80 is not None:
            safe = p80
            p80_day = cal.day(p80)
            suggested = max(p80_day, self.today)
        else:
            safe = span[1]
            suggested = cal.day(safe + buffer) if buffer > 0 else finish
        promised = job.promised
        if promised is None:
            slack = safe_slack = None
        elif promised >= cal.first:
            slack, safe_slack = limit - span[1] - 1, limit - safe - 1
        else:  # a promise already past: counted on dates
            slack = cal.working_days_between(finish, promised)
            safe_slack = cal.working_days_between(cal.day(safe), promised)
        if p50 is None or p80 is None:
            return Slot(start, finish, None, None, None, slack, safe_slack, suggested)
        return Slot(
            start,
            finish,
            cal.day(p50),
            p80_day,
            None if promised is None else on_time,
            slack,
            safe_slack,
            suggested,
        )

    def _simulate(
        self, jobs: Sequence[Job], releases: list[int], limits: list[int], once: bool = False
    ) -> _Percentiles:
        n, cal = self.settings.samples, self.cal
        numpy = self.budget.use_numpy(len(jobs) * n)
        drawn_for = self._samples
        new = jobs if once else [j for j in jobs if _drawn_as(j) not in drawn_for]
        block = None
        if new:
            queue = queue_key(self.settings.seed, self.pm.name)
            overrun = self.overrun
            if numpy:
                block = draw_array(new, job_key_array(queue, new), overrun, n, cal.hour_units)
                if once:
                    return _percentiles_array(cal.day_units, releases, block, limits, n)
                drawn: Sequence[Any] = list(block)
            else:
                keys = [job_key(queue, j) for j in new]
                drawn = draw_lists(new, keys, overrun, n, cal.hour_units)
                if once:
                    return _percentiles_lists(cal.day_units, releases, drawn, limits, n)
            for j, column in zip(new, drawn, strict=True):
                drawn_for[_drawn_as(j)] = column
        if numpy:
            # A queue drawn in one go is scheduled from its block as it stands.
            if block is None or len(new) != len(jobs):
                block = _stack([drawn_for[_drawn_as(j)] for j in jobs])
            return _percentiles_array(cal.day_units, releases, block, limits, n)
        columns = [drawn_for[_drawn_as(j)] for j in jobs]
        return _percentiles_lists(cal.day_units, releases, as_lists(columns), limits, n)


def _drawn_as(job: Job) -> tuple:
    """What a job's draws depend on besides the queue: a deal is drawn once however many
    dates check-date tries it at, and work asked about again with other numbers anew."""
    return (job.deal_id, job.order, job.kind, job.likely, job.low, job.high, job.logged, job.weight)


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
