"""Bulk traffic with other tools: CRM imports, exports, and calendar event identities."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pmsync.core.crm import ImportRow, Rejected
from pmsync.core.dates import iso
from pmsync.storage.store import Store

_DEAL_COLUMNS = (
    "title",
    "client",
    "seller",
    "kind",
    "value",
    "probability",
    "promised",
    "start",
    "stakeholder",
    "external_id",
    "delivered_on",
    "actual_hours",
    "lost_reason",
)
# The life cycle only moves forward on import: a CRM that still says "won" about a deal
# that is already active or delivered does not move it back.
_ORDER = {"pipeline": 0, "signed": 1, "active": 2, "delivered": 3}
_SIGNED = ("signed", "active", "delivered")


def _forward(old: str, new: str) -> bool:
    if old in ("delivered", "lost"):
        return False
    return new == "lost" or _ORDER.get(new, -1) > _ORDER[old]


@dataclass
class ImportResult:
    added: list[tuple[int, str]] = field(default_factory=list)  # line, title
    updated: list[tuple[int, int, list[str]]] = field(default_factory=list)  # line, id, fields
    unchanged: int = 0
    refused: list[Rejected] = field(default_factory=list)


def import_deals(
    store: Store, rows: Sequence[ImportRow], progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Add new deals and update known ones (by external id, else by pmsync id and title)."""
    conn = store.conn
    result = ImportResult()
    pms = {name.lower(): (pm_id, name) for pm_id, name in conn.execute("SELECT id, name FROM pms")}
    by_external: dict[str, int] = {}
    current: dict[int, dict[str, Any]] = {}
    cols = ("id", "stage", "pm_id", *_DEAL_COLUMNS)  # current values, to find changes
    for r in conn.execute(f"SELECT {', '.join(cols)} FROM deals"):
        rec = dict(zip(cols, r, strict=True))
        current[rec["id"]] = rec
        if rec["external_id"]:
            by_external[rec["external_id"]] = rec["id"]
    latest = dict(
        conn.execute(
            "SELECT deal_id, hours FROM estimates WHERE id IN "
            "(SELECT max(id) FROM estimates GROUP BY deal_id)"
        )
    )
    next_deal = (conn.execute("SELECT coalesce(max(id), 0) FROM deals").fetchone()[0]) + 1
    next_est = (conn.execute("SELECT coalesce(max(id), 0) FROM estimates").fetchone()[0]) + 1
    now = store.now()
    new_deals, new_estimates, history, seen_external = [], [], [], set()
    for n, row in enumerate(rows):
        if progress and n % 500 == 0:
            progress(n)
        f = dict(row.fields)
        pm_id = None
        if f.get("pm"):
            found = pms.get(f["pm"].lower())
            if found is None:
                result.refused.append(Rejected(row.line, f"unknown PM '{f['pm']}'"))
                continue
            pm_id = found[0]
        ext = f.get("external_id")
        if ext and ext in seen_external:
            result.refused.append(Rejected(row.line, f"external id '{ext}' twice in the file"))
            continue
        if ext:
            seen_external.add(ext)
        target = by_external.get(ext) if ext else None
        if (
            target is None
            and not ext
            and f.get("id") in current
            and current[f["id"]]["title"] == f["title"]
        ):
            target = f["id"]
        if target is None:
            stage = f.get("stage", "pipeline")
            deal_id = next_deal
            next_deal += 1
            record = {
                c: iso(f.get(c)) if isinstance(f.get(c), date) else f.get(c) for c in _DEAL_COLUMNS
            }
            record.update(
                id=deal_id,
                stage=stage,
                pm_id=pm_id,
                created=now,
                signed_on=iso(f.get("signed_on") or (store.today if stage in _SIGNED else None)),
            )
            if f.get("hours"):
                new_estimates.append(
                    {
                        "id": next_est,
                        "deal_id": deal_id,
                        "hours": f["hours"],
                        "author": "import",
                        "created": now,
                    }
                )
                if stage in _SIGNED:
                    record["signing_estimate_id"] = next_est
                next_est += 1
            if ext:
                by_external[ext] = deal_id
            new_deals.append(record)
            result.added.append((row.line, f["title"]))
            continue
        changes = _changes(current[target], f, pm_id, latest.get(target))
        if not changes:
            result.unchanged += 1
            continue
        result.updated.append((row.line, target, sorted(changes)))
        _apply(store, target, current[target], changes, history, now)
    if new_deals:
        store.bulk_insert({"deals": new_deals, "estimates": new_estimates})
    if history:
        store.db["promise_history"].insert_all(history)
    if progress:
        progress(len(rows))
    return result


def _changes(
    cur: dict[str, Any], f: dict[str, Any], pm_id: int | None, hours: float | None
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for c in _DEAL_COLUMNS:
        if c in f:
            value = iso(f[c]) if isinstance(f[c], date) else f[c]
            if value != cur[c]:
                changes[c] = value
    if pm_id is not None and pm_id != cur["pm_id"]:
        changes["pm_id"] = pm_id
    stage = f.get("stage")
    if stage and stage != cur["stage"] and _forward(cur["stage"], stage):
        changes["stage"] = stage
    if f.get("hours") and f["hours"] != hours:
        changes["hours"] = f["hours"]
    return changes


def _apply(
    store: Store,
    deal_id: int,
    cur: dict[str, Any],
    changes: dict[str, Any],
    history: list[dict[str, Any]],
    now: str,
) -> None:
    if "promised" in changes:
        history.append(
            {"deal_id": deal_id, "old": cur["promised"], "new": changes["promised"], "changed": now}
        )
    hours = changes.pop("hours", None)
    if hours is not None:
        store.conn.execute(
            "INSERT INTO estimates (deal_id, hours, author, created) VALUES (?, ?, 'import', ?)",
            (deal_id, hours, now),
        )
    stage = changes.pop("stage", None)
    if changes:
        store.update_row("deals", deal_id, changes)
    if stage and cur["stage"] == "pipeline" and stage != "lost":
        store.set_stage(deal_id, "signed", signed_on=store.today)
    if stage and stage != "signed":
        store.update_row("deals", deal_id, {"stage": stage})
    cur.update(changes)
    if stage:
        cur["stage"] = stage


# -- export --------------------------------------------------------------------------

EXPORT_TABLES = ("deals", "pms", "estimates", "terms", "updates", "worklog")
_EXPORT_SQL = {
    "deals": """
        SELECT d.id, d.title, d.client, d.seller, d.kind, d.stage, d.value, d.probability,
               d.promised, d.start, p.name AS pm, d.stakeholder, d.external_id, d.signed_on,
               d.delivered_on, d.actual_hours, d.lost_reason,
               (SELECT hours FROM estimates WHERE id =
                   (SELECT max(id) FROM estimates WHERE deal_id = d.id)) AS hours
        FROM deals d LEFT JOIN pms p ON p.id = d.pm_id ORDER BY d.id""",
    "pms": """
        SELECT p.id, p.name, p.email, p.capacity, p.workdays, p.holidays,
               (SELECT group_concat(start || '..' || "end", '; ') FROM timeoff
                WHERE pm_id = p.id) AS timeoff
        FROM pms p ORDER BY p.id""",
    "estimates": """SELECT id, deal_id, hours, low, high, author AS "by", note, created
                    FROM estimates ORDER BY id""",
    "terms": """SELECT id, deal_id, text, kind, due, amount, remind_days, status,
                       acknowledged_by, acknowledged_at FROM terms ORDER BY id""",
    "updates": """SELECT id, deal_id, text, signal, author AS "by", created
                  FROM updates ORDER BY id""",
    "worklog": """SELECT id, deal_id, hours, on_date AS "on", note FROM worklog ORDER BY id""",
}


def export_rows(store: Store, table: str) -> tuple[list[str], Iterator[tuple]]:
    cur = store.conn.execute(_EXPORT_SQL[table])
    return [c[0] for c in cur.description], iter(cur)


# -- calendar identities -------------------------------------------------------------


def event_identity(store: Store, key: str, fingerprint: str) -> tuple[str, int]:
    """The event's stable UID, and its SEQUENCE: raised whenever its content changed."""
    row = store.conn.execute(
        "SELECT uid, sequence, fingerprint FROM calendar_events WHERE key = ?", (key,)
    ).fetchone()
    if row is None:
        uid = f"{uuid.uuid4()}@pmsync"
        store.conn.execute(
            "INSERT INTO calendar_events VALUES (?, ?, 0, ?)", (key, uid, fingerprint)
        )
        return uid, 0
    uid, sequence, old = row
    if old != fingerprint:
        sequence += 1
        store.conn.execute(
            "UPDATE calendar_events SET sequence = ?, fingerprint = ? WHERE key = ?",
            (sequence, fingerprint, key),
        )
    return uid, sequence
