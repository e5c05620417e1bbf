"""Team mode beside a local file: the same commands, the same portfolios, in one run.

    npm ci                                   # the pinned rqlited
    python bench/team.py                     # 1k and 10k open deals, 5 runs each
    python bench/team.py --sizes 1000 --runs 3

A throw-away 3-node cluster on loopback (scripts/local_cluster.py) gets each bench
portfolio with `db restore --force`; a copy of the same file is the local database. Each
command runs as its own process, alternating file and cluster so that both see the
machine's drift alike; the table gives the median wall-clock seconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import TODAY, portfolio
from scripts.local_cluster import LocalCluster

COMMANDS = {
    "deal add": ["deal", "add", "Bench deal", "--client", "Bench", "--hours", "12"],
    "check-date": ["check-date", "--hours", "120", "--by", "+6w"],
    "weekly-report": ["weekly-report"],
}


def timed(db: str, args: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        ["pmsync", "--db", db, "--today", TODAY, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 3, 4):
        raise SystemExit(f"pmsync {' '.join(args)} on {db}: {proc.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    sizes = [int(s) for s in opts.sizes.split(",")]
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="pmsync-team-bench-") as tmp,
        LocalCluster(Path(tmp) / "cluster") as cluster,
    ):
        url = cluster.url()
        for size in sizes:
            source = Path(tmp) / f"portfolio-{size}.db"
            shutil.copy(portfolio(size), source)  # restore keeps what it replaces beside it
            local = Path(tmp) / f"local-{size}.db"
            shutil.copy(source, local)
            subprocess.run(
                ["pmsync", "--db", url, "db", "restore", str(source), "--force"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            for name, args in COMMANDS.items():
                times: dict[str, list[float]] = {"file": [], "cluster": []}
                for _ in range(opts.runs):
                    times["file"].append(timed(str(local), args))
                    times["cluster"].append(timed(url, args))
                file_s, cluster_s = (statistics.median(times[k]) for k in ("file", "cluster"))
                rows.append((size, name, file_s, cluster_s))
                print(f"{size:>7} {name:<14} file {file_s:6.2f} s  cluster {cluster_s:6.2f} s",
                      file=sys.stderr)  # fmt: skip
    print("| open deals | command | local file | 3-node cluster | cluster / file |")
    print("|---:|---|---:|---:|---:|")
    for size, name, file_s, cluster_s in rows:
        print(
            f"| {size:,} | `{name}` | {file_s:.2f} s | {cluster_s:.2f} s "
            f"| {cluster_s / file_s:.2f}× |"
        )


if __name__ == "__main__":
    main()
