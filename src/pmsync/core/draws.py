"""Monte-Carlo effort draws that come out the same one by one in Python or all at once in numpy.

Importing numpy costs more than a small team's whole forecast, so a small question is
answered in plain Python and a big one with numpy, and both must give the same dates. The
random numbers are therefore counter-based: sample `i` of a job is a hash (SplitMix64) of the
job's key plus `i`, computed with the same 64-bit integer steps on both sides, and the float
arithmetic after it is done in the same order, so every sample is bit for bit the same. One
hash serves both of a sample's choices: its high 32 bits place the effort in the three-point
range, its low 32 bits pick the deal's noise about its PM's tendency (by multiply-shift,
which numpy does far faster than a modulo). What the whole queue shares in a sample (the
PM's tendency and spread) comes from `overrun` as plain numbers computed once in Python, so
no exp or log is ever taken on the numpy side, where it might round differently.

A job's key depends only on the seed, its PM and the deal, so adding work to a queue never
changes the draws of the deals already in it (common random numbers).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pmsync.core.overrun import (
    NOISE_QUANTILES,
    SCENARIOS,
    SPREAD_LEVELS,
    QueueOverrun,
)
from pmsync.core.schedule import Job

if TYPE_CHECKING:
    import numpy as np

MASK = (1 << 64) - 1
_LOW = (1 << 32) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_UNIT = 2.0**-32


def mix(z: int) -> int:
    """SplitMix64: the 64-bit hash of the counter `z`."""
    z = (z + _GOLDEN) & MASK
    z = ((z ^ (z >> 30)) * _M1) & MASK
    z = ((z ^ (z >> 27)) * _M2) & MASK
    return z ^ (z >> 31)


def _mix_array(z: np.ndarray) -> np.ndarray:
    """`mix` on a uint64 array: numpy's unsigned arithmetic wraps just as `& MASK` does."""
    import numpy as np

    z = z + np.uint64(_GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    return z ^ (z >> np.uint64(31))


def queue_key(seed: int, pm: str) -> int:
    return mix(mix(seed & MASK) ^ zlib.crc32(pm.encode()))


def job_key(queue: int, job: Job) -> int:
    """The job's stream within its PM's queue (`queue_key`)."""
    return mix(mix(queue ^ (job.deal_id & MASK)) ^ (job.tie_break & MASK))


def job_key_array(queue: int, jobs: Sequence[Job]) -> np.ndarray:
    """`job_key` of many jobs at once, as uint64."""
    import numpy as np

    ids = np.array([j.deal_id & MASK for j in jobs], dtype=np.uint64)
    orders = np.array([j.tie_break & MASK for j in jobs], dtype=np.uint64)
    return _mix_array(_mix_array(np.uint64(queue) ^ ids) ^ orders)


def _shape(job: Job, habitual: bool) -> tuple[float, float, float, float, float, float]:
    """low, likely, high, where the mode sits (0..1), hours logged and weight. With
    `habitual` ranges the overruns already say how far from likely the effort lands, so the
    range is not drawn from again."""
    likely = job.likely if job.likely is not None else job.hours / job.weight + job.logged
    # low <= likely <= high, so neither root below is ever of a negative number.
    low = min(job.low, likely) if job.low is not None and not habitual else likely
    high = max(job.high, likely) if job.high is not None and not habitual else likely
    span = high - low
    mode_at = (likely - low) / span if span > 0 else 0.0
    return low, likely, high, mode_at, job.logged, job.weight


def _habitual(overrun: QueueOverrun | None) -> bool:
    return overrun is not None and overrun.model.habitual_ranges


def draw_lists(
    jobs: Sequence[Job],
    keys: Sequence[int],
    overrun: QueueOverrun | None,
    samples: int,
    units: int,
) -> list[list[int]]:
    """Per job, its remaining effort in each sample, in calendar units (`units` per
    thousandth of an hour): a triangular draw on low/likely/high times the overrun: the
    PM's tendency in that sample times the deal's own noise."""
    out = []
    sqrt, hash_, habitual = math.sqrt, mix, _habitual(overrun)
    if overrun is not None:
        tables = overrun.noise_tables()
        noise = [tables[i % SPREAD_LEVELS] for i in range(samples)]
    for job, key in zip(jobs, keys, strict=True):
        low, likely, high, mode_at, logged, weight = _shape(job, habitual)
        span = high - low
        column = []
        if not span and overrun is None:
            # Nothing to draw: every sample is the estimate as given.
            out.append([round(max(high - logged, 0.0) * weight * 1000) * units] * samples)
            continue
        tendency = overrun.multipliers(job.kind, samples) if overrun is not None else ()
        for i in range(samples):
            h = hash_((key + i) & MASK)
            if not span:
                total = high  # what the formula below gives whatever u is
            elif (u := (h >> 32) * _UNIT) < mode_at:
                total = low + sqrt(u * span * (likely - low))
            else:
                total = high - sqrt((1 - u) * span * (high - likely))
            if overrun is not None:
                total = total * tendency[i] * noise[i][((h & _LOW) * NOISE_QUANTILES) >> 32]
            column.append(round(max(total - logged, 0.0) * weight * 1000) * units)
        out.append(column)
    return out


# Jobs drawn per numpy pass: a long queue's arrays in one pass outgrow the processor's
# cache, and every step then waits on memory (each job's draws are its own either way).
BLOCK_JOBS = 128


def draw_array(
    jobs: Sequence[Job],
    keys: Sequence[int] | np.ndarray,
    overrun: QueueOverrun | None,
    samples: int,
    units: int,
) -> np.ndarray:
    """`draw_lists` for many jobs at once, as a (jobs x samples) int64 array: a job's
    samples lie side by side, the way the scheduler and the percentiles read them."""
    import numpy as np

    if len(jobs) > BLOCK_JOBS:
        out = np.empty((len(jobs), samples), dtype=np.int64)
        keys = np.asarray(keys, dtype=np.uint64)
        for a in range(0, len(jobs), BLOCK_JOBS):
            b = a + BLOCK_JOBS
            out[a:b] = draw_array(jobs[a:b], keys[a:b], overrun, samples, units)
        return out
    habitual = _habitual(overrun)
    low, likely, high, mode_at, logged, weight = (
        np.array(v, dtype=float)[:, None]
        for v in zip(*(_shape(j, habitual) for j in jobs), strict=True)
    )
    total = np.repeat(high, samples, axis=1)
    ranged = np.flatnonzero(high[:, 0] - low[:, 0])  # without a range the draw is `high`
    hashes = _mix_array(
        np.array(keys, dtype=np.uint64)[:, None] + np.arange(samples, dtype=np.uint64)
    )
    if len(ranged):
        lo, lk, hi, mode = low[ranged], likely[ranged], high[ranged], mode_at[ranged]
        u = (hashes[ranged] >> np.uint64(32)).astype(float) * _UNIT
        span = hi - lo
        # One root per draw, of the branch it takes (the same products as `draw_lists`).
        below = u < mode
        root = np.sqrt(np.where(below, u * span * (lk - lo), (1 - u) * span * (hi - lk)))
        total[ranged] = np.where(below, lo + root, hi - root)
    if overrun is not None:
        # Per kind, each sample's multiplier: the PM's tendency in its scenario times the
        # kind's factor (the same product `multipliers` makes one by one).
        kinds = {k: row for row, k in enumerate(dict.fromkeys(j.kind for j in jobs))}
        tendency = np.asarray(overrun.tendency())[np.arange(samples) % SCENARIOS]
        model = overrun.model
        factors = np.stack(
            [
                _as_array(overrun, ("kind", k, samples), model.kind_factors(k, samples))
                for k in kinds
            ]
        )
        rows = np.array([kinds[j.kind] for j in jobs], dtype=np.intp)
        total *= (tendency * factors)[rows]
        # Every spread stratum's noise table end to end: sample i reads stratum i % 8's, at
        # bits 24-31 of its hash (what `draw_lists` reads as the low half times 256 >> 32).
        tables = np.concatenate(
            [_as_array(overrun, ("noise", s), model.noise_table(s)) for s in overrun.spreads]
        )
        picks = (hashes.view(np.int64) >> 24) & (NOISE_QUANTILES - 1)
        picks += (np.arange(samples, dtype=np.intp) % SPREAD_LEVELS) * NOISE_QUANTILES
        total *= np.take(tables, picks)
    # In place, in `draw_lists`'s order: round(max(total - logged, 0) * weight * 1000) * units.
    total -= logged
    np.maximum(total, 0.0, out=total)
    total *= weight
    total *= 1000
    drawn = np.rint(total, out=total).astype(np.int64)
    drawn *= units
    return drawn


def _as_array(overrun: QueueOverrun, key: tuple, values: Sequence[float]) -> Any:
    """A numpy copy of numbers the model keeps (under `key`), made once per model."""
    import numpy as np

    arrays = overrun.model.arrays
    if key not in arrays:
        arrays[key] = np.array(values, dtype=float)
    return arrays[key]


def as_lists(columns: Sequence[Any]) -> list[list[int]]:
    return [c if isinstance(c, list) else c.tolist() for c in columns]
