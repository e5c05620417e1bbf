"""`pmsync pm ...`: project managers, their capacity and time off."""

from typing import Annotated

import typer

from pmsync.cli.commands import summary
from pmsync.cli.context import JsonOpt, env, need_one, session
from pmsync.core.calendar import check_holidays, format_workdays, parse_workdays
from pmsync.core.models import PM, TimeOff
from pmsync.core.rules import check_capacity, check_text, check_timeoff
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
    """Add a PM with their weekly capacity."""
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
    pm = use.add(session(ctx), pm)
    if as_json:
        output.print_json(pm_json(pm))
    else:
        output.say(
            f"Added PM {pm.name}: {output.fmt(pm.capacity)} h/week, {format_workdays(pm.workdays)}."
        )


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List PMs with their capacity."""
    pms = use.listing(session(ctx))
    if as_json:
        output.print_json([pm_json(p) for p in pms])
        return
    tables.pm_list(pms)


@app.command("show")
def show(ctx: typer.Context, name: NameArg, as_json: JsonOpt = False) -> None:
    """Show one PM, with time off."""
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
    """Change a PM's name, capacity, email, working days or holiday calendar."""
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
def remove(ctx: typer.Context, name: NameArg) -> None:
    """Remove a PM who has no open deals (delivered deals keep their history)."""
    pm = use.remove(session(ctx), name)
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
    as_json: JsonOpt = False,
) -> None:
    """Record time off for a PM (an inclusive date range)."""
    e = env(ctx)
    first, last = e.date(start, "FROM"), e.date(end, "TO")
    assert first and last
    check_timeoff(first, last, long)
    pm, off = use.add_timeoff(e.session, name, TimeOff(first, last, reason))
    if as_json:
        output.print_json(timeoff_json(pm, off))
    else:
        days = (off.end - off.start).days + 1
        output.say(
            f"{pm.name} is off {off.start} to {off.end} ({days} day{'s' if days != 1 else ''})."
        )
