"""A read worked out in another process, on the same state of the file as this one's.

A big team's commands read its open deals and then its history (two hundred thousand
delivered deals), one after the other, before any forecast can start. Reading the history
in a second process while this one reads the deals takes the history off that path.

Both reads must see one state of the database. A second connection sees the latest commit,
not this connection's snapshot, so no commit may land between the two: this process takes
the write lock (`BEGIN IMMEDIATE` on a connection of its own, without waiting: a writer at
work means the read is simply done here), starts its own snapshot, starts the other process,
and lets go of the lock only once that process has started its snapshot too. Writers wait
those few tens of milliseconds as they wait for any writer. The other process is a new
interpreter, not a fork: SQLite's locks must never be shared with a forked copy of a process
that has the file open. It sends back the result pickled on its stdout; if anything goes
wrong the read is done here, in this process's snapshot, so the answer is the same.

    python -m pmsync.storage.aside JOB PATH      (what `start` runs)
"""

from __future__ import annotations

import os
import pickle
import select
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

# How long the other process may take to start its snapshot (it is a new interpreter).
READY_S = 10.0
_READY = b"R"


def _history(store: Any) -> Any:
    return store.history()


# The reads that may be done aside, by name (the other process is given the name).
JOBS: dict[str, Callable[[Any], Any]] = {"history": _history}


def start(path: Path, conn: sqlite3.Connection, job: str) -> Callable[[], Any] | None:
    """Start `job` in another process on `conn`'s snapshot, which must be in a read
    transaction that has read nothing yet; the function returned gives its result (None
    when it is done in this process: the caller then does it itself). This process may read
    on at once: a thread lets go of the lock once the other process has its snapshot."""
    try:
        lock = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    except sqlite3.Error:
        return None
    try:
        lock.execute("BEGIN IMMEDIATE")
        conn.execute("SELECT 1 FROM settings LIMIT 1").fetchall()  # this snapshot starts now
        child = subprocess.Popen(
            [sys.executable, "-m", "pmsync.storage.aside", job, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except (sqlite3.Error, OSError):  # a writer is at work, the file is read-only...
        lock.close()
        return None
    ready: list[bool] = []

    def let_go() -> None:
        try:
            assert child.stdout is not None
            got = select.select([child.stdout], [], [], READY_S)[0]
            ready.append(bool(got) and os.read(child.stdout.fileno(), 1) == _READY)
        finally:
            lock.close()  # the lock's transaction ends with it: writers may go on

    waiter = threading.Thread(target=let_go, name="pmsync-aside", daemon=True)
    waiter.start()

    def result() -> Any:
        waiter.join()
        value = None
        if ready and ready[0]:
            assert child.stdout is not None
            try:
                value = pickle.load(child.stdout)
            except Exception:  # cut short or garbled: the caller reads it itself
                value = None
        _stop(child)
        return value

    return result


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.kill()
    child.wait()
    if child.stdout is not None:
        child.stdout.close()


def main(argv: list[str]) -> int:
    """The other process: start a snapshot, say so, read, send the result, leave."""
    from pmsync.storage.sqlite_file import SqliteFile
    from pmsync.storage.store import Store

    job, path = JOBS[argv[0]], Path(argv[1])
    out = sys.stdout.buffer
    store = Store(SqliteFile(path, create=False))
    with store.snapshot():
        store.backend.query("SELECT 1 FROM settings LIMIT 1").fetchall()
        out.write(_READY)
        out.flush()
        pickle.dump(job(store), out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()
    return 0


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except BaseException:  # the parent reads it itself
        code = 1
    os._exit(code)
