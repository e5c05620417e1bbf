"""The `pmsync` program: the top-level help at once, everything else through the CLI."""

import sys


def main() -> None:
    if sys.argv[1:] in ([], ["-h"], ["--help"]):
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
    from pmsync.cli.app import main as run

    run()
