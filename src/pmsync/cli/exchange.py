"""`pmsync import|export|calendar`: fitting into the CRM and calendars a team already uses."""

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from pmsync.cli.commands import summary
from pmsync.cli.context import session
from pmsync.errors import BadInput

if TYPE_CHECKING:
    from pmsync.core.crm import Rejected
    from pmsync.core.crm import Table as CsvTable
    from pmsync.service.exchange import ImportResult, Table

import_app = typer.Typer(help=summary("import"), no_args_is_help=True)


def _read_csv(path: str, encoding: str | None) -> "CsvTable":
    """The CRM export at `path` (or stdin for -), decoded and split (core.crm.read_table)."""
    from pmsync.core.crm import read_table

    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    return read_table(raw, path, encoding)


@import_app.command("all")
def import_all(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(metavar="FILE.json", help="From pmsync export all --format json.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Load a whole database (pmsync export all --format json) into an empty one, every
    record with its id; refused whole if anything in it does not fit.

    \b
    Example: pmsync --db new.db import all team.json"""
    import json

    from pmsync.present import output
    from pmsync.service.exchange import import_database

    try:
        with open(file, encoding="utf-8") as fh:
            document = json.load(fh)
    except UnicodeDecodeError:
        raise BadInput(f"{file} is not UTF-8 text; give the file export all wrote") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{file} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    counts = import_database(session(ctx), document, file)
    if as_json:
        output.print_json(counts)
        return
    shown = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in counts.items() if n)
    output.say(f"Imported {shown or 'nothing'} from {file}.")


@import_app.command("deals")
def import_deals(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE.csv", help="CRM export, or - for stdin.")],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="COLUMN=FIELD",
            help="Read a CRM column as one of our fields "
            '(repeatable), e.g. --map "Company=client".',
        ),
    ] = None,
    stage_map: Annotated[
        list[str] | None,
        typer.Option(
            "--stage-map",
            metavar="STAGE=OURS",
            help="Map a CRM stage to pipeline, signed or "
            "lost (repeatable); default: won -> signed, lost -> lost, the rest -> pipeline.",
        ),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format",
            metavar="FMT",
            help="strptime format of the CRM's dates, when a "
            "column can't tell day/month from month/day (e.g. %d/%m/%Y).",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="The file's text encoding when it isn't detected (default: UTF-8, UTF-16 "
            "with a BOM, else Windows-1252).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show what would be added, updated and refused; write nothing."
        ),
    ] = False,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Write the good rows even when some are bad.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Import deals from a HubSpot, Salesforce or pmsync CSV; re-importing updates by
    external id. A bad row refuses the whole file unless --skip-bad."""
    from pmsync.core.crm import parse_rows
    from pmsync.present import output
    from pmsync.service.exchange import import_deals as run_import

    fields_map = _parse_map(mapping or [])
    stages = _parse_stage_map(stage_map or [])
    table = _read_csv(file, encoding)
    parsed = parse_rows(table.header, table.rows, fields_map, stages, date_format)

    def refusals(result: "ImportResult") -> "list[Rejected]":
        return sorted(parsed.rejected + result.refused, key=lambda r: r.line)

    def acceptable(result: "ImportResult") -> bool:
        refused = refusals(result)
        if refused and not (skip_bad or dry_run):
            first = refused[0]
            raise BadInput(
                f"{len(refused)} bad row(s), nothing imported; line {first.line}: "
                f"{first.reason} (see --dry-run, or --skip-bad to import the rest)"
            )
        return True

    # One batch: a refusal (or a dry run) writes nothing.
    with _progress(len(parsed.rows)) as tick:
        result = run_import(session(ctx), parsed.rows, dry_run, acceptable, tick)
    refused = refusals(result)
    if as_json:
        output.print_json(
            {
                "dry_run": dry_run,
                "added": [{"line": line, "title": t} for line, t in result.added],
                "updated": [{"line": line, "id": i, "fields": f} for line, i, f in result.updated],
                "unchanged": result.unchanged,
                "refused": [{"line": r.line, "reason": r.reason} for r in refused],
                "unknown_columns": parsed.unknown_columns,
                "currency": result.currency,
            }
        )
        return
    verb = "Would import" if dry_run else "Imported"
    output.say(
        f"{verb}: {len(result.added)} added, {len(result.updated)} updated, "
        f"{result.unchanged} unchanged, {len(refused)} refused."
    )
    for line, title in result.added[:20] if dry_run else []:
        output.say(f"  add     line {line}: {title}")
    for line, deal, fields in result.updated[:20] if dry_run else []:
        output.say(f"  update  line {line}: deal {deal} ({', '.join(fields)})")
    for r in refused[:50]:
        output.say(f"  refuse  line {r.line}: {r.reason}")
    if parsed.unknown_columns:
        output.say("Columns not imported: " + ", ".join(parsed.unknown_columns))
    if result.currency:
        output.say(f"Amounts are in {result.currency}: the team's currency from now on.")


class _progress:
    """A progress bar on a terminal for big files; silent in pipes and for small ones."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Any = None  # a rich Progress, only on a terminal

    def __enter__(self) -> Callable[[int], None]:
        if self.total >= 2000 and sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("importing", total=self.total)
        return self.tick

    def tick(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def export(
    ctx: typer.Context,
    what: Annotated[
        str,
        typer.Argument(
            metavar="WHAT", help="deals, pms, estimates, terms, updates, worklog or all."
        ),
    ] = "deals",
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            metavar="PATH",
            help="Write here instead of stdout (a folder for all as csv: one file per table).",
        ),
    ] = None,
) -> None:
    """Export records as CSV or JSON. `export all --format json` is the whole database in
    one document, ids and all, that `pmsync import all` loads into an empty database;
    `export deals` re-imports with `import deals`.

    \b
    Example: pmsync export all --format json --out team.json"""
    from pmsync.core.rules import check_choice
    from pmsync.present import output
    from pmsync.present.export import write_csv, write_json
    from pmsync.service.exchange import EXPORT_TABLES
    from pmsync.service.exchange import export as read_tables

    what = check_choice(what, (*EXPORT_TABLES, "all"), "table")
    fmt = check_choice(fmt, ("csv", "json"), "format")
    tables = list(EXPORT_TABLES) if what == "all" else [what]
    if what == "all" and fmt == "csv" and out is None:
        raise BadInput("all tables as CSV need a folder: --out DIR (or use --format json)")

    if out is not None:
        # Only the last folder of --out is made: a mistyped path makes no folder tree.
        parent = Path(out).expanduser().resolve().parent
        if not parent.is_dir():
            raise BadInput(f"cannot write {out}: there is no folder {parent}")
    written: list[str] = []

    if what == "all" and fmt == "json":
        # The whole database, every record with its id: `pmsync import all` loads it back.
        from pmsync.present.export import write_database
        from pmsync.service.exchange import export_database

        def dump(version: int, data: "dict[str, Table]") -> None:
            if out is None:
                with output.buffered_stdout() as stdout:
                    write_database(stdout, version, data)
                return
            with open(out, "w", encoding="utf-8") as fh:
                counts = write_database(fh, version, data)
            output.say(f"Wrote {out} ({sum(counts.values())} records).")

        export_database(session(ctx), dump)
        return

    def write(data: "dict[str, Table]") -> None:
        if fmt == "json":
            if out:
                with open(out, "w", encoding="utf-8") as fh:
                    write_json(fh, data, single=what != "all")
                written.append(out)
            else:
                with output.buffered_stdout() as stdout:
                    write_json(stdout, data, single=what != "all")
            return
        if what == "all":
            folder = Path(out)  # type: ignore[arg-type]
            folder.mkdir(mode=0o700, exist_ok=True)
            for name, (cols, rows) in data.items():
                with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
                    n = write_csv(fh, cols, rows)
                written.append(f"{folder / name}.csv ({n} rows)")
            return
        cols, rows = data[what]
        if out:
            with open(out, "w", encoding="utf-8", newline="") as fh:
                n = write_csv(fh, cols, rows)
            written.append(f"{out} ({n} rows)")
        else:
            with output.buffered_stdout() as stdout:
                write_csv(stdout, cols, rows)

    read_tables(session(ctx), tables, write)
    if written:
        output.say("Wrote " + ", ".join(written) + ".")


def calendar(
    ctx: typer.Context,
    out: Annotated[
        str | None,
        typer.Option(
            "--out", metavar="FILE.ics", help="Write the calendar here (default: stdout)."
        ),
    ] = None,
) -> None:
    """An iCalendar file of promised dates, forecast finishes at risk and special-term due
    dates with reminders; subscribe to it and events update in place."""
    from pmsync.present.export import calendar_file
    from pmsync.service.exchange import calendar_events

    target: list[BinaryIO] = []

    def open_output() -> None:
        # Opened before the event ids are recorded: a file that can't be written records none.
        target.append(open(out, "wb") if out else sys.stdout.buffer)  # noqa: SIM115

    events = calendar_events(session(ctx), before_write=open_output)
    if not target:
        open_output()
    body = calendar_file(events)
    try:
        target[0].write(body)
    finally:
        if out:
            target[0].close()


def _parse_map(options: Sequence[str]) -> dict[str, str]:
    """`--map "CRM column=field"` options -> {lower-cased column: field}."""
    from pmsync.core.crm import FIELDS

    out = {}
    for opt in options:
        column, sep, target = opt.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise BadInput(f"--map needs \"CRM column=field\", not '{opt}'")
        target = target.strip().lower()
        if target not in FIELDS:
            raise BadInput(f"--map: unknown field '{target}'; fields: {', '.join(FIELDS)}")
        out[column.strip().lower()] = target
    return out


def _parse_stage_map(options: Sequence[str]) -> list[tuple[str, str]]:
    """`--stage-map "CRM stage=pipeline|signed|lost"` options -> [(lower-cased stage, ours)]."""
    out = []
    for opt in options:
        crm, sep, ours = opt.partition("=")
        ours = ours.strip().lower()
        if not sep or not crm.strip() or ours not in ("pipeline", "signed", "lost"):
            raise BadInput(f"--stage-map needs \"CRM stage=pipeline|signed|lost\", not '{opt}'")
        out.append((crm.strip().lower(), ours))
    return out
