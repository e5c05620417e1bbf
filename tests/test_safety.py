"""Nothing typed by mistake loses data: reads never create, the demo only rebuilds its own
files, restore keeps what it replaces, implausible values and oversized ids are refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TODAY, Cli, new_database, snapshot

PMSYNC = str(Path(sys.executable).with_name("pmsync"))

READS = [
    ["deal", "list"],
    ["deal", "show", "1"],
    ["pm", "list"],
    ["pm", "show", "Ann"],
    ["estimate", "list", "1"],
    ["term", "list"],
    ["update", "list"],
    ["check-date", "--hours", "10"],
    ["weekly-report"],
    ["weekly-report", "--email", "--to", "team@example.com"],
    ["export", "deals"],
    ["export", "all", "--format", "json"],
    ["calendar"],
    ["config", "get"],
    ["db", "check"],
    ["worklog", "list"],
    ["pm", "list", "--all"],
]


def test_no_read_command_creates_a_database_or_a_folder(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "sub" / "pmsync.db"
    cli = Cli(missing)
    for args in READS:
        run = cli(*args, ok=False)
        assert run.code == 1, (args, run.out, run.err)
        assert run.err == (
            f"pmsync: no pmsync database at {missing}; give --db (or PMSYNC_DB) the team's "
            "database, or start one with a write (pmsync pm add NAME --capacity 40)\n"
        ), args
        assert run.out == ""
        assert not (tmp_path / "typo").exists(), args
    # db path only says where it would be, and makes nothing either.
    assert cli("db", "path").out.strip() == str(missing)
    assert not (tmp_path / "typo").exists()


def test_the_first_write_creates_the_database_in_private_folders(tmp_path: Path) -> None:
    path = tmp_path / "new" / "team" / "pmsync.db"
    Cli(path)("pm", "add", "Ann", "--capacity", "40")
    assert (path.stat().st_mode & 0o777) == 0o600
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    assert (path.parent.parent.stat().st_mode & 0o777) == 0o700


def test_an_empty_database_name_is_bad_input(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    for args, extra in ((["--db", ""], {}), ([], {"PMSYNC_DB": ""})):
        run = subprocess.run(
            [PMSYNC, *args, "deal", "list"],
            capture_output=True,
            text=True,
            env={**env, **extra},
        )
        if extra and run.returncode == 1:  # Typer reads an empty variable as unset
            assert "no pmsync database at" in run.stderr
            continue
        assert run.returncode == 2, run.stderr
        assert run.stderr.startswith("pmsync: --db (or PMSYNC_DB) is empty")
    assert list(tmp_path.iterdir()) == []


def test_the_cron_pipeline_mails_nothing_from_a_database_that_is_not_there(
    tmp_path: Path,
) -> None:
    """Cron runs as another user, or with another HOME: the default database is not the
    team's. The report must fail loudly rather than mail '0 promises at risk'."""
    home = tmp_path / "cron-home"
    home.mkdir()
    mailbox = tmp_path / "mailbox"
    sendmail = tmp_path / "sendmail"
    sendmail.write_text(f"#!/bin/sh\ncat > {mailbox}\n")
    sendmail.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMSYNC_", "XDG_"))}
    env["HOME"] = str(home)
    run = subprocess.run(
        [
            "bash",
            "-c",
            f"{PMSYNC} --today {TODAY} weekly-report --email --to team@example.com "
            f"| {sendmail} -t; echo ${{PIPESTATUS[0]}} >&2",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    lines = run.stderr.splitlines()
    assert lines[0].startswith("pmsync: no pmsync database at ")
    assert str(home) in lines[0]
    assert lines[1] == "1"  # pmsync's own exit code, for cron's MAILTO
    assert mailbox.read_text() == ""  # nothing was mailed
    assert [p.name for p in home.iterdir()] == []  # and no database was made


def test_the_demo_only_rebuilds_what_it_built(tmp_path: Path) -> None:
    team = tmp_path / "team.db"
    cli = Cli(team)
    cli("pm", "add", "Ann", "--capacity", "40")
    before = snapshot(team)
    refused = cli.fails("demo", "--demo-db", str(team))
    assert "is not a database the demo built; it was left untouched" in refused.err
    assert snapshot(team) == before
    text = tmp_path / "notes.txt"
    text.write_text("my notes\n")
    run = cli("demo", "--demo-db", str(text), ok=False)
    assert run.code == 1 and "not a pmsync database" in run.err
    assert text.read_text() == "my notes\n"
    empty = new_database(tmp_path / "empty.db")
    assert cli("demo", "--demo-db", str(empty), ok=False).code == 2
    # Its own file, again and again.
    demo = tmp_path / "demo.db"
    cli("demo", "--demo-db", str(demo))
    first = Cli(demo)("deal", "list", "--stage", "all", "--json").json()
    Cli(demo)("deal", "add", "Scratch", "--client", "X")
    cli("demo", "--demo-db", str(demo))
    assert Cli(demo)("deal", "list", "--stage", "all", "--json").json() == first


def test_export_makes_no_folder_tree_and_says_what_it_wrote(cli: Cli, tmp_path: Path) -> None:
    cli("deal", "add", "A", "--client", "C")
    missing = tmp_path / "nowhere" / "deep" / "out"
    run = cli.fails("export", "all", "--out", str(missing))
    assert f"there is no folder {missing.parent}" in run.err
    assert not (tmp_path / "nowhere").exists()
    done = cli("export", "all", "--out", str(tmp_path / "out"))
    assert done.out.startswith(f"Wrote {tmp_path / 'out' / 'deals.csv'} (1 rows), ")
    one = cli("export", "deals", "--out", str(tmp_path / "d.csv"))
    assert one.out == f"Wrote {tmp_path / 'd.csv'} (1 rows).\n"


@pytest.mark.parametrize(
    "args",
    [
        ["deal", "show", "{big}"],
        ["deal", "update", "{big}", "--title", "x"],
        ["deal", "sign", "{big}"],
        ["deal", "log", "{big}", "2"],
        ["deal", "deliver", "{big}"],
        ["deal", "lose", "{big}"],
        ["estimate", "add", "{big}", "10"],
        ["estimate", "list", "{big}"],
        ["term", "add", "{big}", "Pay", "--due", "+1w"],
        ["term", "met", "{big}"],
        ["term", "ack", "{big}", "--by", "Ann"],
        ["update", "add", "{big}", "news"],
        ["update", "list", "--deal", "{big}"],
        ["check-date", "{big}"],
        ["term", "list", "--deal", "{big}"],
    ],
)
def test_an_id_too_large_for_the_database_is_an_unknown_id(team: Cli, args: list[str]) -> None:
    for big in ("9223372036854775808", "99999999999999999999999999"):
        run = team.fails(*(a.replace("{big}", big) for a in args))
        kind = "term" if args[:2] in (["term", "met"], ["term", "ack"]) else "deal"
        assert run.err.startswith(f"pmsync: unknown {kind} {big}; see pmsync {kind} list"), run.err


def test_implausible_values_are_bad_input(team: Cli) -> None:
    """The team fixture: today 2027-01-04; deals 1 and 2 signed today, deal 3 pipeline."""
    assert "after today" in team.fails("deal", "log", "1", "3", "--on", "2027-02-08").err
    assert "before the signing" in team.fails("deal", "deliver", "1", "--on", "2026-12-01").err
    assert "years ago" in team.fails("deal", "sign", "3", "--on", "1900-01-01").err
    assert (
        "start 2027-03-01 is after the promised date"
        in team.fails("deal", "update", "1", "--start", "2027-03-01").err
    )
    assert (
        "after the promised date"
        in team.fails(
            "deal", "add", "X", "--client", "C", "--start", "+9w", "--promised", "+2w"
        ).err
    )
    assert (
        "after the promised date"
        in team.fails("check-date", "--hours", "10", "--start", "+9w", "--by", "+2w").err
    )
    long = team.fails("pm", "timeoff", "Ann", "0001-01-01", "9999-12-31")
    assert "give --long if it is meant" in long.err
    assert "give --long" in team.fails("pm", "timeoff", "Ann", "2027-03-01", "2099-03-01").err
    assert "under 0.5" in team.fails("pm", "add", "Zed", "--capacity", "1e-9").err
    assert "under 0.5" in team.fails("pm", "update", "Ann", "--capacity", "0.2").err
    # What is plausible still goes in.
    team("deal", "log", "1", "3", "--on", "2027-01-04")
    team("pm", "timeoff", "Ben", "2027-03-01", "2028-08-31", "--long")


# -- what a terminal is sent ---------------------------------------------------------------

NASTY = "Acme\x1b[31m\x07\r\nX\u202e\x9b2J"
RAW = set(NASTY) - set("AcmeX[31m2J")  # the control characters themselves


def _no_raw_controls(text: str, where: str) -> None:
    lines = text.split("\n")
    for line in lines:
        found = {c for c in line if c in RAW}
        assert not found, (where, line)


def test_text_a_person_or_a_csv_gave_is_shown_escaped_in_every_format(
    cli: Cli, tmp_path: Path
) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    added = cli("deal", "add", f"Title {NASTY}", "--client", NASTY, "--stage", "signed",
                "--pm", "Ann", "--hours", "40", "--promised", "+2w", "--seller", NASTY,
                "--kind", NASTY)  # fmt: skip
    assert "\\x1b[31m\\x07\\r\\nX\\u202e\\x9b2J" in added.out
    cli("term", "add", "1", f"Pay {NASTY}", "--due", "+1w")
    cli("update", "add", "1", f"News {NASTY}", "--signal", "risk", "--by", NASTY)
    cli("deal", "log", "1", "2", "--note", NASTY)
    cli("estimate", "add", "1", "48", "--note", NASTY, "--by", NASTY)
    outputs = {
        "deal add": added.out,
        "deal list": cli("deal", "list").out,
        "deal show": cli("deal", "show", "1").out,
        "term list": cli("term", "list").out,
        "update list": cli("update", "list").out,
        "estimate list": cli("estimate", "list", "1").out,
        "check-date": cli("check-date", "--hours", "40", "--by", "+1w", ok=False).out,
        "calendar": cli("calendar").out,
    }
    for fmt in ("text", "markdown", "html", "json"):
        outputs[f"report {fmt}"] = cli("weekly-report", "--format", fmt).out
    import email

    mail = email.message_from_string(cli("weekly-report", "--email", "--to", "t@x.org").out)
    for part in mail.walk():
        if not part.is_multipart():
            outputs[f"email {part.get_content_type()}"] = part.get_payload(decode=True).decode()
    for where, text in outputs.items():
        _no_raw_controls(text, where)
    assert "\\x1b" in outputs["report text"] and "\\x1b" in outputs["calendar"]
    assert "Title Acme\\x1b[31m" in outputs["deal list"]
    unknown = cli.fails("deal", "add", "T", "--client", "C", "--pm", NASTY)
    _no_raw_controls(unknown.err, "an error")


def _on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """What pmsync writes to a real terminal (a pseudo-terminal), as bytes."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [PMSYNC, *args], stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=30)
    os.close(leader)
    return b"".join(chunks)


def test_no_color_on_a_terminal_means_no_escape_codes(team: Cli) -> None:
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    args = ["--db", str(team.db), "--today", TODAY]
    for command, shown in (
        (["deal", "list"], b"Website relaunch"),
        (["check-date", "--hours", "40"], b"Earliest realistic date"),
        (["weekly-report"], b"Website relaunch"),
    ):
        styled = _on_a_terminal([*args, *command], env)
        assert b"\x1b[" in styled, command  # a terminal gets colour...
        plain = _on_a_terminal([*args, *command], {**env, "NO_COLOR": "1"})
        assert b"\x1b" not in plain, command  # ...unless NO_COLOR says no
        assert shown in plain
