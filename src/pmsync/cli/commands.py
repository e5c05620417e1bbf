"""The command tree as data, so that a run loads only the command it runs.

Importing Typer and building every command costs more than the 120 ms a `--help` may take
(shell completion runs pmsync on every TAB), so the root group resolves a command's module
when it is asked for, and the top-level help is kept here as text that needs no import at
all. A test renders the real help through Typer and checks it against `ROOT_HELP`.
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
    "deal": ("pmsync.cli.deals", "app", "Deals: add, list, update, sign, log, deliver, lose."),
    "pm": ("pmsync.cli.pms", "app", "Project managers: capacity, working days, time off."),
    "estimate": ("pmsync.cli.records", "estimate_app", "Effort estimates; history is kept."),
    "term": (
        "pmsync.cli.records",
        "term_app",
        "Special contract terms: due dates, money at stake.",
    ),
    "update": ("pmsync.cli.records", "update_app", "Status updates and intel a seller can act on."),
    "import": ("pmsync.cli.exchange", "import_app", "Bring deals in from CRM exports (CSV)."),
    "export": ("pmsync.cli.exchange", "export", "Export every record as CSV or JSON."),
    "calendar": (
        "pmsync.cli.exchange",
        "calendar",
        "An iCalendar file of promises, risks and term due dates.",
    ),
    "config": ("pmsync.cli.config", "app", "Team settings: at-risk buffer, samples, sender."),
    "db": ("pmsync.cli.db", "app", "The database file: where it is, checks, backups."),
    "demo": ("pmsync.cli.demo", "demo", "Build a sample team and show what pmsync does."),
}

ROOT_HELP = """\
Usage: pmsync [OPTIONS] COMMAND [ARGS]...

  Keep sellers and project managers on one page: deals, estimates, special
  terms, intel and PM capacity in one SQLite file; check a delivery date
  before promising it.

Options:
  --db PATH     The database file (default: pmsync.db in your user data
                folder).  [env var: PMSYNC_DB]
  --today DATE  Take this date as today everywhere (for reproducible runs).
                [env var: PMSYNC_TODAY]
  -h, --help    Show this message and exit.

Commands:
  check-date     Is a delivery date realistic? What to promise instead.
  weekly-report  The Monday sync: promises at risk, terms, capacity, intel.
  deal           Deals: add, list, update, sign, log, deliver, lose.
  pm             Project managers: capacity, working days, time off.
  estimate       Effort estimates; history is kept.
  term           Special contract terms: due dates, money at stake.
  update         Status updates and intel a seller can act on.
  import         Bring deals in from CRM exports (CSV).
  export         Export every record as CSV or JSON.
  calendar       An iCalendar file of promises, risks and term due dates.
  config         Team settings: at-risk buffer, samples, sender.
  db             The database file: where it is, checks, backups.
  demo           Build a sample team and show what pmsync does.
"""

# click wraps help to the terminal, at most 78 columns; the text above is that width.
ROOT_HELP_MIN_COLUMNS = 80
