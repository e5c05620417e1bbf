"""Deal use cases: a deal through its life cycle, and what a list or a show displays.

Each write reads what the decision needs, lets `core.lifecycle` decide, and sends one batch
whose preconditions restate what was read."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from pmsync.core import lifecycle, rules
from pmsync.core.lifecycle import OPEN_STAGES, Stage
from pmsync.core.models import (
    PM,
    Correction,
    Deal,
    Estimate,
    PromiseChange,
    Term,
    Update,
    WorklogEntry,
)
from pmsync.errors import (
    ArchivedPM,
    DealClosed,
    DealHasWork,
    DuplicateExternalId,
    ForbiddenMove,
    UseVerb,
)

if TYPE_CHECKING:
    from pmsync.core.forecast import DealForecast
    from pmsync.service.session import Session
    from pmsync.storage.batch import Batch
    from pmsync.storage.store import Store


def taking_work(store: Store, name: str) -> PM:
    """The PM named, who must not have left (archived)."""
    pm = store.pm(name)
    if pm.archived:
        raise ArchivedPM(pm.name)
    return pm


def _check_refs(store: Store, values: Mapping[str, Any], deal_id: int | None = None) -> None:
    """The PM named must exist and an external id must be free (said before writing;
    the batch's constraints hold the line against a writer in between)."""
    if values.get("pm"):
        taking_work(store, values["pm"])
    ext = values.get("external_id")
    if ext and store.external_id_taken(ext, deal_id):
        raise DuplicateExternalId(ext)


def add(session: Session, values: Mapping[str, Any], estimate: Estimate | None) -> Deal:
    """A new deal (`values` keyed by deal columns, `stage` pipeline or signed), with its
    first estimate; a deal added signed is signed today unless `signed_on` says otherwise."""
    record = dict(values)
    stage = lifecycle.stage(record.get("stage", Stage.PIPELINE))
    if stage not in lifecycle.NEW_DEAL_STAGES:
        raise ForbiddenMove(0, "new", stage, "not-allowed")
    if stage == Stage.SIGNED:
        record["signed_on"] = record.get("signed_on") or session.today
    rules.check_start(record.get("start"), record.get("promised"))
    with session.store() as store:
        with store.snapshot():
            _check_refs(store, record)
            names = store.pm_names()
        batch = session.batch()
        if record.get("pm"):
            batch.pm_exists(record["pm"], names)
        made = batch.add_deal(record, estimate)
        deal_id = store.apply(batch.steps)[made][0][0]
        return store.deal(deal_id)


def update(
    session: Session, deal_id: int, values: Mapping[str, Any], stage: str | None = None
) -> Deal:
    """Change a deal's fields (None clears one) and, optionally, move it along the life
    cycle where no command of its own does that."""
    with session.store() as store:
        with store.snapshot():
            current = store.deal(deal_id)
            target = None
            if stage is not None:
                target = lifecycle.check_move(deal_id, current.stage, stage)
                if target in lifecycle.OWN_COMMAND:
                    raise UseVerb(deal_id, target)
            if not current.is_open:
                raise DealClosed(deal_id, current.stage, "change")
            rules.check_start(
                values.get("start", current.start),
                values.get("promised", current.promised),
            )
            _check_refs(store, values, deal_id)
            names = store.pm_names()
        batch = session.batch()
        # A plain edit needs the deal open; a move needs it where the move was judged from.
        batch.deal_stage_in(deal_id, OPEN_STAGES if target is None else (current.stage,))
        if values.get("pm"):
            batch.pm_exists(values["pm"], names)
        batch.update_deal(deal_id, values)
        if target is not None:
            batch.set_stage(deal_id, target)
        store.apply(batch.steps)
        return store.deal(deal_id)


def _move(
    session: Session,
    deal_id: int,
    target: Stage,
    write: Callable[[Batch], None],
    check: Callable[[Deal], None] = lambda deal: None,
) -> Deal:
    """A move with a command of its own: allowed from the stage read (and by `check` of the
    deal as read), written only if the deal is still there when the batch runs."""
    with session.store() as store:
        with store.snapshot():
            current = store.deal(deal_id)
        lifecycle.check_move(deal_id, current.stage, target)
        check(current)
        batch = session.batch()
        batch.deal_stage_is(deal_id, current.stage)
        write(batch)
        store.apply(batch.steps)
        return store.deal(deal_id)


def sign(session: Session, deal_id: int, on: date) -> Deal:
    """Signed: the estimate in force now becomes the one actuals are compared with."""
    return _move(session, deal_id, Stage.SIGNED, lambda b: b.sign(deal_id, on))


class Logged(NamedTuple):
    entry: WorklogEntry
    deal: Deal


def log(session: Session, entry: WorklogEntry) -> Logged:
    """Hours worked on a signed or active deal; the first hours start a signed deal."""
    rules.check_worked_on(entry.on, session.today)
    with session.store() as store:
        with store.snapshot():
            current = store.deal(entry.deal_id)
        if not lifecycle.can_log(current.stage):
            raise DealClosed(entry.deal_id, current.stage, "log")
        batch = session.batch()
        batch.deal_stage_in(entry.deal_id, lifecycle.LOADED_STAGES)
        made = batch.log_hours(entry)
        moved = lifecycle.after_logging(current.stage)
        if moved is not None:
            # Another writer's hours may have started it already.
            batch.set_stage(entry.deal_id, moved, only_from=current.stage)
        new_id = store.apply(batch.steps)[made][0][0]
        return Logged(store.worklog(entry.deal_id, only=new_id)[0], store.deal(entry.deal_id))


def deliver(session: Session, deal_id: int, on: date, actual_hours: float | None) -> Deal:
    """Delivered: actual hours (by default the hours logged) calibrate later forecasts."""
    return _move(
        session,
        deal_id,
        Stage.DELIVERED,
        lambda b: b.deliver(deal_id, on, actual_hours),
        lambda d: rules.check_delivery(on, d.signed_on),
    )


def lose(session: Session, deal_id: int, reason: str | None) -> Deal:
    return _move(session, deal_id, Stage.LOST, lambda b: b.lose(deal_id, reason))


class DealList(NamedTuple):
    deals: list[Deal]
    forecasts: dict[int, DealForecast]


def listing(
    session: Session,
    stages: Sequence[str] | None = OPEN_STAGES,
    seller: str | None = None,
    pm: str | None = None,
    client: str | None = None,
    meanwhile: Callable[[list[Deal]], object] | None = None,
) -> DealList:
    """Deals (open ones by default) with the forecast of every open one that has a PM;
    `meanwhile` is given the deals while the forecasts are worked out on other cores."""
    from pmsync.service.forecasting import forecaster, portfolio

    unfiltered = stages == OPEN_STAGES and not (seller or pm or client)
    with session.reading() as store:
        # The whole team's list: its history is read aside while its deals are read here.
        history = store.history_aside() if unfiltered else None
        deals = store.deals(stages=stages, seller=seller, pm=pm, client=client)
        wanted = {d.pm for d in deals if d.is_open and d.pm}
        early = (lambda: meanwhile(deals)) if meanwhile is not None else None
        forecasts: dict[int, DealForecast] = {}
        if wanted:
            # Every open deal of these PMs is load, whatever the filter shows.
            engine = forecaster(
                store, session.today, open_deals=deals if unfiltered else None, history=history
            )
            forecasts = portfolio(engine, sorted(wanted), early)
        else:
            if history is not None:
                history()  # nothing to forecast: the other process is let go
            if early is not None:
                early()
    return DealList(deals, forecasts)


class DealRecord(NamedTuple):
    """Everything about one deal."""

    deal: Deal
    forecast: DealForecast | None
    estimates: list[Estimate]
    worklog: list[WorklogEntry]
    terms: list[Term]
    updates: list[Update]
    promise_history: list[PromiseChange]
    corrections: list[Correction]


def show(session: Session, deal_id: int) -> DealRecord:
    from pmsync.service.forecasting import forecaster

    with session.reading() as store:
        deal = store.deal(deal_id)
        forecast = None
        if deal.is_open and deal.pm:
            forecast = forecaster(store, session.today).portfolio([deal.pm]).get(deal_id)
        return DealRecord(
            deal,
            forecast,
            store.estimates(deal_id),
            store.worklog(deal_id),
            store.terms(deal_id=deal_id),
            store.updates(deal_id=deal_id),
            store.promise_history(deal_id),
            store.corrections(deal_id),
        )


def remove(session: Session, deal_id: int, force: bool = False) -> Deal:
    """A deal added by mistake (a duplicate, say) goes, with all that was recorded on it;
    one with hours logged or a delivery only with `force`. Returns it as it was."""
    with session.store() as store:
        with store.snapshot():
            deal = store.deal(deal_id)
        worked = deal.logged_hours > 0 or deal.stage == Stage.DELIVERED
        error = DealHasWork(deal_id, deal.logged_hours, deal.stage == Stage.DELIVERED)
        if worked and not force:
            raise error
        batch = session.batch()
        batch.deal_exists(deal_id)
        batch.remove_deal(deal_id, force, error)
        store.apply(batch.steps)
        return deal
