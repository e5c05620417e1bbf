"""How far a deal's effort may run over its estimate: a model learned from delivered deals.

A delivered deal's overrun is its actual hours over the estimate at signing; the model
works on its logarithm, y. Each PM has a tendency (the mean of their y), each kind of work
an effect on top of it, and around both the deals scatter with a PM's own spread:

    y = team mean + PM tendency + kind effect + spread x noise

None of these is known; history only hints at them, and how strongly depends on how much of
it there is. So the PM's tendency is the team's, pulled towards the PM's own record by the
weight their deals carry (partial pooling: three deals move it a little, thirty a lot); a
kind's effect is learnt the same way from every deal of that kind; and how much PMs and
kinds differ at all is read from the team (a random-effects fit by the method of moments,
kept from claiming "no difference" on a handful of PMs by a prior worth two of them). A PM's
spread is their own residual variance pooled with the team's.

What is unknown is sampled, not averaged away: each Monte-Carlo sample is one of 64
scenarios for the PM (a stratum of their spread's posterior and, given it, of their
tendency's), times a draw of the kind's effect with its doubt; every deal of the queue shares
that sample's scenario, and each then draws its own noise, whose shape is the team's recent
residuals blended with the normal's. So a PM with little history gets a wider P80, and a
queue of several deals cannot average the PM's unknown tendency away.

Everything a sample needs is computed here in plain Python, once per scenario, kind and
spread (tables of exp(sigma x quantile)), so the per-draw work in `draws` is table look-ups
and multiplications: Python and numpy give the same bits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

# Delivered deals the team needs before overruns are evidence at all.
TEAM_HISTORY_MIN = 3
# How many PMs' (kinds') worth of weight the prior on their spread carries: with few PMs
# the method of moments often says "they are all alike", which a new PM may not be.
PRIOR_GROUPS = 2.0
# The prior's guess of how much PMs (kinds) differ, as a share of the deal-to-deal variance.
PRIOR_SHARE = 0.25
# How many deals' worth of weight the team's spread carries in a PM's own spread.
SPREAD_PRIOR_DEALS = 6.0
# A share of ranged estimates in history from which the ranges are taken to be habitual:
# the overruns were measured against likely values of ranged estimates, so a range is not
# sampled again on top of them.
HABITUAL_RANGES = 0.5
# What a queue shares in a sample is one of SPREAD_LEVELS x TENDENCY_LEVELS scenarios: a
# stratum of the PM's spread and, given it, a stratum of their tendency. Sample i takes
# scenario i % SCENARIOS, and the first 8 samples already meet every stratum of both.
SPREAD_LEVELS = 8
TENDENCY_LEVELS = 8
SCENARIOS = SPREAD_LEVELS * TENDENCY_LEVELS
NOISE_QUANTILES = 256  # a deal's noise is one of these equally likely quantiles
# The noise's shape is the team's recent residuals (at most this many), blended with the
# normal's by their number against this many deals' worth of prior: a team whose deals mostly
# land on time and now and then run twice as long is not drawn as if it were log-normal.
SHAPE_DEALS = 2048
SHAPE_PRIOR = 50.0
KIND_QUANTILES = 1024  # the doubt about a kind's effect, walked in a low-discrepancy order
_STRIDE = 633  # ~1024 / golden ratio, odd: visits every quantile
_GRID = 0.005  # spreads are kept to this step so their noise tables are shared


@cache
def _normal_quantiles(n: int) -> tuple[float, ...]:
    """The n equally likely standard-normal quantiles (mid-points of n strata)."""
    try:  # the C helper behind statistics.NormalDist, without importing decimal/fractions
        from _statistics import _normal_dist_inv_cdf as inv  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - other Pythons
        from statistics import NormalDist

        return tuple(NormalDist().inv_cdf((k + 0.5) / n) for k in range(n))
    return tuple(inv((k + 0.5) / n, 0.0, 1.0) for k in range(n))


def _chi2_quantile(dof: float, z: float) -> float:
    """Wilson-Hilferty: the chi-squared quantile with `dof` degrees of freedom at the
    standard-normal quantile z (close enough for a spread's posterior from 6 dof up)."""
    c = 2.0 / (9.0 * dof)
    return dof * max(1.0 - c + z * math.sqrt(c), 0.05) ** 3


@dataclass(frozen=True)
class Evidence:
    """What a forecast learned from history, as check-date reports it."""

    source: str  # "own" (the PM's record weighs most), "team", or "none"
    deals: int = 0  # delivered deals with an overrun, the whole team's
    own_deals: int = 0
    own_weight: float = 0.0  # share of the PM's tendency that is their own record
    kind: str | None = None
    kind_deals: int = 0  # the team's delivered deals of that kind
    median_ratio: float | None = None  # the typical overrun of this PM on this kind
    ranges: str = "none"  # "likely": ranges were habitual; "range": sampled; "none"

    @property
    def model(self) -> str:
        return "none" if self.source == "none" else "pooled-lognormal"


NO_EVIDENCE = Evidence("none")

# Sufficient statistics of one PM's deals of one kind: count, sum of y, sum of y squared.
Cell = list[float]


class OverrunModel:
    """The team's overrun model, fitted from history's cells when a queue first asks."""

    def __init__(
        self,
        cells: dict[tuple[str | None, str | None], Cell],
        ranged: int,
        recent: Callable[[int], dict[tuple[str | None, str | None], list[float]]] | None = None,
    ) -> None:
        self.cells = cells
        self._recent = recent  # per (PM, kind), the log overruns of their latest deals
        self.deals = int(sum(c[0] for c in cells.values()))
        self.habitual_ranges = self.deals > 0 and ranged >= HABITUAL_RANGES * self.deals
        self._fitted = False
        self._kind_factors: dict[tuple[str | None, int], list[float]] = {}
        self._noise: dict[float, tuple[float, ...]] = {}
        # Copies the numpy engine keeps of what it reads here, keyed by what they copy.
        self.arrays: dict[object, object] = {}

    @property
    def active(self) -> bool:
        return self.deals >= TEAM_HISTORY_MIN

    def _fit(self) -> None:
        if self._fitted:
            return
        self._fitted = True
        cells, n = self.cells, self.deals
        self.mean = sum(c[1] for c in cells.values()) / n
        # Deal-to-deal variance within a PM's deals of one kind; the whole spread of y
        # while too few cells have two deals to tell.
        within = sum(c[2] - c[1] * c[1] / c[0] for c in cells.values())
        dof = n - len(cells)
        total = sum(c[2] for c in cells.values()) / n - self.mean**2
        self.noise = max(within / dof if dof >= 2 else total * n / max(n - 1, 1), 1e-4)
        self.kind_deals: dict[str, int] = {}
        self.cells_of: dict[str | None, list[tuple[str | None, Cell]]] = {}  # per PM
        for (pm, kind), cell in cells.items():
            self.cells_of.setdefault(pm, []).append((kind, cell))
            if kind is not None:
                self.kind_deals[kind] = self.kind_deals.get(kind, 0) + int(cell[0])
        self.kinds_differ = len(self.kind_deals) >= 2
        self.pm_effect: dict[str, tuple[float, float]] = {}  # raw mean residual, deals
        self.kind_effect: dict[str, float] = {}
        self.pm_spread2 = self.kind_spread2 = PRIOR_SHARE * self.noise
        for _ in range(2):  # back-fitting: kinds given PMs, then PMs given kinds
            if self.kinds_differ:
                raw = self._group_means(1, lambda p, k: self._pm_shift(p))
                self.kind_spread2 = self._between(raw)
                self.kind_effect = {
                    k: d * self.weight(self.kind_spread2, m) for k, (d, m) in raw.items()
                }
            self.pm_effect = self._group_means(0, lambda p, k: self.kind_effect.get(k or "", 0.0))
            self.pm_spread2 = self._between(self.pm_effect)
        self.shape = self._shape()

    def spread_of(self, pm: str | None) -> tuple[float, float]:
        """The PM's spread posterior (scaled inverse chi-squared): its degrees of freedom and
        scale. Their residuals about their pooled tendency, pooled with the team's spread,
        whose prior scale is set so that its mean variance is the team's."""
        own = self.pm_effect[pm][1] if pm in self.pm_effect else 0
        shift = self.mean + self._pm_shift(pm)
        ss = 0.0
        for kind, (count, total, squares) in self.cells_of.get(pm, ()):
            centre = shift + self.kind_effect.get(kind or "", 0.0)
            ss += squares - 2 * centre * total + count * centre * centre
        dof = SPREAD_PRIOR_DEALS + own
        return dof, ((SPREAD_PRIOR_DEALS - 2) * self.noise + max(ss, 0.0)) / dof

    def _shape(self) -> tuple[float, ...]:
        """The noise's standard quantiles: the team's latest residuals, each over its PM's
        spread, made mean 0 and variance 1, blended with the normal's."""
        normal = _normal_quantiles(NOISE_QUANTILES)
        recent = self._recent(SHAPE_DEALS) if self._recent is not None else {}
        spread: dict[str | None, float] = {}
        found: list[float] = []
        for (pm, kind), ys in recent.items():
            if pm not in spread:
                spread[pm] = math.sqrt(self.spread_of(pm)[1])
            centre = self.mean + self._pm_shift(pm) + self.kind_effect.get(kind or "", 0.0)
            found.extend((y - centre) / spread[pm] for y in ys)
        n = len(found)
        if n < 3:
            return normal
        found.sort()
        mean = sum(found) / n
        sd = math.sqrt(sum((e - mean) ** 2 for e in found) / n)
        if sd <= 0:
            return normal
        weight = n / (n + SHAPE_PRIOR)
        out = []
        for k, z in enumerate(normal):
            at = (k + 0.5) / NOISE_QUANTILES * n - 0.5  # mid-point quantile, interpolated
            lo = min(max(int(at), 0), n - 1)
            hi = min(lo + 1, n - 1)
            e = found[lo] + (found[hi] - found[lo]) * min(max(at - lo, 0.0), 1.0)
            out.append(weight * (e - mean) / sd + (1 - weight) * z)
        return tuple(out)

    def noise_table(self, sigma: float) -> tuple[float, ...]:
        """exp(sigma x q) for each noise quantile q: a deal's overrun about its PM's tendency."""
        found = self._noise.get(sigma)
        if found is None:
            exp = math.exp
            found = self._noise[sigma] = tuple(exp(sigma * q) for q in self.shape)
        return found

    def _group_means(
        self, axis: int, offset: Callable[[str | None, str | None], float]
    ) -> dict[str, tuple[float, float]]:
        """Per PM (axis 0) or kind (1): the mean of y less the team mean and `offset`."""
        sums: dict[str, list[float]] = {}
        for key, (count, total, _) in self.cells.items():
            group = key[axis]
            if group is None:
                continue
            shift = self.mean + offset(*key)
            s = sums.setdefault(group, [0.0, 0.0])
            s[0] += total - count * shift
            s[1] += count
        return {g: (s[0] / s[1], s[1]) for g, s in sums.items()}

    def _between(self, raw: dict[str, tuple[float, float]]) -> float:
        """How much groups truly differ: the spread of their means less what their deals'
        noise explains, pooled with the prior."""
        excess = [d * d - self.noise / m for d, m in raw.values()]
        found = max(sum(excess) / len(excess), 0.0) if excess else 0.0
        prior = PRIOR_SHARE * self.noise
        return (len(excess) * found + PRIOR_GROUPS * prior) / (len(excess) + PRIOR_GROUPS)

    def weight(self, spread2: float, deals: float) -> float:
        """The share of a group's own mean in its estimate: the precision of its deals over
        that plus the prior's (groups spread by `spread2`)."""
        own = deals / self.noise
        return own / (1.0 / spread2 + own)

    def _pm_shift(self, pm: str | None) -> float:
        if pm is None or pm not in self.pm_effect:
            return 0.0
        d, m = self.pm_effect[pm]
        return d * self.weight(self.pm_spread2, m)

    def kind_effect_of(self, kind: str | None) -> tuple[float, float, int]:
        """A kind's effect on the log overrun, its variance, and the deals behind it."""
        if not self.kinds_differ:
            return 0.0, 0.0, 0
        if kind not in self.kind_effect:
            return 0.0, self.kind_spread2, 0  # a kind never delivered: any kind's effect
        deals = self.kind_deals[kind]
        return self.kind_effect[kind], 1.0 / (1.0 / self.kind_spread2 + deals / self.noise), deals

    def kind_factors(self, kind: str | None, samples: int) -> list[float]:
        """Per sample, exp(the kind's effect, with the doubt about it and about the team's
        mean): shared by every queue, and drawn apart from the PM's tendency."""
        found = self._kind_factors.get((kind, samples))
        if found is None:
            effect, variance, _ = self.kind_effect_of(kind)
            sd = math.sqrt(variance + self.noise / self.deals)
            z, exp = _normal_quantiles(KIND_QUANTILES), math.exp
            found = [exp(effect + sd * z[(i * _STRIDE) % KIND_QUANTILES]) for i in range(samples)]
            self._kind_factors[(kind, samples)] = found
        return found

    def for_pm(self, pm: str) -> QueueOverrun | None:
        """What one PM's queue samples from, or None without evidence."""
        if not self.active:
            return None
        self._fit()
        return QueueOverrun(self, pm)


class QueueOverrun:
    """One PM's overrun draws: per sample, a multiplier per kind (the tendency) and a noise
    table (the spread), shared by every deal of the queue in that sample."""

    def __init__(self, model: OverrunModel, pm: str) -> None:
        self.model = model
        self.raw, self.own = model.pm_effect.get(pm, (0.0, 0))
        dof, scale = model.spread_of(pm)
        z = _normal_quantiles(SPREAD_LEVELS)
        # Stratum s of the spread: quantile (s + 0.5) / levels of its scaled-inverse-chi2.
        self.spreads = [
            max(round(math.sqrt(dof * scale / _chi2_quantile(dof, -z[s])) / _GRID), 1) * _GRID
            for s in range(SPREAD_LEVELS)
        ]
        self._tendency: list[float] | None = None
        self._multipliers: dict[tuple[str | None, int], list[float]] = {}

    def tendency(self) -> list[float]:
        """Per scenario, exp(the PM's tendency), drawn given the scenario's spread."""
        if self._tendency is None:
            m = self.model
            levels = []
            for sigma in self.spreads:
                precision = 1.0 / m.pm_spread2 + self.own / (sigma * sigma)
                centre = m.mean + self.raw * (self.own / (sigma * sigma)) / precision
                levels.append((centre, math.sqrt(1.0 / precision)))
            z, exp = _normal_quantiles(TENDENCY_LEVELS), math.exp
            self._tendency = []
            for i in range(SCENARIOS):
                centre, sd = levels[i % SPREAD_LEVELS]
                # Over i = 8q + r this visits every tendency stratum once per spread stratum.
                t = z[(5 * i + i // SPREAD_LEVELS) % TENDENCY_LEVELS]
                self._tendency.append(exp(centre + sd * t))
        return self._tendency

    def multipliers(self, kind: str | None, samples: int) -> list[float]:
        """Per sample, the PM's tendency in its scenario (i % SCENARIOS) times the kind's
        effect in that sample."""
        found = self._multipliers.get((kind, samples))
        if found is None:
            pm, of_kind = self.tendency(), self.model.kind_factors(kind, samples)
            found = [pm[i % SCENARIOS] * of_kind[i] for i in range(samples)]
            self._multipliers[(kind, samples)] = found
        return found

    def noise_tables(self) -> list[tuple[float, ...]]:
        """Per spread stratum, the table a deal's noise is picked from."""
        return [self.model.noise_table(s) for s in self.spreads]

    def evidence(self, kind: str | None) -> Evidence:
        m = self.model
        weight = m.weight(m.pm_spread2, self.own)
        effect, _, kind_deals = m.kind_effect_of(kind)
        return Evidence(
            # "own" where the PM's record weighs most, or is all the team has.
            source="own" if weight >= 0.5 or self.own == m.deals else "team",
            deals=m.deals,
            own_deals=int(self.own),
            own_weight=weight,
            kind=kind if m.kinds_differ else None,
            kind_deals=kind_deals,
            median_ratio=math.exp(m.mean + self.raw * weight + effect),
            ranges="likely" if m.habitual_ranges else "range",
        )
