"""The shared backend: a pmsync database on an rqlite cluster (Raft-replicated SQLite).

The same schema, SQL and batches as the local file. What differs:
- rqlite has no interactive transaction: a batch is one `/db/request?transaction` request,
  which lands whole or not at all. Batches never depend on a value read in Python (see
  storage.backend), so that is enough.
- A write whose answer was lost (the leader died after committing) is sent again. Its first
  statement inserts the batch's id into `batches`: a second landing fails there, whole, and
  the rows the first one returned are read back from that table, where the batch itself
  recorded them. So the rows a batch returns always come from that record, never from
  `RETURNING` (which rqlite drops for some statements, `RETURNING rowid` among them).
- Times are taken in Python and sent as values: `datetime('now')` would differ per node.
- rqlite 8.26.8 commits the statements before a failing one in a transaction when the
  failing one has `RETURNING` (it runs it as a query): a duplicate name would leave half a
  batch behind. So `RETURNING` is never sent; the batch's record gives the rows instead.
- JSON says 40 for the REAL 40.0: columns rqlite types as real are turned back into floats.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pmsync.errors import ClusterError, NoDatabase, TargetExists
from pmsync.storage.backend import Fetched, Health, Step, Write, WriteMany, health_of
from pmsync.storage.rqlite_client import Address, Client, Response, problem
from pmsync.storage.schema import APPLICATION_ID, SCHEMA_VERSION, upgrade

# How long a batch's id is kept for recognising a retry of it.
KEEP_BATCH_IDS_S = 7 * 24 * 3600
# The recall of a step that made one row: its id.
_NEW_ID = "json_array(json_array(last_insert_rowid()))"
_REALS = {"real", "float", "double"}
_RETURNING = re.compile(r"\s+RETURNING\s+[^;]*$", re.IGNORECASE)


def _rows(result: dict[str, Any]) -> Fetched:
    """One statement's result, shaped like a sqlite3 cursor, REALs as floats."""
    columns = result.get("columns") or []
    types = result.get("types") or []
    reals = [i for i, t in enumerate(types) if str(t).lower() in _REALS]
    rows = result.get("values") or []
    if reals:
        for row in rows:
            for i in reals:
                if type(row[i]) is int:
                    row[i] = float(row[i])
    description = [(c, None, None, None, None, None, None) for c in columns]
    return Fetched(description, [tuple(r) for r in rows])


def _statement(sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
    return [sql, params] if isinstance(params, dict) else [sql, *params]


def _body(statements: list[Any]) -> bytes:
    return json.dumps(statements, default=str).encode()


class RqliteCluster:
    """A pmsync database on the cluster `db` names (checked, and migrated, on opening)."""

    def __init__(self, db: str, timeout: float | None = None, create: bool = True) -> None:
        self.address = Address(db)
        self.location = str(self.address)
        self.client = Client(self.address, timeout)
        self._open(create)

    def close(self) -> None:
        self.client.close()

    def _fail(self, kind: str, detail: str = "", **extra: Any) -> ClusterError:
        return ClusterError(self.location, kind, detail, **extra)

    def _change(self, path: str, body: bytes, content_type: str = "application/json") -> Response:
        """A request that changes the database. Refused credentials here, after the reads
        that opened the database were let in, mean a user without write permission."""
        try:
            return self.client.request("POST", path, body, content_type)
        except ClusterError as exc:
            if exc.kind == "refused":
                raise self._fail("forbidden", user=self.address.user) from None
            raise

    # -- reads -----------------------------------------------------------------------------
    def _results(self, path: str, statements: list[Any]) -> list[dict[str, Any]]:
        response = self.client.request("POST", path, _body(statements))
        return self._decode(response)

    def _decode(self, response: Response) -> list[dict[str, Any]]:
        if response.status != 200:
            raise self._fail("failed", problem(response))
        top = response.json()
        if top.get("error"):
            raise self._fail("failed", str(top["error"]))
        results: list[dict[str, Any]] = top.get("results", [])
        return results

    def query_many(
        self, statements: Sequence[tuple[str, Sequence[Any] | dict[str, Any]]]
    ) -> list[Fetched]:
        """Several reads in one request, seeing one state of the database."""
        results = self._results(
            "/db/query?level=weak&transaction", [_statement(s, p) for s, p in statements]
        )
        for result in results:
            if "error" in result:
                raise self._fail("failed", str(result["error"]))
        return [_rows(r) for r in results]

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Fetched:
        return self.query_many([(sql, params)])[0]

    def aside(self, job: str) -> None:
        """Never: a cluster's reads are requests, each answered by the leader."""
        return None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        # No read transaction spans requests on a cluster: each read sees one committed
        # state, and the forecast reads its inputs in one request (query_many). A write
        # restates what it decided as preconditions, so a stale read never lands wrong.
        yield

    # -- opening ---------------------------------------------------------------------------
    def _open(self, create: bool = True) -> None:
        failed = ""
        for _ in range(3):
            version, app, fk, tables = (
                r.fetchall()[0][0]
                for r in self.query_many(
                    [
                        ("PRAGMA user_version", ()),
                        ("PRAGMA application_id", ()),
                        ("PRAGMA foreign_keys", ()),
                        ("SELECT count(*) FROM sqlite_master", ()),
                    ]
                )
            )
            if app != APPLICATION_ID and (app != 0 or version != 0 or tables):
                raise self._fail("foreign")
            if version > SCHEMA_VERSION:
                raise self._fail("newer", version=version, known=SCHEMA_VERSION)
            if not fk:
                raise self._fail("no-fk")
            if version == SCHEMA_VERSION:
                return
            if version == 0 and not create:  # nothing there yet, and reads don't make it
                raise NoDatabase(self.location)
            failed = self._upgrade(version)
        raise self._fail("failed", failed or "the schema kept changing while pmsync upgraded it")

    def _upgrade(self, version: int) -> str:
        """All missing migrations and the version bump in one batch. Two pmsyncs may
        upgrade at once: the second batch fails whole on a table the first made, and the
        version read again tells. Returns the error, if any."""
        response = self._change("/db/execute?transaction", _body(upgrade(version)))
        results = self._decode(response)
        return next((str(r["error"]) for r in results if "error" in r), "")

    # -- writes ----------------------------------------------------------------------------
    def apply(self, steps: Sequence[Step], dry_run: bool = False) -> list[list[tuple]]:
        batch_id = os.urandom(16).hex()
        now = time.time()
        statements: list[Any] = [
            ["INSERT INTO batches (id, at) VALUES (?, ?)", batch_id, now],
            ["DELETE FROM batches WHERE at < ?", now - KEEP_BATCH_IDS_S],
            # A deal points at its signing estimate and an estimate at its deal.
            ["PRAGMA defer_foreign_keys = ON"],
        ]
        owners: list[int | None] = [None] * len(statements)
        returning: list[int] = []
        for k, step in enumerate(steps):
            if isinstance(step, WriteMany):
                statements += [[step.sql, *row] for row in step.rows]
                owners += [k] * len(step.rows)
                continue
            if isinstance(step, Write) and step.returns:
                statements.append(_statement(_RETURNING.sub("", step.sql), step.params))
                owners.append(k)
                recall, params = step.recall or (_NEW_ID, ())
                statements.append(
                    [
                        "UPDATE batches SET results = json_insert(results, '$[#]', "
                        f"json({recall})) WHERE id = ?",
                        *params,
                        batch_id,
                    ]
                )
                owners.append(None)
                returning.append(k)
            else:
                statements.append(_statement(step.sql, step.params))
                owners.append(k)
        statements.append(["SELECT results FROM batches WHERE id = ?", batch_id])
        if dry_run:  # every statement ran and checked; this one undoes them all
            statements.append(["INSERT INTO preconditions (holds) VALUES (0)"])
        response = self._change("/db/request?transaction", _body(statements))
        results = self._decode(response)
        recorded: Any = None
        for i, result in enumerate(results):
            error = result.get("error")
            if error is None:
                if i == len(statements) - (2 if dry_run else 1):
                    recorded = result["values"][0][0]
                continue
            if i == 0 and "batches.id" in error:
                recorded = self._landed_before(batch_id)
                break
            if dry_run and i == len(statements) - 1:
                break
            owner = owners[i] if i < len(owners) else None
            step_error = steps[owner].error if owner is not None else None
            if step_error is not None and "constraint failed" in error:
                raise step_error
            raise self._fail("failed", error)
        if recorded is None:
            raise self._fail("failed", "the batch's result went missing")
        rows = json.loads(recorded)
        out: list[list[tuple]] = [[] for _ in steps]
        for k, found in zip(returning, rows, strict=True):
            out[k] = [tuple(r) for r in found]
        return out

    def _landed_before(self, batch_id: str) -> str:
        """A retried batch had already landed: what it recorded then."""
        found = self.query("SELECT results FROM batches WHERE id = ?", (batch_id,)).fetchall()
        if not found:
            raise self._fail("failed", "a batch id was taken by another batch")
        return str(found[0][0])

    # -- looking after the cluster ---------------------------------------------------------
    def check(self) -> Health:
        health = health_of(self, SCHEMA_VERSION)
        health.nodes = self._nodes()
        return health

    def _nodes(self) -> dict[str, str]:
        response = self.client.request("GET", "/nodes?nonvoters")
        if response.status != 200:
            raise self._fail("failed", problem(response))
        nodes: dict[str, Any] = response.json()
        if "nodes" in nodes and isinstance(nodes["nodes"], list):  # the newer shape
            nodes = {n.get("id", "?"): n for n in nodes["nodes"]}
        return {
            str(node_id): (
                "unreachable"
                if not info.get("reachable")
                else "leader"
                if info.get("leader")
                else "follower"
                if info.get("voter", True)
                else "read-only"
            )
            for node_id, info in sorted(nodes.items())
        }

    def backup(self, target: Path, overwrite: bool = False) -> None:
        """A consistent copy of the cluster's database, as a file that works on its own."""
        if target.exists() and not overwrite:
            raise TargetExists(target)
        response = self.client.request(
            "GET", "/db/backup", accept=lambda r: r.status == 200 or r.status < 500
        )
        if response.status != 200:
            raise self._fail("failed", problem(response))
        from pmsync.storage.sqlite_file import settle_copy

        settle_copy(response.body, target)

    def restore(self, source: Path) -> None:
        """Load a pmsync file (brought to this schema first) as the cluster's database."""
        from pmsync.storage.sqlite_file import upgraded_copy

        with tempfile.TemporaryDirectory(prefix="pmsync-restore-") as tmp:
            copy = Path(tmp) / "restore.db"
            upgraded_copy(source, copy)
            data = copy.read_bytes()
        response = self._change("/db/load", data, "application/octet-stream")
        self._decode(response)
        self._open()
