"""The weekly report as a document (for every text format) and as JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from pmsync.core.dates import human, iso
from pmsync.core.models import Deal
from pmsync.core.report import (
    SIGNAL_ORDER,
    KeptRate,
    PromiseRecord,
    SinceLastWeek,
    WeeklyReport,
)
from pmsync.core.terms import TermReason
from pmsync.core.verdicts import AT_RISK, REALISTIC, UNREALISTIC
from pmsync.present.document import Cell, Document, Section, Table
from pmsync.present.output import LazyList, cannot_forecast, fmt, plural

_VERDICT_TONE = {UNREALISTIC: "bad", AT_RISK: "warn", REALISTIC: "good"}
_REASON_WORDS = {
    TermReason.OVERDUE: "overdue",
    TermReason.DUE_SOON: "due soon",
    TermReason.UNACKNOWLEDGED: "not acked",
    TermReason.AT_RISK: "at risk",
}
_KIND_WORDS = {"sla": "SLA"}
_SIGNAL_WORDS = {
    "upsell": "Upsell",
    "churn-risk": "Churn risk",
    "new-logo": "New logo",
    "stakeholder-change": "Stakeholder change",
    "risk": "Risk",
    "info": "Info",
}


def _rounded(u: float | None) -> float | None:
    """A utilization for JSON: none where a week has no capacity."""
    return None if u is None or u == float("inf") else round(u, 4)


def _deal(d: Deal) -> str:
    return f"#{d.id} {d.title}"


def _money(r: WeeklyReport, amount: float | None) -> str:
    """An amount with the team's currency, when it is known."""
    if amount is None:
        return "-"
    return f"{fmt(amount)} {r.currency}" if r.currency else fmt(amount)


def _pct(u: float | None) -> str:
    if u is None:
        return "off"
    if u == float("inf"):
        return "no capacity"
    return f"{u:.0%}" + ("!" if u > 1.0 else "")


def headline(r: WeeklyReport) -> str:
    """The report in one line, in the summary's own words: unrealistic promises are not
    called at risk, so the two never disagree."""
    s = r.summary
    due = s.terms_due + s.terms_overdue
    parts = []
    if s.unrealistic:
        parts.append(f"{plural(s.unrealistic, 'promise')} unrealistic")
    if s.at_risk or not s.unrealistic:
        parts.append(f"{plural(s.at_risk, 'promise')} at risk")
    return ", ".join([*parts, f"{plural(due, 'term')} due"])


def subject(r: WeeklyReport) -> str:
    return f"pmsync week of {human(r.week_of)}: {headline(r)}"


def to_document(r: WeeklyReport, limit: int | None = 25) -> Document:
    """The report as a document; long lists keep their `limit` worst rows (JSON has all)."""
    full = r
    if limit is not None:
        # Rows past the limit are never built: at ten thousand deals that is most of the work.
        r = replace(
            r,
            at_risk=r.at_risk[:limit],
            terms=r.terms[:limit],
            newly_signed=r.newly_signed[:limit],
            accuracy=replace(r.accuracy, lessons=r.accuracy.lessons[:limit]),
            since=replace(r.since, delivered=r.since.delivered[:limit]),
            stale=r.stale[:limit],
            signals={k: v[:limit] for k, v in r.signals.items()},
        )
    sections = [
        _summary(r),
        _at_risk(r),
        _terms(r),
        _since(r, full.since),
        _new(r),
        _stale(r),
        _capacity(r),
        _intel(r),
        _kept(r),
        _lessons(r),
        _missing(r),
    ]
    if limit is not None:
        hidden = {
            "Promises at risk": len(full.at_risk),
            "Special terms": len(full.terms),
            "Newly signed (last 7 days)": len(full.newly_signed),
            "Lessons": full.accuracy.lesson_count,
            "Since last week (last 7 days)": len(full.since.delivered),
            "Intel (last 7 days)": sum(len(v) for v in full.signals.values()),
        }
        from pmsync.core.report import STALE_DAYS

        hidden[f"Stale: active deals with no hours for {STALE_DAYS}+ days"] = len(full.stale)
        for section in sections:
            if section.title != "Capacity":
                _shorten(section, limit, hidden.get(section.title))
    return Document(
        title=f"pmsync weekly sync: week of {human(r.week_of)}",
        subtitle=f"As of {human(r.as_of)}; capacity for the next {plural(r.weeks, 'week')}. "
        f"{headline(r).capitalize()}.",
        sections=sections,
    )


def _shorten(section: Section, limit: int, total: int | None = None) -> None:
    """A two-minute read: past `limit` rows the first table says how many more there are."""
    blocks: list[str | Table] = []
    first = True
    for block in section.blocks:
        blocks.append(block)
        if not isinstance(block, Table):
            continue
        count = total if first and total is not None else len(block.rows)
        first = False
        if count > limit:
            block.rows = block.rows[:limit]
            blocks.append(
                f"... and {count - limit} more (all of them: --limit 0 or --format json)."
            )
    section.blocks = blocks


def _summary(r: WeeklyReport) -> Section:
    s = r.summary
    util = ", ".join(f"wk {human(w, with_year=False)} {_pct(u)}" for w, u in s.utilization)
    blocks: list[str | Table] = [
        f"Open deals: {s.open_deals:,}. Promises unrealistic: {s.unrealistic:,}; "
        f"at risk: {s.at_risk:,}.",
        f"Special terms: {s.terms_due:,} due within their reminder window, {s.terms_overdue:,} "
        f"overdue, {s.terms_at_risk:,} at risk from a late forecast"
        + (f" ({_money(r, r.amounts_at_stake)} at stake)." if r.amounts_at_stake else "."),
        f"Team utilization (confirmed work): {util or 'no PMs'}.",
        f"Signed work not estimated: {plural(s.unestimated_signed, 'deal')}; signed hours "
        f"not assigned to a PM: {fmt(s.unassigned_hours)} h.",
    ]
    return Section("Summary", blocks)


def _at_risk(r: WeeklyReport) -> Section:
    if not r.at_risk:
        return Section("Promises at risk", ["No promise is at risk this week."])
    rows = [
        [
            Cell(_deal(i.deal)),
            Cell(i.deal.client),
            Cell(f"{i.deal.seller or '-'} / {i.deal.pm or '-'}"),
            Cell(iso(i.promised) or "-"),
            Cell(iso(i.forecast) or "-"),
            Cell(str(i.slip_days), tone=_VERDICT_TONE[i.verdict]),
            Cell(iso(i.suggested_date) or "-"),
            Cell(i.verdict, tone=_VERDICT_TONE[i.verdict]),
        ]
        for i in r.at_risk
    ]
    return Section(
        "Promises at risk",
        [
            "Worst first. Slip is in working days past the promise (0 or less: inside the buffer); "
            "the forecast is P80 where history gives evidence.",
            Table(
                [
                    "Deal",
                    "Client",
                    "Seller / PM",
                    "Promised",
                    "Forecast",
                    "Slip",
                    "Safe date",
                    "Verdict",
                ],
                rows,
                frozenset({5}),
                wrap=frozenset({0, 1, 2}),
            ),
        ],
    )


def _terms(r: WeeklyReport) -> Section:
    if not r.terms:
        return Section("Special terms", ["No open term needs attention."])
    rows = [
        [
            Cell(f"#{t.term.id}"),
            Cell(_deal(t.deal)),
            Cell(_KIND_WORDS.get(t.term.kind, t.term.kind)),
            Cell(iso(t.term.due) or ""),
            Cell(_money(r, t.term.amount)),
            Cell(t.term.acknowledged_by or "-", tone=None if t.term.acknowledged_by else "warn"),
            Cell(
                ", ".join(_REASON_WORDS[x] for x in t.reasons),
                tone="bad" if {TermReason.OVERDUE, TermReason.AT_RISK} & set(t.reasons) else "warn",
            ),
            Cell(t.term.text),
        ]
        for t in r.terms
    ]
    return Section(
        "Special terms",
        [
            Table(
                ["Term", "Deal", "Kind", "Due", "Amount", "Acked by", "Why", "Text"],
                rows,
                frozenset({4}),
                wrap=frozenset({1, 6, 7}),
            ),
        ],
    )


def _new(r: WeeklyReport) -> Section:
    if not r.newly_signed:
        return Section("Newly signed (last 7 days)", ["Nothing signed in the last 7 days."])
    rows = [
        [
            Cell(_deal(n.deal)),
            Cell(n.deal.client),
            Cell(n.deal.seller or "-"),
            Cell(n.deal.pm or "no PM", tone=None if n.deal.pm else "bad"),
            Cell(iso(n.deal.signed_on) or "-"),
            Cell(iso(n.deal.promised) or "-"),
            Cell(
                fmt(n.deal.estimate.hours) if n.deal.estimate else "none",
                tone=None if n.deal.estimate else "bad",
            ),
            Cell("; ".join(f"{t.kind} due {t.due}: {t.text}" for t in n.terms) or "-"),
        ]
        for n in r.newly_signed
    ]
    return Section(
        "Newly signed (last 7 days)",
        [
            "The kickoff list: make sure each PM knows the special terms.",
            Table(
                ["Deal", "Client", "Seller", "PM", "Signed", "Promised", "Hours", "Special terms"],
                rows,
                frozenset({6}),
                wrap=frozenset({0, 1, 7}),
            ),
        ],
    )


def _since(r: WeeklyReport, counted: SinceLastWeek | None = None) -> Section:
    """`counted`: the whole week, when `r` holds only the rows to show."""
    title = "Since last week (last 7 days)"
    since = r.since
    whole = counted or since
    if not (since.delivered or since.lost or since.terms_closed):
        return Section(title, ["Nothing delivered, lost or closed in the last 7 days."])
    blocks: list[str | Table] = [
        f"Delivered: {len(whole.delivered)} ({sum(d.on_time for d in whole.delivered)} on "
        f"time); lost: {len(whole.lost)}; special terms closed: {len(whole.terms_closed)}."
    ]
    if since.delivered:
        blocks.append(
            Table(
                ["Delivered", "Client", "Seller", "PM", "Promised", "On", "On time"],
                [
                    [
                        Cell(f"#{d.deal_id} {d.title}"),
                        Cell(d.client),
                        Cell(d.seller or "-"),
                        Cell(d.pm or "-"),
                        Cell(iso(d.promised) or "-"),
                        Cell(iso(d.delivered_on) or "-"),
                        Cell("yes" if d.on_time else "no", tone="good" if d.on_time else "bad"),
                    ]
                    for d in since.delivered
                ],
                wrap=frozenset({0, 1}),
            )
        )
    if since.lost:
        blocks.append(
            Table(
                ["Lost", "Client", "Seller", "Why"],
                [
                    [
                        Cell(_deal(d)),
                        Cell(d.client),
                        Cell(d.seller or "-"),
                        Cell(d.lost_reason or "-"),
                    ]
                    for d in since.lost
                ],
                wrap=frozenset({0, 1, 3}),
            )
        )
    if since.terms_closed:
        blocks.append(
            Table(
                ["Term", "Deal", "Kind", "Due", "Closed as"],
                [
                    [
                        Cell(f"{t.id}: {t.text}"),
                        Cell(_deal(d) if d else f"#{t.deal_id}"),
                        Cell(_KIND_WORDS.get(t.kind, t.kind)),
                        Cell(iso(t.due) or "-"),
                        Cell(t.status, tone="bad" if t.status == "missed" else None),
                    ]
                    for t, d in since.terms_closed
                ],
                wrap=frozenset({0, 1}),
            )
        )
    return Section(title, blocks)


def _stale(r: WeeklyReport) -> Section:
    from pmsync.core.report import STALE_DAYS

    title = f"Stale: active deals with no hours for {STALE_DAYS}+ days"
    if not r.stale:
        return Section(title, ["Every active deal had hours logged in the last two weeks."])
    return Section(
        title,
        [
            "Their forecasts assume the work is going on; ask the PM where it stands.",
            Table(
                ["Deal", "Client", "PM", "Last hours", "Days", "Promised"],
                [
                    [
                        Cell(_deal(x.deal)),
                        Cell(x.deal.client),
                        Cell(x.deal.pm or "-"),
                        Cell(iso(x.last_logged) or "never"),
                        Cell(str(x.days), tone="warn"),
                        Cell(iso(x.deal.promised) or "-"),
                    ]
                    for x in r.stale
                ],
                frozenset({4}),
                wrap=frozenset({0, 1}),
            ),
        ],
    )


def _rate(n: int, of: int) -> str:
    return f"{n}/{of} ({n / of:.0%})" if of else "-"


def _kept(r: WeeklyReport) -> Section:
    kept = r.kept
    days = kept.days if kept else 90
    title = f"Promises kept (last {days} days)"
    if kept is None or not kept.total.delivered:
        return Section(title, [f"No deal with a promise was delivered in the last {days} days."])
    t = kept.total
    blocks: list[str | Table] = [
        f"{t.on_time} of {plural(t.delivered, 'delivered deal')} met the promise as it stood "
        f"({t.on_time / t.delivered:.0%}); {t.on_time_first} met it as first made "
        f"({t.on_time_first / t.delivered:.0%}); promises were moved {plural(t.moves, 'time')}."
    ]
    for label, rates in (("Seller", kept.by_seller), ("PM", kept.by_pm)):
        blocks.append(
            Table(
                [label, "Delivered", "On time", "As first promised", "Moves"],
                [
                    [
                        Cell(k.who),
                        Cell(str(k.delivered)),
                        Cell(
                            _rate(k.on_time, k.delivered),
                            tone="bad" if k.on_time / k.delivered < 0.8 else "good",
                        ),
                        Cell(_rate(k.on_time_first, k.delivered)),
                        Cell(str(k.moves)),
                    ]
                    for k in rates
                ],
                frozenset({1, 2, 3, 4}),
                wrap=frozenset({0}),
            )
        )
    return Section(title, blocks)


def _capacity(r: WeeklyReport) -> Section:
    if not r.capacity:
        return Section("Capacity", ["No PMs recorded."])
    weeks = [w.week for w in r.capacity[0].weeks]
    heat = [
        [Cell(p.pm)]
        + [Cell(_pct(w.utilization()), heat=w.utilization()) for w in p.weeks]
        + [Cell(fmt(round(p.free_hours)))]
        for p in r.capacity
    ]
    blocks: list[str | Table] = [
        "Confirmed work (signed and active) against available hours, time off and holidays "
        "taken out; each deal's hours are spread over its working days up to its promise. "
        "Over 100% is marked with '!'.",
        Table(
            ["PM", *[f"wk {human(w, with_year=False)}" for w in weeks], "Free h"],
            heat,
            frozenset(range(1, len(weeks) + 2)),
        ),
    ]
    over = []
    for p in r.capacity:
        weeks_over = [
            f"wk {human(w.week, with_year=False)} {_pct(w.utilization())}"
            for w in p.weeks
            if (w.utilization() or 0) > 1.0
        ]
        if weeks_over:  # one entry per PM, however many weeks
            over.append(f"{p.pm} ({', '.join(weeks_over)})")
    blocks.append("Over 100%: " + (", ".join(over) if over else "nobody") + ".")
    free = sorted(
        ((round(p.free_hours), p.pm) for p in r.capacity if p.free_hours >= 1), reverse=True
    )
    blocks.append(
        "Free hours for new work: "
        + (", ".join(f"{pm} {h} h" for h, pm in free) if free else "none")
        + "."
    )
    levels = []
    for level, label in (
        ("confirmed", "Confirmed"),
        ("expected", "Expected (+ pipeline x probability)"),
        ("exposure", "Exposure (+ all pipeline)"),
    ):
        row = [Cell(label)]
        for i in range(len(weeks)):
            avail = sum(p.weeks[i].available for p in r.capacity)
            booked = sum(getattr(p.weeks[i], level) for p in r.capacity)
            u = booked / avail if avail else None
            row.append(Cell(f"{fmt(round(booked))} / {fmt(round(avail))} h ({_pct(u)})", heat=u))
        levels.append(row)
    blocks.append(
        Table(
            ["Team", *[f"wk {human(w, with_year=False)}" for w in weeks]],
            levels,
            frozenset(range(1, len(weeks) + 1)),
        )
    )
    return Section("Capacity", blocks)


def _intel(r: WeeklyReport) -> Section:
    rows = [
        [
            Cell(_SIGNAL_WORDS[sig], tone="strong"),
            Cell(_deal(d)),
            Cell(d.client),
            Cell(u.by or "-"),
            Cell((u.created or "")[:10]),
            Cell(u.text),
        ]
        for sig in SIGNAL_ORDER
        for u, d in r.signals.get(sig, ())
    ]
    if not rows:
        return Section("Intel (last 7 days)", ["No updates in the last 7 days."])
    return Section(
        "Intel (last 7 days)",
        [
            Table(
                ["Signal", "Deal", "Client", "By", "When", "Update"],
                rows,
                wrap=frozenset({0, 1, 2, 5}),
            )
        ],
    )


def _lessons(r: WeeklyReport) -> Section:
    a = r.accuracy
    blocks: list[str | Table] = []
    if a.overrun is None:
        blocks.append("No deals delivered in the last 90 days.")
    else:
        moved = ""
        if a.previous_overrun is not None:
            change = a.overrun - a.previous_overrun
            direction = "up" if change > 0.005 else "down" if change < -0.005 else "flat"
            moved = f", {direction} from {a.previous_overrun:.2f}x the 90 days before"
        blocks.append(
            f"Delivered in the last 90 days took {a.overrun:.2f}x their estimate at "
            f"signing (median){moved}."
        )
        blocks.append(
            Table(
                ["Deal", "Kind", "PM", "Delivered", "Estimate h", "Actual h", "Ratio"],
                [
                    [
                        Cell(f"#{x.deal_id} {x.title}"),
                        Cell(x.kind or "-"),
                        Cell(x.pm or "-"),
                        Cell(iso(x.delivered_on) or "-"),
                        Cell(fmt(x.estimate_hours)),
                        Cell(fmt(x.actual_hours)),
                        Cell(f"{x.ratio:.2f}x", tone="bad" if (x.ratio or 0) > 1.25 else None),
                    ]
                    for x in a.lessons
                ],
                frozenset({4, 5, 6}),
                wrap=frozenset({0}),
            )
        )
    if a.median_by_kind:
        blocks.append(
            Table(
                ["Kind", "Median actual h", "Deals"],
                [
                    [Cell(k), Cell(fmt(round(h, 1))), Cell(str(n))]
                    for k, (h, n) in a.median_by_kind.items()
                ],
                frozenset({1, 2}),
            )
        )
    return Section("Lessons", blocks)


def _missing(r: WeeklyReport) -> Section:
    m = r.missing
    problems: dict[int, tuple[Deal, list[str]]] = {}
    for deals, word in (
        (m.no_estimate, "no estimate"),
        (m.no_pm, "no PM"),
        (m.no_promise, "no promised date"),
        (m.over_estimate, "over estimate"),
    ):
        for d in deals:
            problems.setdefault(d.id, (d, []))[1].append(word)
    for d, why in m.cannot_forecast:
        problems.setdefault(d.id, (d, []))[1].append(cannot_forecast(why))
    if not problems:
        return Section("Missing data", ["Every open deal has an estimate, a PM and a promise."])
    rows = [
        [
            Cell(_deal(d)),
            Cell(d.stage),
            Cell(d.seller or "-"),
            Cell(d.pm or "-"),
            Cell(", ".join(words), tone="warn"),
        ]
        for d, words in (problems[k] for k in sorted(problems))
    ]
    return Section(
        "Missing data",
        [
            "These make every forecast weaker."
            + (
                " A deal that cannot be forecast needs its hours, or its PM's capacity or "
                "time off, corrected."
                if m.cannot_forecast
                else ""
            ),
            Table(["Deal", "Stage", "Seller", "PM", "Missing"], rows, wrap=frozenset({0, 4})),
        ],
    )


# -- JSON ----------------------------------------------------------------------------


def _deal_ref(d: Deal) -> dict[str, Any]:
    return {
        "deal_id": d.id,
        "title": d.title,
        "client": d.client,
        "seller": d.seller,
        "pm": d.pm,
        "stage": d.stage,
    }


def to_json(r: WeeklyReport, lazy: bool = False) -> dict[str, Any]:
    """The report as JSON data; `lazy`: its long lists made as they are written
    (`output.LazyList`, for `output.print_json_document`), so a big team's report never
    stands in memory as records as well."""
    s = r.summary
    many: Callable[[Iterable[Any]], list[Any]] = LazyList if lazy else list
    return {
        "as_of": iso(r.as_of),
        "week_of": iso(r.week_of),
        "weeks": r.weeks,
        "summary": {
            "open_deals": s.open_deals,
            "at_risk": s.at_risk,
            "unrealistic": s.unrealistic,
            "terms_due": s.terms_due,
            "terms_overdue": s.terms_overdue,
            "terms_at_risk": s.terms_at_risk,
            "amount_at_stake": r.amounts_at_stake,
            "currency": r.currency,
            "utilization": [{"week": iso(w), "confirmed": u} for w, u in s.utilization],
            "signed_unestimated_deals": s.unestimated_signed,
            "signed_unassigned_hours": s.unassigned_hours,
            "headline": headline(r),
        },
        "at_risk": many(
            _deal_ref(i.deal)
            | {
                "verdict": i.verdict,
                "promised": iso(i.promised),
                "forecast": iso(i.forecast),
                "slip_days": i.slip_days,
                "safe_date": iso(i.suggested_date),
            }
            for i in r.at_risk
        ),
        "terms_due": many(
            {
                "id": t.term.id,
                "deal_id": t.deal.id,
                "title": t.deal.title,
                "text": t.term.text,
                "kind": t.term.kind,
                "due": iso(t.term.due),
                "amount": t.term.amount,
                "remind_days": t.term.remind_days,
                "status": t.term.status,
                "acknowledged_by": t.term.acknowledged_by,
                "reasons": list(t.reasons),
                "forecast_finish": iso(t.forecast),
            }
            for t in r.terms
        ),
        "newly_signed": [
            _deal_ref(n.deal)
            | {
                "signed_on": iso(n.deal.signed_on),
                "promised": iso(n.deal.promised),
                "estimate_hours": n.deal.estimate.hours if n.deal.estimate else None,
                "terms": [
                    {
                        "id": t.id,
                        "kind": t.kind,
                        "due": iso(t.due),
                        "text": t.text,
                        "amount": t.amount,
                    }
                    for t in n.terms
                ],
            }
            for n in r.newly_signed
        ],
        "capacity": many(
            {
                "pm": p.pm,
                "free_hours": round(p.free_hours, 2),
                "weeks": [
                    {
                        "week": iso(w.week),
                        "available": round(w.available, 2),
                        "confirmed": round(w.confirmed, 2),
                        "expected": round(w.expected, 2),
                        "exposure": round(w.exposure, 2),
                        "utilization": _rounded(w.utilization()),
                    }
                    for w in p.weeks
                ],
            }
            for p in r.capacity
        ),
        "signals": {
            sig: many(
                {
                    "id": u.id,
                    "deal_id": d.id,
                    "title": d.title,
                    "text": u.text,
                    "signal": u.signal,
                    "by": u.by,
                    "created": u.created,
                }
                for u, d in r.signals.get(sig, ())
            )
            for sig in SIGNAL_ORDER
        },
        "accuracy": {
            "overrun": r.accuracy.overrun,
            "previous_overrun": r.accuracy.previous_overrun,
            "delivered": many(
                {
                    "deal_id": x.deal_id,
                    "title": x.title,
                    "kind": x.kind,
                    "pm": x.pm,
                    "delivered_on": iso(x.delivered_on),
                    "estimate_hours": x.estimate_hours,
                    "actual_hours": x.actual_hours,
                    "ratio": None if x.ratio is None else round(x.ratio, 4),
                }
                for x in r.accuracy.lessons
            ),
            "median_hours_by_kind": {
                k: {"median_hours": h, "deals": n}
                for k, (h, n) in r.accuracy.median_by_kind.items()
            },
        },
        "since_last_week": {
            "delivered": [_kept_json(d) for d in r.since.delivered],
            "lost": [_deal_ref(d) | {"lost_reason": d.lost_reason} for d in r.since.lost],
            "terms_closed": [
                {
                    "id": t.id,
                    "deal_id": t.deal_id,
                    "text": t.text,
                    "kind": t.kind,
                    "due": iso(t.due),
                    "status": t.status,
                }
                for t, _ in r.since.terms_closed
            ],
        },
        "stale": many(
            _deal_ref(x.deal) | {"last_logged": iso(x.last_logged), "days": x.days} for x in r.stale
        ),
        "promises_kept": None
        if r.kept is None
        else {
            "days": r.kept.days,
            "team": _rate_json(r.kept.total),
            "by_seller": [_rate_json(k) for k in r.kept.by_seller],
            "by_pm": [_rate_json(k) for k in r.kept.by_pm],
        },
        "missing_data": {
            "no_estimate": [d.id for d in r.missing.no_estimate],
            "no_pm": [d.id for d in r.missing.no_pm],
            "no_promise": [d.id for d in r.missing.no_promise],
            "over_estimate": [d.id for d in r.missing.over_estimate],
            "cannot_forecast": many(
                {"deal_id": d.id, "reason": why} for d, why in r.missing.cannot_forecast
            ),
        },
    }


def _kept_json(d: PromiseRecord) -> dict[str, Any]:
    return {
        "deal_id": d.deal_id,
        "title": d.title,
        "client": d.client,
        "seller": d.seller,
        "pm": d.pm,
        "promised": iso(d.promised),
        "first_promised": iso(d.first_promised),
        "moves": d.moves,
        "delivered_on": iso(d.delivered_on),
        "on_time": d.on_time,
    }


def _rate_json(k: KeptRate) -> dict[str, Any]:
    return {
        "who": k.who,
        "delivered": k.delivered,
        "on_time": k.on_time,
        "on_time_first_promise": k.on_time_first,
        "moves": k.moves,
        "on_time_rate": round(k.on_time / k.delivered, 4) if k.delivered else None,
    }
