"""`pmsync db path|check|backup|restore`: looking after the database file."""

from pathlib import Path
from typing import Annotated

import typer

from pmsync.cli.context import JsonOpt, env
from pmsync.present import output

app = typer.Typer(
    help="The database file: where it is, whether it is sound, backups.", no_args_is_help=True
)


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print where the database is (from --db, PMSYNC_DB or the default)."""
    from pmsync.storage.connection import resolve_path

    output.say(str(resolve_path(env(ctx).db)))


@app.command("check")
def check(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check integrity, foreign keys and schema version; exit 1 when something is wrong."""
    from pmsync.storage import maintenance
    from pmsync.storage.schema import SCHEMA_VERSION

    with env(ctx).store() as store:
        health = maintenance.check(store.conn, store.path)
    if as_json:
        output.print_json(
            {
                "path": str(health.path),
                "ok": health.ok,
                "schema_version": health.schema_version,
                "integrity": health.integrity,
                "foreign_keys": health.foreign_keys,
                "counts": health.counts,
            }
        )
    else:
        output.print_fields(
            [
                ("database", str(health.path)),
                ("schema", f"version {health.schema_version} (this pmsync: {SCHEMA_VERSION})"),
                ("integrity", "; ".join(health.integrity[:5])),
                (
                    "foreign keys",
                    "ok"
                    if not health.foreign_keys
                    else f"{len(health.foreign_keys)} broken: "
                    + "; ".join(health.foreign_keys[:3]),
                ),
                ("records", ", ".join(f"{n} {t}" for t, n in health.counts.items())),
            ]
        )
        output.say("OK" if health.ok else "PROBLEMS FOUND: restore a backup (pmsync db restore)")
    if not health.ok:
        raise typer.Exit(1)


@app.command("backup")
def backup(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Copy the database consistently, even while others are writing to it."""
    from pmsync.storage import maintenance

    target = Path(file).expanduser()
    with env(ctx).store() as store:
        maintenance.backup(store.conn, target, overwrite=force)
    output.say(f"Backed up to {target}.")


@app.command("restore")
def restore(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="A backup made by pmsync.")],
) -> None:
    """Replace the database with a backup (refuses anything that is not a pmsync database)."""
    from pmsync.storage import maintenance
    from pmsync.storage.connection import connect, migrate_in_place, resolve_path

    source = Path(file).expanduser()
    maintenance.validate_backup(source)
    target = resolve_path(env(ctx).db)
    conn = connect(target)
    try:
        maintenance.restore(conn, source)
        migrate_in_place(conn, target)  # a backup from an older pmsync
    finally:
        conn.close()
    output.say(f"Restored {target} from {source}.")
