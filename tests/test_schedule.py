"""The interval scheduler against hand counts and against a day-by-day reference."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pmsync.core.calendar import WorkCalendar
from pmsync.core.models import PM, TimeOff
from pmsync.core.montecarlo import QueuePlan
from pmsync.core.schedule import Job, in_order, schedule_units
from pmsync.core.settings import Settings

MON = date(2027, 1, 4)


def plan(pm: PM, jobs: list[Job], today: date = MON):
    return QueuePlan(pm, jobs, today, None, Settings()).plan()


def test_no_float_drift_75_hours_at_37_5_over_mon_thu_is_exactly_8_days() -> None:
    pm = PM("Ben", 37.5, workdays=(0, 1, 2, 3))
    (slot,) = plan(pm, [Job(1, 75.0, None)])
    # Mon-Thu: 4,5,6,7 then 11,12,13,14 -> the 8th working day is Thursday 14 Jan.
    assert slot.start == MON and slot.finish == date(2027, 1, 14)


def test_fractional_hours_share_a_day() -> None:
    pm = PM("Ann", 40)
    slots = plan(
        pm,
        [
            Job(1, 4.5, date(2027, 1, 10)),
            Job(2, 3.5, date(2027, 1, 11)),
            Job(3, 0.25, date(2027, 1, 12)),
        ],
    )
    assert [s.finish for s in slots] == [MON, MON, date(2027, 1, 5)]
    assert slots[2].start == date(2027, 1, 5)


def test_earliest_promise_first_undated_last_ties_by_id() -> None:
    jobs = [
        Job(5, 8, None),
        Job(3, 8, date(2027, 2, 1)),
        Job(1, 8, date(2027, 2, 1)),
        Job(9, 8, date(2027, 1, 20)),
    ]
    assert [j.deal_id for j in in_order(jobs)] == [9, 1, 3, 5]


def test_start_dates_leave_room_for_later_deals() -> None:
    pm = PM("Ann", 40)
    # Deal 1 may not start before Wednesday; deal 2 (later promise) fills Mon-Tue first.
    slots = plan(
        pm, [Job(1, 16, date(2027, 1, 8), start=date(2027, 1, 6)), Job(2, 24, date(2027, 1, 29))]
    )
    assert (slots[0].start, slots[0].finish) == (date(2027, 1, 6), date(2027, 1, 7))
    assert (slots[1].start, slots[1].finish) == (MON, date(2027, 1, 8))


def test_holidays_and_time_off_push_the_finish() -> None:
    pm = PM("Ann", 40, holidays="US", timeoff=(TimeOff(date(2027, 1, 11), date(2027, 1, 12)),))
    (slot,) = plan(pm, [Job(1, 80, None)])
    # 10 days: Jan 4-8, (11-12 off) 13, 14, 15, (18 MLK) 19, 20 -> 20 Jan.
    assert slot.finish == date(2027, 1, 20)


def test_nothing_starts_before_today() -> None:
    pm = PM("Ann", 40)
    (slot,) = plan(pm, [Job(1, 8, None, start=date(2026, 12, 1))], today=date(2027, 1, 6))
    assert slot.start == slot.finish == date(2027, 1, 6)


def test_a_deal_with_nothing_left_has_no_slot() -> None:
    assert schedule_units(8000, [(0, 0), (0, 8000)]) == [None, (0, 0)]


# -- property test against an independent, day-by-day calculation --------------------


def reference(pm: PM, jobs: list[Job], today: date):
    """The contract's rule, literally: each day, deals in order take what they need."""
    cal = WorkCalendar(pm, today)
    per_day = Fraction(str(pm.capacity)) / len(pm.workdays)
    need = [Fraction(str(j.hours)) for j in jobs]
    given_hours = [Fraction(0)] * len(jobs)
    first: list[date | None] = [None] * len(jobs)
    last: list[date | None] = [None] * len(jobs)
    d = today
    while any(n > 0 for n in need):
        if cal.is_working(d):
            left = per_day
            for k, j in enumerate(jobs):
                if need[k] > 0 and d >= (j.start or today) and left > 0:
                    take = min(need[k], left)
                    need[k] -= take
                    left -= take
                    given_hours[k] += take
                    first[k] = first[k] or d
                    last[k] = d
            assert left >= 0, "a PM was given more hours than the day has"
        d += timedelta(days=1)
    for k, j in enumerate(jobs):
        assert given_hours[k] == Fraction(str(j.hours)), "a deal did not get its effort"
    return list(zip(first, last, strict=True))


halves = st.integers(min_value=0, max_value=400).map(lambda n: n / 2)
job_specs = st.lists(
    st.tuples(halves, st.integers(0, 60), st.one_of(st.none(), st.integers(0, 40))),
    min_size=1,
    max_size=12,
)
pms = st.builds(
    PM,
    name=st.just("P"),
    capacity=st.sampled_from([40.0, 37.5, 30.0, 24.0, 20.0, 45.5]),
    workdays=st.sampled_from([(0, 1, 2, 3, 4), (0, 1, 2, 3), (1, 3), (0, 1, 2, 3, 4, 5)]),
    holidays=st.sampled_from([None, "US", "DE-BY"]),
    timeoff=st.sampled_from([(), (TimeOff(date(2027, 1, 11), date(2027, 1, 22)),)]),
)


def _jobs(specs: list[tuple[float, int, int | None]]) -> list[Job]:
    return in_order(
        Job(
            i + 1,
            hours,
            MON + timedelta(days=promise),
            start=None if start is None else MON + timedelta(days=start),
        )
        for i, (hours, promise, start) in enumerate(specs)
    )


@settings(max_examples=150, deadline=None, derandomize=True)
@given(pm=pms, specs=job_specs)
def test_scheduler_matches_the_day_by_day_rule(pm: PM, specs) -> None:
    jobs = _jobs(specs)
    slots = plan(pm, jobs)
    expected = reference(pm, jobs, MON)
    assert [(s.start, s.finish) for s in slots] == expected
    for job, slot in zip(jobs, slots, strict=True):
        if slot.start is not None:
            assert slot.start >= (job.start or MON), "a deal started before it may"


@settings(max_examples=100, deadline=None, derandomize=True)
@given(pm=pms, specs=job_specs, extra=st.tuples(halves, st.integers(0, 60)))
def test_adding_a_later_deal_never_delays_an_earlier_one(pm: PM, specs, extra) -> None:
    jobs = _jobs(specs)
    before = plan(pm, jobs)
    newcomer = Job(999, extra[0], MON + timedelta(days=extra[1]))
    after_jobs = in_order([*jobs, newcomer])
    after = {j.deal_id: s for j, s in zip(after_jobs, plan(pm, after_jobs), strict=True)}
    for job, slot in zip(jobs, before, strict=True):
        if job.sort_key < newcomer.sort_key:
            assert after[job.deal_id] == slot
        elif slot.finish is not None:
            assert after[job.deal_id].finish >= slot.finish


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    day_units=st.sampled_from([8000, 37500, 40000, 4500]),
    jobs=st.lists(
        st.tuples(
            st.one_of(st.just(0), st.integers(0, 30)),
            st.lists(st.one_of(st.just(0), st.integers(1, 200_000)), min_size=4, max_size=4),
        ),
        min_size=1,
        max_size=15,
    ),
    block=st.integers(1, 6),
)
def test_all_samples_at_once_match_the_scalar_scheduler(day_units: int, jobs, block) -> None:
    """The vectorised Monte-Carlo scheduler gives each sample exactly the scalar schedule,
    whatever the block of jobs it sums a long queue's tail in."""
    from unittest import mock

    import numpy as np

    from pmsync.core import schedule
    from pmsync.core.schedule import schedule_samples

    releases = [r for r, _ in jobs]
    units = np.array([u[:4] for _, u in jobs], dtype=np.int64)
    with mock.patch.object(schedule, "_BLOCK", block):
        got = schedule_samples(day_units, releases, units)
    for s in range(4):
        expected = [
            -1 if r is None else r[1]
            for r in schedule_units(
                day_units, list(zip(releases, units[:, s].tolist(), strict=True))
            )
        ]
        assert got[:, s].tolist() == expected
    from pmsync.core.schedule import schedule_sample_lists

    by_job = schedule_sample_lists(day_units, releases, units.tolist())
    assert by_job == got.tolist()
