"""What every command shares: the session (database, today) and common options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Annotated

import typer

from pmsync.core.dates import parse_date
from pmsync.errors import BadInput, PmsyncError, UnknownDeal

if TYPE_CHECKING:
    from pmsync.service.session import Session

# `Env.date` is a method: the type needs another name inside the class.
Day = date

# What the estimate commands call an estimate's range, for the range check's messages.
RANGE_FLAGS = ("--low", "--high")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@dataclass
class Env:
    """The root options as given (Typer has already read PMSYNC_DB and PMSYNC_TODAY)."""

    db: str | None = None
    today_text: str | None = None

    @cached_property
    def today(self) -> date:
        real = date.today()
        return parse_date(self.today_text, real, "--today") if self.today_text else real

    @cached_property
    def session(self) -> Session:
        from pmsync.service.session import Session

        return Session(self.db, self.today)  # a bad --today is bad input before any file

    def date(self, text: str | None, what: str) -> Day | None:
        return None if text is None else parse_date(text, self.today, what)

    def event_date(self, text: str | None, what: str) -> Day | None:
        """A day something happened (signed, delivered, worked): read, and not decades ago."""
        from pmsync.core.rules import check_past

        return check_past(self.date(text, what), self.today, what)

    def plan_date(self, text: str | None, what: str) -> Day | None:
        """A date the forecast plans with (promise, start): read, and within reach."""
        from pmsync.core.rules import check_horizon

        return check_horizon(self.date(text, what), self.today, what)


def env(ctx: typer.Context) -> Env:
    root = ctx.find_root()
    if not isinstance(root.obj, Env):
        root.obj = Env()
    return root.obj


def session(ctx: typer.Context) -> Session:
    return env(ctx).session


def need_one(**options: object) -> None:
    """Refuse an update that changes nothing."""
    if all(v is None for v in options.values()):
        names = ", ".join("--" + k.replace("_", "-") for k in options)
        raise BadInput(f"nothing to change; give at least one of {names}")


# SQLite's largest rowid: a larger number names no record (and would overflow a query).
_LARGEST_ID = 2**63 - 1


def record_id(text: str, kind: str, listing: str, unknown: Callable[[int], PmsyncError]) -> int:
    """A record's id as typed (`42` or `#42`); a number too large to be one is unknown."""
    try:
        value = int(text.strip().lstrip("#"))
    except ValueError:
        raise BadInput(f"'{text}' is not a {kind} id; ids are whole numbers ({listing})") from None
    if value <= 0:
        raise BadInput(f"'{text}' is not a {kind} id; ids are positive whole numbers")
    if value > _LARGEST_ID:
        raise unknown(value)
    return value


def deal_id(text: str) -> int:
    return record_id(text, "deal", "pmsync deal list", UnknownDeal)
