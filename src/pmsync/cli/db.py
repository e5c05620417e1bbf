"""`pmsync db path|check|backup|restore`: looking after the database file."""

from pathlib import Path
from typing import Annotated

import typer

from pmsync.cli.commands import summary
from pmsync.cli.context import JsonOpt, env, session
from pmsync.present import output, tables
from pmsync.present.records import health_json
from pmsync.service import admin

app = typer.Typer(help=summary("db"), no_args_is_help=True)


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print where the database is (from --db, PMSYNC_DB or the default)."""
    from pmsync.service.session import database_path

    output.say(str(database_path(env(ctx).db)))


@app.command("check")
def check(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check integrity, foreign keys and schema version; exit 1 when something is wrong."""
    health = admin.check(session(ctx))
    if as_json:
        output.print_json(health_json(health))
    else:
        tables.health(health)
    if not health.ok:
        raise typer.Exit(1)


@app.command("backup")
def backup(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Copy the database consistently, even while others are writing to it."""
    target = Path(file).expanduser()
    admin.backup(session(ctx), target, overwrite=force)
    output.say(f"Backed up to {target}.")


@app.command("restore")
def restore(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="A backup made by pmsync.")],
) -> None:
    """Replace the database with a backup (refuses anything that is not a pmsync database)."""
    source = Path(file).expanduser()
    sess = session(ctx)
    admin.restore(sess, source)
    output.say(f"Restored {sess.path} from {source}.")
