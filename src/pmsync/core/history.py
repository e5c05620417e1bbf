"""What delivered deals teach the forecast: overrun ratios per PM and team, effort per kind."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from pmsync.core.models import Actual, overrun
from pmsync.errors import NoHistoryForKind

OWN_HISTORY_MIN = 5
TEAM_HISTORY_MIN = 3


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
        actuals: Sequence[float] = self.actuals_by_kind.get(kind, ())
        if not actuals:
            raise NoHistoryForKind(kind, sorted(self.actuals_by_kind))
        from statistics import median

        return median(actuals), len(actuals)
