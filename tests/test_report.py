"""weekly-report: each section's content, in every format, and the email."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest

from .conftest import Cli

TITLE = "[draft] Acme <script>alert(1)</script> [/]"


@pytest.fixture
def office(tmp_path: Path) -> Cli:
    """A team on Monday 11 Jan 2027 with something in every section of the report.

    History: two deals delivered in the last 90 days (1.0x and 2.0x their estimate at
    signing) and one before (1.0x). Overruns drawn from {1, 1, 2}: P50 runs at the estimate,
    P80 at twice it, whatever the seed.
    """
    past = Cli(tmp_path / "office.db", today="2026-08-03")
    past("pm", "add", "Ann", "--capacity", "40", "--holidays", "US")
    past("pm", "add", "Ben", "--capacity", "40")
    for title, est, actual, delivered in (
        ("Old audit", 20, 20, "2026-08-20"),
        ("Recent audit", 30, 30, "2026-12-01"),
        ("Recent migration", 50, 100, "2026-12-15"),
    ):
        d = past(
            "deal",
            "add",
            title,
            "--client",
            "Old Co",
            "--kind",
            title.split()[1],
            "--stage",
            "signed",
            "--pm",
            "Ben",
            "--hours",
            str(est),
            "--json",
        ).json()
        past("deal", "deliver", str(d["id"]), "--on", delivered, "--actual-hours", str(actual))
    cli = Cli(tmp_path / "office.db", today="2027-01-11")
    old = Cli(tmp_path / "office.db", today="2026-12-01")
    # 4: newly signed, unrealistic: 80 h for Ann from 11 Jan ends 25 Jan (18 Jan is MLK day).
    cli(
        "deal",
        "add",
        TITLE,
        "--client",
        "Acme & Sons",
        "--seller",
        "Sam",
        "--stage",
        "signed",
        "--pm",
        "Ann",
        "--hours",
        "80",
        "--promised",
        "2027-01-15",
    )
    # 5: signed long ago, at risk: 40 h for Ben ends 15 Jan at P50, 22 Jan at P80.
    old(
        "deal",
        "add",
        "Data platform",
        "--client",
        "Globex",
        "--seller",
        "Priya",
        "--stage",
        "signed",
        "--pm",
        "Ben",
        "--hours",
        "40",
        "--promised",
        "2027-01-19",
    )
    # 6: pipeline, half likely. 7: signed without estimate or PM. 8: signed, no PM.
    cli(
        "deal",
        "add",
        "Expansion",
        "--client",
        "Globex",
        "--pm",
        "Ben",
        "--hours",
        "40",
        "--probability",
        "50",
        "--promised",
        "2027-02-05",
    )
    old("deal", "add", "Mystery work", "--client", "Initech", "--stage", "signed")
    old("deal", "add", "Orphan", "--client", "Initech", "--stage", "signed", "--hours", "12")
    # 9: over its estimate.
    old(
        "deal",
        "add",
        "Small fix",
        "--client",
        "Hooli",
        "--stage",
        "signed",
        "--pm",
        "Ann",
        "--hours",
        "10",
        "--promised",
        "2027-03-31",
    )
    old("deal", "log", "9", "12")
    cli(
        "term",
        "add",
        "4",
        "30% paid only after go-live | sign-off",
        "--due",
        "2027-01-20",
        "--kind",
        "payment",
        "--amount",
        "5000",
    )
    old(
        "term",
        "add",
        "5",
        "Pilot live before board meeting",
        "--due",
        "2027-01-05",
        "--kind",
        "deadline",
    )
    cli("term", "ack", "2", "--by", "Ben")
    cli("update", "add", "5", "Asked about a second site", "--signal", "upsell", "--by", "Ben")
    old("update", "add", "4", "Old news", "--signal", "churn-risk")
    return cli


def test_json_has_the_contract_keys_and_each_section(office: Cli) -> None:
    r = office("weekly-report", "--format", "json").json()
    assert {
        "as_of",
        "summary",
        "at_risk",
        "terms_due",
        "newly_signed",
        "capacity",
        "signals",
        "accuracy",
    } <= set(r)
    assert (r["as_of"], r["week_of"], r["weeks"]) == ("2027-01-11", "2027-01-11", 4)
    s = r["summary"]
    assert (s["open_deals"], s["unrealistic"], s["at_risk"]) == (6, 1, 1)
    assert (s["terms_due"], s["terms_overdue"], s["terms_at_risk"]) == (1, 1, 1)
    assert (s["signed_unestimated_deals"], s["signed_unassigned_hours"]) == (1, 12)
    assert s["amount_at_stake"] == 5000
    risk = r["at_risk"]
    assert [(x["deal_id"], x["verdict"]) for x in risk] == [(4, "unrealistic"), (5, "at-risk")]
    assert (risk[0]["promised"], risk[0]["forecast"], risk[0]["slip_days"]) == (
        "2027-01-15",
        "2027-02-08",
        15,
    )
    assert (risk[1]["forecast"], risk[1]["safe_date"]) == ("2027-01-22", "2027-01-22")
    terms = {t["id"]: t for t in r["terms_due"]}
    assert terms[1]["reasons"] == ["due-soon", "unacknowledged", "at-risk"]
    assert terms[2]["reasons"] == ["overdue"] and terms[2]["acknowledged_by"] == "Ben"
    assert [n["deal_id"] for n in r["newly_signed"]] == [4]
    assert r["newly_signed"][0]["terms"][0]["amount"] == 5000
    cap = {p["pm"]: p for p in r["capacity"]}
    ann, ben = cap["Ann"]["weeks"], cap["Ben"]["weeks"]
    assert [w["week"] for w in ann] == ["2027-01-11", "2027-01-18", "2027-01-25", "2027-02-01"]
    assert (ann[0]["available"], ann[0]["confirmed"], ann[0]["utilization"]) == (40, 80, 2.0)
    assert ann[1]["available"] == 32  # MLK day
    # Ben: 40 h over 7 working days to 19 Jan; the pipeline deal's 40 h over the 20 working
    # days to 5 Feb is 2 h a day, 1 h a day weighted by its 50 %.
    assert ben[0]["confirmed"] == pytest.approx(40 * 5 / 7, abs=0.01)
    assert ben[0]["expected"] == pytest.approx(40 * 5 / 7 + 5, abs=0.01)
    assert ben[0]["exposure"] == pytest.approx(40 * 5 / 7 + 10, abs=0.01)
    assert [u["text"] for u in r["signals"]["upsell"]] == ["Asked about a second site"]
    assert r["signals"]["churn-risk"] == []  # older than a week
    acc = r["accuracy"]
    assert (acc["overrun"], acc["previous_overrun"]) == (1.5, 1.0)
    assert [d["title"] for d in acc["delivered"]] == ["Recent migration", "Recent audit"]
    assert acc["median_hours_by_kind"]["audit"] == {"median_hours": 25, "deals": 2}
    missing = r["missing_data"]
    assert (missing["no_estimate"], missing["no_pm"], missing["over_estimate"]) == (
        [7],
        [7, 8],
        [9],
    )


def test_text_is_plain_ascii_100_columns_with_every_section(office: Cli) -> None:
    """100 columns, or as wide as a table needs to keep titles, dates and numbers whole."""
    from pmsync.present.document import TEXT_MAX_WIDTH

    out = office("weekly-report", "--format", "text").out
    assert "\x1b" not in out
    assert all(len(line) <= TEXT_MAX_WIDTH for line in out.splitlines())
    table_lines = [line for line in out.splitlines() if line and line[0] in "|+"]
    assert table_lines and all(line[-1] in "|+" for line in table_lines), "a table was cropped"
    borders = re.sub(r"[^\x00-\x7f]", "", out)
    assert borders == out, "non-ASCII characters in the plain-text report"
    for heading in (
        "Summary",
        "Promises at risk",
        "Special terms",
        "Newly signed",
        "Capacity",
        "Intel",
        "Lessons",
        "Missing data",
    ):
        assert f"\n{heading}" in out
    assert "Ann (wk 11 Jan 200%!)" in out
    assert "Free hours for new work:" in out and "Ben" in out
    assert "1.50x their estimate at signing (median), up from 1.00x" in out


def test_a_limited_report_counts_what_it_leaves_out(office: Cli) -> None:
    out = office("weekly-report", "--format", "text", "--limit", "1").out
    lessons = out[out.index("\nLessons") : out.index("\nMissing data")]
    assert "Recent migration" in lessons and "Recent audit" not in lessons
    assert "... and 1 more (all of them: --limit 0 or --format json)." in lessons
    # The overrun is over every recent delivery, not over the rows shown.
    assert "1.50x their estimate at signing (median), up from 1.00x" in out
    everything = office("weekly-report", "--format", "text", "--limit", "0").out
    assert "Recent audit" in everything and "more (all of them" not in everything


def test_piped_output_without_format_is_the_plain_text(office: Cli) -> None:
    assert office("weekly-report").out == office("weekly-report", "--format", "text").out


def test_user_text_comes_out_literally_in_every_format(office: Cli) -> None:
    text = office("weekly-report", "--format", "text").out
    assert "#4" + TITLE.replace(" ", "") in _first_column_cells(text)
    md = office("weekly-report", "--format", "markdown").out
    assert "[draft] Acme <script>alert(1)</script> [/]" in md
    assert "30% paid only after go-live \\| sign-off" in md  # a pipe cannot break the table
    html = office("weekly-report", "--format", "html").out
    assert "<script>" not in html
    assert "[draft] Acme &lt;script&gt;alert(1)&lt;/script&gt; [/]" in html
    assert "Acme &amp; Sons" in html


def _first_column_cells(text: str) -> set[str]:
    """The first cell of each table row in plain text, its wrapped pieces put back together
    (without spaces, since a long word may fold anywhere)."""
    cells, current = set(), ""
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= set("|-+"):
            continue
        first = line.split("|")[1].strip()
        if first.startswith("#") and current:
            cells.add(current)
            current = ""
        current += first.replace(" ", "")
    cells.add(current)
    return cells


def test_markdown_has_headings_and_pipe_tables(office: Cli) -> None:
    md = office("weekly-report", "--format", "markdown").out
    assert md.startswith("# pmsync weekly sync: week of 11 Jan 2027")
    assert "## Promises at risk" in md and "## Capacity" in md
    assert (
        "| Deal | Client | Seller / PM | Promised | Forecast | Slip | Safe date | Verdict |" in md
    )
    assert re.search(r"^\| #5 Data platform \| Globex \| Priya / Ben \| 2027-01-19 \|", md, re.M)


def test_html_is_a_complete_document_with_tables_and_inline_styles(office: Cli) -> None:
    html = office("weekly-report", "--format", "html").out
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<style" not in html
    assert html.count("<table") >= 6 and "<th style=" in html and "<td style=" in html
    assert "background:#ffebe9" in html  # over-100% cell in the heat map


def test_empty_sections_say_so(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    out = cli("weekly-report", "--format", "text").out
    for line in (
        "No promise is at risk this week.",
        "No open term needs attention.",
        "Nothing signed in the last 7 days.",
        "No updates in the last 7 days.",
        "No deals delivered in the last 90 days.",
        "Every open deal has an estimate, a PM and a promise.",
    ):
        assert line in out


def test_email_parses_into_text_and_html_with_the_headers(office: Cli) -> None:
    raw = office(
        "weekly-report",
        "--email",
        "--to",
        "sales-pm@example.com",
        "--to",
        "lead@example.com",
        "--from",
        "pmsync@example.com",
    ).out
    msg = email.message_from_string(raw, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["To"] == "sales-pm@example.com, lead@example.com"
    assert msg["From"] == "pmsync@example.com"
    assert msg["Subject"] == (
        "pmsync week of 11 Jan 2027: 1 promise unrealistic, 1 promise at risk, 2 terms due"
    )
    assert msg["Date"] and msg["Message-ID"].endswith("@example.com>")
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert "Promises at risk" in parts[0].get_content()
    assert "&lt;script&gt;" in parts[1].get_content()


def test_email_sender_defaults_to_the_setting(office: Cli) -> None:
    office("config", "set", "report_from", "team-lead@example.com")
    raw = office(
        "weekly-report", "--email", "--to", "x@example.com", "--subject", "Monday sync"
    ).out
    msg = email.message_from_string(raw, policy=email.policy.default)
    assert (msg["From"], msg["Subject"]) == ("team-lead@example.com", "Monday sync")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email"], "--to"),
        (["--to", "a@example.com"], "go with --email"),
        (["--email", "--to", "nobody"], "not an email address"),
        (["--email", "--to", "a@example.com", "--format", "html"], "leave out --format"),
        (["--format", "pdf"], "unknown format"),
        (["--weeks", "0"], "--weeks"),
        (["--weeks", "100"], "--weeks"),
        (["--email", "--to", "a@example.com", "--subject", "x\nBcc: evil@example.com"], "one line"),
    ],
)
def test_bad_report_options_exit_2(office: Cli, args, message) -> None:
    assert message in office.fails("weekly-report", *args).err


# -- what happened, and whether promises held --------------------------------------------


def _report(cli: Cli) -> dict:
    return cli("weekly-report", "--format", "json").json()


def test_promises_kept_by_seller_and_pm_as_they_stood_and_as_first_made(team: Cli) -> None:
    """Deal 1 (Sam, Ann) promised 15 Jan, moved to 22 Jan, delivered 20 Jan: kept as it
    stood, not as first made. Deal 2 (Ann) promised 29 Jan, delivered 1 Feb: missed."""
    team("deal", "update", "1", "--promised", "2027-01-22")
    team("deal", "deliver", "1", "--on", "2027-01-20")
    team("deal", "deliver", "2", "--on", "2027-02-01")
    later = Cli(team.db, "2027-02-03")
    kept = _report(later)["promises_kept"]
    assert kept["team"] == {
        "who": "team",
        "delivered": 2,
        "on_time": 1,
        "on_time_first_promise": 0,
        "moves": 1,
        "on_time_rate": 0.5,
    }
    assert [(k["who"], k["delivered"], k["on_time"]) for k in kept["by_pm"]] == [("Ann", 2, 1)]
    sellers = {k["who"]: (k["delivered"], k["on_time"]) for k in kept["by_seller"]}
    assert sellers["Sam"] == (1, 1)
    text = later("weekly-report", "--format", "text").out
    assert "Promises kept (last 90 days)" in text
    assert "1 of 2 delivered deals met the promise as it stood (50%)" in text
    # 90 days on, those deliveries no longer count.
    assert _report(Cli(team.db, "2027-05-05"))["promises_kept"]["team"]["delivered"] == 0


def test_since_last_week_lists_deliveries_losses_and_closed_terms(team: Cli) -> None:
    team("term", "add", "1", "Kickoff deck", "--due", "+1w", "--kind", "deadline")
    team("term", "add", "2", "Uptime", "--due", "+2w", "--kind", "sla")
    team("deal", "deliver", "1")
    team("deal", "lose", "3", "--reason", "budget")
    team("term", "met", "1")
    team("term", "missed", "2")
    since = _report(team)["since_last_week"]
    assert [d["deal_id"] for d in since["delivered"]] == [1]
    assert [(d["deal_id"], d["lost_reason"]) for d in since["lost"]] == [(3, "budget")]
    assert [(t["id"], t["status"]) for t in since["terms_closed"]] == [(1, "met"), (2, "missed")]
    text = team("weekly-report", "--format", "text").out
    assert "Since last week" in text and "SLA" in text
    # A week and a day later they are history, not news.
    assert _report(Cli(team.db, "2027-01-12"))["since_last_week"]["lost"] == []


def test_an_active_deal_without_hours_for_two_weeks_is_stale(team: Cli) -> None:
    team("deal", "log", "1", "2", "--on", "2026-12-14")
    stale = _report(team)["stale"]
    assert [(s["deal_id"], s["last_logged"], s["days"]) for s in stale] == [(1, "2026-12-14", 21)]
    team("deal", "log", "1", "1")
    assert _report(team)["stale"] == []


def test_the_week_s_windows_include_the_day_a_week_ago(team: Cli) -> None:
    """Deal 1 was signed on the fixture's today, a Monday: the next Monday's report,
    seven days later, still lists it (a deal signed after a Monday run is never missed)."""
    next_monday = Cli(team.db, "2027-01-11")
    assert 1 in [d["deal_id"] for d in _report(next_monday)["newly_signed"]]


def test_undated_work_is_spread_where_the_forecast_places_it(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    cli("deal", "add", "Open ended", "--client", "C", "--stage", "signed", "--pm", "Ann",
        "--hours", "80")  # fmt: skip
    weeks = _report(cli)["capacity"][0]["weeks"]
    assert [w["confirmed"] for w in weeks[:3]] == [40, 40, 0]
    assert max(w["utilization"] for w in weeks) <= 1.0


@pytest.mark.parametrize("width", [60, 80, 100, 120])
def test_a_terminal_of_any_width_keeps_each_deal_date_and_amount_whole(
    office: Cli, width: int
) -> None:
    """What a person sees in a terminal `width` columns wide: every at-risk deal with its id
    and title on one line, every date and amount unbroken, nothing past the edge. A table
    too wide becomes one record per block rather than losing its Deal column."""
    import io
    from datetime import date

    from rich.console import Console

    from pmsync.present import document
    from pmsync.present import report as view
    from pmsync.service.report import weekly_report
    from pmsync.service.session import Session

    report = weekly_report(Session(str(office.db), date.fromisoformat(office.today)), 4)
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, force_terminal=False)
    document.render_rich(view.to_document(report), console)
    out = buf.getvalue()
    lines = out.splitlines()
    assert all(len(line) <= width for line in lines), max(map(len, lines))
    data = view.to_json(report)
    assert data["at_risk"]
    for item in data["at_risk"]:
        assert any(f"#{item['deal_id']} {item['title']}" in line for line in lines), item
        assert item["promised"] in out and item["forecast"] in out
    for term in data["terms_due"]:
        assert term["due"] in out
        if term["amount"]:
            assert f"{term['amount']:,.0f}" in out


def test_over_100_percent_names_each_pm_once(cli: Cli) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    cli("deal", "add", "Crunch", "--client", "C", "--stage", "signed", "--pm", "Ann",
        "--hours", "160", "--promised", "+2w")  # fmt: skip
    text = cli("weekly-report", "--format", "text").out
    (line,) = [ln for ln in text.splitlines() if ln.startswith("Over 100%")]
    assert line.count("Ann") == 1 and line.count("wk ") >= 2


def test_a_local_sender_is_pointed_out(office: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pmsync.present.email.default_sender", lambda: "root@localhost")
    run = office("weekly-report", "--email", "--to", "team@example.com")
    assert "From: root@localhost" in run.out
    assert run.err.startswith("pmsync: note: the email comes from root@localhost")
    quiet = office("weekly-report", "--email", "--to", "t@example.com", "--from", "pm@example.com")
    assert quiet.err == ""
