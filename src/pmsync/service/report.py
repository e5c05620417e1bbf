"""The weekly report use case: the Monday sync's agenda, computed."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

# A deal's share of the capacity section costs about what this many Monte-Carlo samples of
# it do (`fanout`): worth another core from about 15,000 open deals.
CAPACITY_WEIGHT = 150

if TYPE_CHECKING:
    from pmsync.core.report import WeeklyReport
    from pmsync.service.session import Session


def weekly_report(session: Session, weeks: int, lessons: int | None = None) -> WeeklyReport:
    """The report for the week of the session's today: forecasts, terms, intel, history;
    `lessons`: how many of the latest deliveries to list (None: all)."""
    from pmsync.core.lifecycle import OPEN_STAGES
    from pmsync.core.report import (
        INTEL_DAYS,
        build_report,
        capacity_loads,
        earlier_lessons,
        kept_since,
        lessons_since,
        week_since,
    )
    from pmsync.service.fanout import background
    from pmsync.service.forecasting import forecaster, portfolio

    today = session.today
    with session.reading() as store:
        # The open deals read on their own, as `deal list` does: read with the rest in one go
        # they would stand as rows and as deals at once (a fifth more memory at 100,000).
        history = store.history_aside()  # read by another process meanwhile, where it pays
        open_deals = store.deals(stages=OPEN_STAGES)
        engine = forecaster(store, today, open_deals=open_deals, history=history)
        read: dict[str, Any] = {}

        def read_the_rest() -> None:
            """What the report shows besides forecasts: read while other cores forecast."""
            terms = read["terms"] = store.terms(open_only=True)
            updates = read["updates"] = store.updates(since=today - timedelta(days=INTEL_DAYS))
            closed_terms = read["closed_terms"] = store.terms_closed_between(
                week_since(today), today
            )
            closed = {t.deal_id for t in (*terms, *closed_terms)} | {u.deal_id for u in updates}
            read["other_deals"] = store.deals_by_id(sorted(closed - set(engine.deals)))
            read["lessons"] = store.deliveries(lessons_since(today), today, lessons)
            read["overruns"] = store.overruns_between(lessons_since(today), today)
            read["earlier_overruns"] = store.overruns_between(*earlier_lessons(today))
            read["kept"] = store.promise_counts(kept_since(today), today)
            read["delivered"] = store.promise_records(week_since(today), today)
            read["lost"] = store.lost_between(week_since(today), today)
            read["last_logged"] = store.last_logged()

        forecasts = portfolio(engine, meanwhile=read_the_rest)
        calendars = {name: engine.calendar(name) for name in engine.pms}
        pms, deals = list(engine.pms.values()), list(engine.deals.values())
        # The capacity section, on another core while the other sections are made here.
        capacity = background(
            lambda: capacity_loads(today, weeks, pms, deals, calendars, forecasts),
            len(deals) * CAPACITY_WEIGHT,
        )
        return build_report(
            today=today,
            weeks=weeks,
            pms=pms,
            open_deals=deals,
            open_by_id=engine.deals,
            history=engine.history,
            forecasts=forecasts,
            calendars=calendars,
            capacity=capacity,
            currency=engine.settings.currency,
            **read,
        )
