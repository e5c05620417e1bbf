"""The `pmsync` program: the top-level help at once, everything else through the CLI."""

import sys

# The root's own options, which may stand before `--help`; each takes a value.
_GLOBAL_OPTIONS = ("--db", "--today")


def _asks_for_top_level_help(args: list[str]) -> bool:
    """`pmsync`, `pmsync --help`, `pmsync --db x.db --today 2027-01-04 -h`..."""
    rest = list(args)
    while rest and rest[0].split("=", 1)[0] in _GLOBAL_OPTIONS:
        rest = rest[1:] if "=" in rest[0] else rest[2:]
    return rest in (["-h"], ["--help"]) or not args


def main() -> None:
    if _asks_for_top_level_help(sys.argv[1:]):
        import shutil

        from pmsync.cli.commands import ROOT_HELP, ROOT_HELP_MIN_COLUMNS

        # Narrower terminals get click's own wrapping.
        if shutil.get_terminal_size().columns >= ROOT_HELP_MIN_COLUMNS:
            try:
                sys.stdout.write(ROOT_HELP)
                sys.stdout.flush()
            except BrokenPipeError:
                pass
            return
    import gc

    # A command is a short process that builds up to a few hundred thousand records without
    # reference cycles (rows, deals, forecasts). The cycle collector's passes over them cost
    # a tenth of a big team's forecast and find nothing; reference counting frees them.
    gc.disable()
    from pmsync.cli.app import main as run

    run()
