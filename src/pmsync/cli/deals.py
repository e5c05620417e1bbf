"""`pmsync deal ...`: deals through their life cycle."""

from typing import Annotated, Any

import typer

from pmsync.cli.commands import summary
from pmsync.cli.context import RANGE_FLAGS, JsonOpt, deal_id, env, need_one, session
from pmsync.core.dates import human
from pmsync.core.lifecycle import NEW_DEAL_STAGES, OPEN_STAGES, STAGES
from pmsync.core.models import Deal, Estimate, WorklogEntry
from pmsync.core.rules import (
    check_choice,
    check_hours,
    check_money,
    check_probability,
    check_range,
    check_text,
)
from pmsync.errors import BadInput
from pmsync.present import output
from pmsync.present.records import (
    correction_json,
    deal_json,
    estimate_json,
    promise_json,
    term_json,
    update_json,
    worklog_json,
)
from pmsync.service import deals as use

app = typer.Typer(help=summary("deal"), no_args_is_help=True)

IdArg = Annotated[str, typer.Argument(metavar="ID", help="The deal's id.")]
Seller = Annotated[str | None, typer.Option("--seller", help="Who sold it.")]
Kind = Annotated[
    str | None,
    typer.Option("--kind", help="Service type, e.g. onboarding (forecasts learn per kind)."),
]
Value = Annotated[float | None, typer.Option("--value", help="Contract value.")]
Probability = Annotated[
    float | None,
    typer.Option("--probability", help="Chance of closing, in percent (pipeline deals)."),
]
Promised = Annotated[
    str | None,
    typer.Option("--promised", metavar="DATE", help="Delivery date promised to the client."),
]
Start = Annotated[
    str | None, typer.Option("--start", metavar="DATE", help="Work may not start before this date.")
]
PmOpt = Annotated[str | None, typer.Option("--pm", help="The PM who delivers it.")]
Stakeholder = Annotated[
    str | None, typer.Option("--stakeholder", help="The client's primary stakeholder.")
]
External = Annotated[str | None, typer.Option("--external-id", help="The CRM's id.")]


def _check_numbers(value: float | None, probability: float | None) -> None:
    if value is not None:
        check_money(value, "--value")
    if probability is not None:
        check_probability(probability)


@app.command("add")
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(metavar="TITLE", help="What was sold.")],
    client: Annotated[str | None, typer.Option("--client", help="The client.")] = None,
    seller: Seller = None,
    kind: Kind = None,
    value: Value = None,
    stage: Annotated[
        str, typer.Option("--stage", help="pipeline (default) or signed.")
    ] = "pipeline",
    probability: Probability = None,
    promised: Promised = None,
    start: Start = None,
    pm: PmOpt = None,
    hours: Annotated[
        float | None, typer.Option("--hours", help="First effort estimate, in hours.")
    ] = None,
    low: Annotated[float | None, typer.Option("--low", help="Optimistic hours.")] = None,
    high: Annotated[float | None, typer.Option("--high", help="Pessimistic hours.")] = None,
    stakeholder: Stakeholder = None,
    external_id: External = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a deal (pipeline by default), optionally with its first estimate."""
    e = env(ctx)
    if client is None:
        raise BadInput("a deal needs --client NAME")
    stage = check_choice(stage, tuple(NEW_DEAL_STAGES), "stage for a new deal")
    _check_numbers(value, probability)
    estimate = None
    if hours is not None:
        check_hours(hours, "--hours")
        check_range(hours, low, high, RANGE_FLAGS)
        estimate = Estimate(deal_id=0, hours=hours, low=low, high=high, author=pm)
    elif low is not None or high is not None:
        raise BadInput("--low and --high go with --hours")
    fields = {
        "title": check_text(title, "the title"),
        "client": check_text(client, "the client"),
        "seller": seller,
        "kind": kind,
        "value": value,
        "stage": stage,
        "probability": probability,
        "promised": e.plan_date(promised, "--promised"),
        "start": e.plan_date(start, "--start"),
        "pm": pm,
        "stakeholder": stakeholder,
        "external_id": external_id,
    }
    deal = use.add(e.session, fields, estimate)
    if as_json:
        output.print_json(deal_json(deal))
    else:
        output.say(f"Added deal {deal.id}: {deal.title} ({deal.client}), {deal.stage}.")


@app.command("list")
def list_(
    ctx: typer.Context,
    stage: Annotated[
        str | None,
        typer.Option(
            "--stage", help="pipeline, signed, active, delivered, lost, open (default) or all."
        ),
    ] = None,
    seller: Seller = None,
    pm: PmOpt = None,
    client: Annotated[str | None, typer.Option("--client", help="Only this client.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List deals with their forecast finish and verdict (open deals by default).

    \b
    Example: pmsync deal list --pm Ann --stage all"""
    chosen = check_choice(stage or "open", (*STAGES, "open", "all"), "stage")
    stages = {"open": OPEN_STAGES, "all": None}.get(chosen, (chosen,))
    from pmsync.present import tables

    early: list[output.PlainTable | None] = [None]

    def begin_table(deals: list[Deal]) -> None:
        early[0] = tables.deal_list_early(deals)

    found = use.listing(
        session(ctx),
        stages,
        seller=seller,
        pm=pm,
        client=client,
        meanwhile=None if as_json else begin_table,
    )
    from pmsync.service.fanout import write_parts

    if as_json:
        forecasts = found.forecasts
        output.print_json_list(
            found.deals, lambda d: deal_json(d, forecasts.get(d.id)), write_parts=write_parts
        )
        return
    tables.deal_list(found.deals, found.forecasts, early[0], write_parts)


@app.command("show")
def show(ctx: typer.Context, id_: IdArg, as_json: JsonOpt = False) -> None:
    """Show a deal with its forecast, estimates, worklog, terms, updates and promise history.

    \b
    Example: pmsync deal show 42 --json"""
    r = use.show(session(ctx), deal_id(id_))
    if as_json:
        out = deal_json(r.deal, r.forecast)
        out.update(
            estimates=[estimate_json(x) for x in r.estimates],
            worklog=[worklog_json(x) for x in r.worklog],
            terms=[term_json(t) for t in r.terms],
            updates=[update_json(u) for u in r.updates],
            promise_history=[promise_json(p) for p in r.promise_history],
            corrections=[correction_json(c) for c in r.corrections],
        )
        output.print_json(out)
        return
    from pmsync.present import tables

    tables.deal_show(r)


@app.command("update")
def update(
    ctx: typer.Context,
    id_: IdArg,
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    client: Annotated[str | None, typer.Option("--client", help="New client.")] = None,
    seller: Seller = None,
    kind: Kind = None,
    value: Value = None,
    probability: Probability = None,
    promised: Promised = None,
    start: Start = None,
    pm: PmOpt = None,
    stakeholder: Stakeholder = None,
    external_id: External = None,
    stage: Annotated[
        str | None,
        typer.Option(
            "--stage", help="Move along the life cycle (e.g. active); see also sign/deliver/lose."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a deal's fields; a new promised date keeps the old one in the history."""
    e = env(ctx)
    did = deal_id(id_)
    need_one(
        title=title,
        client=client,
        seller=seller,
        kind=kind,
        value=value,
        probability=probability,
        promised=promised,
        start=start,
        pm=pm,
        stakeholder=stakeholder,
        external_id=external_id,
        stage=stage,
    )
    _check_numbers(value, probability)
    changes: dict[str, Any] = {}
    for key, val in (("title", title), ("client", client)):
        if val is not None:
            changes[key] = check_text(val, f"the {key}")
    for key, val in (
        ("seller", seller),
        ("kind", kind),
        ("stakeholder", stakeholder),
        ("external_id", external_id),
    ):
        if val is not None:
            changes[key] = val or None
    for key, number in (("value", value), ("probability", probability)):
        if number is not None:
            changes[key] = number
    for key, val in (("promised", promised), ("start", start)):
        if val is not None:
            changes[key] = None if val.lower() == "none" else e.plan_date(val, f"--{key}")
    if pm is not None:
        changes["pm"] = None if pm.lower() == "none" else pm
    deal = use.update(e.session, did, changes, stage.lower() if stage is not None else None)
    if as_json:
        output.print_json(deal_json(deal))
    else:
        output.say(f"Updated deal {deal.id}: {deal.title}.")


@app.command("sign")
def sign(
    ctx: typer.Context,
    id_: IdArg,
    on: Annotated[
        str | None, typer.Option("--on", metavar="DATE", help="Signing date (default today).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark a pipeline deal signed; its current estimate becomes the one actuals meet.

    \b
    Example: pmsync deal sign 42 --on 2027-01-15"""
    e = env(ctx)
    did = deal_id(id_)
    when = e.event_date(on, "--on") or e.today
    deal = use.sign(e.session, did, when)
    _done(deal, as_json, f"Signed deal {deal.id} on {human(when)}: {deal.title}.")


@app.command("log")
def log(
    ctx: typer.Context,
    id_: IdArg,
    hours: Annotated[float, typer.Argument(metavar="HOURS", help="Hours spent.")],
    on: Annotated[
        str | None, typer.Option("--on", metavar="DATE", help="Day worked (default today).")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="What was done.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Log hours spent on a signed or active deal (a signed deal becomes active).

    \b
    Example: pmsync deal log 42 6.5 --note "kickoff"
    """
    e = env(ctx)
    did = deal_id(id_)
    check_hours(hours, "HOURS")
    when = e.event_date(on, "--on") or e.today
    logged = use.log(e.session, WorklogEntry(did, hours, when, note))
    entry, deal = logged.entry, logged.deal
    if as_json:
        output.print_json(worklog_json(entry) | {"deal": deal_json(deal)})
        return
    left = deal.remaining_hours
    tail = f"; {output.fmt(left)} h left" if left is not None else ""
    if deal.over_estimate and deal.estimate is not None:
        tail = f"; {output.fmt(deal.logged_hours - deal.estimate.hours)} h over estimate"
    output.say(f"Logged {output.fmt(hours)} h on deal {did} ({human(when)}){tail}.")


@app.command("deliver")
def deliver(
    ctx: typer.Context,
    id_: IdArg,
    on: Annotated[
        str | None, typer.Option("--on", metavar="DATE", help="Delivery date (default today).")
    ] = None,
    actual_hours: Annotated[
        float | None,
        typer.Option("--actual-hours", help="Total hours it took (default: the hours logged)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark a deal delivered; its actual hours calibrate every future forecast.

    \b
    Example: pmsync deal deliver 42 --actual-hours 104"""
    e = env(ctx)
    did = deal_id(id_)
    when = e.event_date(on, "--on") or e.today
    if actual_hours is not None:
        check_hours(actual_hours, "--actual-hours")
    deal = use.deliver(e.session, did, when, actual_hours)
    _done(
        deal,
        as_json,
        f"Delivered deal {deal.id} on {human(when)}: {deal.title}"
        + (f", {output.fmt(deal.actual_hours)} h." if deal.actual_hours else "."),
    )


@app.command("lose")
def lose(
    ctx: typer.Context,
    id_: IdArg,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it was lost.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark a deal lost.

    \b
    Example: pmsync deal lose 42 --reason "budget cut"
    """
    did = deal_id(id_)
    deal = use.lose(session(ctx), did, reason)
    _done(deal, as_json, f"Marked deal {deal.id} lost: {deal.title}.")


@app.command("remove")
def remove(
    ctx: typer.Context,
    id_: IdArg,
    force: Annotated[
        bool,
        typer.Option("--force", help="Remove it even with hours logged or a delivery recorded."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove a deal added by mistake (a duplicate, say), with everything recorded on it.
    Lost deals stay, to be counted as lost; a deal with hours logged or delivered only
    goes with --force.

    \b
    Example: pmsync deal remove 42"""
    did = deal_id(id_)
    deal = use.remove(session(ctx), did, force)
    output.answer(
        as_json,
        deal_json(deal) | {"removed": True},
        f"Removed deal {deal.id}: {deal.title} ({deal.client}).",
    )


def _done(deal: Deal, as_json: bool, message: str) -> None:
    output.answer(as_json, deal_json(deal), message)
