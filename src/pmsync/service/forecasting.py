"""Forecast use cases: the team's forecaster, and check-date."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from pmsync.core.lifecycle import OPEN_STAGES
from pmsync.core.rules import check_start
from pmsync.errors import DealClosed, NoEstimate

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pmsync.core.forecast import CheckResult, DealForecast, Forecaster, ShareMap
    from pmsync.core.history import History
    from pmsync.core.models import Deal
    from pmsync.core.schedule import Job
    from pmsync.service.session import Session
    from pmsync.storage.store import Store


def forecaster(
    store: Store,
    today: date,
    include_pipeline: bool = False,
    open_deals: Sequence[Deal] | None = None,
    history: Callable[[], History] | None = None,
) -> Forecaster:
    """The forecast engine loaded with the team, its open work and its history (got from
    `history` when given: `Store.history_aside`)."""
    from pmsync.core.forecast import Forecaster
    from pmsync.storage import holiday_cache

    holiday_cache.load()
    # One read for all of it (one request on a cluster); the deals only when not given.
    pms, deals, learnt, settings = store.forecast_inputs(
        OPEN_STAGES if open_deals is None else None, history
    )
    return Forecaster(
        pms=pms,
        deals=open_deals if open_deals is not None else deals,
        delivered=learnt,
        today=today,
        settings=settings,
        include_pipeline=include_pipeline,
    )


def portfolio(
    engine: Forecaster,
    pms: Sequence[str] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> dict[int, DealForecast]:
    """Every open deal's forecast for `pms` (default: the team), a big team's queues worked
    out on all the machine's cores (`fanout`); the same forecasts either way. `meanwhile`
    runs here while other cores forecast (this process then forecasts less)."""
    from operator import itemgetter

    from pmsync.core.forecast import DealForecast
    from pmsync.service.fanout import spread

    def plain(share: Sequence[str]) -> list[tuple]:
        # Plain tuples cross between processes at C speed; named ones through Python calls.
        return [tuple(f) for f in engine.portfolio(share).values()]

    names = list(engine.pms if pms is None else pms)
    sizes = [engine.size(n) for n in names]
    engine.learn()
    out: dict[int, DealForecast] = {}
    for share in spread(plain, names, sizes, engine.settings.samples, meanwhile):
        out.update(zip(map(itemgetter(0), share), map(DealForecast._make, share), strict=True))
    return out


def _check_engine(
    store: Store, today: date, include_pipeline: bool, pm: str | None = None
) -> Forecaster:
    """The engine for check-date, loaded lean: each open deal as its load, no `Deal`;
    with `pm`, only that PM's deals. History is learnt when first asked for (it must be,
    inside the store's snapshot): the plan pass does not need it."""
    from pmsync.core.forecast import Forecaster, load_job
    from pmsync.core.history import History
    from pmsync.core.lifecycle import Stage
    from pmsync.storage import holiday_cache

    holiday_cache.load()
    # Pipeline deals are load only when asked for: not read otherwise.
    stages = tuple(s for s in OPEN_STAGES if include_pipeline or s != Stage.PIPELINE)
    pms, rows, history, settings = store.forecast_loads(stages, pm)

    def loads() -> Iterator[tuple[str, Job, str]]:
        for name, i, title, kind, stage, prob, promised, start, hours, low, high, logged in rows:
            job = load_job(
                i, stage, prob, promised, start, hours, low, high, logged, include_pipeline, kind
            )
            if job is not None:
                yield name, job, title

    return Forecaster.from_loads(
        pms, loads(), lambda: History.from_rows(history), today, settings, include_pipeline
    )


def check_date(
    session: Session,
    *,
    deal_id: int | None = None,
    hours: float | None = None,
    low: float | None = None,
    high: float | None = None,
    kind: str | None = None,
    promised: date | None = None,
    start: date | None = None,
    pm: str | None = None,
    include_pipeline: bool = False,
) -> CheckResult:
    """Is `promised` realistic for a recorded deal or for new work (`hours`, or the median
    of delivered deals of `kind`)? Without a date: the earliest realistic one. Reads only."""
    from pmsync.core.forecast import Candidate

    with session.reading() as store:
        reference = None
        recorded = None
        if deal_id is not None:
            recorded = store.deal(deal_id)
            if not recorded.is_open:
                raise DealClosed(deal_id, recorded.stage, "check")
            if recorded.estimate is None:
                raise NoEstimate(deal_id)
            pm = pm or recorded.pm
        if pm is not None:
            from pmsync.service.deals import taking_work

            pm = taking_work(store, pm).name
        # A question about one PM reads only that PM's deals.
        engine = _check_engine(store, session.today, include_pipeline, pm)
        if recorded is not None:
            assert recorded.estimate is not None
            cand = Candidate(
                hours=recorded.estimate.hours,
                promised=promised or recorded.promised,
                start=start or recorded.start,
                low=recorded.estimate.low,
                high=recorded.estimate.high,
                logged=recorded.logged_hours,
                deal_id=recorded.id,
                title=recorded.title,
                kind=kind or recorded.kind,
            )
        else:
            if hours is None:
                if kind is None:
                    raise ValueError("new work needs its hours or its kind")
                hours, n = engine.history.reference_hours(kind)
                reference = (kind, hours, n)
            cand = Candidate(
                hours=hours, promised=promised, start=start, low=low, high=high, kind=kind
            )
        check_start(cand.start, cand.promised)
        return engine.check(cand, pm, reference, _spread_plans(engine))


def _spread_plans(engine: Forecaster) -> ShareMap:
    """check-date's passes over the PMs, on the machine's other cores when they are big;
    while the first (the plan pass, which needs no history) runs, this process learns from
    history and loads numpy for the full checks that follow."""
    from pmsync.service.fanout import spread

    learnt = False

    def each(work: Callable[[Sequence[str]], list], names: Sequence[str], per_deal: int) -> list:
        nonlocal learnt
        sizes = [engine.size(n) for n in names]
        meanwhile, learnt = (None if learnt else learn), True
        return [r for share in spread(work, names, sizes, per_deal, meanwhile) for r in share]

    def learn() -> None:
        engine.learn()  # for the full checks that follow
        engine.budget.prepare()

    return each
