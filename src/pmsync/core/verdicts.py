"""Verdicts: how a forecast stands against a promise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pmsync.core.montecarlo import Slot
from pmsync.core.words import Word


class Verdict(Word):
    REALISTIC = "realistic"
    AT_RISK = "at-risk"
    UNREALISTIC = "unrealistic"


REALISTIC, AT_RISK, UNREALISTIC = Verdict.REALISTIC, Verdict.AT_RISK, Verdict.UNREALISTIC


@dataclass(slots=True)
class Judgement:
    verdict: Verdict | None
    slack_days: int | None


def judge(promised: date | None, slot: Slot, buffer: int) -> Judgement:
    """Without evidence: finish after the promise is unrealistic, less slack than the
    at-risk buffer at risk; with evidence P80 within the promise is realistic, P50 at risk."""
    if slot.finish is None:
        return Judgement(REALISTIC if promised else None, None)
    if promised is None:
        return Judgement(None, None)
    slack = slot.slack_days
    if slot.p80 is not None and slot.p50 is not None:
        if slot.p80 <= promised:
            return Judgement(REALISTIC, slack)
        return Judgement(AT_RISK if slot.p50 <= promised else UNREALISTIC, slack)
    if slot.finish > promised:
        return Judgement(UNREALISTIC, slack)
    return Judgement(AT_RISK if slack is not None and slack < buffer else REALISTIC, slack)
