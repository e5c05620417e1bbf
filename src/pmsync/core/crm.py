"""Reading CRM exports: which column is which field, and what each cell means.

HubSpot and Salesforce name their columns differently and write amounts and dates the way
the exporting user's locale does. This module turns header + rows into validated deal
fields, or a reason per row why not. No I/O: the CLI reads the file, storage writes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pmsync.errors import BadInput, MixedDateOrder

# Our own field names (those of `export deals`) and what CRMs call them.
FIELDS = (
    "id",
    "title",
    "client",
    "seller",
    "kind",
    "stage",
    "value",
    "probability",
    "promised",
    "start",
    "pm",
    "stakeholder",
    "external_id",
    "signed_on",
    "hours",
    "close_date",
    "delivered_on",
    "actual_hours",
    "lost_reason",
)
ALIASES: dict[str, str] = {
    # HubSpot
    "deal name": "title",
    "amount": "value",
    "close date": "close_date",
    "deal stage": "stage",
    "deal owner": "seller",
    "record id": "external_id",
    "associated company": "client",
    "company name": "client",
    "company": "client",
    "deal probability": "probability",
    "deal type": "kind",
    # Salesforce
    "opportunity name": "title",
    "account name": "client",
    "stage": "stage",
    "probability (%)": "probability",
    "opportunity owner": "seller",
    "opportunity id": "external_id",
    "type": "kind",
    # ours, and their usual spellings
    **{f: f for f in FIELDS},
    "external id": "external_id",
    "signed on": "signed_on",
    "promised date": "promised",
    "start date": "start",
    "estimate hours": "hours",
    "estimate_hours": "hours",
}
DATE_FIELDS = ("promised", "start", "signed_on", "close_date", "delivered_on")
MONEY_FIELDS = ("value",)
NUMBER_FIELDS = ("probability", "hours", "actual_hours")
STAGE_DEFAULTS = (("won", "signed"), ("lost", "lost"))


@dataclass
class ImportRow:
    line: int
    fields: dict[str, Any]


@dataclass
class Rejected:
    line: int
    reason: str


@dataclass
class Parsed:
    rows: list[ImportRow] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)


def columns_for(header: Sequence[str], mapping: dict[str, str]) -> tuple[dict[int, str], list]:
    """Column index -> field; unknown columns are listed, not fatal (CRMs export plenty)."""
    chosen: dict[int, str] = {}
    unknown = []
    for i, name in enumerate(header):
        key = name.strip().lstrip("\ufeff").strip().lower()
        target = mapping.get(key) or ALIASES.get(key)
        if target and target not in chosen.values():
            chosen[i] = target
        elif not target:
            unknown.append(name.strip())
    if "title" not in chosen.values():
        raise BadInput(
            "no title column found (looked for Deal Name, Opportunity Name, title); "
            'name it with --map "COLUMN=title"'
        )
    return chosen, unknown


def map_stage(text: str, overrides: Sequence[tuple[str, str]]) -> str:
    """CRM stage -> ours: an exact override first, then won -> signed, lost -> lost."""
    lowered = text.strip().lower()
    for crm, ours in overrides:
        if lowered == crm:
            return ours
    if lowered in ("pipeline", "signed", "active", "delivered", "lost"):
        return lowered
    for needle, ours in STAGE_DEFAULTS:
        if needle in lowered:
            return ours
    return "pipeline"


_MONEY_JUNK = re.compile(r"[^\d,.\-]")


def parse_amount(text: str) -> float:
    """`$12,500.00`, `12.500,00 €`, `EUR 12 500` -> 12500.0."""
    cleaned = _MONEY_JUNK.sub("", text.replace("\u00a0", "").replace(" ", ""))
    if not cleaned or not re.search(r"\d", cleaned):
        raise ValueError(text)
    if "," in cleaned and "." in cleaned:
        # Whichever comes last is the decimal mark.
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        head, _, tail = cleaned.rpartition(",")
        # 12,500 is thousands; 12,5 or 12,50 is a decimal comma.
        cleaned = cleaned.replace(",", "") if len(tail) == 3 else f"{head.replace(',', '')}.{tail}"
    elif cleaned.count(".") > 1 or re.fullmatch(r"\d{1,3}\.\d{3}", cleaned):
        # 1.250.000 or 9.000: dots as thousands separators (money has 2 decimals, not 3).
        cleaned = cleaned.replace(".", "")
    value = float(cleaned)
    if not math.isfinite(value) or value < 0:
        raise ValueError(text)
    return value


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})(?:[ T,].*)?$")


def date_order(values: Sequence[str]) -> str | None:
    """Day-first or month-first for a column of numeric dates, read from the whole column:
    a first part above 12 means day-first, a second part above 12 month-first."""
    dmy = mdy = False
    for v in values:
        m = _NUMERIC.match(v.strip())
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            dmy |= a > 12
            mdy |= b > 12
    if dmy and mdy:
        raise MixedDateOrder()
    return "dmy" if dmy else "mdy" if mdy else None


def parse_crm_date(text: str, order: str | None, fmt: str | None) -> date:
    raw = text.strip()
    if fmt:
        return datetime.strptime(raw, fmt).date()
    if m := _ISO.match(raw):
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _NUMERIC.match(raw):
        a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if year < 100:
            year += 2000
        if order is None and a != b and a <= 12 and b <= 12:
            raise ValueError(f"'{raw}' could be day/month or month/day; give --date-format")
        day, month = (a, b) if order == "dmy" or (order is None and a > 12) else (b, a)
        return date(year, month, day)
    from dateutil import parser

    return parser.parse(raw).date()


def parse_rows(
    header: Sequence[str],
    rows: Sequence[tuple[int, Sequence[str]]],
    mapping: dict[str, str],
    stage_map: Sequence[tuple[str, str]],
    date_format: str | None = None,
) -> Parsed:
    """Rows (line number, cells) -> validated deal fields, or why not."""
    from pmsync.core.rules import check_hours, check_probability

    chosen, unknown = columns_for(header, mapping)
    result = Parsed(unknown_columns=unknown)
    orders = {}
    for i, name in chosen.items():
        if name in DATE_FIELDS:
            orders[name] = date_order([r[i] for _, r in rows if i < len(r) and r[i].strip()])
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        values: dict[str, Any] = {}
        try:
            for i, name in chosen.items():
                raw = cells[i].strip() if i < len(cells) else ""
                if raw.startswith("'") and raw[1:2] in ("=", "+", "-", "@"):
                    raw = raw[1:]  # our own formula guard, from `pmsync export`
                if not raw:
                    continue
                if name in DATE_FIELDS:
                    try:
                        values[name] = parse_crm_date(raw, orders.get(name), date_format)
                        if values[name].year > 2200:
                            raise ValueError("too far in the future")
                    except (ValueError, OverflowError) as exc:
                        raise ValueError(
                            f"unreadable {name.replace('_', ' ')} '{raw}'"
                            + (f": {exc}" if "could be" in str(exc) else "")
                        ) from None
                elif name in MONEY_FIELDS:
                    try:
                        values[name] = parse_amount(raw)
                    except ValueError:
                        raise ValueError(f"unreadable amount '{raw}'") from None
                elif name in NUMBER_FIELDS:
                    try:
                        number = float(raw.rstrip("%").strip().replace(",", "."))
                        if not math.isfinite(number):
                            raise ValueError(raw)
                    except ValueError:
                        raise ValueError(f"unreadable {name} '{raw}'") from None
                    if name == "probability":
                        check_probability(number)
                    else:
                        check_hours(number, "hours")
                    values[name] = number
                elif name == "stage":
                    values[name] = map_stage(raw, stage_map)
                elif name == "id":
                    values[name] = int(raw)
                else:
                    values[name] = raw
        except (ValueError, BadInput) as exc:
            result.rejected.append(Rejected(line, str(exc)))
            continue
        if not values.get("title"):
            result.rejected.append(Rejected(line, "no title"))
            continue
        values.setdefault("client", "(no client)")
        close = values.pop("close_date", None)
        if values.get("stage") == "signed" and close and not values.get("signed_on"):
            values["signed_on"] = close
        result.rows.append(ImportRow(line, values))
    return result
