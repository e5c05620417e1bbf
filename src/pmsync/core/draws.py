"""Monte-Carlo effort draws that come out the same one by one in Python or all at once in numpy.

Importing numpy costs more than a small team's whole forecast, so a small question is
answered in plain Python and a big one with numpy, and both must give the same dates. The
random numbers are therefore counter-based: sample `i` of a job is a hash (SplitMix64) of the
job's key plus `i`, computed with the same 64-bit integer steps on both sides, and the float
arithmetic after it is done in the same order, so every sample is bit for bit the same. One
hash serves both of a sample's choices: its high 32 bits place the effort in the three-point
range, its low 32 bits pick the overrun ratio (by multiply-shift, which numpy does far faster
than a modulo).

A job's key depends only on the seed, its PM and the deal, so adding work to a queue never
changes the draws of the deals already in it (common random numbers).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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


def _shape(job: Job) -> tuple[float, float, float, float, float, float]:
    """low, likely, high, where the mode sits (0..1), hours logged and weight."""
    likely = job.likely if job.likely is not None else job.hours / job.weight + job.logged
    # low <= likely <= high, so neither root below is ever of a negative number.
    low = min(job.low, likely) if job.low is not None else likely
    high = max(job.high, likely) if job.high is not None else likely
    span = high - low
    mode_at = (likely - low) / span if span > 0 else 0.0
    return low, likely, high, mode_at, job.logged, job.weight


def draw_lists(
    jobs: Sequence[Job], keys: Sequence[int], ratios: Sequence[float], samples: int, units: int
) -> list[list[int]]:
    """Per job, its remaining effort in each sample, in calendar units (`units` per
    thousandth of an hour): a triangular draw on low/likely/high times an overrun ratio."""
    out = []
    n_ratios, sqrt, hash_ = len(ratios), math.sqrt, mix
    for job, key in zip(jobs, keys, strict=True):
        low, likely, high, mode_at, logged, weight = _shape(job)
        span = high - low
        column = []
        if not span and not n_ratios:
            # Nothing to draw: every sample is the estimate as given.
            out.append([round(max(high - logged, 0.0) * weight * 1000) * units] * samples)
            continue
        for i in range(samples):
            h = hash_((key + i) & MASK)
            if not span:
                total = high  # what the formula below gives whatever u is
            elif (u := (h >> 32) * _UNIT) < mode_at:
                total = low + sqrt(u * span * (likely - low))
            else:
                total = high - sqrt((1 - u) * span * (high - likely))
            if n_ratios:
                total = total * ratios[((h & _LOW) * n_ratios) >> 32]
            column.append(round(max(total - logged, 0.0) * weight * 1000) * units)
        out.append(column)
    return out


def draw_array(
    jobs: Sequence[Job],
    keys: Sequence[int] | np.ndarray,
    ratios: Sequence[float],
    samples: int,
    units: int,
) -> np.ndarray:
    """`draw_lists` for many jobs at once, as a (jobs x samples) int64 array: a job's
    samples lie side by side, the way the scheduler and the percentiles read them."""
    import numpy as np

    low, likely, high, mode_at, logged, weight = (
        np.array(v, dtype=float)[:, None] for v in zip(*map(_shape, jobs), strict=True)
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
        total[ranged] = np.where(
            u < mode,
            lo + np.sqrt(u * span * (lk - lo)),
            hi - np.sqrt((1 - u) * span * (hi - lk)),
        )
    if len(ratios):
        table = np.asarray(ratios, dtype=float)
        picks = ((hashes & np.uint64(_LOW)) * np.uint64(len(table))) >> np.uint64(32)
        total = total * np.take(table, picks.astype(np.intp))
    return np.rint(np.maximum(total - logged, 0.0) * weight * 1000).astype(np.int64) * units


def as_lists(columns: Sequence[Any]) -> list[list[int]]:
    return [c if isinstance(c, list) else c.tolist() for c in columns]
