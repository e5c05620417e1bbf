"""`pmsync pm ...` through the command line."""

from __future__ import annotations

import pytest

from .conftest import Cli


def test_add_list_show_update_remove(cli: Cli) -> None:
    added = cli(
        "pm",
        "add",
        "Ann",
        "--capacity",
        "37.5",
        "--workdays",
        "mon-thu",
        "--holidays",
        "de-by",
        "--email",
        "ann@example.com",
        "--json",
    ).json()
    assert added == {
        "id": 1,
        "name": "Ann",
        "email": "ann@example.com",
        "capacity": 37.5,
        "workdays": "mon-thu",
        "holidays": "DE-BY",
        "hours_per_day": 9.375,
        "archived": None,
        "timeoff": [],
    }
    cli("pm", "add", "Ben", "--capacity", "40")
    listed = cli("pm", "list", "--json").json()
    assert [p["name"] for p in listed] == ["Ann", "Ben"]
    table = cli("pm", "list").out
    assert "Ann" in table and "9.4" in table and "mon-thu" in table
    cli("pm", "update", "ann", "--capacity", "30", "--name", "Anna", "--holidays", "none")
    shown = cli("pm", "show", "Anna", "--json").json()
    assert (shown["capacity"], shown["holidays"], shown["workdays"]) == (30, None, "mon-thu")
    assert "Removed PM Ben" in cli("pm", "remove", "Ben").out
    assert [p["name"] for p in cli("pm", "list", "--json").json()] == ["Anna"]


def test_timeoff_is_recorded_and_shown(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    out = cli("pm", "timeoff", "Ann", "2027-02-01", "5 Feb 2027", "--reason", "ski").out
    assert "5 days" in out
    shown = cli("pm", "show", "Ann", "--json").json()
    assert shown["timeoff"][0] | {"id": 0} == {
        "id": 0,
        "from": "2027-02-01",
        "to": "2027-02-05",
        "reason": "ski",
    }
    assert "2027-02-01 to 2027-02-05 (ski)" in cli("pm", "show", "Ann").out


def test_empty_list_says_how_to_start(cli: Cli) -> None:
    assert "pmsync pm add" in cli("pm", "list").out
    assert cli("pm", "list", "--json").json() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pm", "add", "Ann", "--capacity", "40"], "already exists"),
        (["pm", "add", "ANN", "--capacity", "40"], "already exists"),
        (["pm", "add", "Zed", "--capacity", "-5"], "capacity must be a positive"),
        (["pm", "add", "Zed", "--capacity", "0"], "capacity must be a positive"),
        (["pm", "add", "Zed", "--capacity", "200"], "more than a week"),
        (["pm", "add", "Zed", "--capacity", "abc"], "not a valid float"),
        (["pm", "add", "Zed"], "--capacity"),
        (["pm", "add", "  ", "--capacity", "40"], "name must not be empty"),
        (["pm", "add", "Zed", "--capacity", "40", "--workdays", ""], "at least one working day"),
        (["pm", "add", "Zed", "--capacity", "40", "--workdays", "funday"], "working days"),
        (["pm", "add", "Zed", "--capacity", "40", "--holidays", "XX"], "holiday calendar"),
        (["pm", "show", "Nobody"], "unknown PM 'Nobody'; known PMs: Ann"),
        (["pm", "update", "Nobody", "--capacity", "3"], "unknown PM"),
        (["pm", "update", "Ann"], "nothing to change"),
        (["pm", "remove", "Nobody"], "unknown PM"),
        (["pm", "timeoff", "Ann", "2027-02-05", "2027-02-01"], "ends"),
        (["pm", "timeoff", "Ann", "03/04/2027", "2027-02-01"], "ambiguous"),
        (["pm", "timeoff", "Nobody", "2027-02-01", "2027-02-05"], "unknown PM"),
        (["pm", "frobnicate"], "No such command"),
    ],
)
def test_bad_input_is_refused_with_exit_2_and_writes_nothing(cli: Cli, args, message) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    run = cli.fails(*args)
    assert message in run.err


def test_a_pm_with_open_deals_cannot_be_removed(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    cli("deal", "add", "X", "--client", "C", "--pm", "Ann", "--stage", "signed")
    assert "reassign" in cli.fails("pm", "remove", "Ann").err
