"""The schema as an ordered list of migrations; `PRAGMA user_version` says how many ran.

Never edit a migration that has shipped: add the next one. A migration is plain SQL
statements, so that the same list upgrades a local file (inside one transaction with the
version bump) and a cluster (as one atomic batch with it): a database is always at one
version or the next.
"""

from __future__ import annotations

import sqlite3

# 'pmsy': marks a file as pmsync's, so another program's SQLite file is never touched.
APPLICATION_ID = 0x706D7379


def _statements(script: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in script.split(";") if s.strip())


m001_initial = _statements(
    """
        CREATE TABLE pms (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            email TEXT,
            capacity REAL NOT NULL CHECK (capacity > 0),
            workdays TEXT NOT NULL DEFAULT 'mon,tue,wed,thu,fri',
            holidays TEXT,
            created TEXT NOT NULL
        );
        CREATE TABLE timeoff (
            id INTEGER PRIMARY KEY,
            pm_id INTEGER NOT NULL REFERENCES pms(id) ON DELETE CASCADE,
            start TEXT NOT NULL,
            "end" TEXT NOT NULL,
            reason TEXT,
            CHECK ("end" >= start)
        );
        CREATE TABLE deals (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            client TEXT NOT NULL,
            seller TEXT,
            kind TEXT,
            stage TEXT NOT NULL DEFAULT 'pipeline'
                CHECK (stage IN ('pipeline', 'signed', 'active', 'delivered', 'lost')),
            value REAL,
            probability REAL,
            promised TEXT,
            start TEXT,
            pm_id INTEGER REFERENCES pms(id),
            stakeholder TEXT,
            external_id TEXT UNIQUE,
            signed_on TEXT,
            signing_estimate_id INTEGER REFERENCES estimates(id),
            delivered_on TEXT,
            actual_hours REAL,
            lost_reason TEXT,
            created TEXT NOT NULL
        );
        CREATE INDEX deals_stage ON deals(stage);
        CREATE INDEX deals_pm ON deals(pm_id);
        CREATE TABLE promise_history (
            id INTEGER PRIMARY KEY,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            old TEXT,
            new TEXT,
            changed TEXT NOT NULL
        );
        CREATE INDEX promise_history_deal ON promise_history(deal_id);
        CREATE TABLE estimates (
            id INTEGER PRIMARY KEY,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            hours REAL NOT NULL CHECK (hours >= 0),
            low REAL,
            high REAL,
            author TEXT,
            note TEXT,
            created TEXT NOT NULL
        );
        CREATE INDEX estimates_deal ON estimates(deal_id, id);
        CREATE TABLE worklog (
            id INTEGER PRIMARY KEY,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            hours REAL NOT NULL CHECK (hours > 0),
            on_date TEXT NOT NULL,
            note TEXT,
            created TEXT NOT NULL
        );
        CREATE INDEX worklog_deal ON worklog(deal_id);
        CREATE TABLE terms (
            id INTEGER PRIMARY KEY,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'other',
            due TEXT NOT NULL,
            amount REAL,
            remind_days INTEGER NOT NULL DEFAULT 14,
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'met', 'missed', 'waived')),
            acknowledged_by TEXT,
            acknowledged_at TEXT,
            created TEXT NOT NULL
        );
        CREATE INDEX terms_deal ON terms(deal_id);
        CREATE TABLE updates (
            id INTEGER PRIMARY KEY,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            signal TEXT NOT NULL DEFAULT 'info',
            author TEXT,
            created TEXT NOT NULL
        );
        CREATE INDEX updates_deal ON updates(deal_id);
        """
)

m002_settings = _statements(
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE INDEX updates_created ON updates(created);
    """
)

# Without it every new estimate scans all deals for foreign-key references.
m003_signing_estimate_index = ("CREATE INDEX deals_signing_estimate ON deals(signing_estimate_id)",)

# A calendar that subscribes to the export must see the same UID for the same event,
# and a higher SEQUENCE when it changed: both are kept here between exports.
m004_calendar_events = _statements(
    """
    CREATE TABLE calendar_events (
        key TEXT PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        sequence INTEGER NOT NULL DEFAULT 0,
        fingerprint TEXT NOT NULL
    );
    CREATE INDEX deals_external_id ON deals(external_id)
    """
)

# Always empty: a write batch states what it decided from its reads as an insert here
# that happens only when the condition no longer holds, and the CHECK then aborts the
# batch (see storage.backend.Require). Works the same on a file and on a cluster.
m005_preconditions = ("CREATE TABLE preconditions (holds INTEGER NOT NULL CHECK (holds))",)

# On a cluster a batch whose answer was lost (the leader died after committing) is sent
# again: its id, inserted first, makes the second landing fail whole, and `results` holds
# what the first one returned. Old ids are pruned by the batches themselves.
m006_batches = _statements(
    """
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        at REAL NOT NULL,
        results TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX batches_at ON batches(at)
    """
)

# Corrections without SQL: a PM who leaves is archived (their delivered deals keep their
# name and count in history), and every correction of a record keeps the old value here,
# shown in the deal's history.
m007_corrections = _statements(
    """
    ALTER TABLE pms ADD COLUMN archived TEXT;
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY,
        deal_id INTEGER REFERENCES deals(id) ON DELETE CASCADE,
        record TEXT NOT NULL,
        record_id INTEGER,
        field TEXT NOT NULL,
        old TEXT,
        new TEXT,
        changed TEXT NOT NULL
    );
    CREATE INDEX corrections_deal ON corrections(deal_id)
    """
)

# When a deal was lost and a term closed: the Monday sync lists what happened since the last
# one. Rows from before keep NULL (their day is not known). And when a calendar event last
# changed, its DTSTAMP: a calendar that sees a new stamp on an unchanged event re-syncs it.
m008_closing_days = _statements(
    """
    ALTER TABLE deals ADD COLUMN lost_on TEXT;
    ALTER TABLE terms ADD COLUMN closed_on TEXT;
    ALTER TABLE calendar_events ADD COLUMN stamped TEXT
    """
)

# The Monday sync reads deliveries by day (the last week, the last 90 days, the latest few):
# without this it walks every deal the team ever delivered, three times.
m009_delivery_days = ("CREATE INDEX deals_delivered_on ON deals(stage, delivered_on)",)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    m001_initial,
    m002_settings,
    m003_signing_estimate_index,
    m004_calendar_events,
    m005_preconditions,
    m006_batches,
    m007_corrections,
    m008_closing_days,
    m009_delivery_days,
)
SCHEMA_VERSION = len(MIGRATIONS)


def upgrade(version: int, upto: int = SCHEMA_VERSION) -> list[str]:
    """The statements that take a database at `version` to `upto`, version bump included."""
    if version >= upto:
        return []
    steps = [statement for migration in MIGRATIONS[version:upto] for statement in migration]
    return [
        *steps,
        f"PRAGMA user_version = {int(upto)}",
        f"PRAGMA application_id = {APPLICATION_ID}",
    ]


def migrate(conn: sqlite3.Connection, upto: int = SCHEMA_VERSION) -> int:
    """Apply the migrations the file lacks, inside the caller's transaction."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    # Not executescript(): it commits first, and a migration must share the caller's
    # transaction with the version bump.
    for statement in upgrade(version, upto):
        conn.execute(statement)
    return version
