"""What every command shares: the database, today's date, and common options."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Annotated

import typer

from pmsync.core.dates import parse_date
from pmsync.errors import BadInput

if TYPE_CHECKING:
    from pmsync.core.forecast import Forecaster
    from pmsync.core.models import Deal
    from pmsync.storage.store import Store

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@dataclass
class Env:
    db: str | None = None
    today_text: str | None = None

    @cached_property
    def today(self) -> date:
        text = self.today_text or os.environ.get("PMSYNC_TODAY")
        return parse_date(text, date.today(), "--today") if text else date.today()

    def date(self, text: str | None, what: str) -> date | None:
        return None if text is None else parse_date(text, self.today, what)

    def plan_date(self, text: str | None, what: str) -> date | None:
        """A date the forecast plans with (promise, start): read, and within reach."""
        from pmsync.core.rules import check_horizon

        return check_horizon(self.date(text, what), self.today, what)

    @contextlib.contextmanager
    def store(self, write: bool = False, dry_run: bool = False) -> Iterator[Store]:
        import sqlite3

        from pmsync.storage.connection import resolve_path, translate
        from pmsync.storage.store import Store

        today = self.today  # a bad --today is bad input before any file is touched
        path = resolve_path(self.db)
        store = Store(path, today)
        try:
            with store.write(dry_run) if write else store.read():
                yield store
        except sqlite3.Error as exc:
            raise translate(exc, path) from None
        finally:
            store.close()


def env(ctx: typer.Context) -> Env:
    root = ctx.find_root()
    if not isinstance(root.obj, Env):
        root.obj = Env()
    return root.obj


def need_one(**options: object) -> None:
    """Refuse an update that changes nothing."""
    if all(v is None for v in options.values()):
        names = ", ".join("--" + k.replace("_", "-") for k in options)
        raise BadInput(f"nothing to change; give at least one of {names}")


def deal_id(text: str) -> int:
    try:
        value = int(text.lstrip("#"))
    except ValueError:
        raise BadInput(
            f"'{text}' is not a deal id; ids are whole numbers (pmsync deal list)"
        ) from None
    if value <= 0:
        raise BadInput(f"'{text}' is not a deal id; ids are positive whole numbers")
    return value


def forecaster(
    store: Store,
    include_pipeline: bool = False,
    open_deals: list[Deal] | None = None,
) -> Forecaster:
    """The forecast engine loaded with the team, its open work and its history."""
    from pmsync.core.forecast import Forecaster
    from pmsync.core.models import OPEN_STAGES
    from pmsync.storage import holiday_cache

    holiday_cache.load()
    return Forecaster(
        pms=store.pms(),
        deals=open_deals if open_deals is not None else store.deals(stages=OPEN_STAGES),
        delivered=store.history(),
        today=store.today,
        settings=store.settings(),
        include_pipeline=include_pipeline,
    )
