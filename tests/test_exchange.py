"""CRM imports, exports and the calendar feed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .conftest import Cli, new_database, snapshot

HUBSPOT = (
    "\ufeffRecord ID;Deal Name;Associated Company;Amount;Close Date;Deal Stage;Deal owner;"
    "Pipeline\n"
    "9001;Website relaunch;Acme Corp;$12,500.00;15/01/2027;Closed Won;Sam Seller;Sales\n"
    '9002;CRM rollout;Globex;"€ 8.400,50";28/02/2027;Appointment Scheduled;Priya;Sales\n'
    "9003;Old pitch;Initech;1 200;03/01/2027;Closed Lost;Sam Seller;Sales\n"
)
SALESFORCE = (
    "Opportunity ID,Opportunity Name,Account Name,Amount,Close Date,Stage,Probability (%),"
    "Opportunity Owner,Type\n"
    '006A1,Data platform,Umbrella Health,"USD 45,000",3/15/2027,Negotiation/Review,60,'
    "Lucas,migration\n"
    '006A2,Analytics add-on,Hooli,"9,999.99",12/31/2026,Closed Won,100,Maya,onboarding\n'
)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_hubspot_export_with_bom_semicolons_currency_and_day_first_dates(
    cli: Cli, tmp_path: Path
) -> None:
    path = write(tmp_path, "hubspot.csv", HUBSPOT)
    out = cli("import", "deals", path, "--json").json()
    assert [a["title"] for a in out["added"]] == ["Website relaunch", "CRM rollout", "Old pitch"]
    assert out["refused"] == [] and out["unknown_columns"] == ["Pipeline"]
    deals = {d["external_id"]: d for d in cli("deal", "list", "--stage", "all", "--json").json()}
    won = deals["9001"]
    assert (won["title"], won["client"], won["value"], won["stage"], won["seller"]) == (
        "Website relaunch",
        "Acme Corp",
        12500.0,
        "signed",
        "Sam Seller",
    )
    assert won["signed_on"] == "2027-01-15"  # the close date of a won deal: its signing
    assert deals["9002"]["value"] == 8400.5 and deals["9002"]["stage"] == "pipeline"
    assert deals["9003"]["value"] == 1200 and deals["9003"]["stage"] == "lost"


def test_salesforce_export_with_month_first_dates_probability_and_no_kind(
    cli: Cli, tmp_path: Path
) -> None:
    """Salesforce's Type (New Customer, ...) is a sales category, not the kind of work whose
    efforts the forecast compares: it is listed as not imported."""
    run = cli("import", "deals", write(tmp_path, "sf.csv", SALESFORCE), "--json").json()
    assert "Type" in run["unknown_columns"]
    deals = {d["external_id"]: d for d in cli("deal", "list", "--stage", "all", "--json").json()}
    assert (deals["006A1"]["value"], deals["006A1"]["probability"], deals["006A1"]["kind"]) == (
        45000,
        60,
        None,
    )
    assert deals["006A2"]["stage"] == "signed" and deals["006A2"]["signed_on"] == "2026-12-31"
    assert deals["006A2"]["value"] == 9999.99


def test_reimport_updates_by_external_id_instead_of_duplicating(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "hubspot.csv", HUBSPOT)
    cli("import", "deals", path)
    again = cli("import", "deals", path, "--json").json()
    assert (again["added"], again["updated"], again["unchanged"]) == ([], [], 3)
    changed = HUBSPOT.replace("Appointment Scheduled", "Closed Won").replace("8.400,50", "9.000")
    out = cli("import", "deals", write(tmp_path, "v2.csv", changed), "--json").json()
    assert [(u["id"], u["fields"]) for u in out["updated"]] == [(2, ["stage", "value"])]
    assert len(cli("deal", "list", "--stage", "all", "--json").json()) == 3
    d = cli("deal", "show", "2", "--json").json()
    assert (d["stage"], d["value"]) == ("signed", 9000)


def test_dry_run_shows_the_plan_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    cli("pm", "list")
    before = snapshot(cli.db)
    run = cli("import", "deals", write(tmp_path, "h.csv", HUBSPOT), "--dry-run")
    assert run.out.startswith("Would import: 3 added, 0 updated, 0 unchanged, 0 refused.")
    assert "add     line 2: Website relaunch" in run.out
    assert snapshot(cli.db) == before


def test_a_bad_row_refuses_the_whole_file_with_its_line_and_reason(
    cli: Cli, tmp_path: Path
) -> None:
    cli("pm", "list")
    bad = (
        HUBSPOT + "9004;;Nobody;100;01/02/2027;Closed Won;Sam;Sales\n"
        "9005;Broken amount;X;lots;01/02/2027;Closed Won;Sam;Sales\n"
    )
    path = write(tmp_path, "bad.csv", bad)
    run = cli.fails("import", "deals", path)
    assert "2 bad row(s), nothing imported; line 5: no title" in run.err
    plan = cli("import", "deals", path, "--dry-run").out
    assert "refuse  line 6: unreadable amount 'lots'" in plan
    out = cli("import", "deals", path, "--skip-bad", "--json").json()
    assert len(out["added"]) == 3 and [r["line"] for r in out["refused"]] == [5, 6]


def test_unknown_pm_is_a_refused_row(cli: Cli, tmp_path: Path) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    text = "title,client,pm,hours,stage\nA,C,ann,10,signed\nB,C,Zed,5,signed\n"
    path = write(tmp_path, "own.csv", text)
    assert "line 3: unknown PM 'Zed'" in cli.fails("import", "deals", path).err
    cli("import", "deals", path, "--skip-bad")
    (deal,) = cli("deal", "list", "--json").json()
    assert (deal["pm"], deal["estimate_hours"], deal["stage"]) == ("Ann", 10, "signed")


def test_map_and_stage_map_and_date_format(cli: Cli, tmp_path: Path) -> None:
    cli("pm", "list")
    text = "Project,Customer,Due,Phase\nPortal,Acme,04/03/2027,Verbal yes\n"
    path = write(tmp_path, "odd.csv", text)
    run = cli.fails(
        "import",
        "deals",
        path,
        "--map",
        "Project=title",
        "--map",
        "Customer=client",
        "--map",
        "Due=promised",
    )
    assert "day/month or month/day" in run.err
    cli(
        "import",
        "deals",
        path,
        "--map",
        "Project=title",
        "--map",
        "Customer=client",
        "--map",
        "Due=promised",
        "--map",
        "Phase=stage",
        "--stage-map",
        "Verbal yes=signed",
        "--date-format",
        "%d/%m/%Y",
    )
    (deal,) = cli("deal", "list", "--json").json()
    assert (deal["title"], deal["client"], deal["promised"], deal["stage"]) == (
        "Portal",
        "Acme",
        "2027-03-04",
        "signed",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "nonsense"], "--map needs"),
        (["--map", "X=colour"], "unknown field"),
        (["--stage-map", "Won=delivered"], "--stage-map needs"),
    ],
)
def test_bad_import_options(cli: Cli, tmp_path: Path, args, message) -> None:
    cli("pm", "list")
    path = write(tmp_path, "h.csv", HUBSPOT)
    assert message in cli.fails("import", "deals", path, *args).err


def test_unreadable_files_are_bad_input(cli: Cli, tmp_path: Path) -> None:
    cli("pm", "list")
    assert "cannot read" in cli.fails("import", "deals", str(tmp_path / "missing.csv")).err
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x00garbage")
    assert "starts like UTF-16 text but isn't" in cli.fails("import", "deals", str(binary)).err
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "not a text file" in cli.fails("import", "deals", str(binary)).err
    no_title = write(tmp_path, "nt.csv", "foo,bar\n1,2\n")
    assert "no title column" in cli.fails("import", "deals", no_title).err


def test_export_round_trips_into_a_fresh_database(team: Cli, tmp_path: Path) -> None:
    team("deal", "update", "1", "--title", '=HYPERLINK("http://evil")', "--stakeholder", "@boss")
    exported = team("export", "deals").out
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil")'  # neutralised for spreadsheets
    assert rows[0]["stakeholder"] == "'@boss"
    fresh = Cli(tmp_path / "fresh.db")
    fresh("pm", "add", "Ann", "--capacity", "40")
    fresh("pm", "add", "Ben", "--capacity", "40")
    fresh("import", "deals", write(tmp_path, "deals.csv", exported))
    assert fresh("export", "deals").out == exported
    assert fresh("deal", "show", "1", "--json").json()["title"] == '=HYPERLINK("http://evil")'


def test_export_every_table_as_json_and_csv(team: Cli, tmp_path: Path) -> None:
    team("term", "add", "1", "+1 bonus if early", "--due", "+2w", "--kind", "payment")
    team("update", "add", "1", "--signal", "risk", "--", "-5% discount asked")
    team("deal", "log", "1", "3")
    data = team("export", "all", "--format", "json").json()
    assert set(data) >= {"format", "schema", "deals", "pms", "estimates", "terms", "updates"}
    assert {"worklog", "timeoff", "promise_history", "settings"} <= set(data)
    assert data["pms"][0]["name"] == "Ann" and data["worklog"][0]["hours"] == 3
    assert data["terms"][0]["text"] == "+1 bonus if early"  # JSON is not a spreadsheet
    team("export", "all", "--out", str(tmp_path / "dump"))
    assert sorted(p.name for p in (tmp_path / "dump").iterdir()) == [
        "deals.csv",
        "estimates.csv",
        "pms.csv",
        "terms.csv",
        "updates.csv",
        "worklog.csv",
    ]
    terms_csv = (tmp_path / "dump" / "terms.csv").read_text()
    assert "'+1 bonus if early" in terms_csv
    assert "'-5% discount asked" in (tmp_path / "dump" / "updates.csv").read_text()
    assert "--out DIR" in team.fails("export", "all").err
    assert "unknown table" in team.fails("export", "invoices").err


def _events(data: bytes) -> dict[str, object]:
    from icalendar import Calendar

    cal = Calendar.from_ical(data)
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


def test_calendar_has_promises_risks_and_terms_with_stable_uids(team: Cli, tmp_path: Path) -> None:
    team(
        "term",
        "add",
        "2",
        "Paid on go-live",
        "--due",
        "2027-01-22",
        "--kind",
        "payment",
        "--remind-days",
        "10",
    )
    team("deal", "update", "1", "--promised", "2027-01-06")  # now unrealistic
    out = tmp_path / "pmsync.ics"
    team("calendar", "--out", str(out))
    first = _events(out.read_bytes())
    promise = first["Promised: Website relaunch (Acme)"]
    assert promise.decoded("dtstart").isoformat() == "2027-01-06"
    assert "Forecast finish (unrealistic): Website relaunch" in first
    term = first["Payment due: Paid on go-live"]
    (alarm,) = term.walk("VALARM")
    assert alarm.decoded("trigger").days == -10
    team("calendar", "--out", str(out))
    second = _events(out.read_bytes())
    assert {k: str(v["uid"]) for k, v in first.items()} == {
        k: str(v["uid"]) for k, v in second.items()
    }
    assert all(int(v["sequence"]) == 0 for v in second.values())
    team("term", "add", "1", "unused", "--due", "+1w")
    team("deal", "update", "2", "--promised", "2027-02-05")
    third = _events(team("calendar").out.encode())
    moved = third["Promised: CRM migration (Globex)"]
    assert str(moved["uid"]) == str(second["Promised: CRM migration (Globex)"]["uid"])
    assert int(moved["sequence"]) == 1
    assert int(third["Promised: Website relaunch (Acme)"]["sequence"]) == 0


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$12,500.00", 12500),
        ("€ 8.400,50", 8400.5),
        ("1 200", 1200),
        ("USD 45,000", 45000),
        ("9,999.99", 9999.99),
        ("9.000", 9000),
        ("12,5", 12.5),
        ("1.250.000", 1250000),
        ("0.5", 0.5),
        ("1\u00a0500 kr", 1500),
    ],
)
def test_amounts_in_crm_formats(text: str, value: float) -> None:
    from pmsync.core.crm import parse_amount

    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["lots", "-", "", "-5"])
def test_unreadable_amounts(text: str) -> None:
    from pmsync.core.crm import parse_amount

    with pytest.raises(ValueError):
        parse_amount(text)


def test_an_output_path_that_cannot_be_written_is_bad_input(team: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "deals.csv"
    run = team.fails("export", "deals", "--out", str(missing))
    assert f"cannot write {missing}: there is no folder {missing.parent}" in run.err
    assert "cannot use" in team.fails("calendar", "--out", str(tmp_path)).err


# -- the whole database, out and back in ----------------------------------------------


def test_export_all_then_import_all_gives_back_the_same_database(team: Cli, tmp_path: Path) -> None:
    """Every kind of record (PMs with time off, an archived PM, deals in every stage with
    promise history, estimates, worklog, terms met and open, updates, corrections,
    settings, calendar identities) leaves and comes back with the same ids, byte for byte."""
    team("pm", "timeoff", "Ann", "2027-02-01", "2027-02-05", "--reason", "ski")
    team("pm", "add", "Cy", "--capacity", "20")
    team("deal", "update", "1", "--promised", "2027-01-22")
    team("estimate", "add", "1", "44", "--low", "40", "--high", "60", "--by", "Ann")
    team("deal", "log", "1", "6", "--note", "kickoff")
    team("worklog", "update", "1", "--hours", "5")
    team("term", "add", "1", "Pay 30% on go-live", "--due", "+3w", "--kind", "payment",
         "--amount", "9000")  # fmt: skip
    team("term", "add", "2", "SLA 99.9", "--due", "+5w", "--kind", "sla")
    team("term", "met", "2")
    team("term", "ack", "1", "--by", "Ann")
    team("update", "add", "1", "Sponsor leaves", "--signal", "churn-risk", "--by", "Sam")
    team("deal", "update", "3", "--pm", "Cy")
    team("estimate", "add", "3", "12")
    team("deal", "sign", "3")
    team("deal", "deliver", "3", "--actual-hours", "15")
    team("deal", "add", "Lost one", "--client", "Hooli")
    team("deal", "lose", "4", "--reason", "budget")
    team("pm", "remove", "Cy")
    team("config", "set", "at_risk_buffer", "3")
    team("calendar")
    first = tmp_path / "first.json"
    assert "records" in team("export", "all", "--format", "json", "--out", str(first)).out
    document = json.loads(first.read_text())
    assert all(
        document[t] for t in ("timeoff", "promise_history", "corrections", "calendar_events")
    )
    fresh = Cli(tmp_path / "fresh.db")
    loaded = fresh("import", "all", str(first), "--json").json()
    assert loaded["deals"] == 4 and loaded["pms"] == 3
    second = fresh("export", "all", "--format", "json").out
    assert second == first.read_text()
    # And the copy answers as the original does.
    for args in (["deal", "show", "1", "--json"], ["pm", "list", "--all"], ["weekly-report"]):
        assert fresh(*args).out == team(*args).out


def test_import_all_refuses_what_does_not_fit_and_writes_nothing(team: Cli, tmp_path: Path) -> None:
    dump = tmp_path / "team.json"
    team("export", "all", "--format", "json", "--out", str(dump))
    assert (
        "holds records; import all loads a whole database into an empty one"
        in team.fails("import", "all", str(dump)).err
    )
    empty = Cli(new_database(tmp_path / "empty.db"))
    good = json.loads(dump.read_text())

    def refused(document: object, said: str) -> None:
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(document))
        assert said in empty.fails("import", "all", str(bad)).err

    refused([1, 2], "not a whole-database export")
    refused(good | {"schema": 99}, "written by a newer pmsync (schema 99")
    refused(good | {"invoices": []}, "unknown table 'invoices'")
    refused(good | {"deals": [*good["deals"][:1], {"id": 9, "colour": "red"}]}, "no field colour")
    orphan = dict(good["worklog"][0] if good["worklog"] else {}, id=99, deal_id=777, hours=1.0,
                  on_date="2027-01-04", created="x")  # fmt: skip
    refused(good | {"worklog": [orphan]}, "points at one that isn't there")
    wrong = dict(good["deals"][0], stage="won")
    refused(good | {"deals": [wrong, *good["deals"][1:]]}, "breaks a rule of the schema")
    (tmp_path / "text.json").write_text("{ not json")
    assert "is not JSON (line 1" in empty.fails("import", "all", str(tmp_path / "text.json")).err


def test_an_unchanged_event_keeps_its_stamp_and_titles_read_as_written(team: Cli) -> None:
    """A calendar re-syncs an event whose DTSTAMP changed: only a changed event gets a new
    one. SLA is written as such, and a line break typed in a title does not split it."""
    import time

    team("term", "add", "1", "Uptime\nreport", "--due", "+2w", "--kind", "sla")
    first = _events(team("calendar").out.encode())
    assert "Sla due" not in " ".join(first)
    term = first["SLA due: Uptime report"]
    time.sleep(1.1)  # stamps are to the second
    team("deal", "update", "2", "--promised", "2027-02-05")
    second = _events(team("calendar").out.encode())
    unchanged = "Promised: Website relaunch (Acme)"
    assert second[unchanged].decoded("dtstamp") == first[unchanged].decoded("dtstamp")
    assert second["SLA due: Uptime report"].decoded("dtstamp") == term.decoded("dtstamp")
    moved = second["Promised: CRM migration (Globex)"]
    assert moved.decoded("dtstamp") > first["Promised: CRM migration (Globex)"].decoded("dtstamp")
    assert int(moved["sequence"]) == 1
