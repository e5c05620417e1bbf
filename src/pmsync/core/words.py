"""A base for the core's enums whose members stand for the words the contract uses."""

from __future__ import annotations

from enum import Enum


class Word(str, Enum):
    """An enum member that is its word: equal to, hashed, printed and formatted as the
    string, so JSON, tables and stored values read as the contract has them."""

    def __str__(self) -> str:
        return str(self.value)

    __format__ = str.__format__  # type: ignore[assignment]
