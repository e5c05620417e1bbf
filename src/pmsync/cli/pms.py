"""`pmsync pm ...`: project managers, their capacity and time off."""

from typing import Annotated

import typer

from pmsync.cli.commands import summary
from pmsync.cli.context import JsonOpt, env, need_one, session
from pmsync.core.calendar import check_holidays, format_workdays, parse_workdays
from pmsync.core.models import PM, TimeOff
from pmsync.core.rules import check_capacity, check_span, check_text, check_timeoff
from pmsync.present import output, tables
from pmsync.present.records import pm_json, timeoff_json
from pmsync.service import pms as use

app = typer.Typer(help=summary("pm"), no_args_is_help=True)

Capacity = Annotated[
    float | None, typer.Option("--capacity", "-c", help="Hours per week the PM can give to deals.")
]
Email = Annotated[str | None, typer.Option("--email", help="The PM's email address.")]
Workdays = Annotated[
    str | None,
    typer.Option(
        "--workdays", help="Working days: mon-fri (default), mon-thu, or a list: mon,tue,thu."
    ),
]
NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The PM's name.")]
Holidays = Annotated[
    str | None,
    typer.Option(
        "--holidays",
        help="Public-holiday calendar: a country code, optionally with a "
        "subdivision (US, GB, DE-BY). 'none' removes it.",
    ),
]


def _holidays(text: str | None) -> str | None:
    if text is None or text.lower() in ("", "none"):
        return None
    return check_holidays(text)


def _show(pm: PM, as_json: bool) -> None:
    if as_json:
        output.print_json(pm_json(pm))
    else:
        tables.pm_show(pm)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The PM's name (unique).")],
    capacity: Capacity = None,
    email: Email = None,
    workdays: Workdays = None,
    holidays: Holidays = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a PM with their weekly capacity (a PM who left comes back with their history).

    \b
    Example: pmsync pm add Ann --capacity 40 --holidays US"""
    from pmsync.errors import BadInput

    if capacity is None:
        raise BadInput("a PM needs --capacity HOURS_PER_WEEK (e.g. --capacity 40)")
    pm = PM(
        name=check_text(name, "the PM's name"),
        capacity=check_capacity(capacity),
        email=email,
        workdays=parse_workdays("mon-fri" if workdays is None else workdays),
        holidays=_holidays(holidays),
    )
    added = use.add(session(ctx), pm)
    pm = added.pm
    if as_json:
        output.print_json(pm_json(pm))
        return
    week = f"{output.fmt(pm.capacity)} h/week, {format_workdays(pm.workdays)}"
    if added.returned:
        output.say(f"{pm.name} is back: {week}; the deals they delivered still count.")
    else:
        output.say(f"Added PM {pm.name}: {week}.")


@app.command("list")
def list_(
    ctx: typer.Context,
    all_: Annotated[
        bool, typer.Option("--all", help="Include PMs who left (archived, with their history).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List PMs with their capacity.

    \b
    Example: pmsync pm list --all"""
    pms = use.listing(session(ctx), archived=all_)
    if as_json:
        output.print_json_list(map(pm_json, pms))
        return
    tables.pm_list(pms, archived=all_)


@app.command("show")
def show(ctx: typer.Context, name: NameArg, as_json: JsonOpt = False) -> None:
    """Show one PM, with time off.

    \b
    Example: pmsync pm show Ann"""
    _show(use.show(session(ctx), name), as_json)


@app.command("update")
def update(
    ctx: typer.Context,
    name: NameArg,
    new_name: Annotated[str | None, typer.Option("--name", help="Rename the PM.")] = None,
    capacity: Capacity = None,
    email: Email = None,
    workdays: Workdays = None,
    holidays: Holidays = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a PM's name, capacity, email, working days or holiday calendar.

    \b
    Example: pmsync pm update Ann --capacity 32 --workdays mon-thu"""
    need_one(name=new_name, capacity=capacity, email=email, workdays=workdays, holidays=holidays)
    changes: dict = {}
    if new_name is not None:
        changes["name"] = check_text(new_name, "the PM's name")
    if capacity is not None:
        changes["capacity"] = check_capacity(capacity)
    if email is not None:
        changes["email"] = email or None
    if workdays is not None:
        changes["workdays"] = parse_workdays(workdays)
    if holidays is not None:
        changes["holidays"] = _holidays(holidays)
    pm = use.update(session(ctx), name, changes)
    if as_json:
        output.print_json(pm_json(pm))
    else:
        output.say(f"Updated PM {pm.name}.")


@app.command("remove")
def remove(ctx: typer.Context, name: NameArg, as_json: JsonOpt = False) -> None:
    """A PM leaves (needs no open deals). One who delivered or lost deals is archived:
    those keep their name and count in history; see pmsync pm list --all, and pm add
    brings them back. One with no deal at all is deleted.

    \b
    Example: pmsync pm remove Ben"""
    removed = use.remove(session(ctx), name)
    pm = removed.pm
    if as_json:
        output.print_json(pm_json(pm) | {"archived": bool(removed.deals), "deals": removed.deals})
    elif removed.deals:
        output.say(
            f"Archived PM {pm.name}: their {removed.deals} deal"
            f"{'s' if removed.deals != 1 else ''} keep their name and history "
            "(pmsync pm list --all)."
        )
    else:
        output.say(f"Removed PM {pm.name}.")


@app.command("timeoff")
def timeoff(
    ctx: typer.Context,
    name: NameArg,
    start: Annotated[str, typer.Argument(metavar="FROM", help="First day off.")],
    end: Annotated[str, typer.Argument(metavar="TO", help="Last day off (inclusive).")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (holiday, course...).")
    ] = None,
    long: Annotated[
        bool, typer.Option("--long", help="Allow time off longer than a year (parental leave).")
    ] = False,
    remove: Annotated[
        bool,
        typer.Option(
            "--remove", help="Take FROM..TO out of the PM's time off (whole ranges or parts)."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Record time off for a PM (an inclusive date range), or take days out with --remove.

    \b
    Example: pmsync pm timeoff Ann 2027-02-01 2027-02-05 --reason ski"""
    e = env(ctx)
    first, last = e.date(start, "FROM"), e.date(end, "TO")
    assert first and last
    if remove:
        check_span(first, last, "range")
        pm = use.remove_timeoff(e.session, name, first, last)
        if as_json:
            output.print_json(pm_json(pm))
            return
        left = "; ".join(f"{t.start} to {t.end}" for t in pm.timeoff) or "none"
        output.say(f"Took {first} to {last} out of {pm.name}'s time off; time off now: {left}.")
        return
    check_timeoff(first, last, long)
    pm, off = use.add_timeoff(e.session, name, TimeOff(first, last, reason))
    if as_json:
        output.print_json(timeoff_json(pm, off))
    else:
        days = (off.end - off.start).days + 1
        output.say(
            f"{pm.name} is off {off.start} to {off.end} ({days} day{'s' if days != 1 else ''})."
        )
