"""Every command's output on the demo team and a bench portfolio, for before/after diffs.

    python bench/outputs.py OUT_DIR            # writes OUT_DIR/NNN-<command>.txt
    diff -r before/ after/                     # a refactor must leave this empty

Each file holds the command line, its exit code, stdout and stderr. Reads and writes run in
one fixed order on a fresh demo database (writes change what later reads see, so the order
is part of the check), then read commands on the 1,000-deal bench portfolio. The times of
day in timestamps and the random UIDs of calendar events are masked: they differ from run
to run by design.
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
_TIME = re.compile(r"T\d\d:\d\d:\d\d")
# The email's and the calendar's own stamps of when they were written.
_STAMPS = re.compile(r"^(Date: .*|Message-ID: .*|DTSTAMP:\d{8}T\d{6}Z)$|={15}\d+==", re.MULTILINE)
_UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@pmsync")

READS = [
    ["deal", "list"],
    ["deal", "list", "--json"],
    ["deal", "list", "--stage", "all"],
    ["deal", "list", "--pm", "Ann"],
    ["deal", "list", "--stage", "delivered", "--json"],
    ["deal", "show", "1"],
    ["deal", "show", "1", "--json"],
    ["deal", "show", "3"],
    ["pm", "list"],
    ["pm", "list", "--json"],
    ["pm", "show", "Ann"],
    ["pm", "show", "ben", "--json"],
    ["estimate", "list", "1"],
    ["estimate", "list", "1", "--json"],
    ["term", "list"],
    ["term", "list", "--json"],
    ["term", "list", "--open", "--due-within", "30"],
    ["term", "list", "--unacknowledged", "--deal", "2"],
    ["update", "list"],
    ["update", "list", "--json", "--signal", "risk"],
    ["update", "list", "--since", "-1", "--deal", "1"],
    ["check-date", "--hours", "120", "--by", "+3w"],
    ["check-date", "--hours", "120", "--by", "+3w", "--json"],
    ["check-date", "--hours", "80"],
    ["check-date", "--hours", "80", "--json"],
    ["check-date", "--hours", "40", "--by", "+2w", "--pm", "Ann"],
    ["check-date", "--hours", "60", "--low", "40", "--high", "120", "--by", "+6w"],
    ["check-date", "--kind", "onboarding", "--by", "+6w", "--json"],
    ["check-date", "--kind", "nothing"],
    ["check-date", "1"],
    ["check-date", "1", "--by", "+10w", "--json"],
    ["check-date", "--hours", "80", "--include-pipeline", "--json"],
    ["weekly-report"],
    ["weekly-report", "--format", "markdown"],
    ["weekly-report", "--format", "html"],
    ["weekly-report", "--format", "json"],
    ["weekly-report", "--email", "--to", "team@example.com", "--from", "pm@example.com"],
    ["export", "deals"],
    ["export", "all", "--format", "json"],
    ["export", "pms", "--format", "json"],
    ["calendar"],
    ["config", "get"],
    ["config", "get", "--json"],
    ["db", "check", "--json"],
]

HELPS = [
    [*cmd, "--help"]
    for cmd in (
        [],
        ["check-date"],
        ["weekly-report"],
        ["deal"],
        ["deal", "add"],
        ["deal", "list"],
        ["deal", "update"],
        ["deal", "log"],
        ["pm"],
        ["pm", "add"],
        ["pm", "timeoff"],
        ["estimate"],
        ["term"],
        ["term", "add"],
        ["term", "list"],
        ["update"],
        ["import"],
        ["import", "deals"],
        ["export"],
        ["calendar"],
        ["config"],
        ["db"],
        ["db", "restore"],
        ["demo"],
    )
]

WRITES = [
    ["pm", "add", "Zed", "--capacity", "30", "--holidays", "GB", "--json"],
    ["pm", "add", "zed", "--capacity", "30"],
    ["pm", "add", "Yan", "--capacity", "0"],
    ["pm", "update", "Zed", "--capacity", "32", "--workdays", "mon-thu"],
    ["pm", "update", "Zed", "--name", "Ann"],
    ["pm", "update", "Nobody", "--capacity", "3"],
    ["pm", "timeoff", "Zed", "2027-02-01", "2027-02-05", "--reason", "ski", "--json"],
    ["pm", "timeoff", "Zed", "2027-02-05", "2027-02-01"],
    [
        "deal",
        "add",
        "Audit",
        "--client",
        "Acme",
        "--stage",
        "signed",
        "--pm",
        "Zed",
        "--hours",
        "40",
        "--low",
        "30",
        "--high",
        "60",
        "--promised",
        "+5w",
        "--json",
    ],
    ["deal", "add", "Later", "--client", "Hooli", "--hours", "20", "--external-id", "X-1"],
    ["deal", "add", "Twin", "--client", "Hooli", "--external-id", "X-1"],
    ["deal", "add", "NoClient"],
    ["deal", "add", "Bad", "--client", "C", "--pm", "Nobody"],
    ["deal", "add", "Bad", "--client", "C", "--stage", "active"],
    ["deal", "update", "Later", "--title", "x"],
    ["deal", "update", "99999", "--title", "x"],
    ["deal", "update", "43", "--promised", "+9w", "--json"],
    ["deal", "update", "43", "--promised", "+10w"],
    ["deal", "update", "43", "--stage", "delivered"],
    ["deal", "update", "1", "--title", "closed"],
    ["deal", "update", "44", "--pm", "none", "--seller", ""],
    ["deal", "update", "44", "--pm", "Zed", "--promised", "+8w"],
    ["deal", "update", "26", "--stage", "active"],
    ["deal", "sign", "1"],
    ["deal", "log", "44", "5"],
    ["deal", "sign", "44", "--on", "2027-01-05", "--json"],
    ["deal", "log", "44", "5", "--note", "kickoff"],
    ["deal", "log", "44", "3.5", "--json"],
    ["deal", "log", "1", "5000"],
    ["estimate", "add", "44", "90", "--by", "Zed", "--note", "more"],
    ["estimate", "add", "44", "90", "--low", "100"],
    ["estimate", "add", "1", "90"],
    ["check-date", "44", "--json"],
    ["deal", "deliver", "44", "--json"],
    ["deal", "deliver", "44"],
    ["deal", "deliver", "25"],
    ["deal", "lose", "25", "--reason", "budget"],
    ["deal", "lose", "25"],
    [
        "term",
        "add",
        "43",
        "Pay 30% on go-live",
        "--due",
        "+4w",
        "--kind",
        "payment",
        "--amount",
        "9000",
        "--json",
    ],
    ["term", "add", "43", "No due"],
    ["term", "ack", "1", "--by", "Zed"],
    ["term", "ack", "1", "--by", "Nobody"],
    ["term", "met", "1"],
    ["term", "met", "1"],
    ["term", "waive", "2", "--json"],
    ["update", "add", "43", "Sponsor moves", "--signal", "new-logo", "--by", "Zed"],
    ["update", "add", "1", "x", "--signal", "gossip"],
    ["config", "set", "at_risk_buffer", "5"],
    ["config", "set", "samples", "3"],
    ["config", "set", "colour", "blue"],
    ["pm", "remove", "Zed"],
    ["pm", "remove", "Ann"],
    ["import", "deals", "@crm.csv", "--dry-run"],
    ["import", "deals", "@crm.csv", "--json"],
    ["import", "deals", "@crm.csv"],
    ["deal", "show", "43", "--json"],
    ["deal", "show", "44"],
    ["deal", "list", "--stage", "all", "--json"],
    ["export", "all", "--format", "json"],
    ["calendar"],
]

CRM = """Deal Name,Associated Company,Amount,Close Date,Deal Stage,Deal owner,Record ID
Website relaunch,Globex,"$12,500.00",2027-02-15,closedwon,Sam,101
Data audit,Initech,4000,2027-03-01,appointmentscheduled,Priya,102
Lost cause,Hooli,900,2027-01-20,closedlost,Sam,103
"""


def run(pmsync: str, db: Path, args: list[str], work: Path) -> str:
    args = [str(work / a[1:]) if a.startswith("@") else a for a in args]
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
    proc = subprocess.run(
        [pmsync, "--db", str(db), "--today", TODAY, *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    text = f"$ pmsync {' '.join(args)}\nexit {proc.returncode}\n{proc.stdout}\n--stderr--\n"
    text += proc.stderr
    return masked(text.replace(str(work), "WORK"))


def masked(text: str) -> str:
    """An output with what differs from run to run by design (times of day in stamps, the
    email's Date and Message-ID, DTSTAMP, random UIDs) masked."""
    return _STAMPS.sub("STAMP", _UID.sub("UID", _TIME.sub("THH:MM:SS", text)))


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    pmsync = shutil.which("pmsync") or str(Path(sys.executable).with_name("pmsync"))
    bench = Path(__file__).resolve().parent / "out" / "portfolio-1000.db"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "crm.csv").write_text(CRM)
        db = work / "demo.db"
        subprocess.run(
            [pmsync, "--today", TODAY, "demo", "--demo-db", str(db)],
            check=True,
            capture_output=True,
        )
        n = 0
        for args in [*HELPS, *READS, *WRITES]:
            n += 1
            (out / f"{n:03d}-{'-'.join(args[:2])}.txt").write_text(run(pmsync, db, args, work))
        if bench.exists():
            copy = work / "bench.db"
            shutil.copy(bench, copy)
            for args in READS[:33]:
                n += 1
                name = f"{n:03d}-bench-{'-'.join(args[:2])}.txt"
                (out / name).write_text(run(pmsync, copy, args, work))
    print(f"{n} outputs in {out}")


if __name__ == "__main__":
    main()
