"""Every command's table, field list and confirmation in one place per record: a deal's
terms in `deal show` and in `term list` are the same columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from pmsync.core.calendar import format_workdays
from pmsync.core.dates import human
from pmsync.present import output

if TYPE_CHECKING:
    from pmsync.core.forecast import DealForecast
    from pmsync.core.models import PM, Deal, Term, WorklogEntry
    from pmsync.service.deals import DealRecord
    from pmsync.storage.backend import Health

Column = output.Column


def _verdict_style(v: Any) -> str | None:
    return output.VERDICT_STYLE.get(v) if isinstance(v, str) else None


# -- deals -------------------------------------------------------------------------------


def _verdict(deal: Deal, f: DealForecast | None) -> str | None:
    """The verdict column: the forecast's, else why an open deal has none."""
    if f is not None and f.verdict:
        return f.verdict
    if f is not None and f.cannot_forecast:
        return output.cannot_forecast(f.cannot_forecast)
    if not deal.is_open or deal.stage == "pipeline":
        return None
    if deal.pm is None:
        return "no PM"
    if deal.estimate is None:
        return "no estimate"
    return "no promise" if deal.promised is None else None


# A deal's own columns in `deal list`, then the two its forecast gives.
_DEAL_COLUMNS: list[Column] = [
    ("id", attrgetter("id")),
    ("title", attrgetter("title")),
    ("client", attrgetter("client")),
    ("stage", attrgetter("stage")),
    ("pm", attrgetter("pm")),
    ("hours", lambda d: d.estimate.hours if d.estimate else None),
    ("left", lambda d: d.remaining_hours if d.is_open else None),
    ("promised", attrgetter("promised")),
]
_DEAL_NUMERIC = ("id", "hours", "left")
_DEAL_EMPTY = "No deals match. Add one: pmsync deal add TITLE --client NAME"


def _deal_forecast_columns(forecasts: Mapping[int, DealForecast]) -> list[Column]:
    def finish(d: Deal) -> date | None:
        f = forecasts.get(d.id)
        return None if f is None else f.safe_finish

    return [("finish", finish), ("verdict", lambda d: _verdict(d, forecasts.get(d.id)))]


def deal_list_early(deals: Sequence[Deal]) -> output.PlainTable | None:
    """`deal list`'s table with each deal's own columns formatted, before the forecasts are
    known (a long list spends a fifth of its time here); None when it is not printed plain."""
    if not deals or not output.plain(deals):
        return None
    names = [n for n, _ in _DEAL_COLUMNS] + ["finish", "verdict"]
    table = output.PlainTable(deals, names, _DEAL_NUMERIC)
    for name, get in _DEAL_COLUMNS:
        table.add(name, get)
    return table


def deal_list(
    deals: Sequence[Deal],
    forecasts: Mapping[int, DealForecast],
    early: output.PlainTable | None = None,
    write_parts: output.PartsWriter | None = None,
) -> None:
    """`early`: the table `deal_list_early` began for these deals; `write_parts`: how its
    lines may be put together on other cores."""
    if early is not None:
        # The two columns a forecast gives, worked out a list at a time.
        found = [forecasts.get(d.id) for d in deals]
        early.add_values("finish", [None if f is None else f.safe_finish for f in found])
        early.add_values("verdict", list(map(_verdict, deals, found)))
        early.print(write_parts=write_parts)
        return
    output.print_table(
        deals,
        [*_DEAL_COLUMNS, *_deal_forecast_columns(forecasts)],
        numeric=_DEAL_NUMERIC,
        styles={"verdict": _verdict_style},
        empty=_DEAL_EMPTY,
    )


ESTIMATE_COLUMNS: list[Column] = [
    ("id", lambda x: x.id),
    ("hours", lambda x: x.hours),
    ("low", lambda x: x.low),
    ("high", lambda x: x.high),
    ("by", lambda x: x.author),
    ("note", lambda x: x.note),
    ("when", lambda x: x.created),
]
WORKLOG_COLUMNS: list[Column] = [
    ("id", lambda x: x.id),
    ("on", lambda x: x.on),
    ("hours", lambda x: x.hours),
    ("note", lambda x: x.note),
]
CORRECTION_COLUMNS: list[Column] = [
    ("changed", lambda x: x.changed),
    ("what", lambda x: f"{x.record} {x.record_id}: {x.field.replace('_', ' ')}"),
    ("was", lambda x: x.old),
    ("now", lambda x: x.new),
]
PROMISE_COLUMNS: list[Column] = [
    ("changed", lambda x: x.changed),
    ("from", lambda x: x.old),
    ("to", lambda x: x.new),
]


def term_columns(with_deal: bool, at_risk: Mapping[int, date] | None = None) -> list[Column]:
    """A term's columns: in a list of several deals' terms with the deal, and with the risk
    where forecasts were worked out."""
    cols: list[Column] = [("id", lambda t: t.id)]
    if with_deal:
        cols.append(("deal", lambda t: t.deal_id))
    cols += [
        ("kind", lambda t: t.kind),
        ("due", lambda t: t.due),
        ("amount", lambda t: t.amount),
        ("status", lambda t: t.status),
        ("ack by", lambda t: t.acknowledged_by),
    ]
    if at_risk is not None:
        cols.append(
            ("risk", lambda t: f"at risk: finish {at_risk[t.id]}" if t.id in at_risk else None)
        )
    return [*cols, ("text", lambda t: t.text)]


def update_columns(with_deal: bool) -> list[Column]:
    cols: list[Column] = (
        [("id", lambda u: u.id), ("deal", lambda u: u.deal_id)] if with_deal else []
    )
    return [
        *cols,
        ("when", lambda u: u.created),
        ("signal", lambda u: u.signal),
        ("by", lambda u: u.by),
        ("text", lambda u: u.text),
    ]


def _forecast_pairs(f: DealForecast) -> list[tuple[str, Any]]:
    """With evidence the finish is P80 and the slack counts from it; the plan on the
    estimates as given is shown as the plan, so no line contradicts the verdict."""
    if f.p80 is None:
        return [
            ("forecast", f"{human(f.start)} to {human(f.finish)}"),
            ("verdict", f.verdict),
            ("slack", output.slack(f.slack_days)),
        ]
    return [
        ("forecast", f"{human(f.start)} to {human(f.p80)} (p80)"),
        ("p50", human(f.p50)),
        ("verdict", f.verdict),
        ("slack", output.slack(f.safe_slack_days)),
        ("plan", output.plan_line(f.finish, f.slack_days)),
    ]


def deal_show(r: DealRecord) -> None:
    deal, forecast = r.deal, r.forecast
    pairs: list[tuple[str, Any]] = [
        ("client", deal.client),
        ("stage", deal.stage),
        ("seller", deal.seller),
        ("kind", deal.kind),
        ("value", deal.value),
        ("probability", deal.probability),
        ("pm", deal.pm),
        ("stakeholder", deal.stakeholder),
        ("external id", deal.external_id),
        ("promised", deal.promised),
        ("start", deal.start),
        ("signed on", deal.signed_on),
        ("estimate", f"{output.fmt(deal.estimate.hours)} h" if deal.estimate else None),
        (
            "logged",
            f"{output.fmt(deal.logged_hours)} h"
            + (" (over estimate)" if deal.over_estimate else ""),
        ),
    ]
    if deal.stage == "delivered":
        pairs += [("delivered on", deal.delivered_on), ("actual hours", deal.actual_hours)]
    if deal.stage == "lost":
        pairs.append(("lost because", deal.lost_reason))
    if forecast is not None and forecast.cannot_forecast:
        pairs.append(("forecast", output.cannot_forecast(forecast.cannot_forecast)))
    elif forecast is not None:
        pairs += _forecast_pairs(forecast)
    output.print_fields(pairs, title=f"Deal {deal.id}: {deal.title}")
    sections: list[tuple[str, Sequence[Any], list[Column]]] = [
        ("Estimates", r.estimates, ESTIMATE_COLUMNS),
        ("Worklog", r.worklog, WORKLOG_COLUMNS),
        ("Special terms", r.terms, term_columns(with_deal=False)),
        ("Updates", r.updates, update_columns(with_deal=False)),
        ("Promised-date history", r.promise_history, PROMISE_COLUMNS),
        ("Corrections", r.corrections, CORRECTION_COLUMNS),
    ]
    for title, rows, cols in sections:
        output.say("")
        output.print_table(
            rows,
            cols,
            title=title,
            empty=f"{title}: none",
            numeric=("hours", "low", "high", "amount"),
        )


def worklog_list(rows: Sequence[WorklogEntry]) -> None:
    output.print_table(
        rows,
        [("id", lambda w: w.id), ("deal", lambda w: w.deal_id), *WORKLOG_COLUMNS[1:]],
        numeric=("id", "deal", "hours"),
        empty="No hours logged match.",
    )


# -- PMs ---------------------------------------------------------------------------------


def pm_list(pms: Sequence[PM], archived: bool = False) -> None:
    """`archived`: the list holds PMs who left too, marked with the day they left."""
    left: list[output.Column] = [("left", lambda p: (p.archived or "")[:10] or None)]
    output.print_table(
        pms,
        [
            ("name", lambda p: p.name),
            ("h/week", lambda p: p.capacity),
            ("h/day", lambda p: round(p.hours_per_day, 2)),
            ("days", lambda p: format_workdays(p.workdays)),
            ("holidays", lambda p: p.holidays),
            ("time off", lambda p: len(p.timeoff) or None),
            ("email", lambda p: p.email),
            *(left if archived else []),
        ],
        numeric=("h/week", "h/day", "time off"),
        empty="No PMs yet. Add one: pmsync pm add NAME --capacity 40",
    )


def pm_show(pm: PM) -> None:
    output.print_fields(
        [
            ("name", pm.name),
            ("email", pm.email),
            (
                "capacity",
                f"{output.fmt(pm.capacity)} h/week "
                f"({output.fmt(round(pm.hours_per_day, 2))} h per working day)",
            ),
            ("working days", format_workdays(pm.workdays)),
            ("holidays", pm.holidays),
            *([("left", f"{pm.archived[:10]} (archived)")] if pm.archived else []),
            (
                "time off",
                "; ".join(
                    f"{t.start} to {t.end}" + (f" ({t.reason})" if t.reason else "")
                    for t in pm.timeoff
                )
                or None,
            ),
        ]
    )


# -- the rest ----------------------------------------------------------------------------


def estimate_list(rows: Sequence[Any], deal_id: int) -> None:
    output.print_table(
        rows,
        ESTIMATE_COLUMNS,
        numeric=("id", "hours", "low", "high"),
        empty=f"Deal {deal_id} has no estimate yet: pmsync estimate add {deal_id} HOURS",
    )


def term_list(terms: Sequence[Term], at_risk: Mapping[int, date]) -> None:
    output.print_table(
        terms,
        term_columns(with_deal=True, at_risk=at_risk),
        numeric=("id", "deal", "amount"),
        styles={"risk": lambda v: "bold red" if v else None},
        empty="No terms match.",
    )


def update_list(rows: Sequence[Any]) -> None:
    output.print_table(
        rows, update_columns(with_deal=True), numeric=("id", "deal"), empty="No updates match."
    )


def settings_table(values: Mapping[str, Any], meaning: Callable[[str], str]) -> None:
    output.print_table(
        list(values.items()),
        [
            ("setting", lambda kv: kv[0]),
            ("value", lambda kv: kv[1]),
            ("meaning", lambda kv: meaning(kv[0])),
        ],
    )


def health(h: Health) -> None:
    output.print_fields(
        [
            ("database", h.location),
            ("schema", f"version {h.schema_version} (this pmsync: {h.expected_version})"),
            ("integrity", "; ".join(h.integrity[:5])),
            (
                "foreign keys",
                "ok"
                if not h.foreign_keys
                else f"{len(h.foreign_keys)} broken: " + "; ".join(h.foreign_keys[:3]),
            ),
            ("records", ", ".join(f"{n} {t}" for t, n in h.counts.items())),
            *(
                [("nodes", ", ".join(f"{node} {state}" for node, state in h.nodes.items()))]
                if h.nodes
                else []
            ),
        ]
    )
    if h.ok:
        output.say("OK")
    elif h.integrity == ["ok"] and not h.foreign_keys and "unreachable" in h.nodes.values():
        output.say("PROBLEMS FOUND: a node does not answer; restart it (its data catches up)")
    else:
        output.say("PROBLEMS FOUND: restore a backup (pmsync db restore)")
