"""What delivered deals teach the forecast: the overrun model and the effort per kind."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from math import log
from operator import mul

from pmsync.core.models import Actual, overrun
from pmsync.core.overrun import Cell, OverrunModel, QueueOverrun
from pmsync.errors import NoHistoryForKind

# What history reads of one delivered deal: PM, kind, the estimate at signing (else the
# first), the actual hours, and whether that estimate had a low/high range.
HistoryRow = tuple[str | None, str | None, float | None, float | None, bool]


class History:
    """What delivered deals teach: the overrun model, and the actual hours per kind.

    Read in one pass and kept as numbers: a big team has hundreds of thousands of delivered
    deals."""

    def __init__(self, delivered: Iterable[Actual] = ()) -> None:
        # Overrun ratios per (PM, kind), for the overrun model.
        self._grouped: dict[tuple[str | None, str | None], array[float]] = {}
        self.ranged = 0  # deals whose estimate at signing had a range
        self._model: OverrunModel | None = None
        self.actuals_by_kind: dict[str, array[float]] = {}
        self.add((a.pm, a.kind, a.estimate_hours, a.actual_hours, a.ranged) for a in delivered)

    @classmethod
    def from_rows(cls, rows: Iterable[HistoryRow]) -> History:
        """History straight from storage's rows, without a record per delivered deal."""
        history = cls()
        history.add(rows)
        return history

    def add(self, rows: Iterable[HistoryRow]) -> None:
        grouped, kinds = self._grouped, self.actuals_by_kind
        self._model = None
        for pm, kind, estimate, actual, ranged in rows:
            if actual is None:
                continue
            if kind:
                if kind not in kinds:
                    kinds[kind] = array("d")
                kinds[kind].append(actual)
            ratio = overrun(actual, estimate)
            if ratio is None or ratio <= 0:
                continue  # no estimate, or no hours at all: nothing a logarithm can learn from
            group = grouped.get((pm, kind))
            if group is None:
                group = grouped[(pm, kind)] = array("d")
            group.append(ratio)
            if ranged:
                self.ranged += 1

    @property
    def cells(self) -> dict[tuple[str | None, str | None], Cell]:
        """Per (PM, kind): how many deals, and the sum of their log overruns and of its
        square (the logarithms taken in bulk, not one Python step per deal)."""
        cells = {}
        for key, ratios in self._grouped.items():
            ys = list(map(log, ratios))
            cells[key] = [float(len(ys)), sum(ys), sum(map(mul, ys, ys))]
        return cells

    @property
    def model(self) -> OverrunModel:
        if self._model is None:
            # The model reads the ratios, not the history: a history that held its model
            # and was held by it would be freed only by the cycle collector.
            grouped = self._grouped
            self._model = OverrunModel(self.cells, self.ranged, lambda most: _recent(grouped, most))
        return self._model

    def overrun_for(self, pm: str) -> QueueOverrun | None:
        """What a PM's queue samples its overruns from; None without evidence."""
        return self.model.for_pm(pm)

    def reference_hours(self, kind: str) -> tuple[float, int]:
        """Median actual hours of delivered deals of a kind, and how many there were."""
        actuals: Sequence[float] = self.actuals_by_kind.get(kind, ())
        if not actuals:
            raise NoHistoryForKind(kind, sorted(self.actuals_by_kind))
        from statistics import median

        return median(actuals), len(actuals)


def _recent(
    grouped: dict[tuple[str | None, str | None], array[float]], most: int
) -> dict[tuple[str | None, str | None], list[float]]:
    """Per (PM, kind), the log overruns of its latest deals: about `most` in all, each
    group giving its share."""
    total = sum(len(r) for r in grouped.values())
    out = {}
    for key, ratios in grouped.items():
        take = -(-len(ratios) * most // total) if total > most else len(ratios)
        out[key] = list(map(log, ratios[-take:]))
    return out
