"""Presentation: tables, text, JSON; user text is always printed literally."""
