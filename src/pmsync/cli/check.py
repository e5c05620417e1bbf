"""`pmsync check-date`: is a delivery date realistic, before it is promised?"""

from typing import Annotated

import typer

from pmsync.cli.context import RANGE_FLAGS, JsonOpt, deal_id, env
from pmsync.core.rules import check_hours, check_range
from pmsync.errors import BadInput
from pmsync.present import output


def check_date(
    ctx: typer.Context,
    deal: Annotated[
        str | None,
        typer.Argument(
            metavar="DEAL_ID", help="A recorded deal to check (leave out for a new promise)."
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            metavar="DATE",
            help="The date to test. Without it: the earliest realistic date.",
        ),
    ] = None,
    hours: Annotated[
        float | None, typer.Option("--hours", help="Effort of the new work, in hours.")
    ] = None,
    low: Annotated[float | None, typer.Option("--low", help="Optimistic hours.")] = None,
    high: Annotated[float | None, typer.Option("--high", help="Pessimistic hours.")] = None,
    start: Annotated[
        str | None,
        typer.Option("--start", metavar="DATE", help="Work may not start before this date."),
    ] = None,
    pm: Annotated[
        str | None,
        typer.Option("--pm", help="Only this PM (default: try every PM, propose the earliest)."),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Kind of work: how that kind has run over its estimates counts in the "
            "forecast; without --hours, the effort is the median actual hours of delivered "
            "deals of this kind.",
        ),
    ] = None,
    include_pipeline: Annotated[
        bool,
        typer.Option(
            "--include-pipeline", help="Count pipeline deals as load, weighted by probability."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Is a delivery date realistic? What to promise instead, who takes it, what it breaks.

    Nothing is written. Exit codes: 0 realistic, 3 at risk, 4 unrealistic, 2 bad input.

    \b
    Example: pmsync check-date --hours 120 --by 2027-02-15"""
    from pmsync.present import checkdate
    from pmsync.service.forecasting import check_date as check

    e = env(ctx)
    promised = e.plan_date(by, "--by")
    begin = e.plan_date(start, "--start")
    if promised is not None and promised < e.today:
        raise BadInput(f"--by {promised} is in the past; a promise is made for a date to come")
    if deal is not None and (
        hours is not None or kind is not None or low is not None or high is not None
    ):
        raise BadInput("check a recorded deal by its id, or new work with --hours/--kind, not both")
    if hours is not None:
        check_hours(hours, "--hours")
        check_range(hours, low, high, RANGE_FLAGS)
    elif low is not None or high is not None:
        raise BadInput("--low and --high go with --hours")
    did = deal_id(deal) if deal is not None else None
    if did is None and hours is None and kind is None:
        raise BadInput(
            "say how much work: --hours H (or --kind K to use the "
            "median of past deals of that kind)"
        )
    result = check(
        e.session,
        deal_id=did,
        hours=hours,
        low=low,
        high=high,
        kind=kind,
        promised=promised,
        start=begin,
        pm=pm,
        include_pipeline=include_pipeline,
    )
    if as_json:
        output.print_json(checkdate.to_json(result))
    else:
        checkdate.render(result, asked_date=result.asked is not None)
    raise typer.Exit(checkdate.EXIT_CODES[result.best.verdict])
