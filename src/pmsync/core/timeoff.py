"""Taking days out of a PM's time off: which ranges go, shrink, or split in two."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple

from pmsync.core.models import TimeOff

_DAY = timedelta(days=1)


class Cut(NamedTuple):
    removed: list[TimeOff]  # ranges wholly inside the days taken out
    changed: list[tuple[TimeOff, date, date]]  # a range and what is left of it
    added: list[TimeOff]  # the second half of a range split in two

    @property
    def touched(self) -> bool:
        return bool(self.removed or self.changed)


def cut(ranges: Sequence[TimeOff], start: date, end: date) -> Cut:
    """Take `start`..`end` (inclusive) out of every range it overlaps."""
    result = Cut([], [], [])
    for off in ranges:
        if off.end < start or off.start > end:
            continue
        before = (off.start, start - _DAY) if off.start < start else None
        after = (end + _DAY, off.end) if off.end > end else None
        if before is None and after is None:
            result.removed.append(off)
        elif before is not None and after is not None:
            result.changed.append((off, *before))
            result.added.append(TimeOff(after[0], after[1], off.reason))
        else:
            kept = before or after
            assert kept is not None
            result.changed.append((off, *kept))
    return result
