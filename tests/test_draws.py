"""The Monte-Carlo's two engines, plain Python and numpy, draw and schedule the same samples."""

from __future__ import annotations

from datetime import date, timedelta
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from pmsync.core import draws
from pmsync.core.draws import draw_array, draw_lists, job_key, job_key_array, mix, queue_key
from pmsync.core.forecast import Candidate, Forecaster
from pmsync.core.history import History
from pmsync.core.models import PM, Actual, Deal, Estimate
from pmsync.core.montecarlo import DrawBudget
from pmsync.core.schedule import Job
from pmsync.core.settings import Settings

MON = date(2027, 1, 4)


def test_mix_is_splitmix64() -> None:
    # The first outputs of SplitMix64 seeded with 0 (the reference implementation's).
    assert mix(0) == 0xE220A8397B1DCDAF
    assert mix(0x9E3779B97F4A7C15) == 0x6E789E6AA1B965F4


hours = st.floats(0.5, 500, allow_nan=False)


@st.composite
def jobs(draw):
    likely = draw(hours)
    low = draw(st.one_of(st.none(), st.floats(0.1, 1).map(lambda f: likely * f)))
    high = draw(st.one_of(st.none(), st.floats(1, 4).map(lambda f: likely * f)))
    logged = draw(st.one_of(st.just(0.0), st.floats(0, 1).map(lambda f: likely * f)))
    weight = draw(st.sampled_from([1.0, 0.25, 0.5]))
    kind = draw(st.sampled_from([None, "audit", "migration"]))
    return Job(
        deal_id=draw(st.integers(-1, 10**6)),
        hours=max(0.0, likely - logged) * weight,
        promised=None,
        order=draw(st.one_of(st.none(), st.integers(0, 1 << 60))),
        low=low,
        likely=likely,
        high=high,
        logged=logged,
        weight=weight,
        kind=kind,
    )


# Delivered deals: PM, kind, estimate at signing, actual hours, whether it had a range.
past = st.tuples(
    st.sampled_from(["Ann", "Ben", None]),
    st.sampled_from(["audit", "migration", None]),
    st.floats(1, 200),
    st.floats(0.3, 800),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(jobs(), min_size=1, max_size=6),
    st.lists(past, max_size=12),
    st.integers(1, 60),
    st.integers(0, 2**63),
    st.sampled_from([5, 4, 3]),
    st.integers(1, 7),
)
def test_python_and_numpy_draw_the_same_numbers(
    queue, history, samples, seed, units, block
) -> None:
    rows = [Actual(i, "", k, pm, None, e, a, r) for i, (pm, k, e, a, r) in enumerate(history)]
    overrun = History(rows).overrun_for("Ann")  # None with fewer than three deals
    keys = [job_key(queue_key(seed, "Ann"), j) for j in queue]
    assert job_key_array(queue_key(seed, "Ann"), queue).tolist() == keys
    lists = draw_lists(queue, keys, overrun, samples, units)
    # numpy draws a long queue a block of jobs at a time: any block size, the same numbers.
    with mock.patch.object(draws, "BLOCK_JOBS", block):
        array = draw_array(queue, keys, overrun, samples, units)
    assert array.tolist() == lists
    # A job's draws are its own: drawn alone they are the same as in a block.
    assert draw_lists(queue[-1:], keys[-1:], overrun, samples, units) == lists[-1:]


def _team(n_deals: int) -> tuple[list[PM], list[Deal], list[Actual]]:
    pms = [PM("Ann", 40), PM("Ben", 30, workdays=(0, 1, 2, 3)), PM("Cy", 20)]
    deals = []
    for i in range(1, n_deals + 1):
        est = Estimate(i, 10 + 7 * (i % 9), low=5 + i % 5 if i % 3 else None, high=None)
        if i % 4 == 0:
            est = Estimate(i, est.hours, low=est.low, high=est.hours * 2)
        deals.append(
            Deal(
                id=i,
                title=f"deal {i}",
                client="C",
                stage="active" if i % 2 else "signed",
                pm=pms[i % 3].name,
                promised=MON + timedelta(days=5 + 3 * i) if i % 5 else None,
                start=MON + timedelta(days=i % 4) if i % 6 == 0 else None,
                estimate=est,
                logged_hours=float(i % 3),
                kind="xyz"[i % 3],  # z: a kind history has never seen
            )
        )
    history = [
        Actual(100 + i, "old", "xy"[i % 2], pms[i % 3].name, date(2026, 6, 1), 10, 8 + i % 7)
        for i in range(12)
    ]
    return pms, deals, history


def test_a_forecast_is_the_same_from_either_engine() -> None:
    pms, deals, history = _team(14)
    python = DrawBudget(python_draws=10**9, reuse_numpy=False)
    numpy = DrawBudget(python_draws=0)

    def engine(effort: DrawBudget) -> Forecaster:
        return Forecaster(pms, deals, history, MON, Settings(samples=200), budget=effort)

    assert engine(python).portfolio() == engine(numpy).portfolio()
    for cand in (
        Candidate(80, promised=MON + timedelta(days=21)),
        Candidate(35, low=20, high=90),
        Candidate(50, start=MON + timedelta(days=9), promised=MON + timedelta(days=40)),
    ):
        assert engine(python).check(cand) == engine(numpy).check(cand)
    assert python.python_left < 10**9 and numpy.python_left == 0


def test_a_small_question_stays_in_python_and_a_big_one_moves_to_numpy() -> None:
    effort = DrawBudget(python_draws=1000, reuse_numpy=False)
    assert not effort.use_numpy(600)
    assert effort.use_numpy(600)  # 400 left: not enough
    assert not effort.use_numpy(400)
    import numpy  # noqa: F401  (once loaded, numpy is used for everything)

    assert DrawBudget(python_draws=10**9).use_numpy(1)
