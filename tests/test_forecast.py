"""The forecast engine: verdicts, evidence, Monte-Carlo, suggestions and knock-on."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmsync.cli.messages import describe
from pmsync.core.forecast import Candidate, Forecaster
from pmsync.core.history import History
from pmsync.core.models import PM, Actual, Deal, Estimate, TimeOff
from pmsync.core.montecarlo import DrawBudget
from pmsync.core.settings import Settings
from pmsync.core.verdicts import AT_RISK, REALISTIC, UNREALISTIC
from pmsync.errors import BadInput, NoHistoryForKind

MON = date(2027, 1, 4)
ANN = PM("Ann", 40)
BEN = PM("Ben", 40)


def deal(
    i: int, hours: float, promised: date | None, pm: str = "Ann", stage: str = "signed", **kw
) -> Deal:
    est = Estimate(i, hours, kw.pop("low", None), kw.pop("high", None))
    return Deal(
        id=i,
        title=f"deal {i}",
        client="C",
        stage=stage,
        pm=pm,
        promised=promised,
        estimate=est,
        **kw,
    )


def delivered(i: int, estimate: float, actual: float, pm: str = "Ann", kind: str = "x") -> Actual:
    return Actual(i, f"deal {i}", kind, pm, date(2026, 12, 1), estimate, actual)


def engine(deals=(), history=(), pms=(ANN,), **settings) -> Forecaster:
    return Forecaster(list(pms), list(deals), list(history), MON, Settings(**settings))


def test_plain_verdicts_follow_slack_and_buffer() -> None:
    f = engine()
    # 40 h = Mon-Fri 4-8 Jan. Promise 13 Jan leaves 3 working days: realistic.
    best = f.check(Candidate(40, promised=date(2027, 1, 13))).best
    assert (best.forecast_finish, best.slack_days, best.verdict) == (date(2027, 1, 8), 3, REALISTIC)
    best = f.check(Candidate(40, promised=date(2027, 1, 12))).best
    assert (best.slack_days, best.verdict) == (2, AT_RISK)
    best = f.check(Candidate(40, promised=date(2027, 1, 6))).best
    assert (best.slack_days, best.verdict) == (-2, UNREALISTIC)
    assert best.suggested_date == date(2027, 1, 13)
    assert best.p80 is None and best.on_time_probability is None


def test_the_buffer_is_a_setting() -> None:
    best = engine(at_risk_buffer=0).check(Candidate(40, promised=date(2027, 1, 8))).best
    assert best.verdict == REALISTIC and best.suggested_date == date(2027, 1, 8)


def test_existing_load_comes_first_when_promised_earlier() -> None:
    f = engine([deal(1, 40, date(2027, 1, 15))])
    best = f.check(Candidate(16, promised=date(2027, 1, 20))).best
    assert (best.forecast_start, best.forecast_finish) == (date(2027, 1, 11), date(2027, 1, 12))


def test_a_new_deal_goes_after_recorded_deals_with_the_same_date() -> None:
    f = engine([deal(1, 40, date(2027, 1, 15))])
    best = f.check(Candidate(8, promised=date(2027, 1, 15))).best
    assert best.forecast_finish == date(2027, 1, 11)


def test_knock_on_names_the_promises_a_new_deal_would_break() -> None:
    f = engine([deal(1, 40, date(2027, 1, 15)), deal(2, 40, date(2027, 1, 22))])
    best = f.check(Candidate(40, promised=date(2027, 1, 12))).best
    # The new deal jumps the queue: deal 1 moves from 8 Jan to 15 Jan (still on time),
    # deal 2 from 15 Jan to 22 Jan (still on time, but no slack is not a breach).
    assert best.knock_on == ()
    best = f.check(Candidate(48, promised=date(2027, 1, 12))).best
    assert [k.deal_id for k in best.knock_on] == [1, 2]
    k1 = best.knock_on[0]
    assert (k1.finish_before, k1.finish_after) == (date(2027, 1, 8), date(2027, 1, 18))


def test_a_deal_already_late_is_not_blamed_on_the_newcomer() -> None:
    f = engine([deal(1, 80, date(2027, 1, 8))])  # already late: finishes 15 Jan
    best = f.check(Candidate(8, promised=date(2027, 1, 5))).best
    assert best.knock_on == ()


def test_worklog_reduces_the_remaining_effort() -> None:
    d = replace(deal(1, 40, date(2027, 1, 15)), logged_hours=24.0)
    (fc,) = engine([d]).portfolio().values()
    assert fc.finish == date(2027, 1, 5) and fc.remaining_hours == 16


def test_every_pm_is_tried_and_the_earliest_finish_proposed() -> None:
    f = engine([deal(1, 40, date(2027, 1, 15), pm="Ann")], pms=(ANN, BEN))
    result = f.check(Candidate(40, promised=date(2027, 2, 1)))
    assert result.best.pm == "Ben" and result.best.forecast_finish == date(2027, 1, 8)
    assert [a.pm for a in result.alternatives] == ["Ann"]
    assert result.alternatives[0].forecast_finish == date(2027, 1, 15)


def test_without_a_date_the_answer_is_the_earliest_realistic_one() -> None:
    f = engine([deal(1, 40, date(2027, 1, 15))])
    best = f.check(Candidate(40)).best
    # Placed before deal 1 at 4-8 Jan would need a promise by 13 Jan: before 15 Jan, so
    # the deal goes first and 13 Jan is realistic.
    assert best.suggested_date == date(2027, 1, 13) and best.verdict == REALISTIC
    assert best.promised == best.suggested_date


def test_suggestion_accounts_for_queue_position() -> None:
    # Deal 1 (promised 11 Jan) takes 4-8 Jan. A newcomer promised before 11 Jan would jump
    # ahead of it, but then 40 h finish 8 Jan + 3 days buffer = 13 Jan > 11 Jan: not ok.
    # Promised at or after 11 Jan, it goes behind: 11-15 Jan, realistic from 20 Jan.
    f = engine([deal(1, 40, date(2027, 1, 11))])
    assert f.check(Candidate(40)).best.suggested_date == date(2027, 1, 20)


def test_unknown_pm_and_empty_team_are_bad_input() -> None:
    with pytest.raises(BadInput, match="unknown PM 'Zed'"):
        engine().check(Candidate(8, promised=MON), "Zed")
    with pytest.raises(BadInput, match="no PMs recorded"):
        engine(pms=()).check(Candidate(8, promised=MON))


# -- evidence ------------------------------------------------------------------------


def test_three_deals_that_took_twice_their_estimate_make_a_comfortable_date_unrealistic() -> None:
    promise = date(2027, 1, 13)  # 40 h finish 8 Jan: three days to spare on the plan
    assert engine().check(Candidate(40, promised=promise)).best.verdict == REALISTIC
    history = [delivered(10 + i, 40, 76) for i in range(3)]
    best = engine(history=history).check(Candidate(40, promised=promise)).best
    assert best.verdict == UNREALISTIC
    # 76 h: ten working days; three deals do not say the next one can't run a little over.
    assert best.p50 == date(2027, 1, 15) and best.p80 in (date(2027, 1, 15), date(2027, 1, 18))
    assert best.on_time_probability == 0.0
    assert best.evidence.median_ratio == pytest.approx(1.9) and best.evidence.own_deals == 3
    assert best.suggested_date == best.p80


def test_history_needs_three_team_deals_and_pools_the_pms_own_with_the_team() -> None:
    two = History([delivered(1, 10, 20), delivered(2, 10, 20)])
    assert two.overrun_for("Ann") is None
    team = [delivered(100 + i, 10, 10 * (0.9 + 0.05 * (i % 5)), pm=f"pm{i % 4}") for i in range(40)]
    ratio = {}
    for own in (0, 1, 3, 10, 30):
        mine = [delivered(i, 10, 20 * (0.95 + 0.1 * (i % 2))) for i in range(own)]
        found = History(team + mine).overrun_for("Ann")
        assert found is not None
        ev = found.evidence(None)
        assert ev.own_deals == own and ev.deals == 40 + own and ev.model == "pooled-lognormal"
        assert ev.source == ("own" if ev.own_weight >= 0.5 else "team")
        ratio[own] = ev.median_ratio
    # No record of her own: the team's (about 1x); the more of hers, the closer to her 2x.
    assert 0.95 < ratio[0] < 1.05
    assert ratio[0] < ratio[1] < ratio[3] < ratio[10] < ratio[30] < 2.0
    assert ratio[30] > 1.9


def test_little_history_gives_a_wider_p80_than_much_of_the_same() -> None:
    scatter = (0.8, 1.0, 1.3)

    def check(repeats: int, promise: date):
        history = [
            delivered(10 * k + i, 40, 40 * r) for k in range(repeats) for i, r in enumerate(scatter)
        ]
        return engine(history=history).check(Candidate(400, promised=promise)).best

    many = check(10, date(2027, 3, 1))
    assert many.p80 is not None
    few = check(1, many.p80)
    assert few.p80 > many.p80 and few.p50 <= many.p80
    assert few.on_time_probability < check(10, many.p80).on_time_probability


def test_kinds_that_run_differently_are_forecast_differently() -> None:
    history = [delivered(i, 40, 40 * 0.8, kind="onboarding", pm=f"pm{i % 3}") for i in range(9)]
    history += [delivered(20 + i, 40, 40 * 1.5, kind="migration") for i in range(9)]
    f = engine(history=history)
    fast = f.check(Candidate(80, promised=date(2027, 2, 1), kind="onboarding")).best
    slow = f.check(Candidate(80, promised=date(2027, 2, 1), kind="migration")).best
    unknown = f.check(Candidate(80, promised=date(2027, 2, 1), kind="audit")).best
    assert fast.p80 < slow.p80
    assert fast.evidence.kind == "onboarding" and fast.evidence.kind_deals == 9
    assert fast.evidence.median_ratio < 1 < slow.evidence.median_ratio
    assert unknown.evidence.kind_deals == 0 and fast.p80 < unknown.p80


def test_habitual_ranges_are_not_counted_twice() -> None:
    def actual(i: int, ranged: bool) -> Actual:
        return Actual(i, "", "x", "Ann", None, 40, 40 * (0.9 + 0.1 * (i % 4)), ranged)

    ranged = History([actual(i, True) for i in range(8)])
    point = History([actual(i, False) for i in range(8)])
    with_range = Candidate(80, promised=date(2027, 1, 29), low=60, high=160)
    likely_only = Candidate(80, promised=date(2027, 1, 29))

    def best(history: History, cand: Candidate):
        return Forecaster([ANN], [], history, MON, Settings()).check(cand, "Ann").best

    # The history's overruns were measured from likely values of ranged estimates: the
    # range says nothing more, so the forecast is that of the likely value alone.
    assert best(ranged, with_range).evidence.ranges == "likely"
    assert best(ranged, with_range).p80 == best(ranged, likely_only).p80
    # From point estimates, a range is information on top of the overruns.
    assert best(point, with_range).evidence.ranges == "range"
    assert best(point, with_range).p80 > best(point, likely_only).p80


def test_history_reads_once_and_keeps_numbers_per_pm_and_kind() -> None:
    old = Actual(1, "old", "audit", "Ann", date(2020, 5, 1), 10, 20)
    recent = Actual(2, "recent", "audit", "Ann", date(2026, 12, 1), 10, 30)
    undated = Actual(3, "undated", "audit", "Ann", None, 10, 40)
    unestimated = Actual(4, "no estimate", "audit", "Ann", None, None, 50)
    h = History(iter([old, recent, undated, unestimated]))
    count, total, squares = h.cells[("Ann", "audit")]
    assert count == 3 and total == pytest.approx(math.log(2) + math.log(3) + math.log(4))
    assert squares == pytest.approx(math.log(2) ** 2 + math.log(3) ** 2 + math.log(4) ** 2)
    assert h.reference_hours("audit") == (35, 4)  # every actual counts for the kind's median


def test_a_three_point_estimate_alone_is_evidence() -> None:
    best = engine().check(Candidate(40, promised=date(2027, 1, 13), low=30, high=80)).best
    assert best.p50 is not None and best.p80 is not None
    assert 0 < best.on_time_probability < 1
    assert best.p50 <= best.p80


def test_monte_carlo_is_deterministic_and_seeded() -> None:
    history = [delivered(10 + i, 40, 40 * r) for i, r in enumerate((0.9, 1.3, 1.8, 2.4))]
    deals = [deal(1, 60, date(2027, 1, 20), low=40, high=120), deal(2, 30, date(2027, 2, 1))]
    cand = Candidate(50, promised=date(2027, 2, 5), low=40, high=90)
    one = engine(deals, history).check(cand).best
    two = engine(deals, history).check(cand).best
    assert one == two
    assert one.p50 <= one.p80 and 0 < one.on_time_probability < 1
    # The draws come from the seed: another seed gives another sample of the same spread.
    other = engine(deals, history, seed=1).check(cand).best
    assert other.on_time_probability != one.on_time_probability


def test_portfolio_gives_each_loaded_deal_a_forecast() -> None:
    deals = [
        deal(1, 40, date(2027, 1, 15)),
        deal(2, 80, date(2027, 1, 20)),
        deal(3, 8, None, stage="pipeline"),
    ]
    fc = engine(deals).portfolio()
    assert set(fc) == {1, 2}
    assert fc[1].verdict == REALISTIC and fc[2].verdict == UNREALISTIC
    assert fc[2].finish == date(2027, 1, 22) and fc[2].slack_days == -2


def test_pipeline_counts_by_probability_only_when_asked() -> None:
    deals = [deal(1, 40, date(2027, 1, 8), stage="pipeline", probability=50.0)]
    assert engine(deals).check(Candidate(8, promised=date(2027, 2, 1))).best.forecast_start == MON
    with_pipeline = Forecaster([ANN], deals, [], MON, Settings(), include_pipeline=True)
    best = with_pipeline.check(Candidate(8, promised=date(2027, 2, 1))).best
    assert best.forecast_start == date(2027, 1, 6)  # 20 weighted hours first: Mon-Tue


def test_reference_class_uses_the_median_of_delivered_deals_of_that_kind() -> None:
    h = History(
        [
            delivered(1, 10, 30, kind="audit"),
            delivered(2, 10, 50, kind="audit"),
            delivered(3, 10, 40, kind="audit"),
            delivered(4, 10, 99, kind="other"),
        ]
    )
    assert h.reference_hours("audit") == (40, 3)
    with pytest.raises(NoHistoryForKind) as refused:
        h.reference_hours("migration")
    assert (refused.value.kind, refused.value.known) == ("migration", ("audit", "other"))
    assert "give the effort with --hours" in describe(refused.value)


@st.composite
def queues(draw):
    """A PM with holidays and time off, open deals (some promised before today), history."""
    off_start = MON + timedelta(days=draw(st.integers(0, 40)))
    pm = PM(
        "Ann",
        draw(st.sampled_from([40, 30, 12.5])),
        workdays=draw(st.sampled_from([(0, 1, 2, 3, 4), (0, 2, 4), (1, 2, 3, 4, 5)])),
        holidays=draw(st.sampled_from([None, "US", "DE-BY"])),
        timeoff=(TimeOff(off_start, off_start + timedelta(days=draw(st.integers(0, 15)))),),
    )
    deals = []
    for i in range(1, draw(st.integers(1, 12)) + 1):
        promised = draw(
            st.one_of(st.none(), st.integers(-400, 200).map(lambda d: MON + timedelta(days=d)))
        )
        start = draw(
            st.one_of(st.none(), st.integers(-5, 60).map(lambda d: MON + timedelta(days=d)))
        )
        hours = draw(st.floats(0, 300))
        ranged = draw(st.booleans())
        deals.append(deal(i, hours, promised, start=start, low=hours / 2 if ranged else None))
    history = [
        delivered(100 + i, 10, draw(st.floats(5, 30))) for i in range(draw(st.integers(0, 4)))
    ]
    return pm, deals, history


@settings(max_examples=60, deadline=None)
@given(queues(), st.integers(0, 5))
def test_slack_and_suggestions_on_day_numbers_match_counting_on_dates(queue, buffer) -> None:
    """The portfolio works on working-day numbers; the calendar's own date arithmetic must
    give the same slack, safe slack and suggested date for every deal."""
    from pmsync.core.calendar import WorkCalendar

    pm, deals, history = queue
    cal = WorkCalendar(pm, MON)
    forecasts = Forecaster([pm], deals, history, MON, Settings(samples=40, at_risk_buffer=buffer))
    for f in forecasts.portfolio().values():
        if f.finish is None:
            assert f.slack_days is None and f.suggested_date is None
            continue
        safe = f.p80 or f.finish
        if f.promised is None:
            assert f.slack_days is None and f.safe_slack_days is None
        else:
            assert f.slack_days == cal.working_days_between(f.finish, f.promised)
            assert f.safe_slack_days == cal.working_days_between(safe, f.promised)
        if f.p80 is not None:
            assert f.suggested_date == max(f.p80, MON)
        else:
            assert f.suggested_date == cal.add_working_days(f.finish, buffer)


def test_history_from_storage_rows_is_history_from_records() -> None:
    records = [
        Actual(1, "a", "audit", "Ann", date(2026, 5, 1), 10, 20),
        Actual(2, "b", None, None, None, 10, 5),
        Actual(3, "c", "audit", "Ben", date(2026, 6, 1), 0, 7),  # no estimate: no ratio
        Actual(4, "d", "audit", "Ann", date(2026, 7, 1), 10, None),  # no actual: nothing
    ]
    rows = [(a.pm, a.kind, 10 * (a.deal_id != 3), a.actual_hours, False) for a in records]
    a, b = History(records), History.from_rows(rows)
    assert set(a.cells) == {("Ann", "audit"), (None, None)}  # no ratio from deals 3 and 4
    assert a.cells == b.cells and a.cells[("Ann", "audit")][0] == 1
    assert {k: list(v) for k, v in b.actuals_by_kind.items()} == {"audit": [20.0, 7.0]}


def test_a_big_command_goes_to_numpy_from_the_first_queue() -> None:
    effort = DrawBudget(python_draws=1000, reuse_numpy=False)
    effort.expect(800)
    assert not effort.use_numpy(600)  # it all fits: Python keeps its budget
    effort.expect(5000)
    assert effort.use_numpy(10)  # it will not: no queue starts in Python only to switch
