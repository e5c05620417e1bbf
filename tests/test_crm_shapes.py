"""CRM and spreadsheet exports as they really come: each file is made here from the headers
the CRMs document, in the encodings and separators their users' Excel writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Cli


def _file(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def _deals(cli: Cli) -> dict[str, dict]:
    return {d["title"]: d for d in cli("deal", "list", "--stage", "all", "--json").json()}


def test_hubspot_names_the_company_associated_company_primary(cli: Cli, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "hubspot.csv",
        "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,"
        "Associated Company (Primary),Associated Company IDs (Primary),Pipeline\n"
        "17,Rollout,closedwon,2027-01-15,Sam,12500,Globex,9981,Sales Pipeline\n",
    )
    run = cli("import", "deals", path, "--json").json()
    deal = _deals(cli)["Rollout"]
    assert (deal["client"], deal["stage"], deal["external_id"]) == ("Globex", "signed", "17")
    assert "Associated Company (Primary)" not in run["unknown_columns"]


PIPEDRIVE = (
    "Deal - ID,Deal - Title,Deal - Organization,Deal - Value,Deal - Currency,Deal - Status,"
    "Deal - Stage,Deal - Owner,Deal - Expected close date,Deal - Lost reason\n"
    "101,Website,Acme,15000,EUR,won,Negotiations Started,Sam,2027-02-01,\n"
    "102,Audit,Initech,4000,EUR,lost,Proposal Made,Priya,2027-03-01,Budget\n"
    "103,Migration,Hooli,9000,EUR,open,Contract signed,Sam,2027-04-01,\n"
)


def test_pipedrive_status_decides_the_stage_and_reimport_matches_by_deal_id(
    cli: Cli, tmp_path: Path
) -> None:
    path = _file(tmp_path, "pipedrive.csv", PIPEDRIVE)
    cli("import", "deals", path)
    deals = _deals(cli)
    assert {t: (d["client"], d["stage"], d["value"]) for t, d in deals.items()} == {
        "Website": ("Acme", "signed", 15000),
        "Audit": ("Initech", "lost", 4000),
        "Migration": ("Hooli", "pipeline", 9000),
    }
    assert deals["Audit"]["lost_reason"] == "Budget"
    again = cli("import", "deals", path, "--json").json()
    assert (again["added"], again["unchanged"]) == ([], 3)


def test_a_salesforce_report_footer_is_skipped_and_type_is_not_a_kind(
    cli: Cli, tmp_path: Path
) -> None:
    path = _file(
        tmp_path,
        "report.csv",
        "Opportunity Name,Account Name,Amount,Close Date,Stage,Type,Opportunity ID\n"
        "Data platform,Umbrella,45000,2027-03-15,Prospecting,New Customer,006A1\n"
        "Add-on,Hooli,9000,2027-01-31,Closed Won,Existing Customer,006A2\n"
        "\n"
        '"Confidential Information - Do Not Distribute"\n'
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n',
    )
    run = cli("import", "deals", path, "--json").json()
    assert len(run["added"]) == 2 and run["refused"] == []
    assert all(d["kind"] is None for d in _deals(cli).values())


def test_a_data_loader_id_is_the_crm_s_id_not_ours(cli: Cli, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "extract.csv",
        "ID,NAME,ACCOUNTID,STAGENAME,AMOUNT,CLOSEDATE\n"
        "0065g00000AbCdE,Renewal,0015g00000XyZ,Closed Won,1200,2027-01-10\n",
    )
    cli("import", "deals", path)
    deal = _deals(cli)["Renewal"]
    assert (deal["external_id"], deal["stage"], deal["value"]) == (
        "0065g00000AbCdE",
        "signed",
        1200,
    )


def test_excel_saves_semicolons_in_windows_1252_with_dotted_dates(cli: Cli, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "excel.csv",
        "Deal Name;Company;Amount;Close Date;Deal Stage\n"
        "Schulung;Müller GmbH;12.500,00 €;08.12.2026;Abgeschlossen und gewonnen\n"
        "Beratung;Café Zürich;900 €;03.04.2027;Abgeschlossen und verloren\n",
        "cp1252",
    )
    cli("import", "deals", path)
    deals = _deals(cli)
    assert deals["Schulung"]["client"] == "Müller GmbH"
    assert deals["Schulung"]["value"] == 12500
    assert deals["Schulung"]["signed_on"] == "2026-12-08"  # dotted dates are day-first
    assert deals["Beratung"]["stage"] == "lost"


@pytest.mark.parametrize(("name", "encoding"), [("unicode.txt", "utf-16"), ("tabs.tsv", "utf-8")])
def test_tab_separated_files_in_utf16_and_utf8(
    cli: Cli, tmp_path: Path, name: str, encoding: str
) -> None:
    path = _file(
        tmp_path,
        name,
        "Deal Name\tAssociated Company\tAmount\tDeal Stage\n"
        "Onboarding\tUmbrella, Inc.\t7000\tappointmentscheduled\n",
        encoding,
    )
    cli("import", "deals", path)
    assert _deals(cli)["Onboarding"]["client"] == "Umbrella, Inc."


def test_an_excel_workbook_gets_a_clear_message(cli: Cli, tmp_path: Path) -> None:
    book = tmp_path / "deals.xlsx"
    book.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40)
    said = cli.fails("import", "deals", str(book)).err
    assert "is an Excel workbook (.xlsx), not CSV" in said and "CSV UTF-8" in said


@pytest.mark.parametrize(
    ("stage", "ours"),
    [
        ("Abgeschlossen und verloren", "lost"),
        ("Verloren", "lost"),
        ("Perdu", "lost"),
        ("Gagné", "signed"),
        ("Closed Lost - won by competitor", "lost"),
        ("Closed Won", "signed"),
        ("closedlost", "lost"),
        ("Wonderland workshop", "pipeline"),
        ("Lostwithiel visit", "pipeline"),
    ],
)
def test_stage_words_are_whole_words_in_several_languages_and_lost_beats_won(
    stage: str, ours: str
) -> None:
    from pmsync.core.crm import map_stage

    assert map_stage(stage, []) == ours


def test_an_amount_that_is_a_guess_is_refused_with_the_reason(cli: Cli, tmp_path: Path) -> None:
    path = _file(tmp_path, "k.csv", "Deal Name,Amount\nBig one,€48k\nFine,48000\n")
    said = cli.fails("import", "deals", path).err
    assert "line 2: '€48k' is not an exact amount" in said
    assert _deals(cli) == {}


def test_zoho_closing_date(cli: Cli, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "zoho.csv",
        "Record Id,Deal Name,Account Name,Amount,Closing Date,Stage,Deal Owner\n"
        "zcrm_1,Portal,Initech,3000,2027-02-28,Closed Won,Priya\n",
    )
    cli("import", "deals", path)
    deal = _deals(cli)["Portal"]
    assert (deal["client"], deal["signed_on"], deal["seller"]) == ("Initech", "2027-02-28", "Priya")


def test_a_bad_record_is_named_by_the_line_it_starts_on(cli: Cli, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "multi.csv",
        'Deal Name,Amount,Close Date\n"Two\nline title",100,2027-01-01\nBroken,lots,2027-01-01\n',
    )
    assert "line 4: unreadable amount 'lots'" in cli.fails("import", "deals", path).err


def test_ids_a_spreadsheet_stripped_of_leading_zeros_still_match(cli: Cli, tmp_path: Path) -> None:
    cli("import", "deals", _file(tmp_path, "a.csv", "Deal Name,Record ID,Amount\nKept,0042,100\n"))
    again = _file(tmp_path, "b.csv", "Deal Name,Record ID,Amount\nKept,42,150\n")
    run = cli("import", "deals", again, "--json").json()
    assert run["added"] == [] and len(run["updated"]) == 1
    (deal,) = _deals(cli).values()
    assert (deal["external_id"], deal["value"]) == ("0042", 150)


def test_the_crm_s_currency_becomes_the_team_s_and_amounts_show_it(
    cli: Cli, tmp_path: Path
) -> None:
    run = cli("import", "deals", _file(tmp_path, "p.csv", PIPEDRIVE), "--json").json()
    assert run["currency"] == "EUR"
    assert cli("config", "get", "--json").json()["currency"] == "EUR"
    cli("pm", "add", "Ann", "--capacity", "40")
    cli("deal", "update", "3", "--pm", "Ann")
    cli("term", "add", "3", "Final invoice", "--due", "+1w", "--kind", "payment",
        "--amount", "4500")  # fmt: skip
    report = cli("weekly-report", "--format", "text").out
    assert "4,500 EUR" in report
    assert cli("weekly-report", "--format", "json").json()["summary"]["currency"] == "EUR"
    # A second file in another currency does not change the team's.
    other = PIPEDRIVE.replace("EUR", "USD").replace("101,", "201,").replace("102,", "202,")
    other = other.replace("103,", "203,")
    assert (
        cli("import", "deals", _file(tmp_path, "q.csv", other), "--json").json()["currency"] is None
    )
    assert cli("config", "get", "--json").json()["currency"] == "EUR"
    assert "three-letter code" in cli.fails("config", "set", "currency", "euros").err


def test_an_id_a_spreadsheet_wrote_as_a_number_still_finds_its_deal(
    cli: Cli, tmp_path: Path
) -> None:
    """Excel shows a long numeric id as 1.00001E+11 and saves it so: the deal is found by
    its title and client, and keeps the id it had."""
    first = "Deal Name,Company,Record ID,Amount\nKept,Acme,100001234567,100\nOther,Hooli,7,5\n"
    cli("import", "deals", _file(tmp_path, "a.csv", first))
    mangled = "Deal Name,Company,Record ID,Amount\nKept,Acme,1.00001E+11,150\nOther,Hooli,7.0,6\n"
    run = cli("import", "deals", _file(tmp_path, "b.csv", mangled), "--json").json()
    assert run["added"] == [] and len(run["updated"]) == 2
    deals = _deals(cli)
    assert (deals["Kept"]["external_id"], deals["Kept"]["value"]) == ("100001234567", 150)
    assert (deals["Other"]["external_id"], deals["Other"]["value"]) == ("7", 6)
