"""The weekly report as an RFC 5322 message, ready for `sendmail -t` or `msmtp -t`."""

from __future__ import annotations

import getpass
import socket
from email.message import EmailMessage
from email.utils import format_datetime, localtime, make_msgid


def default_sender() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "pmsync"
    return f"{user}@{socket.getfqdn() or 'localhost'}"


def build_message(text: str, html: str, to: list[str], sender: str, subject: str) -> EmailMessage:
    """multipart/alternative: the plain text first, the HTML version preferred by clients."""
    msg = EmailMessage()
    msg["To"] = ", ".join(to)
    msg["From"] = sender
    msg["Subject"] = subject
    msg["Date"] = format_datetime(localtime())
    domain = sender.rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid(idstring="pmsync", domain=domain)
    msg["X-Mailer"] = "pmsync"
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg
