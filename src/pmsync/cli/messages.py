"""The sentence a user reads for each failure: the words live here, the facts in the error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pmsync import errors as e

_STAGE_VERB = {"signed": "sign", "delivered": "deliver", "lost": "lose"}


def _unknown_pm(x: e.UnknownPM) -> str:
    hint = f"known PMs: {', '.join(x.known)}" if x.known else "no PMs recorded yet"
    return f"unknown PM '{x.name}'; {hint}"


def _move(x: e.ForbiddenMove) -> str:
    if x.reason == "unknown-stage":
        from pmsync.core.lifecycle import STAGES

        return f"unknown stage '{x.to}'; use one of {', '.join(STAGES)}"
    if x.reason == "same":
        return f"deal {x.deal_id} is already {x.stage}"
    if x.reason == "closed":
        return f"deal {x.deal_id} is {x.stage}; it cannot become {x.to}"
    if x.reason == "unsigned":
        return f"deal {x.deal_id} is still in pipeline; sign it before delivering"
    return f"deal {x.deal_id} cannot move from {x.stage} to {x.to}"


def _closed(x: e.DealClosed) -> str:
    tail = {
        "change": "closed deals can't be changed",
        "estimate": "estimates are for open deals",
        "check": "check-date is for open deals",
        "log": "hours can't be logged ("
        + ("sign it first" if x.stage == "pipeline" else "it is closed")
        + ")",
    }[x.action]
    return f"deal {x.deal_id} is {x.stage}; {tail}"


def _open_deals(x: e.PMHasOpenDeals) -> str:
    ids = ", ".join(str(i) for i in x.deal_ids[:10])
    return (
        f"{x.name} still has {len(x.deal_ids)} open deal(s) ({ids}); "
        "reassign them with pmsync deal update ID --pm NAME first"
    )


def _not_pmsync(x: e.NotPmsyncFile) -> str:
    p = x.path
    return {
        "folder": f"{p} is a folder, not a pmsync database file",
        "unreadable": f"cannot read {p}: {x.detail}",
        "unreachable": f"cannot reach {p}: {x.detail}; check the permissions of its folders",
        "not-sqlite": f"{p} is not a pmsync database (not an SQLite file); it was left untouched",
        "foreign": f"{p} is an SQLite database of another program, not pmsync's; "
        "it was left untouched (give pmsync its own file with --db)",
        "newer": f"{p} was written by a newer pmsync (schema {x.version}; this one knows "
        f"{x.known}); upgrade pmsync to use it",
    }[x.reason]


def _not_backup(x: e.NotABackup) -> str:
    p, tail = x.path, "nothing was restored"
    cause = x.cause
    if cause is not None:
        what = {
            "foreign": f"{p} is not a pmsync database (an SQLite database of another program)",
            "not-sqlite": f"{p} is not a pmsync database (not an SQLite file)",
            "newer": f"{p} was written by a newer pmsync (schema {cause.version}, this one "
            f"knows {cause.known})",
        }.get(cause.reason) or _not_pmsync(cause).split("; ")[0]
        return f"{what}; {tail}"
    return {
        "not-a-file": f"{p} is not a file",
        "unreadable": f"{p} is not a pmsync database ({x.detail}); {tail}",
        "foreign": f"{p} is not a pmsync database; {tail}",
        "damaged": f"{p} is damaged ({x.detail}); {tail}",
    }[x.reason]


def _failure(x: e.DatabaseFailure) -> str:
    p = x.path
    return {
        "busy": "the database is busy (another pmsync is writing); try again",
        "full": f"the disk holding {p} is full; free some space and try again",
        "io": f"cannot write {p}: the disk is full or failing ({x.detail}); "
        "free some space and try again",
        "readonly": f"{p} is read-only; pmsync needs write access to change it",
        "damaged": f"{p} is damaged or not a database ({x.detail}); restore it from a backup",
        "unopenable": f"cannot open {p}; check that its folder exists and is writable",
        "backup": f"cannot write the backup {p}: {x.detail}",
    }.get(x.kind, f"database error on {p}: {x.detail}")


def _cluster(x: e.ClusterError) -> str:
    at = f"the cluster at {x.location}"
    return {
        "unreachable": f"cannot reach {at} ({x.detail}); check the address and that "
        "rqlited runs there; nothing was written",
        "no-leader": f"{at} has no leader right now ({x.detail}); most of its nodes must run "
        "for it to answer; nothing was written",
        "refused": f"{at} refused the credentials"
        + (f" of user '{x.user}'" if x.user else " (none given: set PMSYNC_RQLITE_USER)")
        + "; check the user and PMSYNC_RQLITE_PASSWORD",
        "forbidden": f"user '{x.user}' may read but not change {at}; nothing was written",
        "tls": f"cannot trust {at} ({x.detail}); give its CA certificate in "
        "PMSYNC_RQLITE_CA; nothing was written",
        "no-fk": f"{at} does not enforce foreign keys; start every rqlited with -fk",
        "foreign": f"{at} holds another program's database; it was left untouched",
        "newer": f"{at} was written by a newer pmsync (schema {x.version}; this one knows "
        f"{x.known}); upgrade pmsync to use it",
    }.get(x.kind, f"{at} failed: {x.detail}")


_SAY: dict[type, Callable[[Any], str]] = {
    e.UnknownDeal: lambda x: f"unknown deal {x.deal_id}; see pmsync deal list",
    e.UnknownTerm: lambda x: f"unknown term {x.term_id}; see pmsync term list",
    e.UnknownPM: _unknown_pm,
    e.UnknownRecord: lambda x: (
        f"unknown {x.kind} {x.record_id}; see pmsync "
        + {"worklog entry": "worklog list", "update": "update list"}.get(x.kind, "pm show NAME")
    ),
    e.ArchivedPM: lambda x: (
        f"{x.name} has left (archived; pmsync pm list --all); bring them back with "
        f"pmsync pm add {x.name} --capacity HOURS"
    ),
    e.NothingToReopen: lambda x: f"term {x.term_id} is open already",
    e.DealHasWork: lambda x: (
        f"deal {x.deal_id} has "
        + ("a delivery" if x.delivered else f"{x.logged:g} h logged")
        + " recorded; give --force to remove it with all of that"
    ),
    e.NoTimeOffThere: lambda x: f"{x.name} has no time off from {x.start} to {x.end}",
    e.UnknownSetting: lambda x: f"unknown setting '{x.key}'; known: {', '.join(x.known)}",
    e.DuplicatePM: lambda x: f"a PM named '{x.name}' already exists",
    e.DuplicateExternalId: lambda x: f"a deal with external id '{x.external_id}' already exists",
    e.NoPMs: lambda x: "no PMs recorded yet; add one with: pmsync pm add NAME --capacity 40",
    e.NoHistoryForKind: lambda x: (
        f"no delivered deals of kind '{x.kind}' to learn from (kinds with history: "
        f"{', '.join(x.known) or 'none yet'}); give the effort with --hours"
    ),
    e.ForbiddenMove: _move,
    e.UseVerb: lambda x: f"use pmsync deal {_STAGE_VERB[x.to]} {x.deal_id} for that",
    e.DealClosed: _closed,
    e.NoEstimate: lambda x: (
        f"deal {x.deal_id} has no estimate; add one: pmsync estimate add {x.deal_id} HOURS"
    ),
    e.TermNotOpen: lambda x: f"term {x.term_id} is already {x.status}",
    e.PMHasOpenDeals: _open_deals,
    e.Conflict: lambda x: (
        f"{x.what} was changed by someone else meanwhile; nothing was written, try again"
    ),
    e.TargetExists: lambda x: f"{x.path} exists; give --force to replace it",
    e.CannotForecast: lambda x: f"cannot forecast {x.pm}'s queue: {_why(x.reason)}",
    e.NoForecast: lambda x: (
        "no PM's queue can take this work: "
        + "; ".join(f"{pm}, {_why(why)}" for pm, why in x.left_out)
    ),
    e.LongTimeOff: lambda x: (
        f"time off from {x.start} to {x.end} is {x.days} days; check the dates, "
        "or give --long if it is meant"
    ),
    e.NoWorkdays: lambda x: "a PM needs at least one working day (e.g. --workdays mon-fri)",
    e.MixedDateOrder: lambda x: f"{x}; give --date-format",
    e.NotABackup: _not_backup,
    e.ImportNeedsEmpty: lambda x: (
        f"{x.location} holds records; import all loads a whole database into an empty one "
        "(give --db a new file)"
    ),
    e.ImportMismatch: lambda x: f"{x.source}: {x.why}; nothing was imported",
    e.NotADemo: lambda x: (
        f"{x.location} is not a database the demo built; it was left untouched "
        "(give --demo-db a new file)"
    ),
    e.RestoreOverData: lambda x: (
        f"{x.location} holds records; give --force to replace them "
        "(they are copied to a file first)"
    ),
    e.ClusterError: _cluster,
    e.BadClusterAddress: lambda x: (
        f"'{x.shown}' is not a cluster address"
        + (f" ('{x.part}' is not HOST:PORT)" if x.reason == "node" else "")
        + "; write rqlite://HOST:PORT[,HOST:PORT...]"
    ),
    e.NotPmsyncFile: _not_pmsync,
    e.DatabaseFailure: _failure,
    e.EmptyDatabaseName: lambda x: (
        "--db (or PMSYNC_DB) is empty; give the database's path, or leave it out for the default"
    ),
    e.NoDatabase: lambda x: (
        f"no pmsync database at {x.location}; give --db (or PMSYNC_DB) the team's database, "
        "or start one with a write (pmsync pm add NAME --capacity 40)"
    ),
    e.CannotCreate: lambda x: f"cannot create {x.path}: {x.detail}",
}


def _why(reason: str) -> str:
    from pmsync.core.forecast import why_no_forecast

    return why_no_forecast(reason)


def describe(exc: e.PmsyncError) -> str:
    """The one line a user reads for `exc`."""
    say = _SAY.get(type(exc))
    return say(exc) if say is not None else str(exc)
