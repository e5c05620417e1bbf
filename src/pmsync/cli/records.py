"""`pmsync estimate|term|update ...`: what PMs and sellers record about a deal."""

from collections.abc import Callable
from typing import Annotated

import typer

from pmsync.cli.commands import summary
from pmsync.cli.context import RANGE_FLAGS, JsonOpt, deal_id, env, need_one, record_id, session
from pmsync.core.models import Estimate, Term, Update
from pmsync.core.rules import (
    check_days,
    check_hours,
    check_money,
    check_range,
    check_signal,
    check_term_kind,
    check_text,
)
from pmsync.errors import BadInput, UnknownRecord, UnknownTerm
from pmsync.present import output, tables
from pmsync.present.records import estimate_json, term_json, update_json, worklog_json
from pmsync.service import records as use

DealArg = Annotated[str, typer.Argument(metavar="DEAL", help="The deal's id.")]

# -- estimates -----------------------------------------------------------------------
estimate_app = typer.Typer(help=summary("estimate"), no_args_is_help=True)


@estimate_app.command("add")
def estimate_add(
    ctx: typer.Context,
    deal: DealArg,
    hours: Annotated[float, typer.Argument(metavar="HOURS", help="Most likely total hours.")],
    low: Annotated[float | None, typer.Option("--low", help="Optimistic hours.")] = None,
    high: Annotated[float | None, typer.Option("--high", help="Pessimistic hours.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who estimated.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Assumptions, scope.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a new estimate for a deal (total hours, not hours left).

    \b
    Example: pmsync estimate add 42 100 --low 80 --high 140 --by Ann"""
    did = deal_id(deal)
    check_hours(hours, "HOURS")
    check_range(hours, low, high, RANGE_FLAGS)
    est = use.add_estimate(session(ctx), Estimate(did, hours, low, high, by, note))
    if as_json:
        output.print_json(estimate_json(est))
    else:
        rng = f" ({output.fmt(low or hours)}-{output.fmt(high or hours)})" if low or high else ""
        output.say(f"Estimated deal {did} at {output.fmt(hours)} h{rng}.")


@estimate_app.command("list")
def estimate_list(ctx: typer.Context, deal: DealArg, as_json: JsonOpt = False) -> None:
    """A deal's estimates, oldest first (the last one counts).

    \b
    Example: pmsync estimate list 42"""
    did = deal_id(deal)
    rows = use.estimates(session(ctx), did)
    output.records(as_json, rows, estimate_json, lambda: tables.estimate_list(rows, did))


DealFilter = Annotated[str | None, typer.Option("--deal", metavar="ID", help="Only this deal.")]


# -- special terms -------------------------------------------------------------------
term_app = typer.Typer(
    help=summary("term"),
    no_args_is_help=True,
)
TermArg = Annotated[str, typer.Argument(metavar="TERM_ID", help="The term's id.")]


def _term_id(text: str) -> int:
    return record_id(text, "term", "pmsync term list", UnknownTerm)


@term_app.command("add")
def term_add(
    ctx: typer.Context,
    deal: DealArg,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The term, as the contract puts it.")],
    due: Annotated[
        str | None, typer.Option("--due", metavar="DATE", help="When it is due.")
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="payment, deadline, penalty, sla or other.")
    ] = "other",
    amount: Annotated[float | None, typer.Option("--amount", help="Money at stake.")] = None,
    remind_days: Annotated[
        int | None,
        typer.Option(
            "--remind-days",
            help="Start reminding this many days before it is due "
            "(default: the remind_days setting, 14).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a special term of a deal so it is not lost between contract and delivery.

    \b
    Example: pmsync term add 42 "30% on go-live" --due 2027-03-01 --kind payment --amount 9000"""
    e = env(ctx)
    did = deal_id(deal)
    if due is None:
        raise BadInput("a term needs --due DATE")
    when = e.date(due, "--due")
    assert when is not None
    kind = check_term_kind(kind)
    if amount is not None:
        check_money(amount, "--amount")
    body = check_text(text, "the term's text")
    if remind_days is not None:
        check_days(remind_days, "--remind-days")
    term = use.add_term(e.session, Term(0, did, body, when, kind, amount), remind_days)
    if as_json:
        output.print_json(term_json(term))
    else:
        output.say(f"Added term {term.id} to deal {did}: {kind}, due {when}.")


@term_app.command("list")
def term_list(
    ctx: typer.Context,
    deal: DealFilter = None,
    open_: Annotated[bool, typer.Option("--open", help="Only open terms.")] = False,
    due_within: Annotated[
        int | None,
        typer.Option("--due-within", metavar="DAYS", help="Only terms due within this many days."),
    ] = None,
    unacknowledged: Annotated[
        bool, typer.Option("--unacknowledged", help="Only terms no PM has acknowledged.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List special terms; a dated term due before its deal's forecast finish is at risk.

    \b
    Example: pmsync term list --open --due-within 14"""
    e = env(ctx)
    did = deal_id(deal) if deal is not None else None
    if due_within is not None:
        check_days(due_within, "--due-within")
    found = use.list_terms(e.session, did, open_, due_within, unacknowledged)
    if as_json:
        output.print_json_list(term_json(t, t.id in found.at_risk) for t in found.terms)
        return
    tables.term_list(found.terms, found.at_risk)


@term_app.command("ack")
def term_ack(
    ctx: typer.Context,
    term: TermArg,
    by: Annotated[str | None, typer.Option("--by", help="The PM who acknowledges it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A PM acknowledges a special term: they know it and will drive toward it.

    \b
    Example: pmsync term ack 3 --by Ann"""
    tid = _term_id(term)
    if by is None:
        raise BadInput("say which PM acknowledges it: --by NAME")
    t, name = use.acknowledge_term(session(ctx), tid, by)
    if as_json:
        output.print_json(term_json(t))
    else:
        output.say(f"{name} acknowledged term {tid}.")


def _set_status(ctx: typer.Context, term: str, status: str, as_json: bool) -> None:
    tid = _term_id(term)
    t = use.close_term(session(ctx), tid, status)
    if as_json:
        output.print_json(term_json(t))
    else:
        output.say(f"Term {tid} is {status}.")


@term_app.command("met")
def term_met(ctx: typer.Context, term: TermArg, as_json: JsonOpt = False) -> None:
    """The term was met.

    \b
    Example: pmsync term met 3"""
    _set_status(ctx, term, "met", as_json)


@term_app.command("missed")
def term_missed(ctx: typer.Context, term: TermArg, as_json: JsonOpt = False) -> None:
    """The term was missed.

    \b
    Example: pmsync term missed 3"""
    _set_status(ctx, term, "missed", as_json)


@term_app.command("waive")
def term_waive(ctx: typer.Context, term: TermArg, as_json: JsonOpt = False) -> None:
    """The client waived the term.

    \b
    Example: pmsync term waive 3"""
    _set_status(ctx, term, "waived", as_json)


@term_app.command("update")
def term_update(
    ctx: typer.Context,
    term: TermArg,
    text: Annotated[str | None, typer.Option("--text", help="The term's new text.")] = None,
    due: Annotated[str | None, typer.Option("--due", metavar="DATE", help="New due date.")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="payment, deadline, penalty, sla or other.")
    ] = None,
    amount: Annotated[float | None, typer.Option("--amount", help="Money at stake.")] = None,
    remind_days: Annotated[
        int | None, typer.Option("--remind-days", help="Days before it is due to remind.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Correct a term's text, due date, kind, amount or reminder; the old values stay in
    the deal's history (pmsync deal show).

    \b
    Example: pmsync term update 3 --due 2027-03-15"""
    e = env(ctx)
    tid = _term_id(term)
    need_one(text=text, due=due, kind=kind, amount=amount, remind_days=remind_days)
    changes: dict[str, object] = {}
    if text is not None:
        changes["text"] = check_text(text, "the term's text")
    if due is not None:
        changes["due"] = e.date(due, "--due")
    if kind is not None:
        changes["kind"] = check_term_kind(kind)
    if amount is not None:
        changes["amount"] = check_money(amount, "--amount")
    if remind_days is not None:
        changes["remind_days"] = check_days(remind_days, "--remind-days")
    t = use.update_term(e.session, tid, changes)
    output.answer(
        as_json, term_json(t), f"Updated term {tid} of deal {t.deal_id}: {t.kind}, due {t.due}."
    )


@term_app.command("reopen")
def term_reopen(ctx: typer.Context, term: TermArg, as_json: JsonOpt = False) -> None:
    """Open a term again that was marked met, missed or waived by mistake.

    \b
    Example: pmsync term reopen 3"""
    tid = _term_id(term)
    t = use.reopen_term(session(ctx), tid)
    output.answer(as_json, term_json(t), f"Term {tid} is open again.")


# -- updates (intel) -----------------------------------------------------------------
update_app = typer.Typer(help=summary("update"), no_args_is_help=True)


@update_app.command("add")
def update_add(
    ctx: typer.Context,
    deal: DealArg,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="What happened.")],
    signal: Annotated[
        str,
        typer.Option(
            "--signal", help="info, risk, upsell, churn-risk, new-logo or stakeholder-change."
        ),
    ] = "info",
    by: Annotated[str | None, typer.Option("--by", help="Who reports it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a status update or a piece of intel on a deal.

    \b
    Example: pmsync update add 42 "Sponsor moves to Globex" --signal new-logo --by Sam"""
    did = deal_id(deal)
    body = check_text(text, "the update's text")
    sig = check_signal(signal)
    u = use.add_update(session(ctx), Update(0, did, body, sig, by))
    if as_json:
        output.print_json(update_json(u))
    else:
        output.say(f"Added {sig} update {u.id} to deal {did}.")


@update_app.command("list")
def update_list(
    ctx: typer.Context,
    deal: DealFilter = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DATE", help="Only updates on or after this date."),
    ] = None,
    signal: Annotated[str | None, typer.Option("--signal", help="Only this signal.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List updates, oldest first.

    \b
    Example: pmsync update list --since -1w --signal risk"""
    e = env(ctx)
    did = deal_id(deal) if deal is not None else None
    sig = check_signal(signal) if signal is not None else None
    start = e.date(since, "--since")
    rows = use.list_updates(e.session, deal_id=did, since=start, signal=sig)
    output.records(as_json, rows, update_json, lambda: tables.update_list(rows))


@update_app.command("remove")
def update_remove(
    ctx: typer.Context,
    update: Annotated[str, typer.Argument(metavar="ID", help="The update's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Remove an update added by mistake (it stays in the deal's history).

    \b
    Example: pmsync update remove 7"""
    uid = record_id(update, "update", "pmsync update list", _unknown("update"))
    u = use.remove_update(session(ctx), uid)
    output.answer(
        as_json, update_json(u) | {"removed": True}, f"Removed update {uid} from deal {u.deal_id}."
    )


# -- worklog corrections ---------------------------------------------------------------
worklog_app = typer.Typer(help=summary("worklog"), no_args_is_help=True)
EntryArg = Annotated[str, typer.Argument(metavar="ENTRY_ID", help="The worklog entry's id.")]


def _unknown(kind: str) -> Callable[[int], UnknownRecord]:
    return lambda n: UnknownRecord(kind, n)


def _entry_id(text: str) -> int:
    return record_id(text, "worklog entry", "pmsync worklog list", _unknown("worklog entry"))


@worklog_app.command("list")
def worklog_list(
    ctx: typer.Context,
    deal: DealFilter = None,
    pm: Annotated[str | None, typer.Option("--pm", help="Only this PM's deals.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="Only hours from this day on.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Hours logged, by day, with each entry's id for corrections.

    \b
    Example: pmsync worklog list --pm Ann --since -2w"""
    e = env(ctx)
    did = deal_id(deal) if deal is not None else None
    rows = use.worklog(e.session, did, pm, e.date(since, "--since"))
    output.records(as_json, rows, worklog_json, lambda: tables.worklog_list(rows))


@worklog_app.command("update")
def worklog_update(
    ctx: typer.Context,
    entry: EntryArg,
    hours: Annotated[float | None, typer.Option("--hours", help="The right hours.")] = None,
    on: Annotated[str | None, typer.Option("--on", metavar="DATE", help="The right day.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="The right note.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Correct a worklog entry's hours, day or note; the old values stay in the deal's
    history and its remaining hours follow.

    \b
    Example: pmsync worklog update 12 --hours 3.5"""
    e = env(ctx)
    eid = _entry_id(entry)
    need_one(hours=hours, on=on, note=note)
    changes: dict[str, object] = {}
    if hours is not None:
        changes["hours"] = check_hours(hours, "--hours")
    if on is not None:
        changes["on"] = e.event_date(on, "--on")
    if note is not None:
        changes["note"] = note or None
    w = use.update_worklog(e.session, eid, changes)
    output.answer(
        as_json,
        worklog_json(w),
        f"Worklog entry {eid} of deal {w.deal_id} is now {output.fmt(w.hours)} h on {w.on}.",
    )


@worklog_app.command("remove")
def worklog_remove(ctx: typer.Context, entry: EntryArg, as_json: JsonOpt = False) -> None:
    """Remove a worklog entry logged by mistake (on the wrong deal, say: log it again on
    the right one); it stays in the deal's history.

    \b
    Example: pmsync worklog remove 12"""
    eid = _entry_id(entry)
    w = use.remove_worklog(session(ctx), eid)
    output.answer(
        as_json,
        worklog_json(w) | {"removed": True},
        f"Removed {output.fmt(w.hours)} h on {w.on} from deal {w.deal_id}.",
    )
