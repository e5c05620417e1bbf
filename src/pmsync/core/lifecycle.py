"""The deal life cycle: its stages, the moves between them, and what each move brings along.

    pipeline -> signed -> active -> delivered, or lost from any open stage;
    signed -> pipeline (a signature that fell through).

Every path that changes a stage goes through here: the deal commands, logging hours (which
starts a signed deal) and the CRM import (which only ever moves a deal forward).
"""

from __future__ import annotations

from pmsync.core.words import Word
from pmsync.errors import ForbiddenMove


class Stage(Word):
    PIPELINE = "pipeline"
    SIGNED = "signed"
    ACTIVE = "active"
    DELIVERED = "delivered"
    LOST = "lost"


STAGES = tuple(s.value for s in Stage)
OPEN_STAGES = (Stage.PIPELINE, Stage.SIGNED, Stage.ACTIVE)
# The stages whose remaining hours are a PM's load.
LOADED_STAGES = (Stage.SIGNED, Stage.ACTIVE)
# Stages a deal has been signed in: it has a signing date and a signing estimate.
SIGNED_STAGES = (Stage.SIGNED, Stage.ACTIVE, Stage.DELIVERED)
CLOSED_STAGES = (Stage.DELIVERED, Stage.LOST)
# What a new deal may start as.
NEW_DEAL_STAGES = (Stage.PIPELINE, Stage.SIGNED)
# Moves with a command of their own; `deal update --stage` refuses them.
OWN_COMMAND = (Stage.SIGNED, Stage.DELIVERED, Stage.LOST)

_MOVES: dict[Stage, tuple[Stage, ...]] = {
    Stage.PIPELINE: (Stage.SIGNED, Stage.LOST),
    Stage.SIGNED: (Stage.ACTIVE, Stage.DELIVERED, Stage.LOST, Stage.PIPELINE),
    Stage.ACTIVE: (Stage.DELIVERED, Stage.LOST),
    Stage.DELIVERED: (),
    Stage.LOST: (),
}
# How far along a deal is, for the import's forward-only rule.
_PROGRESS = {Stage.PIPELINE: 0, Stage.SIGNED: 1, Stage.ACTIVE: 2, Stage.DELIVERED: 3}
_BY_NAME = {s.value: s for s in Stage}


def stage(value: str) -> Stage:
    """The stage a stored or typed word names (KeyError for an unknown one)."""
    return _BY_NAME[value]


def is_open(value: str) -> bool:
    return value in OPEN_STAGES


def check_move(deal_id: int, current: str, to: str) -> Stage:
    """The stage `to` names, if a deal in `current` may move there; ForbiddenMove if not."""
    target = _BY_NAME.get(to)
    if target is None:
        raise ForbiddenMove(deal_id, current, to, "unknown-stage")
    if target == current:
        raise ForbiddenMove(deal_id, current, to, "same")
    if target not in _MOVES[stage(current)]:
        if current in CLOSED_STAGES:
            raise ForbiddenMove(deal_id, current, to, "closed")
        if target == Stage.DELIVERED:
            raise ForbiddenMove(deal_id, current, to, "unsigned")
        raise ForbiddenMove(deal_id, current, to, "not-allowed")
    return target


def can_log(current: str) -> bool:
    """Hours are logged on signed and active deals only."""
    return current in LOADED_STAGES


def after_logging(current: str) -> Stage | None:
    """Logging hours starts a signed deal: the stage it moves to, or None to stay."""
    return Stage.ACTIVE if current == Stage.SIGNED else None


def actual_hours(given: float | None, logged: float) -> float | None:
    """A delivery's actual hours: as given, else the hours logged (None when nothing was)."""
    return given if given is not None else (logged or None)


def import_move(current: str, crm: str) -> Stage | None:
    """The stage a CRM row moves a known deal to, or None: an import only moves forward (a
    CRM that still says "won" about an active or delivered deal leaves it be), and never
    reopens a closed deal."""
    target = _BY_NAME[crm]
    if target == current or current in CLOSED_STAGES:
        return None
    if target == Stage.LOST or _PROGRESS.get(target, -1) > _PROGRESS[stage(current)]:
        return target
    return None


def signs(current: str, target: Stage) -> bool:
    """Whether moving from `current` to `target` is the signing: the deal gets its signing
    date and the estimate that actuals will be compared with."""
    return current == Stage.PIPELINE and target in SIGNED_STAGES
