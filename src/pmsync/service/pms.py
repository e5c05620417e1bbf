"""PM use cases: capacity, working days, holidays and time off."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from pmsync.core.models import PM, TimeOff
from pmsync.errors import DuplicatePM, NoTimeOffThere, PMHasOpenDeals

if TYPE_CHECKING:
    from pmsync.service.session import Session


class Added(NamedTuple):
    pm: PM
    returned: bool  # an archived PM is back, with their history


def add(session: Session, pm: PM) -> Added:
    """A new PM, or one who left (archived) back with the capacity given now."""
    from pmsync.storage.batch import PM_COLUMNS

    with session.store() as store:
        with store.snapshot():
            before = store.pm(pm.name) if store.pm_exists(pm.name) else None
        if before is not None and not before.archived:
            raise DuplicatePM(pm.name)
        batch = session.batch()
        if before is not None:
            assert before.id is not None
            batch.unarchive_pm(before.id, {c: getattr(pm, c) for c in PM_COLUMNS if c != "name"})
        else:
            batch.add_pm(pm)
        store.apply(batch.steps)
        return Added(store.pm(pm.name), before is not None)


def listing(session: Session, archived: bool = False) -> list[PM]:
    """The PMs who take work; with `archived`, those who left too."""
    with session.reading() as store:
        return store.pms(archived)


def show(session: Session, name: str) -> PM:
    with session.reading() as store:
        return store.pm(name)


def update(session: Session, name: str, changes: Mapping[str, Any]) -> PM:
    """Change a PM's columns (name, email, capacity, workdays, holidays; None clears)."""
    with session.store() as store:
        with store.snapshot():
            current = store.pm(name)
            new_name = changes.get("name")
            renamed = new_name is not None and new_name.lower() != current.name.lower()
            if new_name is not None and renamed and store.pm_exists(new_name):
                raise DuplicatePM(new_name)
        batch = session.batch()
        assert current.id is not None
        batch.update_pm(current.id, changes)
        store.apply(batch.steps)
        return store.pm(changes.get("name") or current.name)


class Removed(NamedTuple):
    pm: PM
    deals: int  # deals that keep the PM's name: 0 when the PM was deleted, not archived


def remove(session: Session, name: str) -> Removed:
    """A PM with no open deals leaves. One with delivered or lost deals is archived: those
    keep their name and their history; one with none (added by mistake) is deleted."""
    with session.store() as store:
        with store.snapshot():
            pm = store.pm(name)
            assert pm.id is not None
            open_deals = store.open_deal_ids(pm.id)
            deals = store.deal_count(pm.id)
        if open_deals:
            raise PMHasOpenDeals(pm.name, open_deals)
        batch = session.batch()
        if deals:
            batch.archive_pm(pm.id, pm.name, open_deals)
        else:
            batch.remove_pm(pm.id, pm.name, open_deals)
        store.apply(batch.steps)
        return Removed(pm, deals)


def remove_timeoff(session: Session, name: str, start: date, end: date) -> PM:
    """Take `start`..`end` out of the PM's time off (whole ranges, ends, or a middle)."""
    from pmsync.core.timeoff import cut

    with session.store() as store:
        with store.snapshot():
            pm = store.pm(name)
        assert pm.id is not None
        done = cut(pm.timeoff, start, end)
        if not done.touched:
            raise NoTimeOffThere(pm.name, start, end)
        batch = session.batch()
        for off in done.removed:
            batch.remove_timeoff(off)
        for off, first, last in done.changed:
            batch.change_timeoff(off, first, last)
        for off in done.added:
            batch.add_timeoff(pm.id, off)
        store.apply(batch.steps)
        return store.pm(pm.name)


def add_timeoff(session: Session, name: str, off: TimeOff) -> tuple[PM, TimeOff]:
    with session.store() as store:
        with store.snapshot():
            pm = store.pm(name)
        assert pm.id is not None
        batch = session.batch()
        made = batch.add_timeoff(pm.id, off)
        new_id = store.apply(batch.steps)[made][0][0]
        return store.pm(pm.name), store.timeoff_entry(new_id)
