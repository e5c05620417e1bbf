"""The command tree as data, so that a run loads only the command it runs.

Importing Typer and building every command costs more than the 120 ms a `--help` may take
(shell completion runs pmsync on every TAB), so the root group resolves a command's module
when it is asked for, and the top-level help is kept here as text that needs no import at
all: it is formatted here from the summaries below, which are also each group's own help.
A test renders the real help through Typer and checks it against `ROOT_HELP`.
"""

# name -> (module, attribute: a Typer sub-app or a command function, one-line summary)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check-date": (
        "pmsync.cli.check",
        "check_date",
        "Is a delivery date realistic? What to promise instead.",
    ),
    "weekly-report": (
        "pmsync.cli.report",
        "weekly_report",
        "The Monday sync: promises at risk, terms, capacity, intel.",
    ),
    "deal": (
        "pmsync.cli.deals",
        "app",
        "Deals: add, list, update, sign, log, deliver, lose, remove.",
    ),
    "pm": ("pmsync.cli.pms", "app", "Project managers: capacity, working days, time off."),
    "estimate": ("pmsync.cli.records", "estimate_app", "Effort estimates; history is kept."),
    "term": (
        "pmsync.cli.records",
        "term_app",
        "Special contract terms: due dates, money at stake.",
    ),
    "update": ("pmsync.cli.records", "update_app", "Status updates and intel a seller can act on."),
    "worklog": ("pmsync.cli.records", "worklog_app", "Hours logged: list them, correct them."),
    "import": (
        "pmsync.cli.exchange",
        "import_app",
        "CRM exports (CSV), or a whole database (JSON).",
    ),
    "export": ("pmsync.cli.exchange", "export", "Export every record as CSV or JSON."),
    "calendar": (
        "pmsync.cli.exchange",
        "calendar",
        "An iCalendar file of promises, risks and term due dates.",
    ),
    "config": ("pmsync.cli.config", "app", "Team settings: at-risk buffer, samples, sender."),
    "db": ("pmsync.cli.db", "app", "The database: where it is, checks, backups, restores."),
    "demo": ("pmsync.cli.demo", "demo", "Build a sample team and show what pmsync does."),
}

_ROOT_OPTIONS = """\
Usage: pmsync [OPTIONS] COMMAND [ARGS]...

  Keep sellers and project managers on one page: deals, estimates, special
  terms, intel and PM capacity in one SQLite file; check a delivery date
  before promising it.

Options:
  --db PATH     The database: a file (default: pmsync.db in your user data
                folder), or a team's cluster as
                rqlite://HOST:PORT[,HOST:PORT...].  [env var: PMSYNC_DB]
  --today DATE  Take this date as today everywhere (for reproducible runs).
                [env var: PMSYNC_TODAY]
  -h, --help    Show this message and exit.

Commands:
"""


def summary(name: str) -> str:
    """A command's one-line summary: the root help's line and its own help's first line."""
    return COMMANDS[name][2]


def _root_help() -> str:
    """The root help as click lays it out (a test holds the two equal)."""
    width = max(map(len, COMMANDS)) + 2
    lines = [f"  {name:<{width - 2}}  {summary(name)}" for name in COMMANDS]
    return _ROOT_OPTIONS + "\n".join(lines) + "\n"


ROOT_HELP = _root_help()

# click wraps help to the terminal, at most 78 columns; the text above is that width.
ROOT_HELP_MIN_COLUMNS = 80
