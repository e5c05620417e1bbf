"""What PMs and sellers record about a deal: estimates, special terms, updates (intel)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from pmsync.core import terms as term_rules
from pmsync.core.lifecycle import OPEN_STAGES
from pmsync.core.models import Estimate, Term, Update, WorklogEntry
from pmsync.errors import DealClosed, NothingToReopen, TermNotOpen, UnknownRecord
from pmsync.storage.store import Store

if TYPE_CHECKING:
    from pmsync.service.session import Session


# -- estimates -------------------------------------------------------------------------


def add_estimate(session: Session, est: Estimate) -> Estimate:
    """A new estimate of an open deal's total hours; the latest counts."""
    with session.store() as store:
        with store.snapshot():
            d = store.deal(est.deal_id)
        if not d.is_open:
            raise DealClosed(est.deal_id, d.stage, "estimate")
        batch = session.batch()
        batch.deal_stage_in(d.id, OPEN_STAGES)
        made = batch.add_estimate(est)
        new_id = store.apply(batch.steps)[made][0][0]
        return store.estimates(est.deal_id, only=new_id)[0]


def estimates(session: Session, deal_id: int) -> list[Estimate]:
    with session.reading() as store:
        store.deal(deal_id)
        return store.estimates(deal_id)


# -- special terms -----------------------------------------------------------------------


def add_term(session: Session, term: Term, remind_days: int | None) -> Term:
    """A special term of a deal; `remind_days` None takes the team's setting."""
    from dataclasses import replace

    with session.store() as store:
        with store.snapshot():
            store.deal(term.deal_id)
            days = remind_days if remind_days is not None else store.settings().remind_days
        term = replace(term, remind_days=days)
        batch = session.batch()
        batch.deal_exists(term.deal_id)
        made = batch.add_term(term)
        return store.term(store.apply(batch.steps)[made][0][0])


class TermList(NamedTuple):
    terms: list[Term]
    at_risk: dict[int, date]  # term id -> the forecast finish it falls due before


def list_terms(
    session: Session,
    deal_id: int | None = None,
    open_only: bool = False,
    due_within: int | None = None,
    unacknowledged: bool = False,
) -> TermList:
    with session.reading() as store:
        terms = store.terms(deal_id=deal_id, open_only=open_only)
        if due_within is not None:
            horizon = session.today + timedelta(days=due_within)
            terms = [t for t in terms if t.due <= horizon]
        if unacknowledged:
            terms = [t for t in terms if not t.acknowledged_by]
        return TermList(terms, terms_at_risk(store, session.today, terms))


def terms_at_risk(store: Store, today: date, terms: list[Term]) -> dict[int, date]:
    """Open dated terms due before their deal's forecast finish -> that finish (the same
    rule as the weekly report's: `core.terms.at_risk`)."""
    from pmsync.core.models import DATED_TERM_KINDS
    from pmsync.service.forecasting import forecaster, portfolio

    dated = [t for t in terms if t.status == "open" and t.kind in DATED_TERM_KINDS]
    if not dated:
        return {}
    deals = {t.deal_id: store.deal(t.deal_id) for t in dated}
    pms = sorted({d.pm for d in deals.values() if d.pm and d.is_open})
    if not pms:
        return {}
    forecasts = portfolio(forecaster(store, today), pms)
    out = {}
    for t in dated:
        f = forecasts.get(t.deal_id)
        finish = f.safe_finish if f else None
        if finish is not None and term_rules.at_risk(t, today, finish):
            out[t.id] = finish
    return out


def acknowledge_term(session: Session, term_id: int, by: str) -> tuple[Term, str]:
    """A PM acknowledges a term; returns it and the PM's name as recorded."""
    with session.store() as store:
        with store.snapshot():
            pm = store.pm(by)
            store.term(term_id)
        batch = session.batch()
        batch.term_exists(term_id)
        batch.acknowledge_term(term_id, pm.name)
        store.apply(batch.steps)
        return store.term(term_id), pm.name


def close_term(session: Session, term_id: int, status: str) -> Term:
    """An open term is met, missed or waived."""
    with session.store() as store:
        with store.snapshot():
            current = store.term(term_id)
        if current.status != "open":
            raise TermNotOpen(term_id, current.status)
        batch = session.batch()
        batch.term_status_is(term_id, "open")
        batch.set_term_status(term_id, status)
        store.apply(batch.steps)
        return store.term(term_id)


def update_term(session: Session, term_id: int, changes: dict[str, object]) -> Term:
    """Correct a term's text, due date, kind, amount or reminder; each old value stays in
    its deal's history."""
    with session.store() as store:
        with store.snapshot():
            store.term(term_id)
        batch = session.batch()
        batch.term_exists(term_id)
        for field, value in changes.items():
            batch.correct("term", term_id, field, value)
        store.apply(batch.steps)
        return store.term(term_id)


def reopen_term(session: Session, term_id: int) -> Term:
    """A term marked met, missed or waived by mistake is open again."""
    with session.store() as store:
        with store.snapshot():
            current = store.term(term_id)
        if current.status == "open":
            raise NothingToReopen(term_id)
        batch = session.batch()
        batch.term_status_is(term_id, current.status)
        batch.correct("term", term_id, "status", "open")
        store.apply(batch.steps)
        return store.term(term_id)


# -- worklog corrections -------------------------------------------------------------


def worklog(
    session: Session,
    deal_id: int | None = None,
    pm: str | None = None,
    since: date | None = None,
) -> list[WorklogEntry]:
    with session.reading() as store:
        pm_id = store.pm(pm).id if pm else None
        return store.worklog_entries(deal_id, pm_id, since)


def update_worklog(session: Session, entry_id: int, changes: dict[str, object]) -> WorklogEntry:
    """Correct an entry's hours, day or note; each old value stays in the deal's history,
    and the deal's remaining hours follow."""
    from pmsync.core.rules import check_worked_on

    if isinstance(changes.get("on"), date):
        check_worked_on(changes["on"], session.today)  # type: ignore[arg-type]
    with session.store() as store:
        with store.snapshot():
            store.worklog_entry(entry_id)
        batch = session.batch()
        batch.record_exists("worklog", entry_id, UnknownRecord("worklog entry", entry_id))
        for field, value in changes.items():
            batch.correct("worklog", entry_id, field, value)
        store.apply(batch.steps)
        return store.worklog_entry(entry_id)


def remove_worklog(session: Session, entry_id: int) -> WorklogEntry:
    """An entry logged by mistake (on the wrong deal, say) is gone; it stays in the deal's
    history. Returns it as it was."""
    return _remove(session, "worklog", "worklog entry", entry_id, Store.worklog_entry)


R = TypeVar("R")


def _remove(
    session: Session, record: str, kind: str, record_id: int, read: Callable[[Store, int], R]
) -> R:
    """Remove one record a person added by mistake; the deal's history keeps it."""
    with session.store() as store:
        with store.snapshot():
            found = read(store, record_id)
        batch = session.batch()
        batch.record_exists(record, record_id, UnknownRecord(kind, record_id))
        batch.remove_record(record, record_id)
        store.apply(batch.steps)
        return found


# -- updates (intel) -------------------------------------------------------------------


def add_update(session: Session, update: Update) -> Update:
    with session.store() as store:
        with store.snapshot():
            store.deal(update.deal_id)
        batch = session.batch()
        batch.deal_exists(update.deal_id)
        made = batch.add_update(update)
        return store.update(store.apply(batch.steps)[made][0][0])


def list_updates(
    session: Session,
    deal_id: int | None = None,
    since: date | None = None,
    signal: str | None = None,
) -> list[Update]:
    with session.reading() as store:
        return store.updates(deal_id=deal_id, since=since, signal=signal)


def remove_update(session: Session, update_id: int) -> Update:
    """An update added by mistake is gone; it stays in the deal's history."""
    return _remove(session, "update", "update", update_id, Store.update)
