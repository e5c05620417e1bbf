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
# How much wider to try when a table does not fit yet.
_SLACK = 4


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


def render_rich(doc: Document, console: Console, plain: bool) -> None:
    """On a terminal with colour; `plain` gives ASCII borders and no styles (cron mail).

    A table never breaks a date, a number or a word to fit: its identifying and fixed
    columns don't wrap, the others wrap at spaces. A table that can't fit even so, in a
    narrow terminal, is printed one record per block instead of losing columns."""
    doc = printable(doc)
    from rich.text import Text

    def heading(text: str, char: str) -> None:
        console.print(Text(text, style="" if plain else "bold"))
        console.print(Text(char * min(len(text), console.width), style="" if plain else "dim"))

    heading(doc.title, "=")
    console.print(Text(doc.subtitle, style="" if plain else "dim"))
    for section in doc.sections:
        console.print()
        heading(section.title, "-")
        for block in section.blocks:
            if isinstance(block, str):
                console.print(Text(block))
                continue
            if _fits(block, console.width):
                console.print(_rich_table(block, plain))
            else:
                _records(block, console, plain)


def _fits(block: Table, width: int) -> bool:
    """Whether the table keeps every column whole at this width (laid out in ASCII, off
    screen: rich crops a table its own minimum says fits, now and then)."""
    import io

    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=width, color_system=None, force_terminal=False).print(
        _rich_table(block, plain=True)
    )
    return all(line.rstrip()[-1:] in ("|", "+", "") for line in out.getvalue().splitlines())


def _rich_table(block: Table, plain: bool) -> Any:
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    table = RichTable(
        box=box.ASCII if plain else box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=plain,
        header_style="" if plain else "bold",
        safe_box=True,
    )
    for i, name in enumerate(block.columns):
        # The first column says which record a row is; fixed columns (dates, numbers,
        # verdicts) and it never wrap. The others wrap at spaces.
        fixed = i == 0 or (block.wrap is not None and i not in block.wrap)
        table.add_column(
            name,
            justify="right" if i in block.right else "left",
            overflow="fold",
            no_wrap=fixed,
            min_width=_widest_cell(block, i) if fixed else _longest_word(block, i),
        )
    for row in block.rows:
        table.add_row(*(Text(c.text, style=_style(c, plain)) for c in row))
    return table


def _widest_cell(block: Table, i: int) -> int:
    """A column that never wraps is as wide as its widest cell (rich would measure only
    the longest word)."""
    from rich.cells import cell_len

    return max(cell_len(block.columns[i]), *(cell_len(row[i].text) for row in block.rows))


def _longest_word(block: Table, i: int) -> int:
    """A wrapping column is at least as wide as its longest word: words never break."""
    words = (w for row in block.rows for w in row[i].text.split())
    return max(min(len(max(words, key=len, default="")), 40), len(block.columns[i]) // 2, 1)


def _style(c: Cell, plain: bool) -> str:
    if plain:
        return ""
    if c.heat is not None:
        return _HEAT_BG.get(heat_tone(c.heat) or "", "")
    return _RICH_TONES.get(c.tone or "", "")


def _records(block: Table, console: Console, plain: bool) -> None:
    """A table too wide for the terminal: each record as `column: value` lines."""
    from rich.text import Text

    width = max(len(name) for name in block.columns)
    for row in block.rows:
        for i, (name, cell) in enumerate(zip(block.columns, row, strict=True)):
            line = Text(f"{name:<{width}}  ", style="" if plain else "dim")
            line.append(
                cell.text, style=("" if plain else "bold") if i == 0 else _style(cell, plain)
            )
            console.print(line)
        console.print()


def render_text(doc: Document) -> str:
    """Plain text, no escape codes, whatever the terminal: cron mail looks the same as a
    run by hand. 100 columns, or wider where a table needs it to keep its titles, dates
    and numbers whole (text cells wrap at spaces)."""
    import io

    from rich.console import Console

    def console(width: int, file: Any) -> Console:
        return Console(
            file=file,
            width=width,
            color_system=None,
            force_terminal=False,
            highlight=False,
            markup=False,
            emoji=False,
            legacy_windows=False,
            soft_wrap=False,
        )

    def needs(table: Table) -> int:
        """The narrowest width at which the table keeps every border: rich's own minimum
        is a guess that a few columns of wrapped text can overrun."""
        measured = console(TEXT_MAX_WIDTH, io.StringIO()).measure(_rich_table(table, True))
        width = max(TEXT_WIDTH, measured.minimum)
        while width < min(measured.maximum, TEXT_MAX_WIDTH) and not _fits(table, width):
            width += _SLACK
        return min(width, TEXT_MAX_WIDTH)

    clean = printable(doc)
    tables = [b for s in clean.sections for b in s.blocks if isinstance(b, Table)]
    width = max((needs(t) for t in tables), default=TEXT_WIDTH)
    buf = io.StringIO()
    render_rich(clean, console(width, buf), plain=True)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


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
