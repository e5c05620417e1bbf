"""List scheduling of one PM's queue, on intervals of working days.

The contract's rule is per day: each working day the first deal in order that may start
takes the hours it still needs, the next takes what is left, and so on. A deal's share of a
day never depends on deals after it, so the same schedule comes out of taking the deals in
order and letting each one consume the earliest free capacity from its start day on. Free
capacity is kept as a short sorted list of intervals of working days, so a deal costs a few
integer operations however many days it spans.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_OPEN_END = 1 << 62
_BLOCK = 128  # jobs per pass over a long queue's samples (see `schedule_samples`)
# Tie-break for a deal not yet recorded: after every recorded deal with the same date.
NEW_DEAL_ORDER = 1 << 60


@dataclass(slots=True)
class Job:
    """One deal in a PM's queue, as the scheduler sees it."""

    deal_id: int
    hours: float  # remaining effort
    promised: date | None
    start: date | None = None
    order: int | None = None  # tie-break among equal promised dates; default deal_id
    low: float | None = None  # three-point estimate of the whole deal, when known
    likely: float | None = None
    high: float | None = None
    logged: float = 0.0
    weight: float = 1.0  # a pipeline deal counts by its probability
    kind: str | None = None  # the kind of work: overruns differ by kind

    @property
    def tie_break(self) -> int:
        """Place among deals promised for the same date: `order` when set, else the id."""
        return self.deal_id if self.order is None else self.order

    @property
    def sort_key(self) -> tuple[bool, date, int]:
        return (self.promised is None, self.promised or date.max, self.tie_break)

    @property
    def has_range(self) -> bool:
        return self.low is not None or self.high is not None


def in_order(jobs: Iterable[Job]) -> list[Job]:
    """Earliest promised date first, undated deals last, ties by id."""
    return sorted(jobs, key=lambda j: j.sort_key)


def schedule_units(day_units: int, jobs: Sequence[tuple[int, int]]) -> list[tuple[int, int] | None]:
    """Schedule (first allowed day index, effort units) pairs, given in queue order.

    Returns, per job, the indices of its first and last working day with hours, or None
    for a job with nothing left to do.
    """
    take = FreeCapacity(day_units).take
    return [take(first_allowed, need) for first_allowed, need in jobs]


class FreeCapacity:
    """One PM's free capacity as list scheduling takes it, deal after deal. Since a deal's
    share of a day never depends on deals after it, the capacity left after the first k
    deals of a queue can be kept (`copy`) and a deal placed there without scheduling
    those k again: check-date tries its work at several places in a queue."""

    __slots__ = ("day_units", "hi", "lo", "rem")

    def __init__(self, day_units: int) -> None:
        self.day_units = day_units
        self.lo = [0]  # interval k spans days lo[k] .. hi[k]-1
        self.hi = [_OPEN_END]
        self.rem = [day_units]  # units left on day lo[k]; later days are untouched

    def copy(self) -> FreeCapacity:
        new = FreeCapacity.__new__(FreeCapacity)
        new.day_units, new.lo, new.hi, new.rem = self.day_units, self.lo[:], self.hi[:], self.rem[:]
        return new

    def take(self, first_allowed: int, need: int) -> tuple[int, int] | None:
        """The first and last working day of a deal that may start on day `first_allowed`
        and needs `need` units, taken from what is free; None when it needs nothing."""
        if need <= 0:
            return None
        lo, hi, rem, day_units = self.lo, self.hi, self.rem, self.day_units
        k = bisect_right(hi, first_allowed)
        if lo[k] < first_allowed:
            # The deal may not start yet: leave the days before its start free for others.
            lo.insert(k + 1, first_allowed)
            hi.insert(k + 1, hi[k])
            rem.insert(k + 1, day_units)
            hi[k] = first_allowed
            k += 1
        first = lo[k]
        while True:
            a, b, ra = lo[k], hi[k], rem[k]
            if need <= ra:
                last, left = a, ra - need
                break
            need -= ra
            days = -(-need // day_units)
            if days <= b - a - 1:
                last, left = a + days, days * day_units - need
                break
            need -= (b - a - 1) * day_units
            del lo[k], hi[k], rem[k]
        if left:
            lo[k], rem[k] = last, left
        elif last + 1 < hi[k]:
            lo[k], rem[k] = last + 1, day_units
        else:
            del lo[k], hi[k], rem[k]
        return first, last


def schedule_sample_lists(
    day_units: int, releases: Sequence[int], columns: Sequence[Sequence[int]]
) -> list[list[int]]:
    """`schedule_samples` in plain Python, one sample at a time, for small queues: per job
    (`columns[j][s]` is job j's effort in sample s), its last working day in each sample.
    The same segments as there, with one used-capacity counter per segment."""
    samples = len(columns[0]) if columns else 0
    out = [[-1] * samples for _ in columns]
    cuts = sorted(set(releases))
    bounds = [c * day_units for c in cuts] + [_OPEN_END]
    caps = [b - a for a, b in pairwise(bounds)]
    first_seg = {c: i for i, c in enumerate(cuts)}
    jobs = [(first_seg[r], c, last) for r, c, last in zip(releases, columns, out, strict=True)]
    for s in range(samples):
        used = [0] * len(cuts)
        for seg, column, last in jobs:
            need = column[s]
            if need <= 0:
                continue
            while need > caps[seg] - used[seg]:
                need -= caps[seg] - used[seg]
                used[seg] = caps[seg]
                seg += 1
            used[seg] += need
            last[s] = (bounds[seg] + used[seg] - 1) // day_units
    return out


def schedule_samples(day_units: int, releases: Sequence[int], units: np.ndarray) -> np.ndarray:
    """The same schedule for many samples at once: `units` is a (jobs x samples) int64
    array of efforts, `releases` the first allowed day of each job, in queue order.

    Returns a (jobs x samples) array of each job's last working day index (-1: no work).

    Free capacity only ever splits at release days, so cut the timeline there: inside each
    segment between consecutive release days the used capacity is always a prefix (every job
    that may use a segment may use all of it, and takes the earliest free units). The state
    per sample is then one number per segment, and a job walks the segments from its own.
    """
    import numpy as np

    n_jobs, samples = units.shape
    cuts = sorted(set(releases))
    bounds = np.array([c * day_units for c in cuts] + [_OPEN_END], dtype=np.int64)
    seg_of = {c: i for i, c in enumerate(cuts)}
    caps = np.diff(bounds).tolist()
    used = np.zeros((len(cuts), samples), dtype=np.int64)
    full_to = 0  # segments before this one are full in every sample
    # Day indices fit in 32 bits (the calendar stops at 60 years), which sorts twice as fast.
    last = np.full((n_jobs, samples), -1, dtype=np.int32)
    open_end = len(cuts) - 1
    for j in range(n_jobs):
        if full_to == open_end:
            # Everything before the open-ended segment is full in every sample, so the rest
            # of the queue simply follows on there: one cumulative sum for all of it, taken
            # a block of jobs at a time (a long queue's whole array outgrows the cache).
            end = bounds[open_end] + used[open_end]
            for a in range(j, n_jobs, _BLOCK):
                rest = units[a : a + _BLOCK]
                ends = np.cumsum(rest, axis=0)
                ends += end
                end = ends[-1]
                last[a : a + _BLOCK] = np.where(rest > 0, (ends - 1) // day_units, -1)
            break
        need = units[j].copy()
        end = np.zeros(samples, dtype=np.int64)
        seg = max(seg_of[releases[j]], full_to)
        while seg < len(cuts):
            row = used[seg]
            take = np.minimum(need, caps[seg] - row)
            row += take
            need -= take
            # The last segment a sample takes from is where its job ends.
            np.copyto(end, bounds[seg] + row, where=take > 0)
            if seg == full_to and not (row < caps[seg]).any():
                full_to += 1
            if not need.any():
                break
            seg += 1
        last[j] = np.where(units[j] > 0, (end - 1) // day_units, -1)
    return last
