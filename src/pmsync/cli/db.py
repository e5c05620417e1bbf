"""`pmsync db path|check|backup|restore`: looking after the database (a file or a cluster)."""

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
    """Print where the database is (from --db, PMSYNC_DB or the default): a file's path, or
    a cluster's address without its password.

    \b
    Example: pmsync db path"""
    from pmsync.service.session import database_location

    output.say(database_location(env(ctx).db))


@app.command("check")
def check(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check integrity, foreign keys and schema version (and, on a cluster, that every node
    answers); exit 1 when something is wrong.

    \b
    Example: pmsync db check"""
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
    """Copy the database consistently, even while others are writing to it. From a
    cluster, the copy is a local file that works on its own (pmsync --db FILE ...).

    \b
    Example: pmsync db backup ~/pmsync-backup.db"""
    target = Path(file).expanduser()
    admin.backup(session(ctx), target, overwrite=force)
    output.say(f"Backed up to {target}.")


@app.command("restore")
def restore(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="A backup made by pmsync, or a team's file.")
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace a database that holds records (a copy of them is kept)."
        ),
    ] = False,
) -> None:
    """Replace the database with a backup (refuses anything that is not a pmsync database).
    On a cluster, this moves a team's file into it: pmsync --db rqlite://HOST:4001 db
    restore team.db --force. The records replaced are first copied to a file, named here."""
    source = Path(file).expanduser()
    sess = session(ctx)
    kept = admin.restore(sess, source, force=force)
    output.say(f"Restored {sess.location} from {source}.")
    if kept is not None:
        output.say(f"The records it replaced are in {kept}.")
