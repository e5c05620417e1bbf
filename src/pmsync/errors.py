"""The two ways a command can fail, each with its exit code from the contract."""

from __future__ import annotations


class PmsyncError(Exception):
    """Base: a message for the user and the exit code that goes with it."""

    exit_code = 1


class BadInput(PmsyncError):
    """A usage error, invalid value, unknown id or name, or a move the rules forbid (exit 2)."""

    exit_code = 2


class StorageError(PmsyncError):
    """The database could not be used: unreadable, foreign, too new, busy, or full (exit 1)."""

    exit_code = 1
