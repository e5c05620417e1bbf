"""Benchmark pmsync as a user runs it: whole processes, several runs, median/min/max.

    python bench/run.py                      # start-up + the 1k and 10k portfolios
    python bench/run.py --sizes 1000,10000,100000 --runs 5

Portfolios are generated with a fixed seed (100 PMs per 10,000 open deals, two delivered
deals of history per open one) and kept in bench/out/ between runs. Each command runs as
its own process, every command once per round (this machine's speed drifts from minute to
minute, so each command sees every phase); the table gives wall-clock seconds and the peak
resident memory.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

TODAY = "2027-01-11"
OUT = Path(__file__).resolve().parent / "out"


def portfolio(open_deals: int, seed: int = 1, pms: int | None = None) -> Path:
    """The bench portfolio of `open_deals` (100 PMs per 10,000 unless `pms` says)."""
    from pmsync.sample import Size
    from pmsync.service.admin import build_demo
    from pmsync.service.session import Session

    team = pms or max(10, open_deals // 100)
    name = f"portfolio-{open_deals}" + (f"-{pms}pms" if pms else "")
    path = OUT / f"{name}.db"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    size = Size(pms=team, open_deals=open_deals, delivered=2 * open_deals)
    started = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    for suffix in ("", "-wal", "-shm"):  # what a build that was stopped left
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    if os.environ.get("PMSYNC_BENCH_BUILDER") != "1":
        # Built by a child process: a child forked from a parent this big would count the
        # parent's memory as its own peak (ru_maxrss), and every later measurement with it.
        code = (
            f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r}); "
            f"import bench.run as r; from pathlib import Path; r.OUT = Path({str(OUT)!r}); "
            f"r.portfolio({open_deals}, {seed}, {pms})"
        )
        env = {**os.environ, "PMSYNC_BENCH_BUILDER": "1"}
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        return path
    build_demo(Session(str(tmp), date.fromisoformat(TODAY)), size, seed=seed)
    # One self-contained file: fold the write-ahead log in before it is renamed.
    subprocess.run(["pmsync", "--db", str(tmp), "db", "backup", "--force", str(path)], check=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    print(
        f"built {path.name}: {size.pms} PMs, {open_deals} open, {2 * open_deals} delivered "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return path


def demo_team() -> Path:
    path = OUT / "demo.db"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["pmsync", "--today", TODAY, "demo", "--demo-db", str(path)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return path


def run_once(args: list[str], setup: Path | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB, and the exit code of one process."""
    db_args: list[str] = []
    if setup is not None:
        db_args = ["--db", str(setup)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["pmsync", *db_args, "--today", TODAY, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


class Case:
    """One command to time: its label, arguments and database."""

    def __init__(
        self, label: str, args: list[str], db: Path | None, fresh_copy: bool = False
    ) -> None:
        self.label, self.args, self.db, self.fresh_copy = label, args, db, fresh_copy
        self.times: list[float] = []
        self.peaks: list[float] = []

    def run(self) -> None:
        target = self.db
        if self.fresh_copy and self.db is not None:
            target = OUT / "scratch.db"
            shutil.copy(self.db, target)
        elapsed, peak, code = run_once(self.args, target)
        if code not in (0, 3, 4):
            raise SystemExit(f"{self.label}: pmsync exited {code}")
        self.times.append(elapsed)
        self.peaks.append(peak)

    def row(self) -> dict:
        return {
            "label": self.label,
            "median": statistics.median(self.times),
            "min": min(self.times),
            "max": max(self.times),
            "peak_mb": max(self.peaks),
        }


def crm_export(rows: int, seed: int = 1) -> Path:
    """A HubSpot-style export: BOM, `;`, currency amounts, day-first dates."""
    import random

    path = OUT / f"hubspot-{rows}.csv"
    if path.exists():
        return path
    rng = random.Random(seed)
    stages = ["Appointment Scheduled", "Closed Won", "Contract Sent", "Closed Lost"]
    lines = ["\ufeffRecord ID;Deal Name;Associated Company;Amount;Close Date;Deal Stage;Deal owner"]
    for i in range(rows):
        lines.append(
            f"{100000 + i};Deal {i};Client {rng.randrange(2000)};"
            f'"${rng.randrange(1000, 90000):,}.00";{rng.randint(13, 28)}/'
            f"{rng.randint(1, 12):02d}/2027;{rng.choice(stages)};Seller {i % 7}"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class ImportCase(Case):
    """Import into an empty database each run (the worst case: every row is new)."""

    def __init__(self, rows: int) -> None:
        self.csv = crm_export(rows)
        super().__init__(f"import deals ({rows:,} HubSpot rows)", ["import", "deals"], None)

    def run(self) -> None:
        target = OUT / "import.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        elapsed, peak, code = run_once([*self.args, str(self.csv)], target)
        if code != 0:
            raise SystemExit(f"import exited {code}")
        self.times.append(elapsed)
        self.peaks.append(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="open-deal counts")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument(
        "--few-pms",
        action="store_true",
        help="also the largest size with 100 PMs (1,000 deals each) instead of 1,000",
    )
    opts = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what users run: cached bytecode
    sizes = [int(s) for s in opts.sizes.split(",") if s]
    demo = demo_team()
    small = OUT / "small.db"
    if not small.exists():
        shutil.copy(demo, small)
    cases = [
        Case("pmsync --help", ["--help"], None),
        Case("deal list (demo team)", ["deal", "list"], small),
        Case(
            "deal add (demo team)",
            ["deal", "add", "Bench", "--client", "B", "--hours", "10"],
            small,
            fresh_copy=True,
        ),
        Case(
            "check-date --hours 80 --by +3w (demo team)",
            ["check-date", "--hours", "80", "--by", "+3w"],
            demo,
        ),
    ]
    portfolios = [(n, portfolio(n), "") for n in sizes]
    if opts.few_pms and sizes:
        portfolios.append((max(sizes), portfolio(max(sizes), pms=100), ", 100 PMs"))
    for n, db, note in portfolios:
        import sqlite3

        first_pm = sqlite3.connect(db).execute("SELECT name FROM pms ORDER BY id").fetchone()[0]
        for label, args in (
            ("check-date --hours 80 --by +6w", ["check-date", "--hours", "80", "--by", "+6w"]),
            (
                "check-date --pm",
                ["check-date", "--hours", "80", "--by", "+6w", "--pm", first_pm],
            ),
            ("deal list", ["deal", "list"]),
            ("deal list --json", ["deal", "list", "--json"]),
            ("weekly-report", ["weekly-report"]),
            ("export all --format json", ["export", "all", "--format", "json"]),
        ):
            cases.append(Case(f"{label} ({n:,} open{note})", args, db))
    cases.append(ImportCase(opts.import_rows))
    # Round-robin: this machine's speed drifts from minute to minute, so every command gets
    # a run in every phase instead of one command meeting a slow minute for all its runs.
    for _ in range(opts.runs):
        for case in cases:
            case.run()
    rows = [case.row() for case in cases]
    width = max(len(r["label"]) for r in rows)
    print(f"{'command':<{width}} | median s |  min s |  max s | peak MB")
    print(f"{'-' * width}-+----------+--------+--------+--------")
    for r in rows:
        print(
            f"{r['label']:<{width}} | {r['median']:8.3f} | {r['min']:6.3f} | {r['max']:6.3f} "
            f"| {r['peak_mb']:7.1f}"
        )
    by_label: dict[str, dict[int, float]] = {}
    for r in rows:
        if "open)" in r["label"]:  # the 100-PM portfolio is not part of the growth
            name, _, count = r["label"].rpartition(" (")
            by_label.setdefault(name, {})[int(count.split()[0].replace(",", ""))] = r["median"]
    for name, timing in by_label.items():
        ordered = sorted(timing)
        ratios = [
            f"{b:,}/{a:,} deals: x{timing[b] / timing[a]:.1f} time for x{b // a} deals"
            for a, b in itertools.pairwise(ordered)
        ]
        if ratios:
            print(f"growth of {name}: " + "; ".join(ratios))


if __name__ == "__main__":
    main()
