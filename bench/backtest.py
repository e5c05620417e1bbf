"""Back-test of check-date's uncertainty: are P50, P80 and the on-time chance honest?

    python bench/backtest.py                    # the table in the README (about a minute)
    python bench/backtest.py --checks 100       # quicker, noisier
    ../old/.venv/bin/python bench/backtest.py   # another checkout's engine (its own venv)

A synthetic team whose overruns follow a known process: each PM's actual ÷ estimate is
log-normal, with a median drawn from 0.9-1.4 and a spread (sigma of the log) from 0.1-0.5;
a kind of work multiplies it (onboarding x0.85, migration x1.35 where kinds differ). Each
check is a fresh team: seven PMs with 20 delivered deals each, and the PM asked about with
0, 3, 5, 10 or 30 of their own and up to three deals queued ahead of the new work. pmsync
answers from that history, as `check-date --pm` would (`Forecaster.check`), and the answer
is scored against draws of the real efforts from the true process:

- P50 and P80 coverage: how often the real finish is on or before that date;
- the same for a forecaster that knows the truth (its P80 from 4,000 draws of the true
  process): it covers a little more than 80 % because a finish on the P80 day counts;
- gap: pmsync's P80 coverage minus the perfect forecaster's (the goal: within 3 points);
- Brier score of `on_time_probability` for the date asked (lower is better), and the
  perfect forecaster's, the floor;
- how often that chance came out as exactly 0 or 1, a certainty no sample can give.

Scenarios: one kind of work with point estimates; kinds that differ (a row per kind); a
team that always estimates low/likely/high, where the truth runs from the likely value; and
one outside the model's log-normal family, where deals mostly land near the PM's median
and 15 % of them run twice as long.
Everything is seeded: the same code gives the same table.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from datetime import date, timedelta
from typing import Any

HISTORY_SIZES = (0, 3, 5, 10, 30)
OTHER_PMS = 7
OTHER_HISTORY = 20
REALITIES = 400  # draws of the real efforts each answer is scored against
PERFECT_DRAWS = 4000
TODAY = date(2027, 1, 4)  # a Monday
KIND_FACTOR = {"onboarding": 0.85, "migration": 1.35}
# Outside the model's family: deals that mostly land near the PM's median (spread 0.1) and
# now and then run twice as long.
DISASTER = (0.15, 2.0)
# Where kinds differ, what each scenario's row asks about; None: one kind of work.
SCENARIOS: tuple[tuple[str, str | None, bool], ...] = (
    ("one kind, point estimates", None, False),
    ("onboarding (x0.85)", "onboarding", False),
    ("migration (x1.35)", "migration", False),
    ("habitual ranges", None, True),
    ("not log-normal: 15 % run 2x", "disasters", False),
)
RANGE = (0.8, 1.6)  # low and high as multiples of the likely value, when ranged
DAY_HOURS = 8.0  # a 40-hour week
SLOW = 1.25  # a PM this slow (median overrun) or slower overruns more than the team


def _overrun(rng: Any, median: float, spread: float, kind: str | None, n: int | None) -> Any:
    """Draws of actual / estimate from the true process."""
    import numpy as np

    if kind == "disasters":
        share, factor = DISASTER
        usual = median * np.exp(0.1 * rng.standard_normal(n))
        return usual * np.where(rng.random(n) < share, factor, 1.0)
    mu = math.log(median) + (math.log(KIND_FACTOR[kind]) if kind else 0.0)
    return np.exp(mu + spread * rng.standard_normal(n))


@dataclasses.dataclass
class Cell:
    p50: float = 0.0
    p80: float = 0.0
    perfect: float = 0.0
    brier: float = 0.0
    brier_perfect: float = 0.0
    certain: float = 0.0  # answers whose chance was exactly 0 or 1
    checks: int = 0

    def add(
        self, p50: float, p80: float, perfect: float, brier: float, floor: float, certain: bool
    ) -> None:
        self.certain += certain
        self.p50 += p50
        self.p80 += p80
        self.perfect += perfect
        self.brier += brier
        self.brier_perfect += floor
        self.checks += 1


def _with(cls: Any, **values: Any) -> Any:
    """`cls(**values)` with only the fields this version of pmsync knows."""
    known = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else None
    if known is None:
        known = set(cls._fields)
    return cls(**{k: v for k, v in values.items() if k in known})


def run(
    args: argparse.Namespace,
) -> tuple[dict[tuple[str, int], Cell], dict[tuple[str, int], Cell]]:
    """Scores per (scenario, own deals), and those of the checks about a PM whose median
    overrun is SLOW or more (what the team's history alone gets wrong)."""
    import numpy as np

    import pmsync.core.forecast as forecast
    from pmsync.core.calendar import WorkCalendar
    from pmsync.core.history import History
    from pmsync.core.models import PM, Actual
    from pmsync.core.schedule import Job
    from pmsync.core.settings import Settings

    settings = Settings()
    rng = np.random.default_rng(args.seed)
    cells: dict[tuple[str, int], Cell] = {}
    slow: dict[tuple[str, int], Cell] = {}
    for name, kind, ranged in SCENARIOS:
        kinds = list(KIND_FACTOR) if kind in KIND_FACTOR else [kind]
        for size in HISTORY_SIZES:
            cell = cells[(name, size)] = Cell()
            for _ in range(args.checks):
                medians = rng.uniform(0.9, 1.4, OTHER_PMS + 1)
                spreads = rng.uniform(0.1, 0.5, OTHER_PMS + 1)

                def overrun(pm: int, k: str | None, n: int | None = None) -> Any:
                    return _overrun(rng, medians[pm], spreads[pm], k, n)  # noqa: B023

                delivered = []
                deal_id = 0
                for pm in range(OTHER_PMS + 1):
                    for _ in range(size if pm == 0 else OTHER_HISTORY):
                        deal_id += 1
                        k = kinds[rng.integers(len(kinds))]
                        likely = float(rng.uniform(20, 200))
                        actual = likely * float(overrun(pm, k))
                        delivered.append(
                            _with(
                                Actual,
                                deal_id=deal_id,
                                title="",
                                kind=k,
                                pm=f"pm{pm}",
                                delivered_on=TODAY - timedelta(days=30),
                                estimate_hours=round(likely, 1),
                                actual_hours=round(actual, 1),
                                ranged=ranged,
                            )
                        )
                history = History(delivered)
                pm = PM("pm0", 40.0)
                cal = WorkCalendar(pm, TODAY)
                # The queue ahead: deals promised before the new work, then the new work.
                ahead = int(rng.integers(0, 4))
                likelies = rng.uniform(20, 160, ahead + 1)
                job_kinds = [kinds[rng.integers(len(kinds))] for _ in range(ahead)] + [kind]
                plan_days = likelies.sum() / DAY_HOURS
                asked = cal.day(max(0, int(plan_days * rng.uniform(0.8, 1.8))))
                loads = []
                for i in range(ahead):
                    likely = float(round(likelies[i], 1))
                    job = _with(
                        Job,
                        deal_id=100_000 + i,
                        hours=likely,
                        promised=TODAY + timedelta(days=1 + i),
                        likely=likely,
                        low=round(likely * RANGE[0], 1) if ranged else None,
                        high=round(likely * RANGE[1], 1) if ranged else None,
                        kind=job_kinds[i],
                    )
                    loads.append(("pm0", job, f"deal {i}"))
                engine = forecast.Forecaster.from_loads([pm], loads, history, TODAY, settings)
                hours = float(round(likelies[-1], 1))
                cand = _with(
                    forecast.Candidate,
                    hours=hours,
                    promised=asked,
                    low=round(hours * RANGE[0], 1) if ranged else None,
                    high=round(hours * RANGE[1], 1) if ranged else None,
                    kind=kind,
                )
                best = engine.check(cand, "pm0").best
                if best.p80 is None:
                    continue
                rounded = np.round(likelies, 1)

                def finishes(n: int) -> Any:
                    """Working-day index of the new work's real finish, in n draws."""
                    total = np.zeros(n)
                    for i, k in enumerate(job_kinds):  # noqa: B023
                        total += rounded[i] * overrun(0, k, n)  # noqa: B023
                    return np.ceil(np.round(total * 1000) / (DAY_HOURS * 1000)) - 1

                truth = finishes(args.realities)
                perfect = finishes(PERFECT_DRAWS)
                limit = cal.index_from(asked)
                perfect_p80 = np.sort(perfect)[-(-PERFECT_DRAWS * 4 // 5) - 1]
                chance = float(np.mean(perfect <= limit))
                on_time = truth <= limit
                p = best.on_time_probability
                scores = (
                    float(np.mean(truth <= cal.index_from(best.p50))),
                    float(np.mean(truth <= cal.index_from(best.p80))),
                    float(np.mean(truth <= perfect_p80)),
                    float(np.mean((p - on_time) ** 2)),
                    float(np.mean((chance - on_time) ** 2)),
                    p in (0.0, 1.0),
                )
                cell.add(*scores)
                if kind is None and not ranged and medians[0] >= SLOW:
                    slow.setdefault((f"runs over {SLOW}x, one kind", size), Cell()).add(*scores)
    return cells, slow


def table(cells: dict[tuple[str, int], Cell], total_row: bool = True) -> str:
    lines = [
        "| scenario | own deals | P50 covers | P80 covers | perfect P80 | gap | Brier | "
        "perfect Brier | chance 0 or 1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total = Cell()
    for (name, size), c in cells.items():
        n = c.checks or 1
        lines.append(
            f"| {name} | {size} | {c.p50 / n:.1%} | {c.p80 / n:.1%} | {c.perfect / n:.1%} | "
            f"{(c.p80 - c.perfect) / n * 100:+.1f} | {c.brier / n:.4f} | "
            f"{c.brier_perfect / n:.4f} | {c.certain / n:.0%} |"
        )
        for f in ("p50", "p80", "perfect", "brier", "brier_perfect", "certain", "checks"):
            setattr(total, f, getattr(total, f) + getattr(c, f))
    n = total.checks or 1
    if not total_row:
        return "\n".join(lines)
    lines.append(
        f"| all | | {total.p50 / n:.1%} | {total.p80 / n:.1%} | {total.perfect / n:.1%} | "
        f"{(total.p80 - total.perfect) / n * 100:+.1f} | {total.brier / n:.4f} | "
        f"{total.brier_perfect / n:.4f} | {total.certain / n:.0%} |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=1000, help="checks per cell")
    parser.add_argument("--realities", type=int, default=REALITIES)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    cells, slow = run(args)
    print(table(cells))
    print(f"\nThe same, for the PMs whose median overrun is {SLOW}x or more:\n")
    print(table(slow, total_row=False))
    checks = sum(c.checks for c in cells.values())
    print(f"\n{checks} checks in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
