"""Special terms: why one needs attention this week."""

from __future__ import annotations

from datetime import date, timedelta

from pmsync.core.models import DATED_TERM_KINDS, Term
from pmsync.core.words import Word


class TermReason(Word):
    OVERDUE = "overdue"
    AT_RISK = "at-risk"
    DUE_SOON = "due-soon"
    UNACKNOWLEDGED = "unacknowledged"


# Most pressing first.
REASON_ORDER = {r: i for i, r in enumerate(TermReason)}


def at_risk(term: Term, today: date, finish: date | None) -> bool:
    """An open dated term falls due before its deal's forecast finish. An overdue term is
    past saving: it is overdue, not at risk."""
    return (
        term.status == "open"
        and term.kind in DATED_TERM_KINDS
        and finish is not None
        and today <= term.due < finish
    )


def reasons(term: Term, today: date, finish: date | None) -> tuple[TermReason, ...]:
    """What the weekly report says about an open term (empty: nothing to say)."""
    out = []
    if term.due < today:
        out.append(TermReason.OVERDUE)
    elif term.due <= today + timedelta(days=term.remind_days):
        out.append(TermReason.DUE_SOON)
    if not term.acknowledged_by:
        out.append(TermReason.UNACKNOWLEDGED)
    if at_risk(term, today, finish):
        out.append(TermReason.AT_RISK)
    return tuple(out)
