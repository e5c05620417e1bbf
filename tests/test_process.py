"""What a user sees from a real process: help, pipes, exit codes, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pmsync.cli.app import app

from .conftest import new_database


def _run(argv: list[str], db: Path, env: dict[str, str] | None = None):
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update({"PMSYNC_DB": str(db), "PMSYNC_TODAY": "2027-01-04", **(env or {})})
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, env=full_env, timeout=120
    )


def pmsync(*args: str, db: Path, env: dict[str, str] | None = None):
    return _run(["-m", "pmsync", *args], db, env)


def _commands(group, path=()):
    import typer.main

    cmd = typer.main.get_command(group) if isinstance(group, typer.Typer) else group
    if not hasattr(cmd, "list_commands"):
        return
    ctx = typer.Context(cmd)
    for name in cmd.list_commands(ctx):
        sub = cmd.get_command(ctx, name)
        yield (*path, name), sub
        yield from _commands(sub, (*path, name))


def test_every_command_explains_itself() -> None:
    commands = list(_commands(app))
    assert len(commands) > 25
    for path, cmd in commands:
        assert (cmd.help or "").strip(), f"pmsync {' '.join(path)} has no help text"


def test_help_runs_in_a_real_process(tmp_path: Path) -> None:
    run = pmsync("--help", db=tmp_path / "x.db")
    assert run.returncode == 0 and "check-date" in run.stdout
    run = pmsync("check-date", "--help", db=tmp_path / "x.db")
    assert run.returncode == 0 and "--by" in run.stdout and "Exit codes" in run.stdout
    assert not (tmp_path / "x.db").exists(), "--help must not create the database"


def _python(code: str, *args: str, db: Path) -> subprocess.CompletedProcess:
    return _run(["-c", code, *args], db, {"COLUMNS": "100"})


def test_the_quick_top_level_help_is_what_typer_prints(tmp_path: Path) -> None:
    from pmsync.cli.commands import ROOT_HELP

    full = _python(
        "import sys; sys.argv[0] = 'pmsync'; from pmsync.cli.app import main; main()",
        "--help",
        db=tmp_path / "x.db",
    )
    assert full.returncode == 0, full.stderr
    assert full.stdout == ROOT_HELP, "update ROOT_HELP in pmsync/cli/commands.py to:\n" + (
        full.stdout
    )
    for args in ((), ("-h",), ("--help",), ("--db", "y.db", "--today=2027-01-04", "-h")):
        quick = pmsync(*args, db=tmp_path / "x.db", env={"COLUMNS": "100"})
        assert (quick.returncode, quick.stdout, quick.stderr) == (0, ROOT_HELP, "")
    from pmsync.cli.entry import _asks_for_top_level_help as asks

    assert asks([]) and asks(["--today", "+1d", "--help"]) and asks(["--db=a", "-h"])
    assert not asks(["--db", "a"]) and not asks(["deal", "--help"]) and not asks(["--db"])
    assert not asks(["--help", "deal"]) and not asks(["--json", "--help"])
    narrow = pmsync("--help", db=tmp_path / "x.db", env={"COLUMNS": "60"})
    assert narrow.returncode == 0 and narrow.stdout != ROOT_HELP
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60


def test_a_group_without_a_command_prints_its_help(tmp_path: Path) -> None:
    run = pmsync("deal", db=tmp_path / "x.db")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Usage: pmsync deal [OPTIONS] COMMAND")
    assert "list" in run.stdout and run.stderr == ""


# Modules a command must not load unless it uses them: start-up time is what a seller feels.
HEAVY = ("typer", "rich", "numpy", "sqlite_utils", "holidays", "icalendar", "dateutil")


def _loaded_after(args: list[str], db: Path) -> set[str]:
    code = (
        "import sys, atexit\n"
        "atexit.register(lambda: sys.stderr.write('LOADED ' + ' '.join(sys.modules) + '\\n'))\n"
        "sys.argv[0] = 'pmsync'\n"
        "from pmsync.cli.entry import main\n"
        "main()\n"
    )
    run = _python(code, *args, db=db)
    assert run.returncode in (0, 3, 4), run.stderr
    line = [x for x in run.stderr.splitlines() if x.startswith("LOADED ")][-1]
    return set(line.split()[1:])


def test_commands_load_only_what_they_use(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    top = {m.split(".")[0] for m in _loaded_after(["--help"], db)}
    assert not top & {*HEAVY, "sqlite3"}, top & {*HEAVY, "sqlite3"}
    pmsync("pm", "add", "Ann", "--capacity", "40", db=db)
    # A three-point estimate makes the forecast a Monte-Carlo: a small one runs without numpy.
    add = ["deal", "add", "Site", "--client", "Acme", "--pm", "Ann", "--stage", "signed"]
    for args in (
        [*add, "--hours", "10", "--low", "8", "--high", "20", "--promised", "+2w"],
        ["deal", "list"],
        ["pm", "list"],
        ["check-date", "--hours", "30", "--low", "20", "--high", "60", "--by", "+3w"],
    ):
        loaded = _loaded_after(args, db)
        heavy = {m.split(".")[0] for m in loaded} & set(HEAVY[1:])
        assert not heavy, (args, heavy)
        other_commands = {"pmsync.cli.report", "pmsync.cli.exchange", "pmsync.cli.config"}
        assert not loaded & other_commands, (args, loaded & other_commands)


def test_piped_output_has_no_escape_codes_and_stays_on_one_line(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    pmsync("pm", "add", "Ann", "--capacity", "40", db=db)
    long_title = "Enterprise onboarding with a very long title " * 3
    pmsync(
        "deal",
        "add",
        long_title,
        "--client",
        "Acme",
        "--stage",
        "signed",
        "--pm",
        "Ann",
        "--hours",
        "80",
        "--promised",
        "2027-01-08",
        db=db,
    )
    for args in (
        ["deal", "list"],
        ["check-date", "--hours", "10", "--by", "+1w"],
        ["deal", "show", "1"],
        ["pm", "list"],
    ):
        run = pmsync(*args, db=db)
        assert run.returncode in (0, 3, 4), run.stderr
        assert "\x1b[" not in run.stdout, args
    listed = pmsync("deal", "list", db=db).stdout
    assert any(long_title.strip() in line for line in listed.splitlines())


def test_errors_are_one_line_and_never_a_traceback(tmp_path: Path) -> None:
    db = new_database(tmp_path / "e.db")
    for args, code in (
        (["deal", "show", "12"], 2),
        (["pm", "add"], 2),
        (["check-date", "--hours", "5", "--by", "13/13/13"], 2),
        (["nonsense"], 2),
    ):
        run = pmsync(*args, db=db)
        assert run.returncode == code, (args, run.stderr)
        assert run.stderr.startswith("pmsync: ") and run.stderr.count("\n") == 1, run.stderr
        assert "Traceback" not in run.stderr


def test_a_broken_database_file_is_exit_1(tmp_path: Path) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    before = db.read_bytes()
    run = pmsync("deal", "list", db=db)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1
    assert db.read_bytes() == before


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {}])
def test_check_date_exit_codes_from_a_process(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "c.db"
    pmsync("pm", "add", "Ann", "--capacity", "40", db=db)
    assert (
        pmsync("check-date", "--hours", "40", "--by", "2027-01-20", db=db, env=env).returncode == 0
    )
    assert (
        pmsync("check-date", "--hours", "40", "--by", "2027-01-11", db=db, env=env).returncode == 3
    )
    assert (
        pmsync("check-date", "--hours", "40", "--by", "2027-01-05", db=db, env=env).returncode == 4
    )


def test_a_reader_that_leaves_early_is_not_an_error(tmp_path: Path) -> None:
    db = tmp_path / "pipe.db"
    pmsync("pm", "add", "Ann", "--capacity", "40", db=db)
    script = (
        f'"{sys.executable}" -m pmsync check-date --hours 40 --by 2027-01-05 | head -1;'
        ' echo "exit=${PIPESTATUS[0]}"'
    )
    run = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PMSYNC_DB": str(db), "PMSYNC_TODAY": "2027-01-04"},
    )
    assert run.stdout.splitlines()[0].startswith("Unrealistic:")
    assert run.stdout.splitlines()[-1] in ("exit=0", "exit=4")
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr
