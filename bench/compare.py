"""Two pmsync installations side by side on the bench portfolios: is a change faster or slower?

    python bench/compare.py OLD_PMSYNC NEW_PMSYNC [--sizes 1000,10000,100000] [--runs 7]

OLD_PMSYNC and NEW_PMSYNC are the `pmsync` executables of two checkouts (each in its own
venv: `git worktree add ../old <commit>`). Every round runs each command once with each
installation, in alternating order, so both see the same phases of this machine's drifting
speed; the table gives the median wall-clock seconds and peak memory of each, and new ÷ old.
The portfolios are bench/run.py's (built on first use).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import TODAY, portfolio

# The same commands as bench/run.py's portfolio cases; --pm asks about the first PM.
CASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("check-date", ("check-date", "--hours", "80", "--by", "+6w")),
    ("check-date --pm", ("check-date", "--hours", "80", "--by", "+6w", "--pm", "{first_pm}")),
    ("deal list", ("deal", "list")),
    ("weekly-report", ("weekly-report",)),
)


def first_pm(db: Path) -> str:
    import sqlite3

    with sqlite3.connect(db) as con:
        return str(con.execute("SELECT name FROM pms ORDER BY id").fetchone()[0])


def run(pmsync: str, db: Path, args: tuple[str, ...]) -> tuple[float, float]:
    """Seconds and peak MB of one run, as its own process."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
        "e = time.perf_counter() - t; "
        "m = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
        "print(e, m, r.returncode, r.stderr.decode()[-200:].replace(chr(10), ' '))"
    )
    # Compiled bytecode is kept, as an installed pmsync has it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    args = tuple(a.format(first_pm=first_pm(db)) for a in args)
    out = subprocess.run(
        [sys.executable, "-c", code, pmsync, "--db", str(db), "--today", TODAY, *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.split(maxsplit=3)
    if out[2] not in ("0", "3", "4"):
        raise SystemExit(f"{pmsync} {' '.join(args)}: exit {out[2]}: {out[3:]}")
    return float(out[0]), int(out[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=7)
    opts = parser.parse_args()
    sizes = [int(s) for s in opts.sizes.split(",")]
    dbs = {n: portfolio(n) for n in sizes}
    for exe in (opts.old, opts.new):  # warm: compiled bytecode and the holiday cache
        for n in sizes:
            run(exe, dbs[n], CASES[0][1])
    times: dict[tuple[str, int, str], list[tuple[float, float]]] = {}
    started = time.perf_counter()
    for r in range(opts.runs):
        for n in sizes:
            for label, args in CASES:
                pair = (opts.old, opts.new) if r % 2 == 0 else (opts.new, opts.old)
                for exe in pair:
                    side = "old" if exe == opts.old else "new"
                    times.setdefault((label, n, side), []).append(run(exe, dbs[n], args))
    print("| command | open deals | old s | new s | new ÷ old | old MB | new MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        for label, _ in CASES:
            old = times[(label, n, "old")]
            new = times[(label, n, "new")]
            o, w = statistics.median(t for t, _ in old), statistics.median(t for t, _ in new)
            print(
                f"| {label} | {n:,} | {o:.3f} | {w:.3f} | {w / o:.2f} | "
                f"{max(m for _, m in old):.0f} | {max(m for _, m in new):.0f} |"
            )
    print(f"\n{opts.runs} rounds in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
