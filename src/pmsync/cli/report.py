"""`pmsync weekly-report`: the agenda of the Monday sales + PM sync."""

import sys
from typing import Annotated

import typer

from pmsync.cli.context import session
from pmsync.core.rules import check_choice
from pmsync.errors import BadInput

FORMATS = ("text", "markdown", "html", "json")


def weekly_report(
    ctx: typer.Context,
    weeks: Annotated[int, typer.Option("--weeks", help="Weeks of capacity to look ahead.")] = 4,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="text (default when piped), markdown, html or json; a terminal gets colour.",
        ),
    ] = None,
    email: Annotated[
        bool, typer.Option("--email", help="Print a complete email (text + HTML) for sendmail -t.")
    ] = False,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", metavar="ADDR", help="Recipient (repeat for several); needs --email."),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="ADDR",
            help="Sender (default: the report_from setting, else you at this host).",
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option("--subject", help="Subject (default names the week and the headline)."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", help="Rows per list, worst first (0: all). JSON has all."),
    ] = 25,
) -> None:
    """Write the Monday sync: promises at risk, special terms, new deals, capacity, intel,
    lessons and missing data.

    From cron: pmsync weekly-report --email --to team@example.com | sendmail -t
    """
    from pmsync.present import document, output
    from pmsync.present import report as view

    if limit < 0:
        raise BadInput(f"--limit must be 0 (all) or more, not {limit}")
    if not 1 <= weeks <= 26:
        raise BadInput(f"--weeks must be between 1 and 26, not {weeks}")
    if fmt is not None:
        fmt = check_choice(fmt, FORMATS, "format")
    if email and not to:
        raise BadInput("an email needs at least one recipient: --to ADDR")
    if (to or sender or subject) and not email:
        raise BadInput("--to, --from and --subject go with --email")
    if email and fmt is not None:
        raise BadInput("--email writes both text and HTML; leave out --format")
    for addr in [*(to or []), *([sender] if sender else [])]:
        if "@" not in addr or any(c in addr for c in "\r\n"):
            raise BadInput(f"'{addr}' is not an email address")
    if subject is not None and any(c in subject for c in "\r\n"):
        raise BadInput("the subject must be one line")
    from pmsync.service.report import weekly_report as build

    sess = session(ctx)
    # JSON lists every lesson; the other formats show the latest `limit`.
    report = build(sess, weeks, None if fmt == "json" or not limit else limit)
    if email:
        from pmsync.present.email import build_message, default_sender
        from pmsync.service.admin import settings

        assert to is not None
        report_from = settings(sess).report_from
        if not (sender or report_from):
            guessed = default_sender()
            if guessed.endswith(("localhost", ".localdomain")) or "." not in guessed:
                output.warn(
                    f"the email comes from {guessed}; give --from, or set a sender for "
                    "every run: pmsync config set report_from pm@example.com"
                )

        doc = view.to_document(report, limit or None)
        msg = build_message(
            document.render_text(doc),
            document.render_html(doc),
            list(to),
            sender or report_from or default_sender(),
            subject or view.subject(report),
        )
        sys.stdout.write(msg.as_string())
        return
    if fmt == "json":
        output.print_json_document(view.to_json(report, lazy=True))
        return
    doc = view.to_document(report, limit or None)
    if fmt == "markdown":
        sys.stdout.write(document.render_markdown(doc))
    elif fmt == "html":
        sys.stdout.write(document.render_html(doc))
    elif fmt == "text" or not output.is_terminal():
        sys.stdout.write(document.render_text(doc))
    else:
        document.render_rich(doc, output.console())
