"""CRM imports: each row of a CRM export matched to a deal, and the batch that writes them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pmsync.core import lifecycle
from pmsync.core.crm import ImportRow, Rejected
from pmsync.core.dates import iso
from pmsync.core.models import Estimate
from pmsync.storage.batch import Batch
from pmsync.storage.store import DEAL_COLUMNS, Store

# What a CRM row may set directly; the stage and the PM go through their own rules.
_DEAL_COLUMNS = tuple(c for c in DEAL_COLUMNS if c not in ("stage", "pm", "signed_on"))


@dataclass
class ImportResult:
    added: list[tuple[int, str]] = field(default_factory=list)  # line, title
    updated: list[tuple[int, int, list[str]]] = field(default_factory=list)  # line, id, fields
    unchanged: int = 0
    refused: list[Rejected] = field(default_factory=list)
    currency: str | None = None  # the file's currency, made the team's (it had none)


def plan_import(
    store: Store,
    rows: Sequence[ImportRow],
    batch: Batch,
    today: date,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Add new deals and update known ones (by external id, else by pmsync id and title):
    what would change goes into `batch`, what each row does into the result."""
    result = ImportResult()
    pms = store.pm_ids()
    by_external: dict[str, int] = {}
    # A spreadsheet that touched the export turned 0042 into 42: such ids still match.
    by_number: dict[str, int] = {}
    by_print: dict[tuple[str, str], int | None] = {}
    current: dict[int, dict[str, Any]] = {}
    cols = ("id", "stage", "pm_id", *_DEAL_COLUMNS)  # current values, to find changes
    for r in store.deal_rows(cols):
        rec = dict(zip(cols, r, strict=True))
        current[rec["id"]] = rec
        if rec["external_id"]:
            by_external[rec["external_id"]] = rec["id"]
            by_number.setdefault(_as_number(rec["external_id"]), rec["id"])
            # Title and client: what still names a deal when a spreadsheet wrote its id as
            # 1.00001E+11; kept only where it names one deal.
            print_ = _fingerprint(rec["title"], rec["client"])
            by_print[print_] = None if print_ in by_print else rec["id"]
    latest = store.latest_estimate_hours()
    seen_external: set[str] = set()
    currencies = {r.fields["currency"] for r in rows if r.fields.get("currency")}
    if len(currencies) == 1 and store.settings().currency is None:
        # Amounts in one currency, and the team has said none: this is the team's.
        (result.currency,) = currencies
        batch.set_setting("currency", result.currency)
    for n, row in enumerate(rows):
        if progress and n % 500 == 0:
            progress(n)
        f = dict(row.fields)
        f.pop("currency", None)
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
        if target is None and ext:
            target = by_number.get(_as_number(ext))
        if target is None and ext and by_print and _MANGLED.fullmatch(ext):
            target = by_print.get(_fingerprint(f["title"], f.get("client")))
        if target is not None and ext and ext != current[target]["external_id"]:
            f["external_id"] = current[target]["external_id"]  # keep the id as stored
        if (
            target is None
            and not ext
            and f.get("id") in current
            and current[f["id"]]["title"] == f["title"]
        ):
            target = f["id"]
        if target is None:
            _add(batch, f, pm_id, today)
            result.added.append((row.line, f["title"]))
            continue
        changes = _changes(current[target], f, pm_id, latest.get(target))
        if not changes:
            result.unchanged += 1
            continue
        result.updated.append((row.line, target, sorted(changes)))
        _update(batch, target, current[target], changes, today)
    if progress:
        progress(len(rows))
    return result


# An id as a spreadsheet rewrites a number: 42.0, 1.00001E+11.
_MANGLED = re.compile(r"\d+(\.\d+)?(E\+?\d+)?", re.IGNORECASE)


def _as_number(external_id: str) -> str:
    """An all-digit id without its leading zeros, or a trailing .0 (what a spreadsheet
    leaves of it)."""
    text = external_id.strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text.lstrip("0") or "0" if text.isdigit() else text


def _fingerprint(title: str | None, client: str | None) -> tuple[str, str]:
    return ((title or "").strip().casefold(), (client or "").strip().casefold())


def _add(batch: Batch, f: dict[str, Any], pm_id: int | None, today: date) -> None:
    stage = lifecycle.stage(f.get("stage", "pipeline"))
    signed = stage in lifecycle.SIGNED_STAGES
    # Fifty thousand rows: one lookup per column, dates (the only non-plain values) as text.
    values = map(f.get, _DEAL_COLUMNS)
    record = {
        c: v.isoformat() if type(v) is date else v
        for c, v in zip(_DEAL_COLUMNS, values, strict=True)
    }
    record.update(
        stage=stage.value,
        pm_id=pm_id,
        signed_on=iso(f.get("signed_on") or (today if signed else None)),
    )
    batch.import_deal(record, f.get("hours") or None, signed)


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
    if stage and lifecycle.import_move(cur["stage"], stage) is not None:
        changes["stage"] = stage
    if f.get("hours") and f["hours"] != hours:
        changes["hours"] = f["hours"]
    return changes


def _update(
    batch: Batch, deal_id: int, cur: dict[str, Any], changes: dict[str, Any], today: date
) -> None:
    changes = dict(changes)
    hours = changes.pop("hours", None)
    stage = changes.pop("stage", None)
    pm_id = changes.pop("pm_id", None)
    if changes:
        batch.update_deal(deal_id, changes)
    if pm_id is not None:
        batch.set_pm_id(deal_id, pm_id)
    if hours is not None:
        batch.add_estimate(Estimate(deal_id, hours, author="import"))
    if stage:
        target = lifecycle.stage(stage)
        if lifecycle.signs(cur["stage"], target):
            batch.sign(deal_id, today)
        if target != lifecycle.Stage.SIGNED:
            batch.set_stage(deal_id, target)
        cur["stage"] = stage
    cur.update(changes)
