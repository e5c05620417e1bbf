"""Where output goes: rich on a terminal, plain text in a pipe, JSON on request."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

# Keyed by the verdict's word (core.verdicts.Verdict members are their words), so this
# module loads without the forecast.
VERDICT_STYLE = {"realistic": "green", "at-risk": "yellow", "unrealistic": "bold red"}


def plural(n: int, word: str, plural: str | None = None) -> str:
    """ "1 deal", "3 deals" ("2 activities" with `plural`)."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def working_days(n: int) -> str:
    return plural(n, "working day")


def slack(n: int | None) -> str | None:
    """A slack field: its working days, or nothing when there is no promise or no work."""
    return None if n is None else working_days(n)


def plan_line(finish: date | None, slack_days: int | None) -> str | None:
    """The plan on the estimates as given, where the finish shown is P80."""
    if finish is None:
        return None
    from pmsync.core.dates import human

    slack = "" if slack_days is None else f", slack {working_days(slack_days)}"
    return f"finish {human(finish)} on the estimates as given{slack}"


def chance(p: float) -> str:
    """A probability estimated from samples: never 100 % or 0 %, which no sample count can
    show, but "> 99%" and "< 1%"."""
    if p > 0.99:
        return "> 99%"
    if p < 0.01:
        return "< 1%"
    return f"{p:.0%}"


def cannot_forecast(reason: str) -> str:
    """What a view shows for a deal whose PM's queue cannot be forecast."""
    from pmsync.core.forecast import why_no_forecast

    return f"cannot forecast: {why_no_forecast(reason)}"


def is_terminal() -> bool:
    """A terminal that takes styles: not a pipe, not NO_COLOR (https://no-color.org), not
    TERM=dumb. Everything else gets plain text without one escape code."""
    return (
        sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM", "") != "dumb"
    )


def printable(text: str) -> str:
    """Text a person or a CSV gave, safe to print: control characters (escape sequences,
    BEL, newlines, bidi overrides...) are shown escaped, as `\\x1b` or `\\n`, never sent."""
    if text.isprintable():
        return text
    return "".join(map(_shown, text))


def _shown(c: str) -> str:
    import unicodedata

    # Spaces of every width (a CRM's no-break space) print as themselves.
    if c.isprintable() or unicodedata.category(c) == "Zs":
        return c
    return repr(c)[1:-1] if ord(c) < 0x10000 else f"\\U{ord(c):08x}"


def console() -> Console:
    """The terminal's console: user text is never read as markup; NO_COLOR is honoured.
    Off a terminal nothing here is used: output is written as plain text without rich."""
    from rich.console import Console

    return Console(
        highlight=False, markup=False, emoji=False, no_color=bool(os.environ.get("NO_COLOR"))
    )


def _default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


@functools.cache
def _compact() -> json.JSONEncoder:
    """One encoder for the records of a long list (json.dumps makes one per call)."""
    return json.JSONEncoder(ensure_ascii=False, default=_default)


def to_json(data: Any, indent: int | None = 2) -> str:
    """Readable UTF-8 JSON; the control characters json leaves raw (C1, bidi overrides)
    are written as \\u escapes: the same data, and nothing a terminal acts on."""
    if indent is None:
        text = _compact().encode(data)
    else:
        text = json.dumps(data, indent=indent, ensure_ascii=False, default=_default)
    return _printable_json(text)


def _escaped(text: str) -> str:
    return "".join(c if c == "\n" or _shown(c) == c else _json_escape(c) for c in text)


def _json_escape(c: str) -> str:
    # Outside strings json writes only printable ASCII, so every such character is in one.
    return json.dumps(c)[1:-1] if ord(c) > 0xFFFF else f"\\u{ord(c):04x}"


def print_json(data: Any) -> None:
    sys.stdout.write(to_json(data) + "\n")


class LazyList(list):
    """Records made as JSON encoding walks them: json's indented encoder takes a list
    subclass as a list, and asks it only whether it is empty and for its items."""

    def __init__(self, items: Iterable[Any]) -> None:
        super().__init__()
        self._items = iter(items)
        self._first = next(self._items, _NOTHING)

    def __len__(self) -> int:
        return 0 if self._first is _NOTHING else 1  # empty or not: all json asks

    def __iter__(self) -> Iterator[Any]:
        if self._first is not _NOTHING:
            yield self._first
            yield from self._items


def print_json_document(data: Any) -> None:
    """`print_json` of a big document, written as it is encoded, its long lists made one
    record at a time (`LazyList`): neither the whole document nor all its records stand in
    memory at once. The same text as `print_json`."""
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False, default=_default)
    with buffered_stdout() as out:
        chunks: list[str] = []
        for chunk in encoder.iterencode(data):
            chunks.append(chunk)
            if len(chunks) >= 4096:
                out.write(_printable_json("".join(chunks)))
                chunks.clear()
        out.write(_printable_json("".join(chunks)) + "\n")


def _printable_json(text: str) -> str:
    return text if text.replace("\n", "").isprintable() else _escaped(text)


# Putting one line of a table together costs about what this many Monte-Carlo samples of a
# deal do (`service.fanout.MIN_WORK`): worth other cores from about 50,000 lines.
_LINE_WEIGHT = 40
_RECORD_WEIGHT = 400  # one record of a JSON list
# How a long list may be written on several cores (`service.fanout.write_parts`): each
# contiguous part rendered by `render(part, first, sink)`, and all of it in order on `out`.
Render = Callable[[Sequence[Any], bool, IO[str]], None]
PartsWriter = Callable[[Render, Sequence[Any], IO[str], int], None]


def print_json_list(
    items: Iterable[Any],
    record: Callable[[Any], Any] | None = None,
    write_parts: PartsWriter | None = None,
) -> None:
    """A JSON array written as its records are made, one per line: a hundred thousand deals
    never stand as one document in memory, and each record goes through json's C encoder
    (an indented document goes through its Python one). `record` makes each item a record;
    `write_parts` may write a long list's parts on other cores meanwhile."""

    def render(part: Iterable[Any], first: bool, sink: IO[str]) -> None:
        encode, make = _compact().encode, record
        write, separator = sink.write, "\n  " if first else ",\n  "
        for item in part:
            text = encode(item if make is None else make(item))
            write(separator)
            write(text if text.isprintable() else _escaped(text))
            separator = ",\n  "

    with buffered_stdout() as out:
        out.write("[")
        if write_parts is not None and isinstance(items, Sequence):
            write_parts(render, items, out, _RECORD_WEIGHT)
            empty = not items
        else:
            items = iter(items)
            first = next(items, _NOTHING)
            empty = first is _NOTHING
            if not empty:
                render([first], True, out)
                render(items, False, out)
        out.write("]\n" if empty else "\n]\n")


_NOTHING = object()


@contextlib.contextmanager
def buffered_stdout() -> Iterator[IO[str]]:
    """stdout with a real buffer, for output written a record at a time: with
    PYTHONUNBUFFERED (common in containers) every record would be a system call."""
    import io

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (tests, captured)
        yield sys.stdout
        return
    sys.stdout.flush()
    raw = open(fd, "wb", closefd=False, buffering=1 << 16)  # noqa: SIM115 - closed below
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    try:
        yield out
    finally:
        out.flush()
        out.detach()
        raw.close()


def fmt(value: Any) -> str:
    """One cell: dates ISO, numbers without noise, None as a dash."""
    kind = type(value)  # exact types first: a list view formats every cell of 10,000 rows
    if kind is str:
        return printable(value) if value else "-"
    if value is None:
        return "-"
    if kind is float:
        if value.is_integer():
            return str(int(value)) if -1000 < value < 1000 else f"{value:,.0f}"
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    if kind is int:
        return str(value)
    if kind is date:
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):  # numpy's float64, say
        return fmt(float(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value) or "-"


Column = tuple[str, Callable[[Any], Any]]
# Rich lays out every cell of a table; past this many rows plain columns are much faster.
RICH_MAX_ROWS = 300


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


_TEXT = frozenset({str, type(None)})
# Dates repeat down a column and equal only dates. Numbers are cached only in a column of
# one kind of number: 1, 1.0 and True are equal keys that print differently.
_DATES = frozenset({date, type(None)})
_NONE = type(None)
_FLOATS = frozenset({float, type(None)})
_INTS = frozenset({int})


def _texts(values: Sequence[Any]) -> list[str]:
    """One column's cells. Columns of text, of dates or of one kind of number, the bulk of a
    long list, are done without a Python call per cell."""
    kinds = set(map(type, values))
    if kinds <= _TEXT:
        texts = [v or "-" for v in values]
        if "".join(texts).isprintable():  # the common case, checked at C speed
            return texts
        return list(map(printable, texts))
    if kinds <= _DATES:
        days = {d: fmt(d) for d in set(values)}
        return list(map(days.__getitem__, values))
    if kinds <= _FLOATS:
        # Hours repeat down a column (estimates are round numbers): each formatted once.
        # Only floats and None: 1 and 1.0 would be one key but print differently.
        seen = {v: fmt(v) for v in set(values)}
        return list(map(seen.__getitem__, values))
    if kinds <= _INTS:
        return list(map(str, values))
    if all(k is _NONE or issubclass(k, str) for k in kinds):
        # Words (text and str enums, such as verdicts): each distinct one formatted once;
        # keyed by type too, since an enum member equals its text.
        keys = list(zip(map(type, values), values, strict=True))
        seen = {key: fmt(key[1]) for key in dict.fromkeys(keys)}
        return list(map(seen.__getitem__, keys))
    return list(map(fmt, values))


def _widest(texts: list[str]) -> int:
    if "".join(texts).isascii():
        return max(map(len, texts), default=0)
    return max(map(_width, texts), default=0)


def _padded(texts: list[str], width: int, right: bool) -> list[str]:
    distinct = set(texts)
    if len(distinct) * 4 < len(texts):
        # Few distinct cells (stages, verdicts, dates): each padded once.
        padded = dict(zip(distinct, _padded(list(distinct), width, right), strict=True))
        return list(map(padded.__getitem__, texts))
    if "".join(texts).isascii():
        return [t.rjust(width) for t in texts] if right else [t.ljust(width) for t in texts]
    return [
        " " * (width - _width(t)) + t if right else t + " " * (width - _width(t)) for t in texts
    ]


class PlainTable:
    """A table for a pipe: aligned columns, one record per line, no colour (what grep, cut
    and less expect), formatted a column at a time, so the columns known early can be
    formatted before the rest (`deal list` formats a deal's own columns while its forecasts
    are worked out).

    Each cell is formatted once, a block of rows at a time, and a column is kept as one
    padded string per block until it is printed: a hundred thousand rows are held as about
    as much text as they print, not as a million small strings."""

    BLOCK = 5000

    def __init__(
        self, rows: Sequence[Any], names: Sequence[str], numeric: Sequence[str] = ()
    ) -> None:
        self.rows, self.names, self.numeric = rows, list(names), numeric
        self.widths: dict[str, int] = {}
        self._blocks: dict[str, list[str]] = {}

    def add(self, name: str, get: Callable[[Any], Any]) -> None:
        self.add_values(name, list(map(get, self.rows)))

    def add_values(self, name: str, values: Sequence[Any]) -> None:
        """A column of values worked out already, one per row."""
        step = self.BLOCK
        width, blocks = len(name), []
        for start in range(0, len(values), step):
            texts = _texts(values[start : start + step])
            width = max(width, _widest(texts))
            blocks.append("\n".join(texts))  # cells hold no newline (see _texts)
        right = name in self.numeric
        self.widths[name] = width
        self._blocks[name] = ["\n".join(_padded(b.split("\n"), width, right)) for b in blocks]

    def print(self, title: str | None = None, write_parts: PartsWriter | None = None) -> None:
        """`write_parts`: how a long table's lines may be put together on other cores."""
        names, widths = self.names, [self.widths[n] for n in self.names]
        head = [_padded([n], w, n in self.numeric)[0] for n, w in zip(names, widths, strict=True)]
        out = sys.stdout
        if title:
            out.write(printable(title) + "\n")
        out.write(" | ".join(head).rstrip() + "\n" + "-+-".join("-" * w for w in widths) + "\n")
        blocks = list(zip(*(self._blocks[n] for n in names), strict=True))

        def render(part: Sequence[tuple[str, ...]], first: bool, sink: IO[str]) -> None:
            for block in part:
                cells = [column.split("\n") for column in block]
                lines = (" | ".join(row).rstrip() + "\n" for row in zip(*cells, strict=True))
                sink.write("".join(lines))

        if write_parts is None:
            render(blocks, True, out)
        else:
            write_parts(render, blocks, out, self.BLOCK * _LINE_WEIGHT)


def plain(rows: Sequence[Any]) -> bool:
    """Whether a table of these rows is printed plain (`PlainTable`), not by rich."""
    return not is_terminal() or len(rows) > RICH_MAX_ROWS


def _print_plain_table(
    rows: Sequence[Any], columns: Sequence[Column], title: str | None, numeric: Sequence[str]
) -> None:
    table = PlainTable(rows, [name for name, _ in columns], numeric)
    for name, get in columns:
        table.add(name, get)
    table.print(title)


def print_table(
    rows: Sequence[Any],
    columns: Sequence[Column],
    title: str | None = None,
    empty: str = "nothing to show",
    numeric: Sequence[str] = (),
    styles: dict[str, Callable[[Any], str | None]] | None = None,
) -> None:
    """Records as a table; every cell is a Text, so `[draft]` in a title stays `[draft]`."""
    if not rows:
        say(empty)
        return
    if plain(rows):
        _print_plain_table(rows, columns, title, numeric)
        return
    out = console()
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=printable(title) if title else title,
        box=box.SIMPLE_HEAD,
        header_style="bold",
        title_justify="left",
        pad_edge=False,
    )
    for name, _ in columns:
        table.add_column(name, justify="right" if name in numeric else "left", overflow="fold")
    for row in rows:
        cells = []
        for name, get in columns:
            value = get(row)
            style = (styles or {}).get(name)
            cells.append(Text(fmt(value), style=(style(value) or "") if style else ""))
        table.add_row(*cells)
    out.print(table)


def print_fields(pairs: Sequence[tuple[str, Any]], title: str | None = None) -> None:
    """A record as `label  value` lines."""
    width = max(len(k) for k, _ in pairs)
    title = printable(title) if title else title
    if not is_terminal():
        lines = [title] if title else []
        lines += [f"{key:<{width}}  {fmt(value)}".rstrip() for key, value in pairs]
        sys.stdout.write("\n".join(lines) + "\n")
        return
    from rich.text import Text

    out = console()
    if title:
        out.print(Text(title, style="bold"))
    for key, value in pairs:
        out.print(Text(f"{key:<{width}}  ") + Text(fmt(value)))


def say(text: str, style: str | None = None) -> None:
    """One line (user text in it shown escaped); off a terminal it is written as is,
    without loading rich."""
    text = printable(text)
    if not is_terminal():
        sys.stdout.write(text + "\n")
        return
    from rich.text import Text

    console().print(Text(text, style=style or ""))


def answer(as_json: bool, data: Any, message: str) -> None:
    """What a command that changed something says: its record as JSON, or one sentence."""
    if as_json:
        print_json(data)
    else:
        say(message)


def records(
    as_json: bool, rows: Sequence[Any], as_dict: Callable[[Any], Any], table: Callable[[], None]
) -> None:
    """What a listing prints: each record as JSON, or the table."""
    if as_json:
        print_json_list(map(as_dict, rows))
    else:
        table()


def warn(text: str) -> None:
    """A note on stderr that does not stop the command (stdout stays the command's own)."""
    sys.stderr.write(f"pmsync: note: {printable(text)}\n")
