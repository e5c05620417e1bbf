"""Every mistake a person can type can be corrected without SQL, and the correction shows:
in the forecasts it changes, and in the deal's history."""

from __future__ import annotations

import pytest

from .conftest import Cli

NEW_COMMANDS = [
    ["worklog", "list"],
    ["worklog", "update"],
    ["worklog", "remove"],
    ["term", "update"],
    ["term", "reopen"],
    ["update", "remove"],
    ["deal", "remove"],
]


@pytest.mark.parametrize("command", NEW_COMMANDS)
def test_each_correction_has_help(cli: Cli, command: list[str]) -> None:
    text = cli(*command, "--help").out
    assert "--json" in text
    assert text.count("\n") > 5


def _remaining(cli: Cli, deal: str) -> float:
    return cli("deal", "show", deal, "--json").json()["remaining_hours"]


def test_worklog_entries_are_listed_corrected_and_removed(team: Cli) -> None:
    team("deal", "log", "1", "5", "--note", "kickoff")
    team("deal", "log", "2", "3", "--note", "meant for deal 1")
    listed = team("worklog", "list", "--json").json()
    assert [(w["id"], w["deal_id"], w["hours"]) for w in listed] == [(1, 1, 5), (2, 2, 3)]
    assert [w["id"] for w in team("worklog", "list", "--deal", "2", "--json").json()] == [2]
    assert team("worklog", "list", "--pm", "Ben", "--json").json() == []
    assert "kickoff" in team("worklog", "list").out
    assert _remaining(team, "1") == 35

    fixed = team("worklog", "update", "1", "--hours", "2.5", "--json").json()
    assert fixed == {"id": 1, "deal_id": 1, "hours": 2.5, "on": "2027-01-04", "note": "kickoff"}
    assert _remaining(team, "1") == 37.5  # the remaining hours follow the correction

    # Logged on the wrong deal: taken out there, logged again on the right one.
    before = _remaining(team, "2")
    removed = team("worklog", "remove", "2", "--json").json()
    assert removed["removed"] is True and removed["deal_id"] == 2
    assert _remaining(team, "2") == before + 3
    team("deal", "log", "1", "3")

    shown = team("deal", "show", "1", "--json").json()["corrections"]
    assert [(c["record"], c["field"], c["old"], c["new"]) for c in shown] == [
        ("worklog", "hours", "5.0", "2.5")
    ]
    gone = team("deal", "show", "2", "--json").json()["corrections"]
    assert [(c["field"], c["old"]) for c in gone] == [
        ("removed", "3.0 h on 2027-01-04: meant for deal 1")
    ]
    assert "worklog 1: hours" in team("deal", "show", "1").out


def test_bad_worklog_corrections_write_nothing(team: Cli) -> None:
    team("deal", "log", "1", "5")
    assert (
        "unknown worklog entry 9; see pmsync worklog list"
        in team.fails("worklog", "update", "9", "--hours", "2").err
    )
    team.fails("worklog", "update", "1", "--hours", "-2")
    team.fails("worklog", "update", "1", "--on", "+2w")  # a day still to come
    assert "nothing to change" in team.fails("worklog", "update", "1").err
    team.fails("worklog", "remove", "0")
    team.fails("worklog", "remove", "x")
    team.fails("worklog", "remove", "99999999999999999999")
    team.fails("worklog", "list", "--pm", "Nobody")
    team.fails("worklog", "list", "--deal", "77")


def test_time_off_is_taken_out_whole_at_an_end_or_from_the_middle(team: Cli) -> None:
    def off() -> list[tuple[str, str]]:
        return [(t["from"], t["to"]) for t in team("pm", "show", "Ann", "--json").json()["timeoff"]]

    def finish() -> str:
        return team("deal", "show", "2", "--json").json()["forecast_finish"]

    free = finish()
    team("pm", "timeoff", "Ann", "2027-01-11", "2027-01-22", "--reason", "typo")
    later = finish()
    assert later > free
    # The middle: one range becomes two, the reason kept.
    team("pm", "timeoff", "Ann", "2027-01-13", "2027-01-14", "--remove")
    assert off() == [("2027-01-11", "2027-01-12"), ("2027-01-15", "2027-01-22")]
    # An end, then the rest.
    team("pm", "timeoff", "Ann", "2027-01-20", "2027-01-31", "--remove")
    assert off() == [("2027-01-11", "2027-01-12"), ("2027-01-15", "2027-01-19")]
    shown = team("pm", "timeoff", "Ann", "2027-01-01", "2027-01-31", "--remove", "--json").json()
    assert shown["timeoff"] == []
    assert finish() == free  # removing the time off brings the finish back
    assert (
        "no time off from 2027-01-01 to 2027-01-31"
        in team.fails("pm", "timeoff", "Ann", "2027-01-01", "2027-01-31", "--remove").err
    )
    team.fails("pm", "timeoff", "Ann", "2027-01-31", "2027-01-01", "--remove")
    team.fails("pm", "timeoff", "Nobody", "2027-01-01", "2027-01-02", "--remove")


def test_a_term_is_corrected_and_reopened(team: Cli) -> None:
    team("term", "add", "1", "Pay 30%", "--due", "2027-02-01", "--kind", "payment")
    t = team("term", "update", "1", "--due", "2027-03-01", "--text", "Pay 40%",
             "--amount", "9000", "--json").json()  # fmt: skip
    assert (t["due"], t["text"], t["amount"]) == ("2027-03-01", "Pay 40%", 9000)
    team("term", "met", "1")
    assert team("term", "reopen", "1", "--json").json()["status"] == "open"
    history = team("deal", "show", "1", "--json").json()["corrections"]
    assert [(c["field"], c["old"], c["new"]) for c in history] == [
        ("text", "Pay 30%", "Pay 40%"),
        ("due", "2027-02-01", "2027-03-01"),
        ("amount", None, "9000.0"),
        ("status", "met", "open"),
    ]
    assert "open already" in team.fails("term", "reopen", "1").err
    assert "nothing to change" in team.fails("term", "update", "1").err
    team.fails("term", "update", "1", "--kind", "bribe")
    team.fails("term", "update", "1", "--amount", "-1")
    team.fails("term", "update", "1", "--text", "  ")
    assert "unknown term 5" in team.fails("term", "update", "5", "--text", "x").err


def test_an_update_added_by_mistake_is_removed(team: Cli) -> None:
    team("update", "add", "1", "Client churns", "--signal", "churn-risk")
    team("update", "add", "1", "Wrong deal", "--signal", "risk")
    team("update", "remove", "2")
    assert [u["text"] for u in team("update", "list", "--json").json()] == ["Client churns"]
    history = team("deal", "show", "1", "--json").json()["corrections"]
    assert [(c["record"], c["field"], c["old"]) for c in history] == [
        ("update", "removed", "risk: Wrong deal")
    ]
    assert "unknown update 2; see pmsync update list" in team.fails("update", "remove", "2").err


def test_a_deal_added_by_mistake_is_removed_but_work_needs_force(team: Cli) -> None:
    team("deal", "add", "Twin", "--client", "Acme", "--hours", "10")
    team("term", "add", "4", "x", "--due", "+1w")
    removed = team("deal", "remove", "4", "--json").json()
    assert removed["title"] == "Twin" and removed["removed"] is True
    assert 4 not in [d["id"] for d in team("deal", "list", "--stage", "all", "--json").json()]
    assert team("term", "list", "--json").json() == []
    team("deal", "log", "1", "2")
    assert "2 h logged recorded; give --force" in team.fails("deal", "remove", "1").err
    team("deal", "deliver", "2")
    assert "a delivery recorded" in team.fails("deal", "remove", "2").err
    team("deal", "remove", "1", "--force")
    assert [d["id"] for d in team("deal", "list", "--stage", "all", "--json").json()] == [2, 3]
    team.fails("deal", "remove", "1")


def test_a_pm_who_leaves_keeps_their_track_record(team: Cli) -> None:
    """Ben delivered a deal: removing him archives him. He leaves lists, capacity and
    proposals; the deal keeps his name and still counts in history; he can come back."""
    team("deal", "update", "3", "--pm", "Ben")
    team("estimate", "add", "3", "10")
    team("deal", "sign", "3")
    team("deal", "deliver", "3", "--actual-hours", "20")
    evidence = team("check-date", "--hours", "10", "--json").json()["evidence"]
    archived = team("pm", "remove", "Ben", "--json").json()
    assert archived["archived"] is True and archived["deals"] == 1
    assert [p["name"] for p in team("pm", "list", "--json").json()] == ["Ann"]
    everyone = team("pm", "list", "--all", "--json").json()
    assert [(p["name"], bool(p["archived"])) for p in everyone] == [("Ann", False), ("Ben", True)]
    assert "left" in team("pm", "list", "--all").out
    assert team("deal", "show", "3", "--json").json()["pm"] == "Ben"
    check = team("check-date", "--hours", "10", "--json").json()
    assert check["pm"] == "Ann" and all(a["pm"] != "Ben" for a in check["alternatives"])
    assert check["evidence"] == evidence  # his delivery still teaches the forecast
    assert "has left" in team.fails("check-date", "--hours", "10", "--pm", "Ben").err
    assert "has left" in team.fails("deal", "add", "X", "--client", "C", "--pm", "Ben").err
    assert "has left" in team.fails("deal", "update", "1", "--pm", "Ben").err
    back = team("pm", "add", "Ben", "--capacity", "30")
    assert "Ben is back" in back.out
    assert [p["name"] for p in team("pm", "list", "--json").json()] == ["Ann", "Ben"]
    # A PM added by mistake, with no deal at all, is simply removed.
    team("pm", "add", "Typo", "--capacity", "40")
    assert "Removed PM Typo." in team("pm", "remove", "Typo").out
    assert "Typo" not in [p["name"] for p in team("pm", "list", "--all", "--json").json()]
