"""PM use cases: capacity, working days, holidays and time off."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pmsync.core.models import PM, TimeOff
from pmsync.errors import DuplicatePM, PMHasOpenDeals

if TYPE_CHECKING:
    from pmsync.service.session import Session


def add(session: Session, pm: PM) -> PM:
    with session.store() as store:
        with store.snapshot():
            if store.pm_exists(pm.name):
                raise DuplicatePM(pm.name)
        batch = session.batch()
        batch.add_pm(pm)
        store.apply(batch.steps)
        return store.pm(pm.name)


def listing(session: Session) -> list[PM]:
    with session.reading() as store:
        return store.pms()


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


def remove(session: Session, name: str) -> PM:
    """A PM with no open deals leaves; their delivered deals keep their history."""
    with session.store() as store:
        with store.snapshot():
            pm = store.pm(name)
            assert pm.id is not None
            open_deals = store.open_deal_ids(pm.id)
        if open_deals:
            raise PMHasOpenDeals(pm.name, open_deals)
        batch = session.batch()
        batch.remove_pm(pm.id, pm.name, open_deals)
        store.apply(batch.steps)
        return pm


def add_timeoff(session: Session, name: str, off: TimeOff) -> tuple[PM, TimeOff]:
    with session.store() as store:
        with store.snapshot():
            pm = store.pm(name)
        assert pm.id is not None
        batch = session.batch()
        made = batch.add_timeoff(pm.id, off)
        new_id = store.apply(batch.steps)[made][0][0]
        return store.pm(pm.name), store.timeoff_entry(new_id)
