"""Estimates, special terms, updates and settings through the command line."""

from __future__ import annotations

import math

import pytest

from .conftest import Cli


def test_estimates_keep_history_and_the_latest_counts(team: Cli) -> None:
    e = team(
        "estimate",
        "add",
        "1",
        "60",
        "--low",
        "50",
        "--high",
        "90",
        "--by",
        "Ann",
        "--note",
        "API work",
        "--json",
    ).json()
    assert (e["deal_id"], e["hours"], e["low"], e["high"], e["by"]) == (1, 60, 50, 90, "Ann")
    rows = team("estimate", "list", "1", "--json").json()
    assert [r["hours"] for r in rows] == [40, 60]
    deal = team("deal", "show", "1", "--json").json()
    assert deal["estimate_hours"] == 60
    assert deal["p80"] is not None  # a range is evidence: the forecast now has P50/P80
    assert "API work" in team("estimate", "list", "1").out


def test_the_estimate_at_signing_is_kept_for_lessons(team: Cli) -> None:
    team("estimate", "add", "3", "30")  # pipeline deal 3: first 20, now 30
    team("deal", "sign", "3")
    team("estimate", "add", "3", "45")  # re-estimated after signing
    team("deal", "log", "3", "50")
    team("deal", "deliver", "3")
    # History uses the estimate in force at signing (30), not the first or the latest.
    from datetime import date

    from pmsync.service.session import Session

    with Session(str(team.db), date(2027, 1, 4)).reading() as store:
        history = store.history()
        (actual,) = store.deliveries(date(2027, 1, 1), date(2027, 1, 4))
        assert store.overruns_between(date(2027, 1, 1), date(2027, 1, 4)) == [50 / 30]
        assert store.overruns_between(date(2027, 1, 5), date(2027, 2, 1)) == []
    assert (actual.estimate_hours, actual.actual_hours) == (30, 50)
    ((_, total, _),) = history.cells.values()  # the one delivered deal
    assert total == pytest.approx(math.log(50 / 30))


def test_terms_add_list_ack_and_close(team: Cli) -> None:
    t = team(
        "term",
        "add",
        "2",
        "Paid only on go-live",
        "--due",
        "2027-01-20",
        "--kind",
        "payment",
        "--amount",
        "5000",
        "--json",
    ).json()
    assert {
        k: t[k]
        for k in (
            "id",
            "deal_id",
            "kind",
            "due",
            "amount",
            "remind_days",
            "status",
            "acknowledged_by",
        )
    } == {
        "id": 1,
        "deal_id": 2,
        "kind": "payment",
        "due": "2027-01-20",
        "amount": 5000,
        "remind_days": 14,
        "status": "open",
        "acknowledged_by": None,
    }
    team("term", "add", "1", "Weekly status call", "--due", "2027-03-01", "--remind-days", "3")
    # Deal 2 finishes 25 Jan: a payment term due 20 Jan is at risk.
    rows = {r["id"]: r for r in team("term", "list", "--json").json()}
    assert rows[1]["at_risk"] is True and rows[2]["at_risk"] is False
    assert "at risk: finish 2027-01-25" in team("term", "list").out
    assert [r["id"] for r in team("term", "list", "--due-within", "20", "--json").json()] == [1]
    assert [r["id"] for r in team("term", "list", "--deal", "1", "--json").json()] == [2]
    acked = team("term", "ack", "1", "--by", "ann", "--json").json()
    assert acked["acknowledged_by"] == "Ann" and acked["acknowledged_at"].startswith("2027-01-04")
    assert [r["id"] for r in team("term", "list", "--unacknowledged", "--json").json()] == [2]
    assert team("term", "met", "1", "--json").json()["status"] == "met"
    assert team("term", "missed", "2", "--json").json()["status"] == "missed"
    assert team("term", "list", "--open", "--json").json() == []


def test_waive_and_settings_default_remind_days(team: Cli) -> None:
    team("config", "set", "remind_days", "21")
    t = team("term", "add", "1", "SLA", "--due", "+30d", "--kind", "sla", "--json").json()
    assert t["remind_days"] == 21
    assert team("term", "waive", str(t["id"]), "--json").json()["status"] == "waived"


def test_updates_add_and_filter(team: Cli) -> None:
    u = team(
        "update",
        "add",
        "1",
        "Sponsor leaves in March",
        "--signal",
        "churn-risk",
        "--by",
        "Ann",
        "--json",
    ).json()
    assert {k: u[k] for k in ("id", "deal_id", "text", "signal", "by")} == {
        "id": 1,
        "deal_id": 1,
        "text": "Sponsor leaves in March",
        "signal": "churn-risk",
        "by": "Ann",
    }
    assert u["created"].startswith("2027-01-04")
    team("update", "add", "2", "Asked about a second site", "--signal", "upsell")
    assert len(team("update", "list", "--json").json()) == 2
    assert [
        x["deal_id"] for x in team("update", "list", "--signal", "upsell", "--json").json()
    ] == [2]
    assert [x["id"] for x in team("update", "list", "--deal", "1", "--json").json()] == [1]
    assert team("update", "list", "--since", "+1d", "--json").json() == []
    assert "Sponsor leaves in March" in team("update", "list").out


def test_config_get_and_set(cli: Cli) -> None:
    assert cli("config", "get", "--json").json()["at_risk_buffer"] == 3
    assert cli("config", "set", "at_risk_buffer", "5", "--json").json() == {"at_risk_buffer": 5}
    assert cli("config", "get", "at_risk_buffer", "--json").json() == {"at_risk_buffer": 5}
    assert "working days of slack" in cli("config", "get").out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["estimate", "add", "99", "10"], "unknown deal"),
        (["estimate", "add", "1", "-10"], "No such option"),
        (["estimate", "add", "1", "0"], "positive"),
        (["estimate", "add", "1", "10", "--low", "12"], "--low"),
        (["estimate", "list", "x"], "not a deal id"),
        (["term", "add", "1", "Pay"], "--due"),
        (["term", "add", "1", "Pay", "--due", "someday"], "cannot read"),
        (["term", "add", "1", "Pay", "--due", "+1w", "--kind", "bonus"], "term kind"),
        (["term", "add", "1", "Pay", "--due", "+1w", "--amount", "-5"], "--amount"),
        (["term", "add", "1", "Pay", "--due", "+1w", "--remind-days", "-1"], "--remind-days"),
        (["term", "add", "1", "", "--due", "+1w"], "must not be empty"),
        (["term", "add", "42", "Pay", "--due", "+1w"], "unknown deal"),
        (["term", "ack", "7", "--by", "Ann"], "unknown term 7"),
        (["term", "ack", "1", "--by", "Nobody"], "unknown PM"),
        (["term", "ack", "1"], "--by"),
        (["term", "met", "abc"], "not a term id"),
        (["term", "list", "--deal", "99"], "unknown deal"),
        (["update", "add", "1", "x", "--signal", "gossip"], "unknown signal"),
        (["update", "add", "99", "x"], "unknown deal"),
        (["update", "list", "--since", "03/04/2027"], "ambiguous"),
        (["config", "set", "colour", "blue"], "unknown setting"),
        (["config", "set", "at_risk_buffer", "many"], "whole number"),
        (["config", "set", "samples", "1"], "between"),
        (["config", "get", "nope"], "unknown setting"),
    ],
)
def test_bad_input_is_refused_with_exit_2_and_writes_nothing(team: Cli, args, message) -> None:
    team("term", "add", "1", "Existing", "--due", "+2w")
    assert message in team.fails(*args).err


def test_a_closed_term_cannot_be_closed_again(team: Cli) -> None:
    team("term", "add", "1", "Existing", "--due", "+2w")
    team("term", "met", "1")
    assert "already met" in team.fails("term", "waive", "1").err
