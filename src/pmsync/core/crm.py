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
# A CRM's "type" (HubSpot's newbusiness, Salesforce's New Customer) is a sales category,
# not the kind of work whose efforts the forecast compares: it is left out on purpose.
ALIASES: dict[str, str] = {
    # HubSpot
    "deal name": "title",
    "amount": "value",
    "close date": "close_date",
    "deal stage": "stage",
    "deal owner": "seller",
    "record id": "external_id",
    "associated company": "client",
    "associated company (primary)": "client",
    "company name": "client",
    "company": "client",
    "deal probability": "probability",
    # Salesforce reports, and Data Loader's API names
    "opportunity name": "title",
    "account name": "client",
    "stage": "stage",
    "probability (%)": "probability",
    "opportunity owner": "seller",
    "opportunity id": "external_id",
    "stagename": "stage",
    "closedate": "close_date",
    "account.name": "client",
    # Pipedrive ("Deal - Title", ...: the prefix is dropped before looking here)
    "organization": "client",
    "organisation": "client",
    "value": "value",
    "status": "status",
    "owner": "seller",
    "expected close date": "close_date",
    "won time": "signed_on",
    "lost reason": "lost_reason",
    # Zoho
    "closing date": "close_date",
    # The amounts' currency (Pipedrive's "Deal - Currency", Salesforce's, HubSpot's code)
    "currency": "currency",
    "opportunity currency": "currency",
    "amount currency": "currency",
    "deal currency code": "currency",
    # ours, and their usual spellings
    **{f: f for f in FIELDS},
    "external id": "external_id",
    "signed on": "signed_on",
    "promised date": "promised",
    "start date": "start",
    "estimate hours": "hours",
    "estimate_hours": "hours",
}
# Read from a CRM but not stored per deal: Pipedrive's won/lost/open, which decides the
# stage, and the currency of the amounts, which becomes the team's when it has none.
CRM_ONLY = ("status", "currency")
DATE_FIELDS = ("promised", "start", "signed_on", "close_date", "delivered_on")
MONEY_FIELDS = ("value",)
NUMBER_FIELDS = ("probability", "hours", "actual_hours")
# Stage words, whole words in any case: a lost word beats a won one ("Closed Lost - won by
# competitor" is lost). HubSpot's internal ids, and the usual translations.
LOST_WORDS = frozenset(
    {"lost", "closedlost", "verloren", "perdu", "perdue", "perdido", "perdida", "perso", "persa"}
)
WON_WORDS = frozenset(
    {"won", "closedwon", "gewonnen", "gagné", "gagne", "gagnée", "ganado", "ganada", "vinto"}
)
# A generic header that names the title only when nothing better does (Data Loader: NAME).
WEAK_ALIASES = {"name": "title"}


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


@dataclass
class Table:
    """A CRM export's header and rows: (line where the record starts, cells)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str
    delimiter: str
    footer: list[str] = field(default_factory=list)  # trailing lines that were no records


def read_table(raw: bytes, source: str, encoding: str | None = None) -> Table:
    """Decode and split a CSV as CRMs and spreadsheets write it: UTF-8 (with or without a
    BOM), UTF-16 with a BOM (Excel's "Unicode text"), else Windows-1252 (Excel's "CSV" on
    Windows); `,`, `;` or tab, whichever the header uses; a report's footer lines skipped."""
    import csv
    import io

    if raw.startswith(b"PK\x03\x04"):
        raise BadInput(
            f"{source} is an Excel workbook (.xlsx), not CSV; in Excel use File > Save As > "
            "CSV UTF-8 and import that"
        )
    text, used = _decode(raw, source, encoding)
    if not text.strip():
        raise BadInput(f"{source} is empty")
    first = text.lstrip("\ufeff").splitlines()[0]
    delimiter = max((",", ";", "\t"), key=lambda d: (_count_outside_quotes(first, d), d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        rows: list[tuple[int, list[str]]] = []
        append, last = rows.append, reader.line_num
        for row in reader:  # a record starts on the line after the previous one ended
            append((last + 1, row))
            last = reader.line_num
    except csv.Error as exc:
        raise BadInput(
            f"{source} is not a readable CSV file (line {reader.line_num}): {exc}"
        ) from None
    footer = []
    if len(header) >= 3:
        # A report ends with lines of one cell ("Confidential Information - Do Not
        # Distribute", "Copyright ... salesforce.com"): no record has a single field.
        while rows and len([c for c in rows[-1][1] if c.strip()]) <= 1:
            line = rows.pop()[1]
            if any(c.strip() for c in line):
                footer.append(" ".join(c.strip() for c in line if c.strip()))
        footer.reverse()
    return Table(header, rows, used, delimiter, footer)


def _decode(raw: bytes, source: str, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise BadInput(f"unknown encoding '{encoding}' (e.g. utf-8, cp1252, utf-16)") from None
        except UnicodeDecodeError as exc:
            raise BadInput(f"{source} is not {encoding} text (byte {exc.start})") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise BadInput(
                f"{source} starts like UTF-16 text but isn't; save it again as CSV UTF-8"
            ) from None
    if b"\x00" in raw[:4096]:
        raise BadInput(f"{source} is not a text file (a CSV export is text)")
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise BadInput(f"{source}: unknown text encoding; give --encoding") from None


def _count_outside_quotes(line: str, delimiter: str) -> int:
    quoted, n = False, 0
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == delimiter and not quoted:
            n += 1
    return n


def _header_key(name: str) -> str:
    key = name.strip().lstrip("\ufeff").strip().lower()
    # Pipedrive prefixes every column with its object: "Deal - Title", "Organization - Name".
    if key.startswith("deal - "):
        key = key[len("deal - ") :]
        return {"title": "deal name", "id": "record id"}.get(key, key)
    return key


def columns_for(header: Sequence[str], mapping: dict[str, str]) -> tuple[dict[int, str], list]:
    """Column index -> field; unknown columns are listed, not fatal (CRMs export plenty)."""
    chosen: dict[int, str] = {}
    unknown = []
    keys = [_header_key(name) for name in header]
    for i, (name, key) in enumerate(zip(header, keys, strict=True)):
        target = mapping.get(name.strip().lower()) or mapping.get(key) or ALIASES.get(key)
        if target and target not in chosen.values():
            chosen[i] = target
        elif not target and key not in WEAK_ALIASES:
            unknown.append(name.strip())
    for i, key in enumerate(keys):
        weak = WEAK_ALIASES.get(key)
        if weak and i not in chosen:
            if weak in chosen.values():
                unknown.append(header[i].strip())
            else:
                chosen[i] = weak
    if "title" not in chosen.values():
        raise BadInput(
            "no title column found (looked for Deal Name, Opportunity Name, title); "
            'name it with --map "COLUMN=title"'
        )
    return chosen, unknown


def map_stage(text: str, overrides: Sequence[tuple[str, str]]) -> str:
    """CRM stage -> ours: an exact override first, then our own words, then a lost word
    (lost beats won), then a won word, else pipeline. Words are whole: "Wonderland" is
    not won."""
    lowered = text.strip().lower()
    for crm, ours in overrides:
        if lowered == crm:
            return ours
    if lowered in ("pipeline", "signed", "active", "delivered", "lost"):
        return lowered
    words = set(re.findall(r"\w+", lowered))
    if words & LOST_WORDS:
        return "lost"
    if words & WON_WORDS:
        return "signed"
    return "pipeline"


_MONEY_JUNK = re.compile(r"[^\d,.\-]")
# What makes an amount a guess: a magnitude (48k, 1.2M, 3 Mio), a range, or "about".
_INEXACT = re.compile(
    r"\d\s*(k|m|mm|mn|bn|b|mio|mrd|tsd|thousand|million|billion)\b"
    r"|\d\s*-\s*\d|~|\b(ca|approx|about|circa|around|env)\b",
    re.IGNORECASE,
)


def parse_amount(text: str) -> float:
    """`$12,500.00`, `12.500,00 €`, `EUR 12 500` -> 12500.0. An amount that can't be read
    exactly (`€48k`, `1.2M`, `about 5000`) is refused: a guess would be a wrong number."""
    # The check only where it can find something: most amounts are digits and marks.
    suspect = "~" in text or "-" in text[1:] or text.upper() != text.lower()  # any letter
    if suspect and _INEXACT.search(text.replace("\u00a0", " ")):
        raise ValueError(f"'{text}' is not an exact amount (write it in full, e.g. 48000)")
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
            # 08.12.2026: dotted dates are day-first wherever they are written.
            dmy |= a > 12 or "." in v
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
        dotted = "." in raw
        if order is None and a != b and a <= 12 and b <= 12 and not dotted:
            raise ValueError(f"'{raw}' could be day/month or month/day; give --date-format")
        day_first = order == "dmy" or (order is None and (a > 12 or dotted))
        day, month = (a, b) if day_first else (b, a)
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
    stages_seen: dict[str, str] = {}
    # Columns stored as the text they hold (title, client, ids...): no parsing to choose.
    plain = {
        name
        for name in chosen.values()
        if name not in (*DATE_FIELDS, *MONEY_FIELDS, *NUMBER_FIELDS, *CRM_ONLY, "stage", "id")
    }
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
                if name in plain:
                    values[name] = raw
                elif name in DATE_FIELDS:
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
                    except ValueError as exc:
                        said = str(exc)
                        raise ValueError(
                            said if "exact" in said else f"unreadable amount '{raw}'"
                        ) from None
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
                elif name == "currency":
                    values[name] = raw.upper()
                elif name in ("stage", "status"):
                    # A file names a handful of stages, fifty thousand times.
                    found = stages_seen.get(raw)
                    if found is None:
                        found = stages_seen[raw] = map_stage(raw, stage_map)
                    values[name] = found
                elif name == "id":
                    if not raw.isdigit():
                        # Data Loader's ID (0065g00000XyZ...) is the CRM's id, not ours.
                        values.setdefault("external_id", raw)
                        continue
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
        # Pipedrive's status says won, lost or open; its stage is only the step.
        status = values.pop("status", None)
        if status in ("signed", "lost"):
            values["stage"] = status
        elif status is not None and values.get("stage") in ("signed", "lost"):
            values["stage"] = "pipeline"
        close = values.pop("close_date", None)
        if values.get("stage") == "signed" and close and not values.get("signed_on"):
            values["signed_on"] = close
        result.rows.append(ImportRow(line, values))
    return result
