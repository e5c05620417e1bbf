"""`pmsync config get|set`: what a team tunes, kept in the database."""

from dataclasses import asdict
from typing import Annotated

import typer

from pmsync.cli.commands import summary
from pmsync.cli.context import JsonOpt, session
from pmsync.core.settings import SETTINGS
from pmsync.errors import UnknownSetting
from pmsync.present import output, tables
from pmsync.service import admin

app = typer.Typer(help=summary("config"), no_args_is_help=True)


@app.command("get")
def get(
    ctx: typer.Context,
    key: Annotated[
        str | None, typer.Argument(metavar="KEY", help="One setting (default: all).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show settings with their current values.

    \b
    Example: pmsync config get"""
    values = asdict(admin.settings(session(ctx)))
    if key is not None:
        if key not in values:
            raise UnknownSetting(key, sorted(values))
        values = {key: values[key]}
    if as_json:
        output.print_json(values)
        return
    tables.settings_table(values, lambda name: SETTINGS[name][1])


@app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help="The setting.")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="Its new value.")],
    as_json: JsonOpt = False,
) -> None:
    """Change a setting for everyone who uses this database.

    \b
    Example: pmsync config set at_risk_buffer 5"""
    typed = admin.set_setting(session(ctx), key, value)
    if as_json:
        output.print_json({key: typed})
    else:
        output.say(f"{key} = {typed}")
