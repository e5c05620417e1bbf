"""A small document model (sections, paragraphs, tables) and its renderings.

The weekly report is built once as a `Document`; rich, plain text, markdown and HTML are
four ways of printing the same thing, so they cannot drift apart. Every cell is plain text:
no renderer ever interprets what users typed.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

TEXT_WIDTH = 100
# Past this a table folds after all: a line longer than this is hard to read anywhere.
TEXT_MAX_WIDTH = 200


@dataclass(frozen=True)
class Cell:
    text: str
    tone: str | None = None  # good | warn | bad | muted | strong
    heat: float | None = None  # a utilization, for heat-map colouring


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell]]
    right: frozenset[int] = frozenset()
    wrap: frozenset[int] | None = None  # columns that may fold in narrow text; None: all


@dataclass
class Section:
    title: str
    blocks: list[str | Table] = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]


def printable(doc: Document) -> Document:
    """The document with every text a person or a CSV gave shown safe: control characters
    escaped (see output.printable). Each renderer starts from this, so no format can send
    a terminal escape, a bell or a stray line break."""
    from dataclasses import replace

    from pmsync.present.output import printable as shown

    def block(b: str | Table) -> str | Table:
        if isinstance(b, str):
            return shown(b)
        rows = [[replace(c, text=shown(c.text)) for c in row] for row in b.rows]
        return replace(b, columns=[shown(c) for c in b.columns], rows=rows)

    return Document(
        shown(doc.title),
        shown(doc.subtitle),
        [Section(shown(s.title), [block(b) for b in s.blocks]) for s in doc.sections],
    )


def heat_tone(u: float | None) -> str | None:
    if u is None:
        return "muted"
    if u > 1.0:
        return "bad"
    if u >= 0.85:
        return "warn"
    return "good"


# -- rich: the terminal, and fixed-width plain text -----------------------------------

_RICH_TONES = {
    "good": "green",
    "warn": "yellow",
    "bad": "bold red",
    "muted": "dim",
    "strong": "bold",
}
_HEAT_BG = {
    "good": "black on green",
    "warn": "black on yellow",
    "bad": "bold white on red",
    "muted": "dim",
}


def render_rich(doc: Document, console: Console) -> None:
    """On a terminal, with colour (plain text is `render_text`'s).

    A table never breaks a date, a number or a word to fit: its identifying column and its
    fixed columns don't wrap, the others wrap at spaces, and pmsync lays the columns out
    itself (rich, left to it, would crop a column now and then). A table that can't fit
    even so, in a narrow terminal, is printed one record per block instead."""
    doc = printable(doc)
    from rich.text import Text

    def heading(text: str, char: str) -> None:
        console.print(Text(text, style="bold"))
        console.print(Text(char * min(len(text), console.width), style="dim"))

    heading(doc.title, "=")
    console.print(Text(doc.subtitle, style="dim"))
    for section in doc.sections:
        console.print()
        heading(section.title, "-")
        for block in section.blocks:
            if isinstance(block, str):
                console.print(Text(block))
                continue
            widths = _layout(block, console.width)
            if widths is None:
                _records(block, console)
            else:
                console.print(_rich_table(block, widths))


class _Columns:
    """What each column of a table needs: its widest cell (header included) and its
    longest word, and whether it may wrap."""

    def __init__(self, block: Table) -> None:
        from rich.cells import cell_len

        n = len(block.columns)
        self.fixed = [i == 0 or (block.wrap is not None and i not in block.wrap) for i in range(n)]
        self.widest = [cell_len(name) for name in block.columns]
        self.word = [max(map(cell_len, name.split()), default=1) for name in block.columns]
        for row in block.rows:
            for i, cell in enumerate(row):
                text = cell.text
                width = cell_len(text)
                if width > self.widest[i]:
                    self.widest[i] = width
                if not self.fixed[i]:
                    longest = max(map(cell_len, text.split()), default=0)
                    if longest > self.word[i]:
                        self.word[i] = longest
        self.least = [
            w if f else min(o, 40)
            for w, o, f in zip(self.widest, self.word, self.fixed, strict=True)
        ]
        # Borders and padding: "|a | b | c|" with the outer padding left out (the ASCII
        # table's; a terminal's, without edges, is two narrower).
        self.frame = 3 * (n - 1) + 2

    def minimum(self) -> int:
        return sum(self.least) + self.frame

    def natural(self) -> int:
        return sum(self.widest) + self.frame


def _layout(block: Table, width: int) -> list[int] | None:
    """Each column's width in `width` columns, or None when the table can't fit: fixed
    columns as wide as their widest cell, the room left shared among the wrapping ones in
    proportion to what they would take, none below its longest word."""
    cols = _Columns(block)
    if cols.natural() <= width:
        return cols.widest
    if cols.minimum() > width:
        return None
    widths = list(cols.least)
    room = width - cols.minimum()
    wanting = [i for i, f in enumerate(cols.fixed) if not f and cols.widest[i] > widths[i]]
    want = sum(cols.widest[i] - widths[i] for i in wanting)
    for i in wanting:
        widths[i] += (cols.widest[i] - widths[i]) * room // want if want else 0
    return widths


def _rich_table(block: Table, widths: list[int]) -> Any:
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    table = RichTable(
        box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, header_style="bold", safe_box=True
    )
    for i, (name, width) in enumerate(zip(block.columns, widths, strict=True)):
        table.add_column(
            name,
            justify="right" if i in block.right else "left",
            overflow="fold",
            width=width,
        )
    for row in block.rows:
        table.add_row(*(Text(c.text, style=_style(c)) for c in row))
    return table


def _style(c: Cell) -> str:
    if c.heat is not None:
        return _HEAT_BG.get(heat_tone(c.heat) or "", "")
    return _RICH_TONES.get(c.tone or "", "")


def _records(block: Table, console: Console) -> None:
    """A table too wide for the terminal: each record as `column: value` lines."""
    from rich.text import Text

    width = max(len(name) for name in block.columns)
    for row in block.rows:
        for i, (name, cell) in enumerate(zip(block.columns, row, strict=True)):
            line = Text(f"{name:<{width}}  ", style="dim")
            line.append(cell.text, style="bold" if i == 0 else _style(cell))
            console.print(line)
        console.print()


def render_text(doc: Document) -> str:
    """Plain text, no escape codes, whatever the terminal: cron mail looks the same as a
    run by hand. 100 columns, or wider where a table needs it to keep its titles, dates
    and numbers whole (text cells wrap at spaces; at most 200). Written without rich: a
    hundred-row heat map is a few string joins, not a layout engine's work."""
    import textwrap

    clean = printable(doc)
    columns = {
        id(b): _Columns(b) for sec in clean.sections for b in sec.blocks if isinstance(b, Table)
    }
    # Each table's minimum, with some room for its wrapping text (names, clients) to breathe.
    needed = (min(c.natural(), c.minimum() + 16) for c in columns.values())
    width = min(max([TEXT_WIDTH, *needed]), TEXT_MAX_WIDTH)

    def para(text: str) -> list[str]:
        return textwrap.wrap(text, width, break_on_hyphens=False) or [""]

    def heading(text: str, char: str) -> list[str]:
        return [*para(text), char * min(len(text), width)]

    lines = [*heading(clean.title, "="), *para(clean.subtitle)]
    for section in clean.sections:
        lines += ["", *heading(section.title, "-")]
        for block in section.blocks:
            if isinstance(block, str):
                lines += para(block)
                continue
            widths = _layout(block, width)
            if widths is None:
                lines += _record_lines(block)
            else:
                lines += _ascii_table(block, widths)
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _cell_lines(text: str, width: int) -> list[str]:
    import textwrap

    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def _ascii_table(block: Table, widths: list[int]) -> list[str]:
    """The table in ASCII, laid out as rich's ASCII box lays it out: `|a | b|`, headers
    aligned to their last line, text wrapped at spaces, numbers to the right."""
    right = block.right

    def row_lines(texts: list[str], bottom: bool) -> list[str]:
        cells = [_cell_lines(t, w) for t, w in zip(texts, widths, strict=True)]
        height = max(len(c) for c in cells)
        padded = [
            ([""] * (height - len(c)) + c) if bottom else (c + [""] * (height - len(c)))
            for c in cells
        ]
        out = []
        for k in range(height):
            parts = [
                padded[i][k].rjust(w) if i in right else padded[i][k].ljust(w)
                for i, w in enumerate(widths)
            ]
            out.append("|" + " | ".join(parts) + "|")
        return out

    edge = "+" + "-" * (sum(widths) + 3 * (len(widths) - 1)) + "+"
    rule = (
        "|"
        + "+".join(
            "-" * (w + (1 if i in (0, len(widths) - 1) else 2)) for i, w in enumerate(widths)
        )
        + "|"
    )
    if len(widths) == 1:
        rule = "|" + "-" * widths[0] + "|"
    lines = [edge, *row_lines(block.columns, bottom=True), rule]
    for row in block.rows:
        lines += row_lines([c.text for c in row], bottom=False)
    return [*lines, edge]


def _record_lines(block: Table) -> list[str]:
    width = max(len(name) for name in block.columns)
    lines = []
    for row in block.rows:
        lines += [
            f"{name:<{width}}  {cell.text}" for name, cell in zip(block.columns, row, strict=True)
        ]
        lines.append("")
    return lines


# -- markdown ------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: Document) -> str:
    doc = printable(doc)
    out = [f"# {doc.title}", "", f"_{doc.subtitle}_", ""]
    for section in doc.sections:
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, str):
                out += [block, ""]
                continue
            out.append("| " + " | ".join(_md_cell(c) for c in block.columns) + " |")
            out.append(
                "|"
                + "|".join("---:" if i in block.right else "---" for i in range(len(block.columns)))
                + "|"
            )
            for row in block.rows:
                out.append("| " + " | ".join(_md_cell(c.text) for c in row) + " |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# -- HTML: inline styles only, since email clients drop <style> blocks ----------------

_FONT = "font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif"
_HTML_TONES = {
    "good": "color:#1a7f37",
    "warn": "color:#9a6700",
    "bad": "color:#cf222e;font-weight:600",
    "muted": "color:#6e7781",
    "strong": "font-weight:600",
}
_HTML_HEAT = {
    "good": "background:#dafbe1",
    "warn": "background:#fff8c5",
    "bad": "background:#ffebe9;color:#cf222e;font-weight:600",
    "muted": "color:#6e7781",
}
_TH = "text-align:{align};padding:4px 10px;border-bottom:2px solid #d0d7de;font-size:13px"
_TD = (
    "text-align:{align};padding:4px 10px;border-bottom:1px solid #eaeef2;font-size:13px;"
    "vertical-align:top"
)


def render_html(doc: Document) -> str:
    doc = printable(doc)
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(doc.title)}</title></head>",
        f'<body style="{_FONT};color:#1f2328;background:#ffffff;margin:0;padding:24px">',
        '<div style="max-width:960px;margin:0 auto">',
        f'<h1 style="font-size:22px;margin:0 0 4px">{e(doc.title)}</h1>',
        f'<p style="color:#6e7781;margin:0 0 16px">{e(doc.subtitle)}</p>',
    ]
    for section in doc.sections:
        parts.append(
            f'<h2 style="font-size:17px;margin:24px 0 8px;padding-bottom:4px;'
            f'border-bottom:1px solid #d0d7de">{e(section.title)}</h2>'
        )
        for block in section.blocks:
            if isinstance(block, str):
                parts.append(f'<p style="margin:4px 0;font-size:14px">{e(block)}</p>')
                continue
            parts.append('<table style="border-collapse:collapse;margin:8px 0;width:100%">')
            parts.append(
                "<thead><tr>"
                + "".join(
                    f'<th style="{_TH.format(align="right" if i in block.right else "left")}">'
                    f"{e(c)}</th>"
                    for i, c in enumerate(block.columns)
                )
                + "</tr></thead><tbody>"
            )
            for row in block.rows:
                cells = []
                for i, c in enumerate(row):
                    style = _TD.format(align="right" if i in block.right else "left")
                    if block.wrap is not None and i not in block.wrap:
                        style += ";white-space:nowrap"
                    if c.heat is not None:
                        style += ";" + _HTML_HEAT.get(heat_tone(c.heat) or "", "")
                    elif c.tone:
                        style += ";" + _HTML_TONES.get(c.tone, "")
                    cells.append(f'<td style="{style}">{e(c.text)}</td>')
                parts.append("<tr>" + "".join(cells) + "</tr>")
            parts.append("</tbody></table>")
    parts += ["</div></body></html>", ""]
    return "\n".join(parts)
