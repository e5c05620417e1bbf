"""The habits the code keeps, enforced by the test command: ruff (lint and format) and mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_finds_nothing() -> None:
    run = _run("ruff", "check", "src", "tests", "bench", "scripts")
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_code_is_formatted() -> None:
    run = _run("ruff", "format", "--check", "src", "tests", "bench", "scripts")
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_type_checker_finds_nothing() -> None:
    run = _run("mypy")  # configured in pyproject.toml
    assert run.returncode == 0, run.stdout + run.stderr
