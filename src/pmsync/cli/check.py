"""`pmsync check-date`: is a delivery date realistic, before it is promised?"""

from typing import Annotated

import typer

from pmsync.cli.context import JsonOpt, deal_id, env, forecaster
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
            help="Kind of work; without --hours, the effort is the median actual "
            "hours of delivered deals of this kind.",
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
    """
    from pmsync.core.forecast import Candidate
    from pmsync.present import checkdate

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
        check_range(hours, low, high)
    elif low is not None or high is not None:
        raise BadInput("--low and --high go with --hours")
    with e.store() as store:
        engine = forecaster(store, include_pipeline=include_pipeline)
        reference = None
        if deal is not None:
            cand, pm = _recorded(store, deal_id(deal), promised, begin, pm)
        else:
            if hours is None:
                if kind is None:
                    raise BadInput(
                        "say how much work: --hours H (or --kind K to use the "
                        "median of past deals of that kind)"
                    )
                hours, n = engine.history.reference_hours(kind)
                reference = (kind, hours, n)
            cand = Candidate(hours=hours, promised=promised, start=begin, low=low, high=high)
        if pm is not None:
            pm = store.pm(pm).name
        result = engine.check(cand, pm)
    if reference is not None:
        from dataclasses import replace

        result = replace(result, reference=reference)
    if as_json:
        output.print_json(checkdate.to_json(result))
    else:
        checkdate.render(result, asked_date=cand.promised is not None)
    raise typer.Exit(checkdate.EXIT_CODES[result.best.verdict])


def _recorded(store, did, promised, begin, pm):
    from pmsync.core.forecast import Candidate

    d = store.deal(did)
    if not d.is_open:
        raise BadInput(f"deal {did} is {d.stage}; check-date is for open deals")
    if d.estimate is None:
        raise BadInput(f"deal {did} has no estimate; add one: pmsync estimate add {did} HOURS")
    cand = Candidate(
        hours=d.estimate.hours,
        promised=promised or d.promised,
        start=begin or d.start,
        low=d.estimate.low,
        high=d.estimate.high,
        logged=d.logged_hours,
        deal_id=d.id,
        title=d.title,
    )
    return cand, pm or d.pm
