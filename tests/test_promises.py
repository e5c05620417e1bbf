"""Promises that hold (PRODUCT.md, "Promises that hold"): check-date never advises a date
that breaks a promise already made, and one PM's data never stops the team's forecasts.

Expected values are worked out by hand from the scheduling contract (8 h a day for 40 h a
week, a 3-working-day at-risk buffer), not read from the program's output.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmsync.core.forecast import Candidate, Forecaster
from pmsync.core.models import PM, Actual, Deal, Estimate, TimeOff
from pmsync.core.montecarlo import DrawBudget
from pmsync.core.schedule import NEW_DEAL_ORDER, Job, in_order
from pmsync.core.settings import Settings
from pmsync.core.verdicts import REALISTIC
from tests.conftest import Cli

MAR1 = date(2027, 3, 1)  # a Monday


@pytest.fixture
def ann(tmp_path: Path) -> Cli:
    """The issue's team: Ann, 40 h a week, off 15-19 Mar; CRM rollout, 80 h, due 19 Mar."""
    cli = Cli(tmp_path / "team.db", "2027-03-01")
    cli("pm", "add", "Ann", "--capacity", "40")
    cli("pm", "timeoff", "Ann", "2027-03-15", "2027-03-19")
    cli("deal", "add", "CRM rollout", "--client", "Acme", "--stage", "signed", "--pm", "Ann")
    cli("estimate", "add", "1", "80")
    cli("deal", "update", "1", "--promised", "2027-03-19")
    return cli


# CRM rollout takes 1-12 Mar. New work of 40 h behind it starts after the time off:
# 22-26 Mar, so the earliest promise with the 3-day buffer is 31 Mar.


def test_a_late_date_suggests_the_earliest_date_that_breaks_nothing(ann: Cli) -> None:
    run = ann("check-date", "--hours", "40", "--by", "2027-03-26", "--pm", "Ann", "--json")
    data = run.json()
    assert (run.code, data["verdict"], data["forecast_finish"]) == (3, "at-risk", "2027-03-26")
    # 10 Mar would jump the queue and push CRM rollout to 26 Mar: never suggested.
    assert data["suggested_date"] == "2027-03-31"
    assert data["knock_on"] == []


def test_a_date_met_only_by_breaking_a_promise_is_at_risk(ann: Cli) -> None:
    run = ann("check-date", "--hours", "40", "--by", "2027-03-10", "--pm", "Ann", "--json")
    data = run.json()
    # The new work itself fits (1-5 Mar) but CRM rollout then runs 8-12 and 22-26 Mar.
    assert data["forecast_finish"] == "2027-03-05"
    assert (run.code, data["verdict"], data["suggested_date"]) == (3, "at-risk", "2027-03-31")
    assert [(k["title"], k["finish_before"], k["finish_after"]) for k in data["knock_on"]] == [
        ("CRM rollout", "2027-03-12", "2027-03-26")
    ]
    text = ann("check-date", "--hours", "40", "--by", "2027-03-10", "--pm", "Ann", ok=False).out
    headline = text.splitlines()[0]
    assert headline.startswith("At risk:")
    assert "CRM rollout would slip" in headline and "Promise 31 Mar instead" in headline


def test_the_suggested_date_is_realistic_and_breaks_nothing(ann: Cli) -> None:
    run = ann("check-date", "--hours", "40", "--by", "2027-03-31", "--pm", "Ann", "--json")
    assert (run.code, run.json()["verdict"], run.json()["knock_on"]) == (0, "realistic", [])
    # One day earlier: the buffer is short (2 working days), so at risk.
    assert ann("check-date", "--hours", "40", "--by", "2027-03-30", "--pm", "Ann").code == 3


def test_the_pm_proposed_breaks_nothing_when_someone_can(ann: Cli) -> None:
    ann("pm", "add", "Bob", "--capacity", "40")
    ann("deal", "add", "Bob's job", "--client", "Beta", "--stage", "signed", "--pm", "Bob")
    ann("estimate", "add", "2", "24")
    ann("deal", "update", "2", "--promised", "2027-03-12")
    # 12 h by 10 Mar: both finish on 2 Mar by jumping their queue, but only Bob's other
    # client (24 h, 2-4 Mar, due 12 Mar) still makes it; Ann's CRM rollout would slip.
    run = ann("check-date", "--hours", "12", "--by", "2027-03-10", "--json")
    data = run.json()
    assert (run.code, data["pm"], data["verdict"], data["knock_on"]) == (0, "Bob", "realistic", [])
    (alt,) = data["alternatives"]
    assert (alt["pm"], alt["verdict"], alt["breaks"], alt["breaks_deals"]) == (
        "Ann",
        "at-risk",
        1,
        [1],
    )
    # Ann's own break-free date: behind CRM rollout and her time off, 22-23 Mar + 3 days.
    assert alt["suggested_date"] == "2027-03-26"


def test_the_seller_hears_the_trade_off(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "t.db", "2027-03-01")
    cli("pm", "add", "Ann", "--capacity", "40")
    cli("pm", "add", "Bob", "--capacity", "40")
    signed = ("--stage", "signed", "--client", "C")
    # Ann: Big, 48 h due 10 Mar, runs 1-8 Mar. Bob: 8 h due 2 Mar, done on 1 Mar.
    cli("deal", "add", "Big", *signed, "--pm", "Ann", "--hours", "48", "--promised", "2027-03-10")
    cli("deal", "add", "Small", *signed, "--pm", "Bob", "--hours", "8", "--promised", "2027-03-02")
    # 24 h by 9 Mar. Ann would take it first (1-3 Mar) and Big would end on 11 Mar, a day
    # late; Bob does it 2-4 Mar, 3 working days before the promise, moving nobody.
    run = cli("check-date", "--hours", "24", "--by", "2027-03-09", "--json")
    data = run.json()
    assert (run.code, data["pm"], data["forecast_finish"], data["knock_on"]) == (
        0,
        "Bob",
        "2027-03-04",
        [],
    )
    (alt,) = data["alternatives"]
    assert (alt["pm"], alt["forecast_finish"], alt["verdict"], alt["breaks"]) == (
        "Ann",
        "2027-03-03",
        "at-risk",
        1,
    )
    headline = cli("check-date", "--hours", "24", "--by", "2027-03-09").out.splitlines()[0]
    assert headline == (
        "Realistic: Bob can finish on 4 Mar 2027, 3 working days before the 9 Mar promise. "
        "Bob can do it by 4 Mar without moving anyone; Ann by 3 Mar, but Big would slip."
    )


def test_time_off_after_the_work_is_named_when_it_eats_the_slack(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "t.db", "2027-03-01")
    cli("pm", "add", "Ann", "--capacity", "40")
    cli("pm", "timeoff", "Ann", "2027-03-15", "2027-03-19")
    # 64 h: 1-10 Mar. Promised 19 Mar: 11 and 12 Mar are the only working days left.
    run = cli("check-date", "--hours", "64", "--by", "2027-03-19", ok=False)
    assert run.code == 3
    assert "Ann is off 15–19 Mar, so any overrun lands after the promise." in run.out


def test_with_evidence_the_finish_is_p80_and_the_plan_is_labelled(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "t.db", "2027-03-01")
    cli("pm", "add", "Ann", "--capacity", "40")
    # Three delivered deals that took twice their estimate: evidence for the team.
    for i in range(3):
        cli("deal", "add", f"Old {i}", "--client", "X", "--stage", "signed", "--pm", "Ann")
        cli("estimate", "add", str(i + 1), "10")
        cli("deal", "deliver", str(i + 1), "--actual-hours", "20")
    run = cli("check-date", "--hours", "40", "--by", "2027-04-30", "--json")
    data = run.json()
    assert data["p80"] is not None and data["p80"] > data["forecast_finish"]
    text = cli("check-date", "--hours", "40", "--by", "2027-04-30").out
    block = text.split("\n\n")[1].splitlines()  # the fields under the headline
    fields = {line[:14].strip(): line[14:].strip() for line in block}
    p80, plan = date.fromisoformat(data["p80"]), date.fromisoformat(data["forecast_finish"])
    assert fields["finish (p80)"] == f"{p80.day} {p80:%b %Y}"
    assert fields["plan"].startswith(f"finish {plan.day} {plan:%b %Y} on the estimates as given")
    assert "finish" not in fields  # no second, contradicting finish


def test_a_recorded_deal_is_never_advised_to_jump_ahead_of_another(ann: Cli) -> None:
    ann("deal", "add", "Later job", "--client", "Beta", "--stage", "signed", "--pm", "Ann")
    ann("estimate", "add", "2", "40")
    ann("deal", "update", "2", "--promised", "2027-04-30")
    data = ann("check-date", "2", "--json").json()
    # Promised 30 Apr it runs 22-26 Mar, behind CRM rollout: realistic, breaking nothing.
    assert (data["verdict"], data["knock_on"]) == ("realistic", [])
    # Asked about 10 Mar, it would go first and push CRM rollout past 19 Mar.
    early = ann("check-date", "2", "--by", "2027-03-10", "--json", ok=False).json()
    assert early["verdict"] == "at-risk" and [k["deal_id"] for k in early["knock_on"]] == [1]
    assert early["suggested_date"] == "2027-03-31"


# -- the property: the suggestion keeps every promise, and nothing earlier does -------------


def _deal(
    i: int,
    pm: str,
    hours: float,
    promised: date | None,
    low: float | None,
    start: date | None = None,
) -> Deal:
    return Deal(
        id=i,
        title=f"deal {i}",
        client="C",
        stage="signed",
        pm=pm,
        promised=promised,
        start=start,
        estimate=Estimate(i, hours, low, None),
    )


@st.composite
def teams(draw):
    pms = []
    for name in ("Ann", "Ben", "Cat")[: draw(st.integers(1, 3))]:
        off = MAR1 + timedelta(days=draw(st.integers(0, 30)))
        pms.append(
            PM(
                name,
                draw(st.sampled_from([40, 30, 16])),
                timeoff=(TimeOff(off, off + timedelta(days=draw(st.integers(0, 10)))),),
            )
        )
    deals = []
    for i in range(1, draw(st.integers(0, 8)) + 1):
        hours = draw(st.floats(1, 80))
        promised = draw(
            st.one_of(st.none(), st.integers(-10, 60).map(lambda d: MAR1 + timedelta(days=d)))
        )
        ranged = draw(st.booleans())
        pm = draw(st.sampled_from([p.name for p in pms]))
        # A deal that may start only later leaves days a delayed deal has to wait out.
        start = draw(
            st.one_of(st.none(), st.integers(1, 40).map(lambda d: MAR1 + timedelta(days=d)))
        )
        deals.append(_deal(i, pm, hours, promised, hours / 2 if ranged else None, start))
    history = [
        Actual(100 + i, "old", None, None, None, 10, draw(st.floats(5, 25)))
        for i in range(draw(st.sampled_from([0, 0, 3])))
    ]
    cand = Candidate(
        draw(st.floats(1, 60)),
        promised=draw(
            st.one_of(st.none(), st.integers(0, 50).map(lambda d: MAR1 + timedelta(days=d)))
        ),
    )
    return pms, deals, history, cand


@settings(max_examples=40, deadline=None)
@given(teams())
def test_promising_the_suggested_date_breaks_nothing_and_nothing_earlier_would_do(team) -> None:
    pms, deals, history, cand = team
    f = Forecaster(pms, deals, history, MAR1, Settings(samples=40))
    best = f.check(cand).best
    assert best.suggested_date is not None
    kept = f.check(replace(cand, promised=best.suggested_date), best.pm).best
    assert (kept.verdict, kept.knock_on) == (REALISTIC, ())
    # Every earlier date either is not realistic or breaks a promise (a scan, kept short).
    d = max(MAR1, best.suggested_date - timedelta(days=45))
    while d < best.suggested_date:
        o = f.check(replace(cand, promised=d), best.pm).best
        assert not (o.verdict == REALISTIC and not o.knock_on), d
        d += timedelta(days=1)


@settings(max_examples=40, deadline=None)
@given(teams(), st.integers(0, 50))
def test_the_promises_an_answer_says_break_are_the_ones_that_do(team, offset: int) -> None:
    pms, deals, history, cand = team
    promised = MAR1 + timedelta(days=offset)
    f = Forecaster(pms, deals, history, MAR1, Settings(samples=40))
    result = f.check(replace(cand, promised=promised))
    for o in (result.best, *result.alternatives):
        # Brute force: the PM's whole queue scheduled without the work and with it.
        q = f.queue(o.pm)
        work = Job(-1, cand.hours, promised, order=NEW_DEAL_ORDER, likely=cand.hours)
        with_work = in_order([*q.jobs, work])
        before = dict(zip([j.deal_id for j in q.jobs], q.keeps(q.jobs, o.full), strict=True))
        after = dict(zip([j.deal_id for j in with_work], q.keeps(with_work, o.full), strict=True))
        broken = {i for i, kept in before.items() if kept and not after[i]}
        assert {k.deal_id for k in o.knock_on} == broken, o.pm


def test_a_deal_that_starts_later_can_make_a_small_delay_break_a_promise() -> None:
    # Ann, 8 h a day from Mon 1 Mar. "Late start" may not start before Mon 8 Mar and then
    # takes the whole week; "Early" (32 h, promised Fri 12 Mar) runs Mon-Thu 1-4 Mar.
    deals = [
        replace(_deal(1, "Ann", 40, date(2027, 3, 11), None, date(2027, 3, 8)), title="Late start"),
        replace(_deal(2, "Ann", 32, date(2027, 3, 12), None), title="Early"),
    ]
    f = Forecaster([PM("Ann", 40)], deals, [], MAR1, Settings())
    # Two days of new work ahead of it push "Early" into Friday, and the later start's week
    # then pushes it past its promise to Mon 15 Mar: a delay of seven working days.
    o = f.check(Candidate(16, promised=date(2027, 3, 5)), "Ann").best
    assert [(k.deal_id, k.finish_after) for k in o.knock_on] == [(2, date(2027, 3, 15))]


# -- one PM's data never stops the team -------------------------------------------------


def _steady_team() -> tuple[list[PM], list[Deal]]:
    pms = [PM("Ann", 40), PM("Ben", 30)]
    deals = [
        _deal(1, "Ann", 40, date(2027, 3, 12), None),
        _deal(2, "Ann", 60, date(2027, 3, 26), 30),
        _deal(3, "Ben", 20, date(2027, 3, 10), None),
    ]
    return pms, deals


BROKEN = {
    "tiny capacity": (PM("Zed", 0.0001), 10.0, "no-capacity"),
    "time off to 2099": (
        PM("Zed", 40, timeoff=(TimeOff(date(2027, 3, 3), date(2099, 12, 31)),)),
        100.0,
        "horizon",
    ),
    "a huge effort": (PM("Zed", 1), 100_000.0, "horizon"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_queue_that_cannot_be_forecast_leaves_the_rest_unchanged(case: str) -> None:
    pms, deals = _steady_team()
    zed, hours, reason = BROKEN[case]
    before = Forecaster(pms, deals, [], MAR1, Settings(samples=40))
    after = Forecaster(
        [*pms, zed],
        [*deals, _deal(9, "Zed", hours, date(2027, 4, 1), None)],
        [],
        MAR1,
        Settings(samples=40),
    )
    old, new = before.portfolio(), after.portfolio()
    assert {k: v for k, v in new.items() if k != 9} == old
    assert (new[9].cannot_forecast, new[9].verdict, new[9].finish) == (reason, None, None)
    cand = Candidate(16, promised=date(2027, 3, 19))
    was, now = before.check(cand), after.check(cand)
    assert now.best == was.best and now.alternatives == was.alternatives
    assert now.left_out == (("Zed", reason),)


def test_history_without_open_deals_at_numpy_scale_is_no_failure() -> None:
    pms, deals = _steady_team()
    own = [Actual(100 + i, "old", None, "Cat", None, 10, 15) for i in range(6)]
    numpy_now = DrawBudget(python_draws=0)
    f = Forecaster([*pms, PM("Cat", 40)], deals, own, MAR1, Settings(samples=40), budget=numpy_now)
    plain = Forecaster(pms, deals, own, MAR1, Settings(samples=40))
    assert f.portfolio() == plain.portfolio()
    assert f.check(Candidate(16, promised=date(2027, 3, 19)), "Cat").best.p80 is not None


def test_every_view_names_the_deal_that_cannot_be_forecast(ann: Cli) -> None:
    crm_before = ann("deal", "list", "--json").json()[0]
    ann("pm", "add", "Zed", "--capacity", "40")
    ann("pm", "timeoff", "Zed", "2027-03-03", "2099-12-31", "--long")
    ann("deal", "add", "Stuck", "--client", "Initech", "--stage", "signed", "--pm", "Zed")
    ann("estimate", "add", "2", "100")
    ann("deal", "update", "2", "--promised", "2027-04-01")
    words = "cannot forecast: the work runs past 50 years"
    listing = ann("deal", "list")
    assert listing.code == 0
    # CRM rollout ends 12 Mar, and Ann is off until its 19 Mar promise: at risk, as before.
    assert ann("deal", "list", "--json").json()[0] == crm_before
    assert crm_before["verdict"] == "at-risk"
    (zed_row,) = [r for r in listing.out.splitlines() if "Stuck" in r]
    assert words in zed_row
    assert words in ann("deal", "show", "2").out
    assert ann("deal", "list", "--json").json()[1]["cannot_forecast"] == "horizon"
    report = ann("weekly-report", "--format", "json").json()
    assert report["missing_data"]["cannot_forecast"] == [{"deal_id": 2, "reason": "horizon"}]
    unfolded = ann("calendar").out.replace("\r\n", "\n").replace("\n ", "")
    assert "Cannot forecast: the work runs past 50 years" in unfolded
    check = ann("check-date", "--hours", "8", "--by", "2027-04-30", "--json").json()
    assert (check["pm"], check["left_out"]) == ("Ann", [{"pm": "Zed", "reason": "horizon"}])
    refused = ann.fails("check-date", "--hours", "8", "--by", "2027-04-30", "--pm", "Zed")
    assert "cannot forecast Zed's queue" in refused.err


def test_the_demo_proposes_a_pm_who_breaks_nothing_or_says_none_can(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "demo.db", "2027-01-11")
    cli("demo", "--demo-db", str(tmp_path / "demo.db"))
    run = cli("check-date", "--hours", "120", "--by", "+3w", "--json", ok=False)
    data = run.json()
    someone_can = any(a["verdict"] == "realistic" for a in data["alternatives"])
    if data["knock_on"] or data["verdict"] != "realistic":
        assert not someone_can
        text = cli("check-date", "--hours", "120", "--by", "+3w", ok=False).out
        assert "no PM can keep the" in text.splitlines()[0]
    for a in data["alternatives"]:
        assert a["verdict"] != "realistic" or a["breaks"] == 0
