"""check-date's answer: the verdict in words a seller can read aloud, then the detail."""

from __future__ import annotations

from typing import Any

from pmsync.core.dates import human, iso
from pmsync.core.forecast import CheckResult, Outcome
from pmsync.core.verdicts import AT_RISK, REALISTIC, UNREALISTIC, Verdict
from pmsync.present import output

EXIT_CODES = {REALISTIC: 0, AT_RISK: 3, UNREALISTIC: 4}
ALTERNATIVES_SHOWN = 6
_days = output.working_days
_LABEL: dict[Verdict, str] = {
    REALISTIC: "Realistic",
    AT_RISK: "At risk",
    UNREALISTIC: "Unrealistic",
}


def _evidence_words(o: Outcome) -> str:
    ev = o.evidence
    if ev.source == "none":
        return "its three-point estimate"
    kind = f" on {ev.kind} work" if ev.kind and ev.kind_deals else ""
    runs = f"estimates run {ev.median_ratio:.2g}x{kind}"
    others = ev.deals - ev.own_deals
    own, team = (output.plural(n, "delivered deal") for n in (ev.own_deals, ev.deals))
    if ev.own_deals and others:
        return f"{o.pm}'s {own} weighed with the team's {others} ({runs})"
    if ev.own_deals:
        return f"{o.pm}'s {own} ({runs})"
    return f"the team's {team} (none of them {o.pm}'s; {runs})"


def _evidence_json(o: Outcome) -> dict[str, Any]:
    ev = o.evidence
    return {
        "source": ev.source,
        "model": ev.model,
        "deals": ev.deals,
        "own_deals": ev.own_deals,
        "own_weight": round(ev.own_weight, 3),
        "kind": ev.kind,
        "kind_deals": ev.kind_deals,
        "median_overrun": ev.median_ratio,
        "ranges": ev.ranges,
    }


def _titles(o: Outcome) -> str:
    names = [k.title or f"deal {k.deal_id}" for k in o.knock_on]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _off(o: Outcome) -> str:
    """ "Ann is off 15-19 Mar": the time off that sits between the finish and the promise."""
    spans = []
    for t in o.away:
        if t.start == t.end:
            spans.append(human(t.start, with_year=False))
        elif (t.start.year, t.start.month) == (t.end.year, t.end.month):
            spans.append(f"{t.start.day}–{human(t.end, with_year=False)}")
        else:
            spans.append(f"{human(t.start, with_year=False)}–{human(t.end, with_year=False)}")
    return f"{o.pm} is off {' and '.join(spans)}, so any overrun lands after the promise."


def _trade_off(result: CheckResult) -> str:
    """When a PM who would move others' promises finishes sooner than the one proposed,
    the seller hears both: "Ben can do it by 18 Jan without moving anyone; Chloe by 4 Jan,
    but Wayne Retail and Acme would slip." """
    o = result.best
    finish = o.safe_finish
    if not o.keeps_promises or finish is None:
        return ""
    sooner = [
        a
        for a in result.alternatives
        if a.knock_on and a.safe_finish is not None and a.safe_finish < finish
    ]
    if not sooner:
        return ""
    a = min(sooner, key=lambda x: (x.safe_finish, x.pm))
    return (
        f" {o.pm} can do it by {human(finish, with_year=False)} without moving anyone; "
        f"{a.pm} by {human(a.safe_finish, with_year=False)}, but {_titles(a)} would slip."
    )


def headline(result: CheckResult, asked_date: bool) -> str:
    """One sentence (two where there is a trade-off): verdict, the real finish, which
    promises would break, and what to promise instead."""
    o = result.best
    if not asked_date:
        lead = f"Earliest realistic date: {human(o.suggested_date)}."
        if o.p80 is not None:
            return (
                f"{lead} {o.pm} finishes by {human(o.p80)} with 80% confidence "
                f"on {_evidence_words(o)}."
            )
        return f"{lead} {o.pm} can finish on {human(o.forecast_finish)}."
    assert o.promised is not None and o.suggested_date is not None  # a date was asked
    # "the 8 Jan promise": the year only where it differs from the finish's.
    ref = (o.p80 or o.forecast_finish or o.promised).year
    promised = human(o.promised, with_year=o.promised.year != ref)
    instead = f" Promise {human(o.suggested_date, with_year=o.suggested_date.year != ref)} instead"
    if o.suggested_date < o.promised:
        # Earlier promises are served first, so an earlier date can be the safer one.
        instead += f": an earlier date puts it ahead in {o.pm}'s queue"
    elif o.knock_on:
        instead += ": that keeps every promise already made"
    instead += "."
    label = _LABEL[o.verdict]
    if o.forecast_finish is None:
        return f"{label}: no hours of work remain."
    slip = f", but {_titles(o)} would slip" if o.knock_on else ""
    away = f" {_off(o)}" if o.away and o.verdict != REALISTIC else ""
    if result.alternatives and not o.keeps_promises:
        # Several PMs tried and none keeps the date and every promise: say so plainly, then
        # the date that does and what taking the one asked would cost.
        sugg = human(o.suggested_date, with_year=o.suggested_date.year != ref)
        done = o.safe_finish
        then = (
            f" Taken for {promised}, {o.pm} would finish by {human(done)}{slip}."
            if done is not None
            else ""
        )
        return (
            f"{label}: no PM can keep the {promised} promise without another one slipping. "
            f"Promise {sugg} instead, with {o.pm}: that keeps every promise already made."
            f"{then}{away}"
        )
    if o.p80 is not None and o.p50 is not None:
        chance = o.on_time_probability if o.on_time_probability is not None else 0.0
        where = "before" if o.p80 <= o.promised else "after" if o.p50 > o.promised else "around"
        text = (
            f"{label}: {o.pm} finishes by {human(o.p80)} with 80% confidence "
            f"(50% by {human(o.p50, with_year=False)}), {where} the {promised} promise; "
            f"{output.chance(chance)} chance of making it, on {_evidence_words(o)}{slip}."
        )
        if o.verdict == REALISTIC:
            return text + _trade_off(result)
        return text + away + instead
    slack = o.slack_days or 0
    finish = human(o.forecast_finish)
    if slack < 0:
        return (
            f"{label}: {o.pm} can finish on {finish}, {_days(-slack)} after the "
            f"{promised} promise{slip}.{away}{instead}"
        )
    if o.verdict == AT_RISK:
        # At risk for want of slack, or for the promises it breaks.
        short = "" if o.knock_on else "only "
        spare = (
            f"with no working day to spare before the {promised} promise"
            if slack == 0
            else f"{short}{_days(slack)} before the {promised} promise"
        )
        return f"{label}: {o.pm} can finish on {finish}, {spare}{slip}.{away}{instead}"
    return (
        f"{label}: {o.pm} can finish on {finish}, {_days(slack)} before the {promised} promise."
        + _trade_off(result)
    )


def to_json(result: CheckResult) -> dict[str, Any]:
    o = result.best
    data = {
        "verdict": o.verdict,
        "promised": iso(o.promised),
        "forecast_start": iso(o.forecast_start),
        "forecast_finish": iso(o.forecast_finish),
        "slack_days": o.slack_days,
        "pm": o.pm,
        "effort_hours": round(o.effort_hours, 3),
        "p50": iso(o.p50),
        "p80": iso(o.p80),
        "on_time_probability": o.on_time_probability,
        "suggested_date": iso(o.suggested_date),
        "alternatives": [
            {
                "pm": a.pm,
                "forecast_finish": iso(a.forecast_finish),
                "p80": iso(a.p80),
                "verdict": a.verdict,
                "suggested_date": iso(a.suggested_date),
                # Promises it would break (on the plan alone where `full` is false).
                "breaks": len(a.knock_on),
                "breaks_deals": [k.deal_id for k in a.knock_on],
                "full": a.full,
            }
            for a in result.alternatives
        ],
        "knock_on": [
            {
                "deal_id": k.deal_id,
                "title": k.title,
                "promised": iso(k.promised),
                "finish_before": iso(k.finish_before),
                "finish_after": iso(k.finish_after),
            }
            for k in o.knock_on
        ],
        "evidence": _evidence_json(o),
        "reference": None,
        "left_out": [{"pm": pm, "reason": why} for pm, why in result.left_out],
    }
    if result.reference:
        kind, hours, n = result.reference
        data["reference"] = {"kind": kind, "median_hours": hours, "deals": n}
    return data


def render(result: CheckResult, asked_date: bool) -> None:
    o = result.best
    style = output.VERDICT_STYLE.get(o.verdict, "")
    output.say(headline(result, asked_date), style=style)
    output.say("")
    if result.reference:
        kind, hours, n = result.reference
        output.say(
            f"Effort: {output.fmt(hours)} h, the median of {n} delivered "
            f"'{kind}' deal{'s' if n != 1 else ''}."
        )
    pairs: list[tuple[str, Any]] = [
        ("pm", o.pm),
        ("effort", f"{output.fmt(o.effort_hours)} h"),
        ("promised", human(o.promised)),
        ("start", human(o.forecast_start)),
    ]
    if o.p80 is not None:
        # With evidence the finish is P80: the plan on the estimates as given is the plan.
        pairs += [
            ("finish (p80)", human(o.p80)),
            ("slack", output.slack(o.safe_slack_days)),
            ("p50", human(o.p50)),
            (
                "on time",
                output.chance(o.on_time_probability) if o.on_time_probability is not None else None,
            ),
            ("plan", output.plan_line(o.forecast_finish, o.slack_days)),
        ]
    else:
        pairs += [
            ("finish", human(o.forecast_finish)),
            ("slack", output.slack(o.slack_days)),
        ]
    pairs.append(("suggested", human(o.suggested_date)))
    if o.away:
        pairs.append(("away", ", ".join(f"{human(t.start)} to {human(t.end)}" for t in o.away)))
    output.print_fields(pairs)
    if o.knock_on:
        output.say("")
        output.print_table(
            o.knock_on,
            [
                ("deal", lambda k: k.deal_id),
                ("title", lambda k: k.title),
                ("promised", lambda k: k.promised),
                ("finish now", lambda k: k.finish_before),
                ("finish with this", lambda k: k.finish_after),
            ],
            title="Promises this would break",
            numeric=("deal",),
        )
    elif o.promised is not None:
        output.say("")
        output.say("No existing promise would break.")
    if result.alternatives:
        output.say("")
        shown = result.alternatives[:ALTERNATIVES_SHOWN]
        output.print_table(
            shown,
            [
                ("pm", lambda a: a.pm),
                ("finish", lambda a: a.safe_finish),
                ("verdict", lambda a: a.verdict),
                ("breaks", lambda a: len(a.knock_on)),
                ("could promise", lambda a: a.suggested_date),
            ],
            title="Other PMs",
            numeric=("breaks",),
            styles={"verdict": lambda v: output.VERDICT_STYLE.get(v)},
        )
        hidden = len(result.alternatives) - len(shown)
        if hidden:
            output.say(f"... and {hidden} more PMs finishing later (--json lists them all).")
    if result.left_out:
        output.say("")
        for pm, why in result.left_out:
            output.say(f"Left out: {pm}, {output.cannot_forecast(why)}.")
