"""What a team tunes, kept in the database: each setting's type, default, limits and meaning,
written once here for storage (which reads them) and the CLI (which shows and sets them)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from pmsync.errors import BadInput, UnknownSetting


def _spec(kind: type, help: str, low: int | None = None, high: int | None = None) -> Any:
    return {"type": kind, "help": help, "limits": None if low is None else (low, high)}


@dataclass(frozen=True)
class Settings:
    """The team's settings, with their defaults."""

    at_risk_buffer: int = field(
        default=3,
        metadata=_spec(int, "working days of slack below which a promise is at risk", 0, 260),
    )
    samples: int = field(
        default=400, metadata=_spec(int, "Monte-Carlo samples per forecast", 10, 100_000)
    )
    seed: int = field(
        default=20260101,
        metadata=_spec(int, "random seed of the forecast (same data, same answer)"),
    )
    remind_days: int = field(
        default=14,
        metadata=_spec(int, "default days before a term's due date to start reminding", 0, 3650),
    )
    report_from: str | None = field(
        default=None, metadata=_spec(str, "From: address of the weekly email")
    )
    currency: str | None = field(
        default=None,
        metadata=_spec(str, "currency of deal values and term amounts, shown beside them (EUR)"),
    )


# name -> (type, help, (low, high) or None), in the order `config get` lists them.
SETTINGS: dict[str, tuple[type, str, tuple[int, int] | None]] = {
    f.name: (f.metadata["type"], f.metadata["help"], f.metadata["limits"]) for f in fields(Settings)
}


def parse_setting(key: str, text: str) -> Any:
    """A setting's value from text, typed and within its limits."""
    if key not in SETTINGS:
        raise UnknownSetting(key, sorted(SETTINGS))
    kind, _, limits = SETTINGS[key]
    try:
        typed = kind(text)
    except ValueError:
        raise BadInput(f"setting {key} needs a whole number, not '{text}'") from None
    if key == "currency":
        typed = typed.strip().upper()
        if not (typed.isalpha() and len(typed) == 3):
            raise BadInput(f"setting currency needs a three-letter code like EUR, not '{text}'")
    if limits is not None and not limits[0] <= typed <= limits[1]:
        raise BadInput(f"setting {key} must be between {limits[0]} and {limits[1]}, not {typed}")
    return typed


def from_stored(stored: dict[str, str]) -> Settings:
    """Settings from the stored text values; keys this pmsync does not know are ignored."""
    return Settings(**{k: SETTINGS[k][0](v) for k, v in stored.items() if k in SETTINGS})
