"""`pmsync check-date` through the command line: verdicts, exit codes, JSON, bad input."""

from __future__ import annotations

import pytest

from .conftest import Cli, snapshot

KEYS = {
    "verdict",
    "promised",
    "forecast_start",
    "forecast_finish",
    "slack_days",
    "pm",
    "effort_hours",
    "p50",
    "p80",
    "on_time_probability",
    "suggested_date",
    "alternatives",
    "knock_on",
}


def test_realistic_exits_0_with_every_contract_key(team: Cli) -> None:
    before = snapshot(team.db)
    run = team("check-date", "--hours", "40", "--by", "2027-02-15", "--json")
    assert run.code == 0
    data = run.json()
    assert set(data) >= KEYS
    # Ben is free: 37.5 h over Mon-Thu -> 40 h finishes on his 5th day, Monday 11 Jan.
    assert (data["verdict"], data["pm"], data["forecast_start"], data["forecast_finish"]) == (
        "realistic",
        "Ben",
        "2027-01-04",
        "2027-01-11",
    )
    assert data["on_time_probability"] is None and data["p80"] is None
    assert data["alternatives"][0]["pm"] == "Ann"
    assert data["alternatives"][0]["forecast_finish"] == "2027-02-01"
    assert snapshot(team.db) == before, "check-date wrote to the database"


def test_at_risk_exits_3(team: Cli) -> None:
    run = team("check-date", "--hours", "40", "--by", "2027-01-12", "--pm", "Ben")
    assert run.code == 3
    assert run.out.startswith(
        "At risk: Ben can finish on 11 Jan 2027, only 1 working day "
        "before the 12 Jan promise. Promise 14 Jan instead."
    )


def test_a_date_that_jumps_the_queue_is_not_suggested_when_it_breaks_a_promise(
    team: Cli,
) -> None:
    # Ann: deal 1 (15 Jan) takes 4-8 Jan, CRM migration (80 h, 29 Jan) 11-25 Jan. Promised
    # 20 Jan, 40 h go between them (11-15 Jan) and CRM migration slips to 1 Feb. Promised
    # 13 Jan it goes first and CRM migration slips all the same. Only behind CRM migration
    # (26 Jan-1 Feb, plus the 3-day buffer) does every promise hold: 4 Feb.
    run = team("check-date", "--hours", "40", "--by", "2027-01-20", "--pm", "Ann")
    assert run.code == 3
    assert run.out.splitlines()[0] == (
        "At risk: Ann can finish on 15 Jan 2027, 2 working days before the 20 Jan promise, "
        "but CRM migration would slip. Promise 4 Feb instead: that keeps every promise "
        "already made."
    )
    early = team("check-date", "--hours", "40", "--by", "2027-01-13", "--pm", "Ann", "--json")
    assert (early.code, early.json()["verdict"]) == (3, "at-risk")
    assert [k["title"] for k in early.json()["knock_on"]] == ["CRM migration"]
    assert team("check-date", "--hours", "40", "--by", "2027-02-04", "--pm", "Ann").code == 0
    assert team("check-date", "--hours", "40", "--by", "2027-02-03", "--pm", "Ann").code == 3


def test_knock_on_and_the_seller_sentence(team: Cli) -> None:
    run = team("check-date", "--hours", "60", "--by", "2027-01-14", "--pm", "Ann", "--json")
    data = run.json()
    # The newcomer (14 Jan) goes before deal 1 (15 Jan): 60 h = 4-8, 11, 12 Jan + 4 h on 13.
    assert (data["forecast_finish"], data["slack_days"], data["verdict"]) == (
        "2027-01-13",
        1,
        "at-risk",
    )
    assert run.code == 3
    # Deal 1 then gets 4 h on 13 Jan, 14, 15, (18 Jan is a holiday) 19, 20 and 4 h on 21 Jan;
    # deal 2 (80 h) follows from 21 Jan to 4 Feb.
    assert data["knock_on"] == [
        {
            "deal_id": 1,
            "title": "Website relaunch",
            "promised": "2027-01-15",
            "finish_before": "2027-01-08",
            "finish_after": "2027-01-21",
        },
        {
            "deal_id": 2,
            "title": "CRM migration",
            "promised": "2027-01-29",
            "finish_before": "2027-01-25",
            "finish_after": "2027-02-04",
        },
    ]
    text = team("check-date", "--hours", "60", "--by", "2027-01-14", "--pm", "Ann").out
    assert "Promises this would break" in text and "Website relaunch" in text


def test_unrealistic_sentence_names_the_slip_and_the_date_to_promise(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    run = cli("check-date", "--hours", "80", "--by", "2027-01-08")
    assert run.code == 4
    assert run.out.splitlines()[0] == (
        "Unrealistic: Ann can finish on 15 Jan 2027, 5 working days after the 8 Jan "
        "promise. Promise 20 Jan instead."
    )


def test_without_by_it_answers_the_earliest_realistic_date(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    run = cli("check-date", "--hours", "80")
    assert run.code == 0
    assert run.out.startswith("Earliest realistic date: 20 Jan 2027.")
    assert run.out.count("20 Jan 2027") >= 1
    assert cli("check-date", "--hours", "80", "--json").json()["suggested_date"] == "2027-01-20"


def test_a_recorded_deal_is_checked_in_its_place(team: Cli) -> None:
    data = team("check-date", "2", "--json").json()
    assert (data["pm"], data["forecast_finish"], data["promised"], data["verdict"]) == (
        "Ann",
        "2027-01-25",
        "2027-01-29",
        "realistic",
    )
    moved = team("check-date", "2", "--by", "2027-01-22", "--json")
    assert moved.code == 4 and moved.json()["slack_days"] == -1


def test_reference_class_from_delivered_deals_of_a_kind(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    for i, actual in enumerate((30, 50, 40)):
        cli(
            "deal",
            "add",
            f"Audit {i}",
            "--client",
            "C",
            "--kind",
            "audit",
            "--stage",
            "signed",
            "--pm",
            "Ann",
            "--hours",
            str(actual),
        )
        cli("deal", "deliver", str(i + 1), "--actual-hours", str(actual))
    data = cli("check-date", "--kind", "audit", "--by", "2027-03-01", "--json").json()
    assert data["effort_hours"] == 40
    assert data["reference"] == {"kind": "audit", "median_hours": 40, "deals": 3}
    assert "median of 3 delivered 'audit' deals" in cli("check-date", "--kind", "audit").out
    run = cli.fails("check-date", "--kind", "migration", "--by", "2027-03-01")
    assert "--hours" in run.err


def test_evidence_gives_percentiles_and_probability(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    for i in range(3):
        cli(
            "deal",
            "add",
            f"Past {i}",
            "--client",
            "C",
            "--stage",
            "signed",
            "--pm",
            "Ann",
            "--hours",
            "20",
        )
        cli("deal", "deliver", str(i + 1), "--actual-hours", "38")
    run = cli("check-date", "--hours", "40", "--by", "2027-01-13", "--json")
    data = run.json()
    assert run.code == 4 and data["verdict"] == "unrealistic"
    # 76 h: P50 on the tenth working day; P80 allows three deals' worth of doubt.
    assert data["p50"] == "2027-01-15" and data["p80"] in ("2027-01-15", "2027-01-18")
    assert data["on_time_probability"] == 0
    assert data["evidence"] == {
        "source": "own",
        "model": "pooled-lognormal",
        "deals": 3,
        "own_deals": 3,
        "own_weight": data["evidence"]["own_weight"],
        "kind": None,
        "kind_deals": 0,
        "median_overrun": pytest.approx(1.9),
        "ranges": "range",
    }
    assert 0 < data["evidence"]["own_weight"] < 1
    text = cli("check-date", "--hours", "40", "--by", "2027-01-13").out
    assert "Ann's 3 delivered deals (estimates run 1.9x)" in text
    assert "< 1% chance" in text


def _delivered(cli: Cli, kind: str, hours: float, actual: float, *estimate: str) -> None:
    made = cli(
        "deal", "add", f"Past {kind}", "--client", "C", "--stage", "signed", "--pm", "Ann",
        "--kind", kind, "--hours", str(hours), *estimate, "--json",
    ).json()  # fmt: skip
    cli("deal", "deliver", str(made["id"]), "--actual-hours", str(actual))


def test_the_kind_of_work_and_habitual_ranges_shape_the_forecast(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    for i in range(6):
        _delivered(cli, "migration", 40, 60 + i, "--low", "30", "--high", "70")
        _delivered(cli, "onboarding", 40, 32 + i, "--low", "30", "--high", "70")

    def check(*args: str) -> dict:
        return cli("check-date", "--by", "2027-03-01", "--json", *args).json()

    slow, fast = (
        check("--hours", "80", "--kind", "migration"),
        check("--hours", "80", "--kind", "onboarding"),
    )
    assert slow["evidence"]["kind"] == "migration" and slow["evidence"]["kind_deals"] == 6
    assert fast["evidence"]["median_overrun"] < 1 < slow["evidence"]["median_overrun"]
    assert fast["p80"] < slow["p80"]
    # Every estimate in history had a range: the overruns already hold what a range says.
    assert slow["evidence"]["ranges"] == "likely"
    ranged = check("--hours", "80", "--low", "60", "--high", "160", "--kind", "migration")
    assert ranged["p80"] == slow["p80"]
    # A recorded deal is forecast as its own kind.
    made = cli(
        "deal", "add", "New", "--client", "C", "--stage", "signed", "--pm", "Ann",
        "--kind", "migration", "--hours", "80", "--json",
    ).json()  # fmt: skip
    assert cli("check-date", str(made["id"]), "--json").json()["evidence"]["kind"] == "migration"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check-date", "--hours", "10", "--by", "2027-02-01", "--pm", "Nobody"], "unknown PM"),
        (["check-date", "--hours", "-10", "--by", "2027-02-01"], "positive"),
        (["check-date", "--hours", "0", "--by", "2027-02-01"], "positive"),
        (["check-date", "--hours", "10", "--by", "whenever"], "cannot read --by"),
        (["check-date", "--hours", "10", "--by", "03/04/2027"], "ambiguous"),
        (["check-date", "--by", "2027-02-01"], "--hours"),
        (["check-date", "--hours", "10", "--low", "20"], "--low"),
        (["check-date", "99"], "unknown deal"),
        (["check-date", "--hours", "10", "--by", "2026-12-01"], "in the past"),
        (["check-date", "--hours", "10", "--by", "2099-01-01"], "50 years away"),
        (["check-date", "--hours", "10", "--start", "9999-12-31"], "50 years away"),
        (["check-date", "3", "--hours", "5"], "not both"),
        (["check-date", "--hours", "1e9"], "more than"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(team: Cli, args, message) -> None:
    assert message in team.fails(*args).err


def test_no_pms_recorded_is_bad_input(cli: Cli) -> None:
    cli("pm", "list")
    assert "no PMs recorded" in cli.fails("check-date", "--hours", "8", "--by", "+1w").err


def test_a_closed_or_unestimated_deal_cannot_be_checked(team: Cli) -> None:
    team("deal", "add", "Bare", "--client", "X", "--pm", "Ann", "--stage", "signed")
    assert "no estimate" in team.fails("check-date", "4").err
    team("deal", "deliver", "1")
    assert "check-date is for open deals" in team.fails("check-date", "1").err
