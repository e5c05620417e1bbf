"""`pmsync config get|set`: what a team tunes, kept in the database."""

from dataclasses import asdict
from typing import Annotated

import typer

from pmsync.cli.context import JsonOpt, env
from pmsync.errors import BadInput
from pmsync.present import output

app = typer.Typer(
    help="Team settings (at-risk buffer, forecast samples, report sender...).", no_args_is_help=True
)


def _known() -> dict[str, str]:
    from pmsync.storage.store import SETTING_HELP

    return SETTING_HELP


@app.command("get")
def get(
    ctx: typer.Context,
    key: Annotated[
        str | None, typer.Argument(metavar="KEY", help="One setting (default: all).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show settings with their current values."""
    with env(ctx).store() as store:
        values = {k: v for k, v in asdict(store.settings()).items() if k in _known()}
    if key is not None:
        if key not in values:
            raise BadInput(f"unknown setting '{key}'; known: {', '.join(sorted(values))}")
        values = {key: values[key]}
    if as_json:
        output.print_json(values)
        return
    output.print_table(
        list(values.items()),
        [
            ("setting", lambda kv: kv[0]),
            ("value", lambda kv: kv[1]),
            ("meaning", lambda kv: _known()[kv[0]]),
        ],
    )


@app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help="The setting.")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="Its new value.")],
    as_json: JsonOpt = False,
) -> None:
    """Change a setting for everyone who uses this database."""
    with env(ctx).store(write=True) as store:
        typed = store.set_setting(key, value)
    if as_json:
        output.print_json({key: typed})
    else:
        output.say(f"{key} = {typed}")
