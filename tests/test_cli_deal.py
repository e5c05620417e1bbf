"""`pmsync deal ...` through the command line: the life cycle and its forecasts."""

from __future__ import annotations

import pytest

from .conftest import Cli

DEAL_KEYS = {
    "id",
    "title",
    "client",
    "seller",
    "kind",
    "stage",
    "value",
    "probability",
    "promised",
    "start",
    "pm",
    "stakeholder",
    "external_id",
}


def test_add_prints_the_new_record_with_its_id(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    d = cli(
        "deal",
        "add",
        "Onboarding",
        "--client",
        "Acme",
        "--seller",
        "Sam",
        "--kind",
        "onboarding",
        "--value",
        "12000",
        "--probability",
        "60",
        "--promised",
        "+3w",
        "--start",
        "2027-01-11",
        "--pm",
        "Ann",
        "--hours",
        "80",
        "--low",
        "60",
        "--high",
        "120",
        "--stakeholder",
        "Jo",
        "--external-id",
        "HS-1",
        "--json",
    ).json()
    assert set(d) >= DEAL_KEYS
    assert d | {} == d and isinstance(d["id"], int)
    assert (d["stage"], d["promised"], d["start"], d["pm"], d["estimate_hours"]) == (
        "pipeline",
        "2027-01-25",
        "2027-01-11",
        "Ann",
        80,
    )
    assert (d["value"], d["probability"], d["external_id"]) == (12000, 60, "HS-1")


def test_life_cycle_sign_log_deliver(team: Cli) -> None:
    signed = team("deal", "sign", "3", "--on", "2027-01-02", "--json").json()
    assert (signed["stage"], signed["signed_on"]) == ("signed", "2027-01-02")
    logged = team("deal", "log", "3", "6.5", "--note", "kickoff", "--json").json()
    assert logged["hours"] == 6.5 and logged["deal"]["stage"] == "active"
    assert logged["deal"]["remaining_hours"] == 13.5
    done = team("deal", "deliver", "3", "--json").json()
    assert (done["stage"], done["actual_hours"], done["delivered_on"]) == (
        "delivered",
        6.5,
        "2027-01-04",
    )
    lost = team("deal", "lose", "2", "--reason", "budget cut", "--json").json()
    assert (lost["stage"], lost["lost_reason"]) == ("lost", "budget cut")


def test_deliver_with_actual_hours_and_over_estimate(team: Cli) -> None:
    team("deal", "log", "1", "45")
    shown = team("deal", "show", "1", "--json").json()
    assert shown["over_estimate"] is True and shown["remaining_hours"] == 0
    assert "over estimate" in team("deal", "show", "1").out
    done = team("deal", "deliver", "1", "--actual-hours", "50", "--json").json()
    assert done["actual_hours"] == 50


def test_list_filters_and_shows_forecasts(team: Cli) -> None:
    rows = team("deal", "list", "--json").json()
    assert [r["id"] for r in rows] == [1, 2, 3]
    by_id = {r["id"]: r for r in rows}
    assert (by_id[1]["forecast_finish"], by_id[1]["verdict"]) == ("2027-01-08", "realistic")
    assert (by_id[2]["forecast_finish"], by_id[2]["verdict"]) == ("2027-01-25", "realistic")
    assert by_id[2]["slack_days"] == 4
    assert by_id[3]["verdict"] is None  # pipeline: not load yet
    # Hours are numbers of one kind in JSON, logged or not.
    assert all(type(r["logged_hours"]) is float for r in rows)
    assert [r["id"] for r in team("deal", "list", "--pm", "Ben", "--json").json()] == [3]
    assert [r["id"] for r in team("deal", "list", "--seller", "sam", "--json").json()] == [1]
    assert [r["id"] for r in team("deal", "list", "--client", "Globex", "--json").json()] == [2]
    assert [r["id"] for r in team("deal", "list", "--stage", "pipeline", "--json").json()] == [3]
    team("deal", "lose", "3")
    assert [r["id"] for r in team("deal", "list", "--json").json()] == [1, 2]
    assert [r["id"] for r in team("deal", "list", "--stage", "all", "--json").json()] == [1, 2, 3]
    text = team("deal", "list").out
    assert "Website relaunch" in text and "realistic" in text and "2027-01-25" in text


def test_show_gathers_everything_about_a_deal(team: Cli) -> None:
    team("estimate", "add", "2", "100", "--by", "Ann", "--note", "more scope")
    team("deal", "log", "2", "4", "--on", "2027-01-04")
    team(
        "term",
        "add",
        "2",
        "Paid only on go-live",
        "--due",
        "2027-01-22",
        "--kind",
        "payment",
        "--amount",
        "5000",
    )
    team("update", "add", "2", "New CFO", "--signal", "stakeholder-change", "--by", "Ann")
    team("deal", "update", "2", "--promised", "2027-02-05")
    d = team("deal", "show", "2", "--json").json()
    assert [e["hours"] for e in d["estimates"]] == [80, 100]
    assert d["estimate_hours"] == 100 and d["logged_hours"] == 4
    assert d["worklog"][0]["on"] == "2027-01-04"
    assert d["terms"][0]["amount"] == 5000
    assert d["updates"][0]["signal"] == "stakeholder-change"
    assert d["promise_history"][0] | {"changed": None} == {
        "old": "2027-01-29",
        "new": "2027-02-05",
        "changed": None,
    }
    assert d["promised"] == "2027-02-05"
    text = team("deal", "show", "2").out
    for piece in (
        "CRM migration",
        "Estimates",
        "Worklog",
        "Special terms",
        "Updates",
        "Promised-date history",
        "Paid only on go-live",
        "New CFO",
    ):
        assert piece in text


def test_update_changes_fields_and_can_clear_the_pm(team: Cli) -> None:
    d = team(
        "deal", "update", "3", "--pm", "Ann", "--title", "Training+", "--kind", "training", "--json"
    ).json()
    assert (d["pm"], d["title"], d["kind"]) == ("Ann", "Training+", "training")
    assert team("deal", "update", "3", "--pm", "none", "--json").json()["pm"] is None
    d = team("deal", "update", "1", "--stage", "active", "--json").json()
    assert d["stage"] == "active"


def test_user_text_is_printed_literally(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    cli(
        "deal",
        "add",
        "[draft] Acme [/] <b>",
        "--client",
        "[bold]X",
        "--pm",
        "Ann",
        "--stage",
        "signed",
        "--hours",
        "8",
        "--promised",
        "+2w",
    )
    for args in (["deal", "list"], ["deal", "show", "1"]):
        out = cli(*args).out
        assert "[draft] Acme [/] <b>" in out and "[bold]X" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deal", "add", "X"], "--client"),
        (["deal", "add", "", "--client", "C"], "title must not be empty"),
        (["deal", "add", "X", "--client", "C", "--pm", "Nobody"], "unknown PM"),
        (["deal", "add", "X", "--client", "C", "--hours", "-3"], "positive"),
        (["deal", "add", "X", "--client", "C", "--hours", "0"], "positive"),
        (["deal", "add", "X", "--client", "C", "--hours", "nan"], "positive"),
        (["deal", "add", "X", "--client", "C", "--hours", "10", "--low", "20"], "--low"),
        (["deal", "add", "X", "--client", "C", "--hours", "10", "--high", "5"], "--high"),
        (["deal", "add", "X", "--client", "C", "--low", "5"], "go with --hours"),
        (["deal", "add", "X", "--client", "C", "--promised", "03/04/2027"], "ambiguous"),
        (["deal", "add", "X", "--client", "C", "--promised", "soonish"], "cannot read"),
        (["deal", "add", "X", "--client", "C", "--stage", "delivered"], "stage"),
        (["deal", "add", "X", "--client", "C", "--probability", "150"], "probability"),
        (["deal", "add", "X", "--client", "C", "--value", "-1"], "--value"),
        (["deal", "add", "X", "--client", "C", "--external-id", "E1"], "external id"),
        (["deal", "show", "99"], "unknown deal 99"),
        (["deal", "show", "abc"], "not a deal id"),
        (["deal", "show", "0"], "not a deal id"),
        (["deal", "list", "--stage", "won"], "unknown stage"),
        (["deal", "list", "--pm", "Nobody"], "unknown PM"),
        (["deal", "update", "1"], "nothing to change"),
        (["deal", "update", "1", "--stage", "delivered"], "deal deliver"),
        (["deal", "update", "3", "--stage", "active"], "cannot move from pipeline"),
        (["deal", "sign", "1"], "already signed"),
        (["deal", "log", "3", "2"], "sign it first"),
        (["deal", "log", "1", "0"], "positive"),
        (["deal", "log", "1", "abc"], "not a valid float"),
        (["deal", "deliver", "3"], "sign it before delivering"),
        (["deal", "deliver", "1", "--actual-hours", "-2"], "positive"),
        (["deal", "deliver", "1", "--on", "03/04/2027"], "ambiguous"),
        (["deal", "lose", "99"], "unknown deal"),
        (["--today", "nonsense", "deal", "list"], "--today"),
    ],
)
def test_bad_input_is_refused_with_exit_2_and_writes_nothing(team: Cli, args, message) -> None:
    if "E1" in args:
        team("deal", "update", "1", "--external-id", "E1")
    run = team.fails(*args)
    assert message in run.err


def test_closed_deals_refuse_further_moves(team: Cli) -> None:
    team("deal", "deliver", "1")
    assert "delivered" in team.fails("deal", "log", "1", "2").err
    assert "delivered" in team.fails("deal", "lose", "1").err
    assert "delivered" in team.fails("deal", "deliver", "1").err
    assert "closed deals" in team.fails("deal", "update", "1", "--title", "x").err
    team("deal", "lose", "3")
    assert "lost; it cannot become delivered" in team.fails("deal", "deliver", "3").err
    assert "lost" in team.fails("deal", "sign", "3").err
