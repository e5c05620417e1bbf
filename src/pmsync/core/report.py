"""The Monday sales + PM sync, computed: what to talk about, as plain data.

Capacity is shown the way resource planners show it: each deal's remaining hours are spread
evenly over the PM's working days between when it may start and when it is promised, so a
week that needs more than the PM has shows above 100 % (the forecast, by contrast, never
books more than a day has and pushes work later instead).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from statistics import median

from pmsync.core.calendar import WorkCalendar
from pmsync.core.forecast import DealForecast
from pmsync.core.history import History
from pmsync.core.lifecycle import LOADED_STAGES
from pmsync.core.models import PM, SIGNALS, Actual, Deal, Term, Update, probability_weight
from pmsync.core.terms import REASON_ORDER, TermReason
from pmsync.core.terms import reasons as term_reasons
from pmsync.core.verdicts import AT_RISK, UNREALISTIC, Verdict

# A week's sections cover the last 7 days and today, so that nothing done on the day of one
# Monday's run (after it) falls between two reports.
NEW_DAYS = 7
INTEL_DAYS = 7
LESSON_DAYS = 90
# How far back the promises-kept rates look, and when an active deal with no hours logged
# counts as stale (its forecast assumes work that is not happening).
KEPT_DAYS = 90
STALE_DAYS = 14
# The signals a seller can act on come first; plain info last.
SIGNAL_ORDER = ("upsell", "churn-risk", "new-logo", "stakeholder-change", "risk", "info")
assert set(SIGNAL_ORDER) == set(SIGNALS)


@dataclass(frozen=True, slots=True)
class RiskItem:
    deal: Deal
    verdict: Verdict
    promised: date
    forecast: date  # P80 where there is evidence
    slip_days: int  # working days past the promise (0 or less: inside the buffer)
    suggested_date: date | None


@dataclass(frozen=True, slots=True)
class TermItem:
    term: Term
    deal: Deal
    reasons: tuple[TermReason, ...]
    forecast: date | None = None


@dataclass(frozen=True, slots=True)
class NewDeal:
    deal: Deal
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class WeekLoad:
    week: date  # the Monday
    available: float
    confirmed: float
    expected: float
    exposure: float

    def utilization(self, level: str = "confirmed") -> float | None:
        booked = getattr(self, level)
        if self.available <= 0:
            return None if booked <= 0 else float("inf")
        return booked / self.available


@dataclass(frozen=True, slots=True)
class PmLoad:
    pm: str
    weeks: tuple[WeekLoad, ...]

    @property
    def free_hours(self) -> float:
        return sum(max(0.0, w.available - w.confirmed) for w in self.weeks)


@dataclass(frozen=True, slots=True)
class Accuracy:
    lessons: tuple[Actual, ...]  # the newest of the last 90 days' deliveries
    lesson_count: int  # how many there are in all
    overrun: float | None  # median ratio of the last 90 days
    previous_overrun: float | None  # the 90 days before
    median_by_kind: dict[str, tuple[float, int]]


@dataclass(frozen=True, slots=True)
class MissingData:
    no_estimate: tuple[Deal, ...]
    no_pm: tuple[Deal, ...]
    no_promise: tuple[Deal, ...]
    over_estimate: tuple[Deal, ...]
    # Deals whose PM's queue cannot be forecast, with the reason (CannotForecast).
    cannot_forecast: tuple[tuple[Deal, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PromiseRecord:
    """A delivered deal and the promise it was measured against."""

    deal_id: int
    title: str
    client: str
    seller: str | None
    pm: str | None
    promised: date  # as it stood at delivery
    first_promised: date  # as first made
    moves: int
    delivered_on: date

    @property
    def on_time(self) -> bool:
        return self.delivered_on <= self.promised

    @property
    def on_time_first(self) -> bool:
        return self.delivered_on <= self.first_promised


@dataclass(frozen=True, slots=True)
class KeptRate:
    """How one seller's, one PM's or the team's promises fared."""

    who: str
    delivered: int
    on_time: int  # by the promise as it stood at delivery
    on_time_first: int  # by the promise as first made
    moves: int  # times a promise was moved


@dataclass(frozen=True, slots=True)
class PromisesKept:
    days: int
    total: KeptRate
    by_seller: tuple[KeptRate, ...]
    by_pm: tuple[KeptRate, ...]


@dataclass(frozen=True, slots=True)
class SinceLastWeek:
    delivered: tuple[PromiseRecord, ...]
    lost: tuple[Deal, ...]
    terms_closed: tuple[tuple[Term, Deal | None], ...]


@dataclass(frozen=True, slots=True)
class StaleDeal:
    deal: Deal
    last_logged: date | None  # None: no hours logged ever
    days: int  # days since then (or since signing)


@dataclass(frozen=True, slots=True)
class Summary:
    open_deals: int
    at_risk: int
    unrealistic: int
    terms_due: int
    terms_overdue: int
    terms_at_risk: int
    utilization: tuple[tuple[date, float | None], ...]
    unestimated_signed: int
    unassigned_hours: float


@dataclass(frozen=True, slots=True)
class WeeklyReport:
    as_of: date
    week_of: date
    weeks: int
    summary: Summary
    at_risk: tuple[RiskItem, ...]
    terms: tuple[TermItem, ...]
    newly_signed: tuple[NewDeal, ...]
    capacity: tuple[PmLoad, ...]
    signals: dict[str, tuple[tuple[Update, Deal], ...]]
    accuracy: Accuracy
    missing: MissingData
    amounts_at_stake: float = field(default=0.0)
    since: SinceLastWeek = field(default_factory=lambda: SinceLastWeek((), (), ()))
    stale: tuple[StaleDeal, ...] = ()
    kept: PromisesKept | None = None
    currency: str | None = None  # of deal values and term amounts, when the team set it


_DAY = timedelta(days=1)


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def build_report(
    today: date,
    weeks: int,
    pms: Sequence[PM],
    open_deals: Sequence[Deal],
    history: History,
    lessons: Sequence[Actual],
    terms: Sequence[Term],
    updates: Sequence[Update],
    forecasts: dict[int, DealForecast],
    overruns: Sequence[float] = (),
    earlier_overruns: Sequence[float] = (),
    calendars: dict[str, WorkCalendar] | None = None,
    other_deals: Sequence[Deal] = (),
    kept: Sequence[KeptRate] = (),
    delivered: Sequence[PromiseRecord] = (),
    lost: Sequence[Deal] = (),
    closed_terms: Sequence[Term] = (),
    last_logged: dict[int, date] | None = None,
    currency: str | None = None,
    open_by_id: dict[int, Deal] | None = None,
    capacity: Callable[[], tuple[PmLoad, ...]] | None = None,
) -> WeeklyReport:
    """`lessons`: deals delivered from `lessons_since(today)` to today with both hours known,
    newest first (all of them, or as many as will be shown); `overruns`: the actual over
    estimate of every deal delivered then, `earlier_overruns` of those in `earlier_lessons`;
    `other_deals`: closed deals that open terms or recent updates point at;
    `kept`: how promises fared since `kept_since(today)`, per seller and PM pair (`who`
    their seller and PM, NUL between); `delivered`, `lost`, `closed_terms`: deals
    delivered (with their promises) and lost, and terms closed, since `week_since(today)`;
    `last_logged`: the last day hours were logged on each active deal; `open_by_id`:
    the open deals by id, when the caller has them so; `capacity`: the capacity section
    (`capacity_loads` of these), when the caller works it out (on another core: it is
    asked for last)."""
    # Open, closed and lost deals are apart: looked up together, without a copy of the
    # open ones (a hundred thousand at most) when the caller keeps them by id already.
    deals: Mapping[int, Deal] = ChainMap(
        {d.id: d for d in (*other_deals, *lost)},
        open_by_id if open_by_id is not None else {d.id: d for d in open_deals},
    )
    at_risk = _at_risk(open_deals, forecasts)
    term_items = _terms(today, terms, deals, forecasts)
    newly_signed = _newly_signed(today, open_deals, terms)
    signals = _signals(today, updates, deals)
    accuracy = _accuracy(history, lessons, overruns, earlier_overruns)
    missing = _missing(open_deals, forecasts)
    stale = _stale(today, open_deals, last_logged or {})
    if capacity is None:
        loads = capacity_loads(today, weeks, pms, open_deals, calendars or {}, forecasts)
    else:
        loads = capacity()
    week_starts = [monday(today) + timedelta(weeks=i) for i in range(weeks)]
    team = []
    for i, start in enumerate(week_starts):
        avail = sum(p.weeks[i].available for p in loads)
        booked = sum(p.weeks[i].confirmed for p in loads)
        team.append((start, booked / avail if avail else None))
    loaded = [d for d in open_deals if d.stage in LOADED_STAGES]
    summary = Summary(
        open_deals=len(open_deals),
        at_risk=sum(1 for r in at_risk if r.verdict == AT_RISK),
        unrealistic=sum(1 for r in at_risk if r.verdict == UNREALISTIC),
        terms_due=sum(1 for t in term_items if TermReason.DUE_SOON in t.reasons),
        terms_overdue=sum(1 for t in term_items if TermReason.OVERDUE in t.reasons),
        terms_at_risk=sum(1 for t in term_items if TermReason.AT_RISK in t.reasons),
        utilization=tuple(team),
        unestimated_signed=sum(1 for d in loaded if d.estimate is None),
        unassigned_hours=sum(d.remaining_hours or 0.0 for d in loaded if d.pm is None),
    )
    return WeeklyReport(
        as_of=today,
        week_of=monday(today),
        weeks=weeks,
        summary=summary,
        at_risk=at_risk,
        terms=term_items,
        newly_signed=newly_signed,
        capacity=loads,
        signals=signals,
        accuracy=accuracy,
        missing=missing,
        amounts_at_stake=sum(
            t.term.amount or 0.0
            for t in term_items
            if {TermReason.OVERDUE, TermReason.DUE_SOON, TermReason.AT_RISK} & set(t.reasons)
        ),
        since=SinceLastWeek(
            tuple(delivered),
            tuple(sorted(lost, key=lambda d: d.id)),
            tuple((t, deals.get(t.deal_id)) for t in closed_terms),
        ),
        stale=stale,
        kept=promises_kept(kept, KEPT_DAYS),
        currency=currency,
    )


def week_since(today: date) -> date:
    """The first day of the week's sections: the last 7 days, and today."""
    return today - timedelta(days=NEW_DAYS)


def kept_since(today: date) -> date:
    return today - timedelta(days=KEPT_DAYS)


def promises_kept(pairs: Sequence[KeptRate], days: int) -> PromisesKept:
    """On-time rates of the deals delivered in the window, the team's, by seller and by PM,
    from the counts of each seller and PM pair (`who` is seller NUL pm; storage counts them,
    so a hundred thousand deliveries are never records here)."""

    def total(who: str, rows: Sequence[KeptRate]) -> KeptRate:
        return KeptRate(
            who,
            sum(r.delivered for r in rows),
            sum(r.on_time for r in rows),
            sum(r.on_time_first for r in rows),
            sum(r.moves for r in rows),
        )

    def grouped(side: int) -> tuple[KeptRate, ...]:
        groups: dict[str, list[KeptRate]] = {}
        for r in pairs:
            groups.setdefault(r.who.split("\0", 1)[side] or "(none)", []).append(r)
        # The least reliable first: that is where the conversation is.
        rates = [total(who, rows) for who, rows in groups.items()]
        rates.sort(key=lambda k: (k.on_time / k.delivered, -k.delivered, k.who))
        return tuple(rates)

    return PromisesKept(days, total("team", pairs), grouped(0), grouped(1))


def _stale(
    today: date, open_deals: Sequence[Deal], last_logged: dict[int, date]
) -> tuple[StaleDeal, ...]:
    """Active deals with no hours logged for STALE_DAYS: their forecast assumes work that
    is not happening, so they slip without anyone seeing it."""
    out = []
    for d in open_deals:
        if d.stage != "active":
            continue
        last = last_logged.get(d.id)
        since = last or d.signed_on
        if since is None:
            continue
        days = (today - since).days
        if days >= STALE_DAYS:
            out.append(StaleDeal(d, last, days))
    out.sort(key=lambda s: (-s.days, s.deal.id))
    return tuple(out)


def _at_risk(open_deals: Sequence[Deal], forecasts: dict[int, DealForecast]) -> tuple:
    items = []
    for d in open_deals:
        f = forecasts.get(d.id)
        if f is None or f.verdict not in (AT_RISK, UNREALISTIC) or d.promised is None:
            continue
        items.append(
            RiskItem(
                d,
                f.verdict,
                d.promised,
                f.safe_finish or d.promised,
                -(f.safe_slack_days or 0),
                f.suggested_date,
            )
        )
    # Worst first: unrealistic before at risk, then the longest slip, then the soonest promise.
    items.sort(key=lambda r: (r.verdict != UNREALISTIC, -r.slip_days, r.promised, r.deal.id))
    return tuple(items)


def _terms(
    today: date,
    terms: Sequence[Term],
    deals: Mapping[int, Deal],
    forecasts: dict[int, DealForecast],
) -> tuple:
    items = []
    for t in terms:
        if t.status != "open" or t.deal_id not in deals:
            continue
        f = forecasts.get(t.deal_id)
        finish = f.safe_finish if f else None
        why = term_reasons(t, today, finish)
        if why:
            items.append(TermItem(t, deals[t.deal_id], why, finish))
    items.sort(key=lambda i: (min(REASON_ORDER[r] for r in i.reasons), i.term.due, i.term.id))
    return tuple(items)


def _newly_signed(today: date, open_deals: Sequence[Deal], terms: Sequence[Term]) -> tuple:
    since = week_since(today)
    by_deal: dict[int, list[Term]] = {}
    for t in terms:
        by_deal.setdefault(t.deal_id, []).append(t)
    fresh = [
        d
        for d in open_deals
        if d.signed_on and since <= d.signed_on <= today and d.stage in LOADED_STAGES
    ]
    fresh.sort(key=lambda d: (d.signed_on, d.id))
    return tuple(NewDeal(d, tuple(by_deal.get(d.id, ()))) for d in fresh)


class _Weeks:
    """The weeks shown, counted on one PM's calendar: `bounds[i]` counts the working days
    before week i (and `bounds[-1]` before the week after the last), so a deal's share of
    each week is integer arithmetic."""

    def __init__(self, cal: WorkCalendar, starts: Sequence[date]) -> None:
        self.cal = cal
        self.starts = starts
        self.bounds = [cal.count_through(w - _DAY) for w in starts]
        self.bounds.append(cal.count_through(starts[-1] + timedelta(days=6)))
        self.pairs = list(pairwise(self.bounds))
        self.lengths = [b - a for a, b in self.pairs]
        self._before: dict[date, int] = {}  # most deals may start today

    def days(self, begin: date, until: date) -> tuple[list[int], int] | None:
        """The working days from `begin` through `until` in each week, and in all; None when
        none of them is shown."""
        before = self._before.get(begin)
        if before is None:
            before = self._before[begin] = self.cal.count_through(begin - _DAY)
        bounds = self.bounds
        if before >= bounds[-1]:
            return None  # it starts after the last week shown
        end = self.cal.count_through(until)
        if before <= bounds[0] and end >= bounds[-1]:
            return self.lengths, end - before  # every week shown is inside it
        return [max(0, min(b, end) - max(a, before)) for a, b in self.pairs], end - before


def _spread(
    weeks: _Weeks,
    today: date,
    deal: Deal,
    hours: float,
    placed: DealForecast | None = None,
) -> list[float] | None:
    """A deal's hours per reporting week, spread evenly over its window of working days:
    from when it may start to its promise; without a promise (or one already past), over
    the days the forecast places it (`placed`). None when none of it falls in those weeks."""
    begin = max(deal.start or today, today)
    until = deal.promised
    if (until is None or until < begin) and placed is not None and placed.finish is not None:
        begin, until = max(placed.start or begin, today), placed.finish
    if until is not None and until >= begin:
        counted = weeks.days(begin, until)
        if counted is None:
            return None
        days, total = counted
        if total > 0:
            return [hours * n / total for n in days]
    # No promise, or one already past: the work is due now, in its first working week.
    cal = weeks.cal
    first = cal.day(cal.index_from(begin))
    return [hours if w <= first < w + timedelta(days=7) else 0.0 for w in weeks.starts]


def capacity_loads(
    today: date,
    weeks: int,
    pms: Sequence[PM],
    open_deals: Sequence[Deal],
    calendars: dict[str, WorkCalendar],
    forecasts: dict[int, DealForecast] | None = None,
) -> tuple:
    starts = [monday(today) + timedelta(weeks=i) for i in range(weeks)]
    forecasts = forecasts or {}
    by_pm: dict[str, list[Deal]] = {}
    for d in open_deals:
        if d.pm and d.estimate is not None:
            by_pm.setdefault(d.pm, []).append(d)
    loads = []
    for pm in pms:
        cal = calendars.get(pm.name) or WorkCalendar(pm, today)
        shown = _Weeks(cal, starts)
        confirmed = [0.0] * weeks
        pipeline_weighted = [0.0] * weeks
        pipeline_all = [0.0] * weeks
        for d in by_pm.get(pm.name, ()):
            assert d.estimate is not None
            hours = d.estimate.hours - d.logged_hours  # `remaining_hours`, where there is any
            if not hours > 0:
                continue
            spread = _spread(shown, today, d, hours, forecasts.get(d.id))
            if spread is None:
                continue
            if d.stage in LOADED_STAGES:
                target = confirmed
            else:
                target = pipeline_all
                p = probability_weight(d.probability)
                for i, h in enumerate(spread):
                    pipeline_weighted[i] += h * p
            for i, h in enumerate(spread):
                target[i] += h
        week_loads = []
        for i, w in enumerate(starts):
            days = cal.count_through(w + timedelta(days=6)) - cal.count_through(
                max(w, today) - _DAY
            )
            week_loads.append(
                WeekLoad(
                    week=w,
                    available=days * pm.hours_per_day,
                    confirmed=confirmed[i],
                    expected=confirmed[i] + pipeline_weighted[i],
                    exposure=confirmed[i] + pipeline_all[i],
                )
            )
        loads.append(PmLoad(pm.name, tuple(week_loads)))
    return tuple(loads)


def _signals(today: date, updates: Sequence[Update], deals: Mapping[int, Deal]) -> dict:
    since = (today - timedelta(days=INTEL_DAYS)).isoformat()
    out: dict[str, list] = {s: [] for s in SIGNAL_ORDER}
    for u in updates:
        if (
            u.created
            and u.created[:10] >= since
            and u.created[:10] <= today.isoformat()
            and u.deal_id in deals
        ):
            out.setdefault(u.signal, []).append((u, deals[u.deal_id]))
    return {k: tuple(v) for k, v in out.items()}


def lessons_since(today: date) -> date:
    """The oldest delivery the report lists as a lesson (deliveries up to today count)."""
    return today - timedelta(days=LESSON_DAYS)


def earlier_lessons(today: date) -> tuple[date, date]:
    """The window of deliveries before `lessons_since(today)`'s, as long: the trend's base."""
    return today - timedelta(days=2 * LESSON_DAYS), today - timedelta(days=LESSON_DAYS + 1)


def _accuracy(
    history: History,
    lessons: Sequence[Actual],
    recent: Sequence[float],
    previous: Sequence[float],
) -> Accuracy:
    return Accuracy(
        lessons=tuple(lessons),
        lesson_count=len(recent),
        overrun=median(recent) if recent else None,
        previous_overrun=median(previous) if previous else None,
        median_by_kind={k: (median(v), len(v)) for k, v in sorted(history.actuals_by_kind.items())},
    )


def _missing(open_deals: Sequence[Deal], forecasts: dict[int, DealForecast]) -> MissingData:
    unforecast = []
    for d in open_deals:
        f = forecasts.get(d.id)
        if f is not None and f.cannot_forecast:
            unforecast.append((d, f.cannot_forecast))
    return MissingData(
        no_estimate=tuple(d for d in open_deals if d.estimate is None),
        no_pm=tuple(d for d in open_deals if d.pm is None),
        no_promise=tuple(d for d in open_deals if d.promised is None),
        over_estimate=tuple(d for d in open_deals if d.over_estimate),
        cannot_forecast=tuple(unforecast),
    )
