"""Big forecasts spread over processes: shares, forks, failures, and the same answers."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from pmsync import cores
from pmsync.errors import BadInput
from pmsync.service import fanout
from pmsync.service.session import Session

TODAY = date(2027, 1, 11)


@pytest.mark.parametrize(
    ("weights", "parts"),
    [([5, 1, 1, 1, 1, 1], 2), ([1] * 10, 3), ([3], 4), ([0, 0, 7, 0], 2), ([2, 9, 4, 4, 1], 4)],
)
def test_shares_cover_everything_once_in_order(weights: list[int], parts: int) -> None:
    ranges = fanout.shares(weights, parts)
    assert [i for r in ranges for i in r] == list(range(len(weights)))
    assert all(len(r) > 0 for r in ranges)
    assert len(ranges) <= parts


def test_shares_are_about_even() -> None:
    assert [len(r) for r in fanout.shares([1] * 100, 4)] == [25, 25, 25, 25]
    # A heavy first item is a share on its own.
    assert fanout.shares([50, 10, 10, 10, 10, 10], 2)[0] == range(1)


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Forks for any amount of work, with three processes; the pids of the children."""
    monkeypatch.setattr(fanout, "MIN_WORK", 1)
    monkeypatch.setenv(cores.WORKERS_ENV, "3")
    started: list[int] = []
    start = fanout._start

    def counting(*args):  # type: ignore[no-untyped-def]
        child = start(*args)
        if child is not None and child.pid is not None:
            started.append(child.pid)
        return child

    monkeypatch.setattr(fanout, "_start", counting)
    return started


class Signal:
    """A pipe a child writes a byte to, and the parent waits on (at most 30 s)."""

    def __init__(self) -> None:
        self.read, self.write = os.pipe()

    def send(self) -> None:
        os.write(self.write, b"x")

    def wait(self) -> None:
        import select

        assert select.select([self.read], [], [], 30)[0], "no child took a share"
        os.read(self.read, 1)


def test_children_take_shares_and_the_results_keep_their_order(forking: list[int]) -> None:
    parent, took = os.getpid(), Signal()

    def work(share: Sequence[int]) -> list[tuple[int, int]]:
        if os.getpid() != parent:
            took.send()
        return [(x, os.getpid()) for x in share]

    # This process waits until a child has worked a share: then it helps with the rest.
    results = fanout.spread(work, range(40), [1] * 40, meanwhile=took.wait)
    assert [x for share in results for x, _ in share] == list(range(40))
    pids = {pid for share in results for _, pid in share}
    assert pids - {parent} and pids <= {parent, *forking}
    assert len(forking) == 2


def test_the_shares_a_child_took_and_lost_are_worked_out_here(forking: list[int]) -> None:
    parent, took = os.getpid(), Signal()
    here: list[int] = []

    def work(share: Sequence[int]) -> list[int]:
        if os.getpid() != parent:
            took.send()
            os._exit(7)  # a child dying without a word, its share taken
        here.extend(share)
        return [x * x for x in share]

    results = fanout.spread(work, list(range(20)), [1] * 20, meanwhile=took.wait)
    assert [x for share in results for x in share] == [x * x for x in range(20)]
    assert sorted(here) == list(range(20))  # every share, the lost ones included, done here


def test_an_error_is_raised_as_it_would_be_without_children(forking: list[int]) -> None:
    def work(share: Sequence[int]) -> Sequence[int]:
        if 7 in share:
            raise BadInput("seven")
        return share

    with pytest.raises(BadInput, match="seven"):
        fanout.spread(work, list(range(9)), [1] * 9)
    assert len(forking) == 2


def test_meanwhile_runs_here_once(forking: list[int]) -> None:
    parent = os.getpid()
    ran: list[int] = []
    results = fanout.spread(
        lambda share: list(share),
        list(range(8)),
        [1] * 8,
        meanwhile=lambda: ran.append(os.getpid()),
    )
    assert ran == [parent]
    assert [x for share in results for x in share] == list(range(8))


def test_small_work_stays_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cores.WORKERS_ENV, "4")
    parent = os.getpid()
    assert fanout.spread(lambda share: [os.getpid()] * len(share), [1, 2], [1, 1]) == [
        [parent, parent]
    ]


@pytest.mark.parametrize("value", ["0", "two", "-1", "65"])
def test_a_bad_worker_count_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(cores.WORKERS_ENV, value)
    with pytest.raises(BadInput, match=cores.WORKERS_ENV):
        cores.workers()


@pytest.fixture(scope="module")
def portfolio_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pmsync.sample import Size
    from pmsync.service.admin import build_demo

    path = tmp_path_factory.mktemp("fanout") / "team.db"
    build_demo(Session(str(path), TODAY), Size(pms=9, open_deals=270, delivered=540), seed=4)
    return path


def _answers(db: Path) -> tuple:
    from pmsync.service.deals import listing
    from pmsync.service.forecasting import check_date
    from pmsync.service.report import weekly_report

    session = Session(str(db), TODAY)
    return (
        listing(session).forecasts,
        check_date(session, hours=120, promised=date(2027, 3, 1)),
        check_date(session, hours=60, low=40, high=150),
        weekly_report(session, 4),
    )


def test_the_same_answers_spread_or_not(
    portfolio_db: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    spread = _answers(portfolio_db)
    assert len(forking) >= 4  # the list, two checks and the report each started children
    monkeypatch.setenv(cores.WORKERS_ENV, "1")
    alone = _answers(portfolio_db)
    assert len(spread[0]) > 150
    assert list(spread[0].items()) == list(alone[0].items())
    assert spread[1:] == alone[1:]


def test_the_plan_pass_needs_no_history(portfolio_db: Path) -> None:
    """check-date plans every queue while history is read: planning must not ask for it."""
    from pmsync.core.forecast import Candidate
    from pmsync.service import forecasting

    session = Session(str(portfolio_db), TODAY)
    with session.reading() as store:
        engine = forecasting._check_engine(store, TODAY, False)
        learnt: list[str] = []
        real = engine._history
        assert callable(real)

        def history():  # type: ignore[no-untyped-def]
            learnt.append("history")
            return real()

        engine._history = history

        passes: list[int] = []

        def each(work, names, per_deal):  # type: ignore[no-untyped-def]
            done = work(names)
            passes.append(per_deal)
            if len(passes) == 1:
                assert learnt == []  # the plan pass
            return done

        result = engine.check(Candidate(hours=80, promised=date(2027, 2, 26)), each=each)
    assert learnt == ["history"]  # the full checks of the best few do need it
    assert len(passes) == 2 and passes[1] > passes[0]
    assert result.best.p80 is not None


def _written(tmp_path: Path, items: list[int], write_parts) -> str:  # type: ignore[no-untyped-def]
    """`items` rendered one per line through `write_parts` onto a real file."""
    import io

    def render(part: Sequence[int], first: bool, sink) -> None:  # type: ignore[no-untyped-def]
        for x in part:
            sink.write(("" if first and x == part[0] else ",") + f"{x}:{os.getpid()}\n")

    path = tmp_path / "out.txt"
    with open(path, "wb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
        out.write("[")
        write_parts(render, items, out)
        out.write("]")
    return path.read_text()


def test_a_long_list_written_in_parts_is_the_same_text(forking: list[int], tmp_path: Path) -> None:
    items = list(range(200))
    parts = _written(tmp_path, items, lambda r, i, o: fanout.write_parts(r, i, o, 1))
    assert len(forking) == 2  # two parts were written by children
    lines = parts.strip("[]").splitlines()
    assert [int(line.strip(",").split(":")[0]) for line in lines] == items
    assert len({line.split(":")[1] for line in lines}) == 3  # by three processes
    alone = _written(tmp_path, items, lambda r, i, o: r(i, True, o))
    strip = [line.split(":")[0] for line in alone.strip("[]").splitlines()]
    assert [line.split(":")[0] for line in lines] == strip


def test_a_part_whose_child_failed_is_written_here(forking: list[int], tmp_path: Path) -> None:
    parent = os.getpid()

    def render(part: Sequence[int], first: bool, sink) -> None:  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            sink.write("half a part")
            sink.flush()
            os._exit(3)
        for x in part:
            sink.write(f"{x}\n")

    path = tmp_path / "out.txt"
    import io

    with open(path, "wb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
        fanout.write_parts(render, list(range(30)), out, 1)
    assert len(forking) == 2  # both children started, and failed
    assert path.read_text() == "".join(f"{x}\n" for x in range(30))


def test_a_stuck_child_is_killed_and_its_work_done_here(
    forking: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import time

    monkeypatch.setattr(fanout, "STUCK_S", 0.5)
    parent = os.getpid()

    def work(share: Sequence[int]) -> list[int]:
        if os.getpid() != parent:
            time.sleep(60)  # a child that never answers
        return [x + 1 for x in share]

    started = time.monotonic()
    results = fanout.spread(work, list(range(12)), [1] * 12)
    assert [x for share in results for x in share] == [x + 1 for x in range(12)]

    def render(part: Sequence[int], first: bool, sink) -> None:  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            time.sleep(60)
        sink.write("".join(f"{x}\n" for x in part))

    import io

    path = tmp_path / "out.txt"
    with open(path, "wb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
        fanout.write_parts(render, list(range(30)), out, 1)
    assert path.read_text() == "".join(f"{x}\n" for x in range(30))
    assert time.monotonic() - started < 30  # not the children's minute
    assert len(forking) == 4
