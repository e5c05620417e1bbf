"""Instructions a command executes, counted by valgrind's callgrind: exact and repeatable,
where the wall clock on a shared VM drifts by a third. For before/after comparisons.

    python bench/instructions.py                          # the pmsync on PATH, demo team
    python bench/instructions.py /tmp/old/.venv/bin/python .venv/bin/python

Each interpreter runs `python -m pmsync` on its own copy of a demo team made by that
version, with bytecode caches written first (an installed package has them; a checkout
run with PYTHONDONTWRITEBYTECODE=1 would count the compiler too).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TODAY = "2027-01-11"
COMMANDS = [
    ["--help"],
    ["deal", "add", "Bench deal", "--client", "Bench", "--seller", "Sam", "--kind", "fixed"],
    ["deal", "list"],
    ["check-date", "--hours", "80", "--by", "2027-02-01"],
]


def count(python: str, db: Path, args: list[str]) -> int:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run = subprocess.run(
        [
            *("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"),
            *(python, "-m", "pmsync", "--db", str(db), "--today", TODAY, *args),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if found is None:
        sys.exit(f"callgrind gave no count for {args}: {run.stderr[-300:]}")
    return int(found.group(1))


def main() -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    pythons = sys.argv[1:] or [sys.executable]
    work = Path(tempfile.mkdtemp(prefix="pmsync-ir-"))
    teams = []
    for n, python in enumerate(pythons):
        team = work / f"demo-{n}.db"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run(
            [python, "-m", "pmsync", "--today", TODAY, "demo", "--demo-db", str(team)],
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        teams.append(team)
    print("| command | " + " | ".join(pythons) + " |")
    print("|---|" + "---:|" * len(pythons))
    for args in COMMANDS:
        cells = []
        for python, team in zip(pythons, teams, strict=True):
            copy = team.with_suffix(".run.db")
            shutil.copy(team, copy)
            cells.append(f"{count(python, copy, args) / 1e6:.1f} M")
        print(f"| `{' '.join(args)}` | " + " | ".join(cells) + " |")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
