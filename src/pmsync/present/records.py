"""Records as JSON-ready dicts: the field names of the contract, dates as YYYY-MM-DD."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pmsync.core.calendar import format_workdays
from pmsync.core.dates import iso
from pmsync.core.models import (
    PM,
    Correction,
    Deal,
    Estimate,
    PromiseChange,
    Term,
    TimeOff,
    Update,
    WorklogEntry,
)

if TYPE_CHECKING:
    from pmsync.core.forecast import DealForecast
    from pmsync.storage.backend import Health


def pm_json(pm: PM) -> dict[str, Any]:
    return {
        "id": pm.id,
        "name": pm.name,
        "email": pm.email,
        "capacity": pm.capacity,
        "workdays": format_workdays(pm.workdays),
        "holidays": pm.holidays,
        "hours_per_day": round(pm.hours_per_day, 3),
        "archived": pm.archived,
        "timeoff": [
            {"id": t.id, "from": iso(t.start), "to": iso(t.end), "reason": t.reason}
            for t in pm.timeoff
        ],
    }


def estimate_json(e: Estimate) -> dict[str, Any]:
    return {
        "id": e.id,
        "deal_id": e.deal_id,
        "hours": e.hours,
        "low": e.low,
        "high": e.high,
        "by": e.author,
        "note": e.note,
        "created": e.created,
    }


_NO_FORECAST: dict[str, Any] = {
    "forecast_start": None,
    "forecast_finish": None,
    "p50": None,
    "p80": None,
    "on_time_probability": None,
    "slack_days": None,
    "verdict": None,
    "cannot_forecast": None,
}


def forecast_json(f: DealForecast | None) -> dict[str, Any]:
    if f is None:
        return dict(_NO_FORECAST)
    return {
        "forecast_start": iso(f.start),
        "forecast_finish": iso(f.finish),
        "p50": iso(f.p50),
        "p80": iso(f.p80),
        "on_time_probability": f.on_time_probability,
        "slack_days": f.slack_days,
        "verdict": f.verdict,
        "cannot_forecast": f.cannot_forecast,
    }


def deal_json(d: Deal, forecast: DealForecast | None = None) -> dict[str, Any]:
    out = {
        "id": d.id,
        "title": d.title,
        "client": d.client,
        "seller": d.seller,
        "kind": d.kind,
        "stage": d.stage,
        "value": d.value,
        "probability": d.probability,
        "promised": iso(d.promised),
        "start": iso(d.start),
        "pm": d.pm,
        "stakeholder": d.stakeholder,
        "external_id": d.external_id,
        "signed_on": iso(d.signed_on),
        "delivered_on": iso(d.delivered_on),
        "estimate_hours": d.estimate.hours if d.estimate else None,
        "logged_hours": d.logged_hours,
        "remaining_hours": d.remaining_hours,
        "over_estimate": d.over_estimate,
        "actual_hours": d.actual_hours,
        "lost_reason": d.lost_reason,
    }
    out.update(_NO_FORECAST if forecast is None else forecast_json(forecast))
    return out


def term_json(t: Term, at_risk: bool | None = None) -> dict[str, Any]:
    return {
        "id": t.id,
        "deal_id": t.deal_id,
        "text": t.text,
        "kind": t.kind,
        "due": iso(t.due),
        "amount": t.amount,
        "remind_days": t.remind_days,
        "status": t.status,
        "acknowledged_by": t.acknowledged_by,
        "acknowledged_at": t.acknowledged_at,
        "at_risk": at_risk,
    }


def update_json(u: Update) -> dict[str, Any]:
    return {
        "id": u.id,
        "deal_id": u.deal_id,
        "text": u.text,
        "signal": u.signal,
        "by": u.by,
        "created": u.created,
    }


def worklog_json(w: WorklogEntry) -> dict[str, Any]:
    return {"id": w.id, "deal_id": w.deal_id, "hours": w.hours, "on": iso(w.on), "note": w.note}


def correction_json(c: Correction) -> dict[str, Any]:
    return {
        "record": c.record,
        "record_id": c.record_id,
        "field": c.field,
        "old": c.old,
        "new": c.new,
        "changed": c.changed,
    }


def promise_json(p: PromiseChange) -> dict[str, Any]:
    return {"old": iso(p.old), "new": iso(p.new), "changed": p.changed}


def timeoff_json(pm: PM, off: TimeOff) -> dict[str, Any]:
    return {
        "id": off.id,
        "pm": pm.name,
        "from": off.start.isoformat(),
        "to": off.end.isoformat(),
        "reason": off.reason,
    }


def health_json(h: Health) -> dict[str, Any]:
    return {
        "path": h.location,
        "ok": h.ok,
        "schema_version": h.schema_version,
        "integrity": h.integrity,
        "foreign_keys": h.foreign_keys,
        "counts": h.counts,
        **({"nodes": h.nodes} if h.nodes else {}),
    }
