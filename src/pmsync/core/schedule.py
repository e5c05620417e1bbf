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

_OPEN_END = 1 << 62
# Tie-break for a deal not yet recorded: after every recorded deal with the same date.
NEW_DEAL_ORDER = 1 << 60


@dataclass(frozen=True)
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

    @property
    def sort_key(self) -> tuple[bool, date, int]:
        order = self.deal_id if self.order is None else self.order
        return (self.promised is None, self.promised or date.max, order)

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
    lo = [0]  # interval k spans days lo[k] .. hi[k]-1
    hi = [_OPEN_END]
    rem = [day_units]  # units left on day lo[k]; later days of the interval are untouched
    out: list[tuple[int, int] | None] = []
    for first_allowed, need in jobs:
        if need <= 0:
            out.append(None)
            continue
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
        out.append((first, last))
    return out
