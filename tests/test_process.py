"""What a user sees from a real process: help, pipes, exit codes, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pmsync.cli.app import app


def pmsync(*args: str, db: Path, env: dict[str, str] | None = None):
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update({"PMSYNC_DB": str(db), "PMSYNC_TODAY": "2027-01-04", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "pmsync", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def _commands(group, path=()):
    import typer.main

    cmd = typer.main.get_command(group) if isinstance(group, typer.Typer) else group
    for name, sub in getattr(cmd, "commands", {}).items():
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
    db = tmp_path / "e.db"
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
