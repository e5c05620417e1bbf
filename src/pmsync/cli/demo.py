"""`pmsync demo`: a sample team in its own database, and what a seller and a PM would see."""

from pathlib import Path
from typing import Annotated

import typer

from pmsync.cli.context import env
from pmsync.present import output


def _demo_path() -> Path:
    from pmsync.service.session import database_path

    return database_path(None).with_name("pmsync-demo.db")


def demo(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--demo-db",
            metavar="PATH",
            help="Where to build the demo team: a new file, or one the demo built before "
            "(default: pmsync-demo.db beside your real database; rebuilt on every run).",
        ),
    ] = None,
) -> None:
    """Build a sample team (never your real database) and show check-date and deal list.

    \b
    Example: pmsync demo --demo-db /tmp/demo.db"""
    from pmsync.errors import BadInput
    from pmsync.service.admin import build_demo
    from pmsync.service.session import Session, names_cluster

    if names_cluster(db):
        raise BadInput("the demo team is built in a local file; give --demo-db a file's path")
    e = env(ctx)
    path = Path(db).expanduser() if db else _demo_path()
    counts = build_demo(Session(str(path), e.today), legacy=path == _demo_path())
    output.say(
        f"Demo team: {counts['pms']} PMs, {counts['open']} open deals, "
        f"{counts['delivered']} delivered, in {path}",
        style="bold",
    )
    output.say(f"Try it yourself: pmsync --db {path} deal list", style="dim")
    from pmsync.cli.app import app

    for title, args in (
        (
            "A seller asks: can we deliver 120 hours by three weeks from now?",
            ["check-date", "--hours", "120", "--by", "+3w"],
        ),
        ("... and what date could we promise for 80 hours?", ["check-date", "--hours", "80"]),
        ("The PMs' view: open deals with their forecast", ["deal", "list"]),
        (
            "Monday's sales + PM sync (pipe it to sendmail -t with --email --to ...)",
            ["weekly-report"],
        ),
    ):
        output.say("")
        output.say(f"$ pmsync {' '.join(args)}", style="bold cyan")
        output.say(f"# {title}", style="dim")
        try:
            app(["--db", str(path), "--today", e.today.isoformat(), *args], standalone_mode=False)
        except SystemExit as exc:  # check-date exits with its verdict
            if exc.code not in (0, 3, 4, None):
                raise
