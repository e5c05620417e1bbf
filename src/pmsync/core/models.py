"""The records sellers and PMs keep, as plain dataclasses shared by every layer.

The records loaded by the ten thousand (deals, estimates, terms, updates) are slotted rather
than frozen: a frozen dataclass pays for every field it sets, and treat them as values all
the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from pmsync.core.lifecycle import OPEN_STAGES, Stage

TERM_KINDS = ("payment", "deadline", "penalty", "sla", "other")
# Kinds of term that a late delivery breaks, so the forecast can put them at risk.
DATED_TERM_KINDS = ("payment", "deadline", "penalty", "sla")
TERM_STATUSES = ("open", "met", "missed", "waived")
SIGNALS = ("info", "risk", "upsell", "churn-risk", "new-logo", "stakeholder-change")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class TimeOff:
    start: date
    end: date
    reason: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class PM:
    name: str
    capacity: float
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    email: str | None = None
    holidays: str | None = None
    timeoff: tuple[TimeOff, ...] = ()
    id: int | None = None
    archived: str | None = None  # when the PM left; their delivered deals keep their name

    @property
    def hours_per_day(self) -> float:
        return self.capacity / len(self.workdays)


@dataclass(slots=True)
class Estimate:
    deal_id: int
    hours: float
    low: float | None = None
    high: float | None = None
    author: str | None = None
    note: str | None = None
    created: str | None = None
    id: int | None = None

    @property
    def has_range(self) -> bool:
        return self.low is not None or self.high is not None


@dataclass(slots=True)
class WorklogEntry:
    deal_id: int
    hours: float
    on: date
    note: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Correction:
    """A record corrected after the fact: `record` (worklog, term, update, deal) and its
    id, the `field` changed (or `removed`/`reopened`), and the values before and after."""

    deal_id: int | None
    record: str
    record_id: int | None
    field: str
    old: str | None
    new: str | None
    changed: str


@dataclass(frozen=True)
class PromiseChange:
    deal_id: int
    old: date | None
    new: date | None
    changed: str


@dataclass(slots=True)
class Deal:
    id: int
    title: str
    client: str
    seller: str | None = None
    kind: str | None = None
    stage: Stage = Stage.PIPELINE
    value: float | None = None
    probability: float | None = None
    promised: date | None = None
    start: date | None = None
    pm: str | None = None
    stakeholder: str | None = None
    external_id: str | None = None
    signed_on: date | None = None
    delivered_on: date | None = None
    actual_hours: float | None = None
    lost_reason: str | None = None
    # Estimate and worklog summaries, filled by storage so the core needs no queries.
    estimate: Estimate | None = None
    logged_hours: float = 0.0

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def remaining_hours(self) -> float | None:
        if self.estimate is None:
            return None
        return max(0.0, self.estimate.hours - self.logged_hours)

    @property
    def over_estimate(self) -> bool:
        return self.estimate is not None and self.logged_hours > self.estimate.hours


class Actual(NamedTuple):
    """A delivered deal as history sees it (a tuple: there are tens of thousands)."""

    deal_id: int
    title: str
    kind: str | None
    pm: str | None
    delivered_on: date | None
    estimate_hours: float | None  # the estimate in force at signing, else the first
    actual_hours: float | None
    ranged: bool = False  # the estimate at signing had a low/high range

    @property
    def ratio(self) -> float | None:
        return overrun(self.actual_hours, self.estimate_hours)


def probability_weight(probability: float | None) -> float:
    """How much of a pipeline deal counts as load: its chance of closing (none given: all)."""
    return (probability if probability is not None else 100.0) / 100.0


def overrun(actual: float | None, estimate: float | None) -> float | None:
    """Actual hours over the estimate at signing: what history learns from a deal."""
    if actual is None or not estimate:
        return None
    return actual / estimate


@dataclass(slots=True)
class Term:
    id: int
    deal_id: int
    text: str
    due: date
    kind: str = "other"
    amount: float | None = None
    remind_days: int = 14
    status: str = "open"
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None


@dataclass(slots=True)
class Update:
    id: int
    deal_id: int
    text: str
    signal: str = "info"
    by: str | None = None
    created: str | None = None
