"""Work over many PMs spread over the machine's cores.

A big team's forecast is a thousand queues that do not depend on each other, and one Python
process uses one core. When the work is big enough (and the machine is Linux), the PMs are
cut into contiguous shares of about equal work, a few per core, and the shares' numbers are
put in a pipe. Forked children and this process take numbers from it until it is empty (a
read of a few bytes from a pipe is atomic, so no share is taken twice), so the processes
balance themselves: a parent busy with other work (`meanwhile`) simply takes fewer. Each
child sends what it worked out back pickled through a pipe of its own.

A child inherits the loaded engine, so nothing is read twice; it never touches the database
connection or stdout, and it leaves with `os._exit`, so no buffer, handler or connection of
the parent's is flushed or closed twice. Each queue's forecast depends on its own PM alone
(counter-based draws keyed by PM and deal), so the answer is the same, bit for bit,
whichever process worked a queue out, and the shares are put back in order. A share a child
took but did not send back (it failed in any way) is worked out again by the parent:
forking is a speed-up, never a new way to fail. Only Linux forks: macOS's system libraries
are not safe to use in a forked child, and Windows cannot fork.
"""

from __future__ import annotations

import io
import os
import pickle
import select
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import IO, Generic, TypeVar

from pmsync.cores import workers

T = TypeVar("T")
R = TypeVar("R")

# Below this much work (deals x Monte-Carlo samples, or deals planned several times) a fork
# costs more than it saves: about 50 PMs' worth of the benchmark's queues.
MIN_WORK = 2_000_000
SHARES_PER_WORKER = 16  # small enough that the last share taken ends about with the others
_NUMBER = 4  # bytes of a share's number in the pipe
# A child that has not answered in this long is stuck (it never should be): it is killed and
# its work done here, so a command cannot hang on a child.
STUCK_S = 300.0


def shares(weights: Sequence[int], parts: int) -> list[range]:
    """At most `parts` contiguous, non-empty ranges of indices over `weights`, in order,
    of about equal total weight."""
    whole = sum(weights)
    cuts, c, acc = [0], 0, 0
    for k in range(1, parts):
        # Cut after the item that brings the shares so far up to their fair part.
        while c < len(weights) and acc * parts < whole * k:
            acc += weights[c]
            c += 1
        cuts.append(c)
    cuts.append(len(weights))
    return [range(a, b) for a, b in pairwise(cuts) if b > a]


def _forks_for(work: int) -> int:
    """How many processes `work` (in deal x sample units) is worth: 1 for no fork."""
    if (
        work < MIN_WORK
        or not sys.platform.startswith("linux")
        or threading.active_count() > 1  # a fork copies one thread: locks others hold stay held
    ):
        return 1
    return workers()


def background(work: Callable[[], R], weight: int) -> Callable[[], R]:
    """`work()` started now in a forked child when `weight` (deal x sample units) is worth
    it; the function returned gives its result, waiting for the child (or working it out
    here, then, if there is no child or it failed)."""
    child = _start(lambda: {0: work()}) if _forks_for(weight) > 1 else None

    def result() -> R:
        found = child.results() if child is not None else {}
        return found[0] if 0 in found else work()

    return result


def spread(
    work: Callable[[Sequence[T]], R],
    items: Sequence[T],
    weights: Sequence[int],
    per_weight: int = 1,
    meanwhile: Callable[[], object] | None = None,
) -> list[R]:
    """`work` applied to contiguous shares of `items`, the results in order; shares worked
    out by forked children as well as here when the whole (`sum(weights) * per_weight`) is
    worth it, else one share, here. `meanwhile` runs here first, once the children have
    started: work the shares do not need."""
    parts = _forks_for(sum(weights) * per_weight)
    if parts < 2:
        if meanwhile is not None:
            meanwhile()
        return [work(items)]
    cut = [[items[i] for i in r] for r in shares(weights, parts * SHARES_PER_WORKER)]
    done: dict[int, R] = {}
    children: list[_Child[R]] = []
    queue = _queue(len(cut))
    if queue is None:  # no pipe to share the numbers through: every share here
        if meanwhile is not None:
            meanwhile()
        return [work(share) for share in cut]
    try:

        def take() -> dict[int, R]:
            return _take(work, cut, queue)

        children = [c for c in (_start(take) for _ in range(parts - 1)) if c]
        if meanwhile is not None:
            meanwhile()
        done.update(_take(work, cut, queue))
        for child in children:
            done.update(child.results())
    finally:
        os.close(queue)
        for child in children:
            child.reap()
    # Shares a child took and never sent back are worked out here.
    return [done[i] if i in done else work(share) for i, share in enumerate(cut)]


def write_parts(
    render: Callable[[Sequence[T], bool, IO[str]], None],
    items: Sequence[T],
    out: IO[str],
    weight: int,
) -> None:
    """`render(part, first, sink)` of contiguous parts of `items`, all of it written on `out`
    in order. For a long list the parts past the first are rendered by forked children, each
    into a temporary file, while this process renders the first onto `out`; the files are
    then copied after it. A part whose child failed is rendered here. `weight`: what writing
    one item costs, in Monte-Carlo samples of a deal (as `MIN_WORK` counts)."""
    parts = _forks_for(len(items) * weight)
    target = getattr(out, "buffer", None)  # the bytes under the text, where files are copied
    if parts < 2 or target is None:
        render(items, True, out)
        return
    first, *rest = [items[r.start : r.stop] for r in shares([1] * len(items), parts)]
    children: list[tuple[_Child[bool] | None, IO[bytes], Sequence[T]]] = []
    try:
        for part in rest:
            tmp = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, in the parent
            children.append((_start(_rendering(render, part, tmp)), tmp, part))
        render(first, True, out)
        for child, file, part in children:
            if child is not None and child.results():
                out.flush()
                # Read at offsets: the child moved the file position it shares with us.
                fd, at = file.fileno(), 0
                while chunk := os.pread(fd, 1 << 20, at):
                    target.write(chunk)
                    at += len(chunk)
            else:
                render(part, False, out)
    finally:
        for child, file, _ in children:
            file.close()
            if child is not None:
                child.reap()


def _rendering(
    render: Callable[[Sequence[T], bool, IO[str]], None], part: Sequence[T], file: IO[bytes]
) -> Callable[[], dict[int, bool]]:
    """What a child writing `part` into `file` does; it sends back only that it did."""

    def produce() -> dict[int, bool]:
        sink = io.TextIOWrapper(file, encoding="utf-8", newline="")
        render(part, False, sink)
        sink.flush()
        return {0: True}

    return produce


def _queue(count: int) -> int | None:
    """A pipe holding the numbers 0..count-1, its writing end closed (an empty pipe then
    reads as its end); its reading end, or None without one."""
    data = b"".join(i.to_bytes(_NUMBER, "little") for i in range(count))
    try:
        read, write = os.pipe()
    except OSError:
        return None
    try:
        if os.write(write, data) != len(data):  # a pipe holds far more than 64 numbers
            os.close(read)
            return None
    finally:
        os.close(write)
    return read


def _take(work: Callable[[Sequence[T]], R], cut: list[list[T]], queue: int) -> dict[int, R]:
    """Work out shares, each number taken from the queue, until none is left."""
    done = {}
    while len(number := os.read(queue, _NUMBER)) == _NUMBER:
        i = int.from_bytes(number, "little")
        done[i] = work(cut[i])
    return done


class _Child(Generic[R]):
    """A forked child at work; `results` gets what it sent back (by share number)."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid: int | None = pid
        self.fd: int | None = fd

    def results(self) -> dict[int, R]:
        found: dict[int, R] = {}
        if self.fd is not None and select.select([self.fd], [], [], STUCK_S)[0]:
            # Unpickled as it arrives: the answer never stands in memory as bytes as well.
            with os.fdopen(self.fd, "rb", closefd=False) as stream:
                try:
                    found = pickle.load(stream)
                except Exception:  # cut short or garbled: its shares are worked out again
                    found = {}
        self.reap()
        return found

    def reap(self) -> None:
        """Wait for the child (killed first if what it sent was never read)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.pid is not None:
            try:
                if os.waitpid(self.pid, os.WNOHANG)[0] == 0:
                    os.kill(self.pid, 9)
                    os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = None


def _start(produce: Callable[[], dict[int, R]]) -> _Child[R] | None:
    """A child that sends back what `produce()` gives; None when none could be started."""
    try:
        read, write = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:
        _child_main(produce, read, write)
    os.close(write)
    return _Child(pid, read)


def _child_main(produce: Callable[[], dict[int, R]], read: int, write: int) -> None:
    """The child's whole life: work, send what it gave, leave; never back into the parent's
    code."""
    code = 1
    try:
        os.close(read)
        payload = pickle.dumps(produce(), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(payload)
        while view:
            view = view[os.write(write, view) :]
        code = 0
    except BaseException:  # the parent works it out again, and raises what it raises
        code = 1
    finally:
        os._exit(code)
