"""`pmsync deal ...`: deals through their life cycle."""

from operator import attrgetter
from typing import Annotated, Any

import typer

from pmsync.cli.context import JsonOpt, deal_id, env, forecaster, need_one
from pmsync.core.dates import human
from pmsync.core.models import OPEN_STAGES, STAGES, Estimate, WorklogEntry
from pmsync.core.rules import (
    check_choice,
    check_hours,
    check_loggable,
    check_money,
    check_move,
    check_probability,
    check_range,
    check_text,
)
from pmsync.errors import BadInput
from pmsync.present import output
from pmsync.present.records import (
    deal_json,
    estimate_json,
    promise_json,
    term_json,
    update_json,
    worklog_json,
)

app = typer.Typer(
    help="Deals: add, list, update, sign, log hours, deliver, lose.", no_args_is_help=True
)

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


def _verdict_style(v: Any) -> str | None:
    return output.VERDICT_STYLE.get(v) if isinstance(v, str) else None


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
    stage = check_choice(stage, ("pipeline", "signed"), "stage for a new deal")
    _check_numbers(value, probability)
    estimate = None
    if hours is not None:
        check_hours(hours, "--hours")
        check_range(hours, low, high)
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
    with e.store(write=True) as store:
        deal = store.add_deal(fields, estimate)
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
    """List deals with their forecast finish and verdict (open deals by default)."""
    chosen = check_choice(stage or "open", (*STAGES, "open", "all"), "stage")
    stages = {"open": OPEN_STAGES, "all": None}.get(chosen, (chosen,))
    with env(ctx).store() as store:
        deals = store.deals(stages=stages, seller=seller, pm=pm, client=client)
        wanted = {d.pm for d in deals if d.is_open and d.pm}
        forecasts = {}
        if wanted:
            # Every open deal of these PMs is load, whatever the filter shows.
            unfiltered = stages == OPEN_STAGES and not (seller or pm or client)
            engine = forecaster(store, open_deals=deals if unfiltered else None)
            forecasts = engine.portfolio(sorted(wanted))
    if as_json:
        output.print_json([deal_json(d, forecasts.get(d.id)) for d in deals])
        return
    output.print_table(
        deals,
        [
            ("id", attrgetter("id")),
            ("title", attrgetter("title")),
            ("client", attrgetter("client")),
            ("stage", attrgetter("stage")),
            ("pm", attrgetter("pm")),
            ("hours", lambda d: d.estimate.hours if d.estimate else None),
            ("left", lambda d: d.remaining_hours if d.is_open else None),
            ("promised", attrgetter("promised")),
            ("finish", lambda d: _finish(forecasts.get(d.id))),
            ("verdict", lambda d: _verdict(d, forecasts.get(d.id))),
        ],
        numeric=("id", "hours", "left"),
        styles={"verdict": _verdict_style},
        empty="No deals match. Add one: pmsync deal add TITLE --client NAME",
    )


def _finish(f: Any) -> Any:
    return None if f is None else f.safe_finish


def _verdict(deal: Any, f: Any) -> str | None:
    if f is not None and f.verdict:
        return f.verdict
    if not deal.is_open:
        return None
    if deal.stage == "pipeline":
        return None
    if deal.pm is None:
        return "no PM"
    if deal.estimate is None:
        return "no estimate"
    return "no promise" if deal.promised is None else None


@app.command("show")
def show(ctx: typer.Context, id_: IdArg, as_json: JsonOpt = False) -> None:
    """Show a deal with its forecast, estimates, worklog, terms, updates and promise history."""
    did = deal_id(id_)
    with env(ctx).store() as store:
        deal = store.deal(did)
        forecast = None
        if deal.is_open and deal.pm:
            forecast = forecaster(store).portfolio([deal.pm]).get(did)
        estimates = store.estimates(did)
        worklog = store.worklog(did)
        terms = store.terms(deal_id=did)
        updates = store.updates(deal_id=did)
        history = store.promise_history(did)
    if as_json:
        out = deal_json(deal, forecast)
        out.update(
            estimates=[estimate_json(x) for x in estimates],
            worklog=[worklog_json(x) for x in worklog],
            terms=[term_json(t) for t in terms],
            updates=[update_json(u) for u in updates],
            promise_history=[promise_json(p) for p in history],
        )
        output.print_json(out)
        return
    pairs: list[tuple[str, Any]] = [
        ("client", deal.client),
        ("stage", deal.stage),
        ("seller", deal.seller),
        ("kind", deal.kind),
        ("value", deal.value),
        ("probability", deal.probability),
        ("pm", deal.pm),
        ("stakeholder", deal.stakeholder),
        ("external id", deal.external_id),
        ("promised", deal.promised),
        ("start", deal.start),
        ("signed on", deal.signed_on),
        ("estimate", f"{output.fmt(deal.estimate.hours)} h" if deal.estimate else None),
        (
            "logged",
            f"{output.fmt(deal.logged_hours)} h"
            + (" (over estimate)" if deal.over_estimate else ""),
        ),
    ]
    if deal.stage == "delivered":
        pairs += [("delivered on", deal.delivered_on), ("actual hours", deal.actual_hours)]
    if deal.stage == "lost":
        pairs.append(("lost because", deal.lost_reason))
    if forecast is not None:
        pairs += [
            ("forecast", f"{human(forecast.start)} to {human(forecast.finish)}"),
            (
                "p50 / p80",
                f"{human(forecast.p50)} / {human(forecast.p80)}" if forecast.p80 else None,
            ),
            ("verdict", forecast.verdict),
            (
                "slack",
                f"{forecast.slack_days} working days" if forecast.slack_days is not None else None,
            ),
        ]
    output.print_fields(pairs, title=f"Deal {deal.id}: {deal.title}")
    sections = [
        (
            "Estimates",
            estimates,
            [
                ("id", lambda x: x.id),
                ("hours", lambda x: x.hours),
                ("low", lambda x: x.low),
                ("high", lambda x: x.high),
                ("by", lambda x: x.author),
                ("note", lambda x: x.note),
                ("when", lambda x: x.created),
            ],
        ),
        (
            "Worklog",
            worklog,
            [("on", lambda x: x.on), ("hours", lambda x: x.hours), ("note", lambda x: x.note)],
        ),
        (
            "Special terms",
            terms,
            [
                ("id", lambda x: x.id),
                ("kind", lambda x: x.kind),
                ("due", lambda x: x.due),
                ("amount", lambda x: x.amount),
                ("status", lambda x: x.status),
                ("ack by", lambda x: x.acknowledged_by),
                ("text", lambda x: x.text),
            ],
        ),
        (
            "Updates",
            updates,
            [
                ("when", lambda x: x.created),
                ("signal", lambda x: x.signal),
                ("by", lambda x: x.by),
                ("text", lambda x: x.text),
            ],
        ),
        (
            "Promised-date history",
            history,
            [("changed", lambda x: x.changed), ("from", lambda x: x.old), ("to", lambda x: x.new)],
        ),
    ]
    for title, rows, cols in sections:
        output.say("")
        output.print_table(
            rows,
            cols,
            title=title,
            empty=f"{title}: none",
            numeric=("hours", "low", "high", "amount"),
        )


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
    for key, val in (("value", value), ("probability", probability)):
        if val is not None:
            changes[key] = val
    for key, val in (("promised", promised), ("start", start)):
        if val is not None:
            changes[key] = None if val.lower() == "none" else e.plan_date(val, f"--{key}")
    if pm is not None:
        changes["pm"] = None if pm.lower() == "none" else pm
    with e.store(write=True) as store:
        current = store.deal(did)
        if stage is not None:
            check_move(did, current.stage, stage.lower())
            if stage.lower() in ("signed", "delivered", "lost"):
                raise BadInput(f"use pmsync deal {_STAGE_VERB[stage.lower()]} {did} for that")
        if not current.is_open:
            raise BadInput(f"deal {did} is {current.stage}; closed deals can't be changed")
        deal = store.update_deal(did, changes)
        if stage is not None:
            deal = store.set_stage(did, stage.lower())
    if as_json:
        output.print_json(deal_json(deal))
    else:
        output.say(f"Updated deal {deal.id}: {deal.title}.")


_STAGE_VERB = {"signed": "sign", "delivered": "deliver", "lost": "lose"}


@app.command("sign")
def sign(
    ctx: typer.Context,
    id_: IdArg,
    on: Annotated[
        str | None, typer.Option("--on", metavar="DATE", help="Signing date (default today).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark a pipeline deal signed; its current estimate becomes the one actuals meet."""
    e = env(ctx)
    did = deal_id(id_)
    when = e.date(on, "--on") or e.today
    with e.store(write=True) as store:
        check_move(did, store.deal(did).stage, "signed")
        deal = store.set_stage(did, "signed", signed_on=when)
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
    """Log hours spent on a signed or active deal (a signed deal becomes active)."""
    e = env(ctx)
    did = deal_id(id_)
    check_hours(hours, "HOURS")
    when = e.date(on, "--on") or e.today
    with e.store(write=True) as store:
        deal = store.deal(did)
        check_loggable(did, deal.stage)
        entry = store.log_hours(WorklogEntry(did, hours, when, note))
        if deal.stage == "signed":
            store.set_stage(did, "active")
        deal = store.deal(did)
    if as_json:
        output.print_json(worklog_json(entry) | {"deal": deal_json(deal)})
        return
    left = deal.remaining_hours
    tail = f"; {output.fmt(left)} h left" if left is not None else ""
    if deal.over_estimate:
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
    """Mark a deal delivered; its actual hours calibrate every future forecast."""
    e = env(ctx)
    did = deal_id(id_)
    when = e.date(on, "--on") or e.today
    if actual_hours is not None:
        check_hours(actual_hours, "--actual-hours")
    with e.store(write=True) as store:
        deal = store.deal(did)
        check_move(did, deal.stage, "delivered")
        actual = actual_hours if actual_hours is not None else (deal.logged_hours or None)
        deal = store.set_stage(did, "delivered", delivered_on=when, actual_hours=actual)
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
    """Mark a deal lost."""
    did = deal_id(id_)
    with env(ctx).store(write=True) as store:
        check_move(did, store.deal(did).stage, "lost")
        deal = store.set_stage(did, "lost", lost_reason=reason)
    _done(deal, as_json, f"Marked deal {deal.id} lost: {deal.title}.")


def _done(deal: Any, as_json: bool, message: str) -> None:
    if as_json:
        output.print_json(deal_json(deal))
    else:
        output.say(message)
