"""Use cases: one function per thing a user does, over a `Session` (database, today, clock).

Scripts, benchmarks and the CLI call these; none of them reaches past this layer for a rule.
"""
