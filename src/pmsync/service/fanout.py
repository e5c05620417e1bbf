"""Work over many PMs spread over the machine's cores.

A big team's forecast is a thousand queues that do not depend on each other, and one Python
process uses one core. When the work is big enough (and the machine is Linux), the PMs are
cut into contiguous shares of about equal work; each share but the first is worked out by a
forked child, which sends its answer back pickled through a pipe, while the parent works
out the first. A child inherits the loaded engine, so nothing is read twice; it never
touches the database connection or stdout, and it leaves with `os._exit`, so no buffer,
handler or connection of the parent's is flushed or closed twice.

Each queue's forecast depends on its own PM alone (counter-based draws keyed by PM and
deal), so the answer is the same, bit for bit, whichever process worked a queue out, and
the shares come back in order. A child that fails in any way has its share worked out again
by the parent: forking is a speed-up, never a new way to fail. Only Linux forks: macOS's
system libraries are not safe to use in a forked child, and Windows cannot fork.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Generic, TypeVar

from pmsync.errors import BadInput

T = TypeVar("T")
R = TypeVar("R")

WORKERS_ENV = "PMSYNC_WORKERS"
MOST_WORKERS = 4  # past this the parent spends more unpickling than the children save
# Below this much work (deals x Monte-Carlo samples, or deals planned several times) a fork
# costs more than it saves: about 100 PMs' worth of the benchmark's queues.
MIN_WORK = 2_000_000


def workers() -> int:
    """How many processes to use: PMSYNC_WORKERS when set (1: never fork), else the cores
    this process may run on, at most MOST_WORKERS."""
    given = os.environ.get(WORKERS_ENV, "").strip()
    if given:
        if not given.isdigit() or not 1 <= int(given) <= 64:
            raise BadInput(f"{WORKERS_ENV} must be a whole number from 1 to 64, not {given!r}")
        return int(given)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MOST_WORKERS))


def shares(weights: Sequence[int], parts: int, head: float = 0.0) -> list[range]:
    """`parts` contiguous ranges of indices over `weights` (fewer when there are fewer
    items) of about equal work, the first counted `head` times the whole heavier than its
    weights (the work its process does besides). Only the first may be empty."""
    whole = sum(weights)
    # The first share's fair part, less what its process does besides.
    mine = whole * (1 + head) / parts - whole * head
    first = _upto(weights, 0, mine) if parts > 1 else len(weights)
    cuts = [0, first]
    rest = whole - sum(weights[:first])
    for k in range(1, parts - 1):
        cuts.append(_upto(weights, first, rest * k / (parts - 1)))
    cuts.append(len(weights))
    ranges = [range(a, b) for a, b in pairwise(cuts)]
    return ranges[:1] + [r for r in ranges[1:] if r]


def _upto(weights: Sequence[int], start: int, part: float) -> int:
    """Where a share that begins at `start` ends: after the item that brings it to `part`."""
    c, acc = start, 0
    while c < len(weights) and acc < part:
        acc += weights[c]
        c += 1
    return c


def spread(
    work: Callable[[Sequence[T]], R],
    items: Sequence[T],
    weights: Sequence[int],
    per_weight: int = 1,
    meanwhile: Callable[[], object] | None = None,
    head: float = 0.0,
) -> list[R]:
    """`work` applied to contiguous shares of `items`, in order; shares past the first in
    forked children when the whole (`sum(weights) * per_weight`) is worth it, one share in
    this process otherwise. `meanwhile` runs in this process once the children have
    started: work the shares do not need, about `head` times as much as all the shares
    (a guess that only balances the processes), so this process takes that much less."""
    parts = workers()
    if (
        parts < 2
        or sum(weights) * per_weight < MIN_WORK
        or not sys.platform.startswith("linux")
        or threading.active_count() > 1  # a fork copies one thread: locks others hold stay held
    ):
        if meanwhile is not None:
            meanwhile()
        return [work(items)]
    mine, *theirs = shares(weights, parts, head if meanwhile is not None else 0.0)
    children = [_start(work, [items[i] for i in r]) for r in theirs]
    try:
        if meanwhile is not None:
            meanwhile()
        results = [work([items[i] for i in mine])] if mine else []
        for child in children:
            results.append(child.result())
    finally:
        for child in children:
            child.reap()
    return results


class _Child(Generic[T, R]):
    """A forked child working out one share; `result` gets its answer (or works the share
    out here if the child could not give it)."""

    def __init__(self, work: Callable[[Sequence[T]], R], share: list[T]) -> None:
        self.work, self.share = work, share
        self.pid: int | None = None
        self.fd: int | None = None

    def result(self) -> R:
        data = b""
        if self.fd is not None:
            chunks = []
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
        status = self.reap()
        if status == 0 and data:
            try:
                ok, value = pickle.loads(data)
            except Exception:  # a garbled answer: the share is worked out again below
                ok = False
            if ok:
                return value
        return self.work(self.share)

    def reap(self) -> int | None:
        """Wait for the child (killed if its answer was never read); its exit status."""
        status = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.pid is not None:
            try:
                pid, code = os.waitpid(self.pid, os.WNOHANG)
                if pid == 0:
                    os.kill(self.pid, 9)
                    _, code = os.waitpid(self.pid, 0)
                status = os.waitstatus_to_exitcode(code)
            except ChildProcessError:
                status = None
            self.pid = None
        return status


def _start(work: Callable[[Sequence[T]], R], share: list[T]) -> _Child[T, R]:
    child: _Child[T, R] = _Child(work, share)
    try:
        read, write = os.pipe()
    except OSError:
        return child  # no pipe: the share is worked out here
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return child
    if pid == 0:
        _child_main(work, share, read, write)
    os.close(write)
    child.pid, child.fd = pid, read
    return child


def _child_main(work: Callable[[Sequence[T]], R], share: list[T], read: int, write: int) -> None:
    """The child's whole life: work, send, leave; never back into the parent's code."""
    code = 1
    try:
        os.close(read)
        payload = pickle.dumps((True, work(share)), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(payload)
        while view:
            view = view[os.write(write, view) :]
        code = 0
    except BaseException:  # the parent works the share out again, and raises what it raises
        code = 1
    finally:
        os._exit(code)
