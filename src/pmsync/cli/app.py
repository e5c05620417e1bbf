"""The `pmsync` command: global options, sub-commands, and one place that maps errors."""

import os
import sqlite3
import sys
from typing import Annotated, Any

# Plain help, as click writes it: Typer's rich help costs ~150 ms on every `--help`,
# and pmsync's help must be quick (shell completion runs it on every TAB).
os.environ.setdefault("TYPER_USE_RICH", "0")

import typer
from typer.core import TyperGroup

from pmsync.cli.commands import COMMANDS
from pmsync.cli.context import Env
from pmsync.errors import PmsyncError


def _fail(message: str, code: int) -> None:
    # User input echoed in a message can't break the line or send terminal escapes.
    from pmsync.present.output import printable

    sys.stderr.write(f"pmsync: {printable(message)}\n")
    sys.stderr.flush()
    sys.exit(code)


class PmsyncGroup(TyperGroup):
    """Loads a command's module only when that command runs (see pmsync.cli.commands),
    runs it, and turns every failure into one line on stderr and an exit code."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = _load(cmd_name)
        return self.commands.get(cmd_name)

    def main(  # type: ignore[override]  # same call, narrower: standalone mode is ours
        self,
        args: Any = None,
        prog_name: Any = None,
        complete_var: Any = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from typer._click import exceptions as click_exc

        try:
            result = super().main(
                args=args,
                prog_name=prog_name or "pmsync",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except PmsyncError as exc:
            from pmsync.cli.messages import describe

            _fail(describe(exc), exc.exit_code)
        except click_exc.NoArgsIsHelpError as exc:
            # Asking for nothing (`pmsync deal`) is asking for help, not an error.
            sys.stdout.write(exc.format_message() + "\n")
            sys.exit(0)
        except click_exc.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "pmsync"
            _fail(f"{exc.format_message()} (see '{where} --help')", 2)
        except click_exc.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code or 1)
        except typer.Abort:
            _fail("aborted", 1)
        except sqlite3.Error as exc:
            _fail(f"database error: {exc}; check the file with pmsync db check", 1)
        except BrokenPipeError:
            # `pmsync deal list | head`: the reader left; that is not an error.
            _quiet_stdout()
            sys.exit(0)
        except SystemExit as exc:
            # Typer turns a broken pipe into exit 1 after wrapping stdout; same case as above.
            if exc.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
                _quiet_stdout()
                sys.exit(0)
            raise
        except KeyboardInterrupt:
            _fail("interrupted; nothing was written", 130)
        except OSError as exc:
            if exc.filename:  # a path the user gave (--out FILE...): bad input
                _fail(f"cannot use {exc.filename}: {exc.strerror or exc}", 2)
            _fail(f"{exc.strerror or exc}", 1)
        except Exception as exc:
            _fail(f"internal error: {type(exc).__name__}: {exc} (please report this)", 1)
        code = result if isinstance(result, int) else 0
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()  # the reader left early; a verdict's exit code still stands
        sys.exit(code)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush can't fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


app = typer.Typer(
    cls=PmsyncGroup,
    name="pmsync",
    help="Keep sellers and project managers on one page: deals, estimates, special terms, "
    "intel and PM capacity in one SQLite file; check a delivery date before promising it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="PMSYNC_DB",
            show_envvar=True,
            metavar="PATH",
            help="The database: a file (default: pmsync.db in your user data folder), or a "
            "team's cluster as rqlite://HOST:PORT[,HOST:PORT...].",
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            envvar="PMSYNC_TODAY",
            show_envvar=True,
            metavar="DATE",
            help="Take this date as today everywhere (for reproducible runs).",
        ),
    ] = None,
) -> None:
    ctx.obj = Env(db=db, today_text=today)


def _load(name: str) -> Any:
    """The click command for one entry of the command tree, built from its module."""
    import importlib

    module, attribute, summary = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    command: Any
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    command.short_help = summary
    return command


def main() -> None:
    app()
