"""Fitting the tools a team already has: CRM imports, exports, the calendar feed."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, NamedTuple

from pmsync.storage.exchange import ImportResult
from pmsync.storage.store import EXPORT_TABLES

__all__ = ["EXPORT_TABLES", "ImportResult", "calendar_events", "export", "import_deals"]

if TYPE_CHECKING:
    from pmsync.core.crm import ImportRow
    from pmsync.service.session import Session


def import_deals(
    session: Session,
    rows: Sequence[ImportRow],
    dry_run: bool = False,
    write_if: Callable[[ImportResult], bool] = lambda result: True,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Match each CRM row to a deal and write every change in one batch, unless `dry_run`
    or `write_if(result)` says no (say, because rows were refused)."""
    from pmsync.storage.exchange import plan_import

    with session.store() as store:
        batch = session.batch()
        with store.snapshot():
            result = plan_import(store, rows, batch, session.today, progress)
        if write_if(result) and batch.steps:
            store.apply(batch.steps, dry_run=dry_run)
    return result


Table = tuple[list[str], Iterator[tuple]]


def export_database(session: Session, write: Callable[[int, dict[str, Table]], None]) -> None:
    """Hand `write` the schema version and every table of the database, whole (ids,
    stamps and all), read in one consistent view and streamed."""
    from pmsync.storage.schema import SCHEMA_VERSION
    from pmsync.storage.store import DATABASE_TABLES

    with session.reading() as store:
        write(SCHEMA_VERSION, {table: store.dump(table) for table in DATABASE_TABLES})


def import_database(session: Session, document: object, source: str) -> dict[str, int]:
    """Load a whole-database document (`export all --format json`) into an empty
    database, with the same ids: one batch, refused whole if anything in it does not fit.
    Returns the rows loaded per table."""
    from pmsync.errors import ImportMismatch, ImportNeedsEmpty
    from pmsync.storage.schema import SCHEMA_VERSION
    from pmsync.storage.store import DATABASE_TABLES

    tables = _check_document(document, source, SCHEMA_VERSION, DATABASE_TABLES)
    with session.store() as store:
        with store.snapshot():
            if store.holds_records():
                raise ImportNeedsEmpty(session.location)
            for table, rows in tables.items():
                known = set(store.columns(table))
                for i, row in enumerate(rows, 1):
                    unknown = sorted(set(row) - known)
                    if unknown:
                        raise ImportMismatch(
                            source, f"{table} record {i} has no field {unknown[0]}"
                        )
        batch = session.batch()
        batch.database_is_empty(ImportNeedsEmpty(session.location))
        if tables.get("settings"):
            # A new database may hold settings already (a default written on creation).
            batch.clear_settings()
        for table in DATABASE_TABLES:
            mismatch = ImportMismatch(source, f"a {table} record breaks a rule of the schema")
            batch.insert_rows(table, tables.get(table, []), mismatch)
        batch.references_hold(ImportMismatch(source, "a record points at one that isn't there"))
        store.apply(batch.steps)
    return {table: len(rows) for table, rows in tables.items()}


def _check_document(
    document: object, source: str, version: int, known: Sequence[str]
) -> dict[str, list[dict]]:
    from pmsync.errors import ImportMismatch

    if not isinstance(document, dict) or document.get("format") != "pmsync":
        raise ImportMismatch(
            source, "not a whole-database export (pmsync export all --format json)"
        )
    schema = document.get("schema")
    if not isinstance(schema, int) or schema > version:
        raise ImportMismatch(
            source, f"written by a newer pmsync (schema {schema}; this one knows {version})"
        )
    tables: dict[str, list[dict]] = {}
    for name, rows in document.items():
        if name in ("format", "schema"):
            continue
        if name not in known:
            raise ImportMismatch(source, f"unknown table {name!r}")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ImportMismatch(source, f"{name} is not a list of records")
        tables[name] = rows
    return tables


def export(
    session: Session, tables: Sequence[str], write: Callable[[dict[str, Table]], None]
) -> None:
    """Hand `write` the columns and rows of each table named, read in one consistent view
    and streamed: rows are read as `write` takes them."""
    with session.reading() as store:
        write({table: store.export_rows(table) for table in tables})


class CalendarEvent(NamedTuple):
    uid: str
    sequence: int
    day: date
    summary: str
    description: str
    remind_days: int = 0
    stamp: str = ""  # when the event last changed, UTC, ISO (its DTSTAMP)


# How a term's kind is written in a calendar's title.
_KIND_TITLES = {"sla": "SLA"}


def calendar_events(
    session: Session, before_write: Callable[[], None] = lambda: None
) -> list[CalendarEvent]:
    """Promised dates, forecast finishes of deals at risk and special-term due dates. Each
    event keeps its UID from export to export, and its SEQUENCE rises when it changes (kept
    in the database, in one batch). `before_write` runs before that batch (to open the
    output file: if it can't be, nothing is recorded)."""
    from pmsync.core.dates import human
    from pmsync.core.forecast import why_no_forecast
    from pmsync.core.verdicts import AT_RISK, UNREALISTIC
    from pmsync.service.forecasting import forecaster, portfolio

    planned: list[tuple[str, date, str, str, int]] = []
    with session.store(create=False) as store:
        with store.snapshot():
            engine = forecaster(store, session.today)
            forecasts = portfolio(engine)
            deals = engine.deals
            for d in deals.values():
                f = forecasts.get(d.id)
                if d.promised:
                    unknown = ""
                    if f is not None and f.cannot_forecast:
                        unknown = f" Cannot forecast: {why_no_forecast(f.cannot_forecast)}."
                    planned.append(
                        (
                            f"promise:{d.id}",
                            d.promised,
                            f"Promised: {d.title} ({d.client})",
                            f"Deal {d.id}, {d.stage}; PM {d.pm or 'none'}; "
                            f"seller {d.seller or '-'}.{unknown}",
                            0,
                        )
                    )
                if f and f.verdict in (AT_RISK, UNREALISTIC) and f.safe_finish:
                    planned.append(
                        (
                            f"forecast:{d.id}",
                            f.safe_finish,
                            f"Forecast finish ({f.verdict}): {d.title}",
                            f"Deal {d.id} is promised for {human(d.promised)}; "
                            f"the forecast says {human(f.safe_finish)}.",
                            0,
                        )
                    )
            for t in store.terms(open_only=True):
                deal = deals.get(t.deal_id) or store.deal(t.deal_id)
                planned.append(
                    (
                        f"term:{t.id}",
                        t.due,
                        f"{_KIND_TITLES.get(t.kind, t.kind.title())} due: {t.text}",
                        f"Special term {t.id} of deal {deal.id} ({deal.title}, {deal.client})"
                        + (f"; {t.amount:,.0f} at stake" if t.amount else "")
                        + ".",
                        t.remind_days,
                    )
                )
        batch = session.batch()
        steps = []
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for key, day, summary, description, remind in planned:
            print_ = f"{day}|{summary}|{description}|{remind}"
            fingerprint = hashlib.sha1(print_.encode()).hexdigest()
            steps.append(batch.calendar_event(key, f"{uuid.uuid4()}@pmsync", fingerprint, stamp))
        before_write()
        returned = store.apply(batch.steps) if batch.steps else []
    events = []
    for step, (_, day, summary, description, remind) in zip(steps, planned, strict=True):
        uid, sequence, stamped = returned[step][0]
        events.append(
            CalendarEvent(uid, sequence, day, summary, description, remind, stamped or stamp)
        )
    return events
