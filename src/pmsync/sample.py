"""A believable sample team, for `pmsync demo` and, scaled up, for the benchmarks.

Everything is drawn from one seeded generator relative to `today`, so the same arguments
always give the same team, as table rows with their ids, which `service.admin.build_demo`
writes in one batch of bulk inserts: the benchmark portfolio (100 PMs, 10,000 open and
20,000 delivered deals) is built in seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

_FIRST = [
    "Ann",
    "Ben",
    "Chloe",
    "Dev",
    "Eva",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jon",
    "Kemal",
    "Lea",
    "Mina",
    "Noah",
    "Olga",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
]
_CLIENTS = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Retail",
    "Tyrell Bio",
    "Hooli",
    "Vandelay Imports",
    "Soylent Foods",
    "Cyberdyne",
    "Wonka Confections",
    "Oscorp",
    "Pied Piper",
    "Monarch Travel",
]
_KINDS = {"onboarding": 60, "integration": 120, "migration": 200, "training": 24, "audit": 40}
_SELLERS = ["Sam", "Priya", "Lucas", "Maya"]
_HOLIDAYS = ["US", "GB", "DE-BY", None, "US"]
_TERMS = [
    ("deadline", "Go-live before the client's fiscal year end", None),
    ("payment", "Final 30% invoiced only after sign-off", 0.3),
    ("penalty", "1% of value per week late", 0.05),
    ("sla", "Critical issues answered within 4 hours during hypercare", None),
    ("other", "Client provides test data two weeks before start", None),
]
_INTEL = [
    ("upsell", "Client asked whether we also do data migration"),
    ("churn-risk", "Sponsor unhappy with last quarter's reporting"),
    ("new-logo", "Former stakeholder moved to Hooli and wants to talk"),
    ("stakeholder-change", "New VP Operations replaces our sponsor"),
    ("risk", "Client's API access still not granted"),
    ("info", "Kickoff went well; weekly status on Thursdays"),
]


@dataclass(frozen=True)
class Size:
    pms: int = 5
    open_deals: int = 18
    delivered: int = 24
    pipeline_share: float = 0.3


BENCHMARK = Size(pms=100, open_deals=10_000, delivered=20_000)


def summary(rows: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """How many PMs, open and delivered deals a generated team has."""
    return {
        "pms": len(rows["pms"]),
        "open": sum(1 for d in rows["deals"] if d["stage"] not in ("delivered",)),
        "delivered": sum(1 for d in rows["deals"] if d["stage"] == "delivered"),
    }


def _stamp(d: date, rng: random.Random) -> str:
    return f"{d.isoformat()}T{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:00"


def generate(
    today: date, size: Size | None = None, seed: int = 7
) -> dict[str, list[dict[str, Any]]]:
    """The team as table rows, ids assigned, ready for one bulk insert."""
    size = size or Size()
    rng = random.Random(seed)
    rows: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("pms", "timeoff", "deals", "estimates", "worklog", "terms", "updates")
    }
    names = _team_names(size.pms)
    capacity: dict[int, float] = {}
    for i, name in enumerate(names):
        pm_id = i + 1
        workdays, cap = ("mon-thu", 37.5) if i % 5 == 4 else ("mon-fri", 40.0)
        if i % 7 == 3:
            cap = 24.0  # part-time
        capacity[pm_id] = cap
        rows["pms"].append(
            {
                "id": pm_id,
                "name": name,
                "capacity": cap,
                "workdays": workdays,
                "email": f"{name.lower().replace(' ', '.')}@example.com",
                "holidays": _HOLIDAYS[i % len(_HOLIDAYS)],
                "created": _stamp(today - timedelta(days=400), rng),
            }
        )
        if rng.random() < 0.6:
            off = today + timedelta(days=rng.randint(5, 60))
            rows["timeoff"].append(
                {
                    "pm_id": pm_id,
                    "start": off.isoformat(),
                    "end": (off + timedelta(days=rng.randint(2, 9))).isoformat(),
                    "reason": "vacation",
                }
            )
    kinds = list(_KINDS)
    deal_id = 0

    def add_deal(
        record: dict[str, Any], hours: float, low: float | None = None, high: float | None = None
    ) -> int:
        nonlocal deal_id
        deal_id += 1
        est_id = len(rows["estimates"]) + 1
        author = names[record["pm_id"] - 1] if record.get("pm_id") else None
        rows["estimates"].append(
            {
                "id": est_id,
                "deal_id": deal_id,
                "hours": hours,
                "low": low,
                "high": high,
                "author": author,
                "note": None,
                "created": record["created"],
            }
        )
        rows["deals"].append(
            {
                "id": deal_id,
                "signing_estimate_id": est_id if record.get("signed_on") else None,
                **record,
            }
        )
        return deal_id

    # History first: delivered deals whose actuals ran over their estimates.
    for n in range(size.delivered):
        kind = kinds[n % len(kinds)]
        est = round(_KINDS[kind] * rng.uniform(0.7, 1.4))
        signed = today - timedelta(days=rng.randint(30, 400))
        client = rng.choice(_CLIENTS)
        add_deal(
            {
                "title": f"{kind.title()} for {client}",
                "client": client,
                "seller": rng.choice(_SELLERS),
                "kind": kind,
                "value": est * 150.0,
                "stage": "delivered",
                "signed_on": signed.isoformat(),
                "promised": (signed + timedelta(days=rng.randint(20, 90))).isoformat(),
                "pm_id": n % size.pms + 1,
                "created": _stamp(signed, rng),
                "delivered_on": min(
                    today - timedelta(days=1), signed + timedelta(days=rng.randint(20, 120))
                ).isoformat(),
                "actual_hours": round(est * rng.lognormvariate(0.18, 0.2), 1),
            },
            est,
        )
    # Open work: promises spread with each PM's load, so verdicts come out mixed.
    booked = {pm_id: 0.0 for pm_id in capacity}
    for _ in range(size.open_deals):
        kind = kinds[rng.randrange(len(kinds))]
        client = rng.choice(_CLIENTS)
        est = round(_KINDS[kind] * rng.uniform(0.6, 1.5))
        pipeline = rng.random() < size.pipeline_share
        pm_id = rng.randrange(size.pms) + 1
        if not pipeline:
            booked[pm_id] += est
        weeks_of_work = booked[pm_id] / capacity[pm_id]
        promised = today + timedelta(
            days=round(7 * weeks_of_work * rng.uniform(0.8, 1.6)) + rng.randint(5, 20)
        )
        signed_on = None if pipeline else today - timedelta(days=rng.randint(0, 30))
        ranged = rng.random() < 0.3
        did = add_deal(
            {
                "title": f"{kind.title()} for {client}",
                "client": client,
                "seller": rng.choice(_SELLERS),
                "kind": kind,
                "value": est * 150.0,
                "stage": "pipeline" if pipeline else "signed",
                "probability": rng.choice([20, 40, 60, 80]) if pipeline else None,
                "signed_on": signed_on.isoformat() if signed_on else None,
                "promised": promised.isoformat(),
                "pm_id": pm_id,
                "start": (today + timedelta(days=rng.randint(0, 20))).isoformat()
                if rng.random() < 0.2
                else None,
                "stakeholder": f"{rng.choice(_FIRST)} at {client}",
                "created": _stamp(signed_on or today - timedelta(days=rng.randint(0, 30)), rng),
            },
            est,
            round(est * 0.8) if ranged else None,
            round(est * 1.5) if ranged else None,
        )
        deal = rows["deals"][-1]
        if not pipeline and rng.random() < 0.5:
            for k in range(rng.randint(1, 4)):
                rows["worklog"].append(
                    {
                        "deal_id": did,
                        "hours": float(rng.randint(2, 8)),
                        "on_date": (today - timedelta(days=k + 1)).isoformat(),
                        "note": None,
                        "created": _stamp(today - timedelta(days=k + 1), rng),
                    }
                )
            deal["stage"] = "active"
        if rng.random() < 0.4:
            kind_t, text, share = _TERMS[rng.randrange(len(_TERMS))]
            acked = rng.random() < 0.5
            rows["terms"].append(
                {
                    "deal_id": did,
                    "text": text,
                    "kind": kind_t,
                    "due": (promised - timedelta(days=rng.randint(-5, 20))).isoformat(),
                    "amount": round(est * 150.0 * share) if share else None,
                    "remind_days": 14,
                    "status": "open",
                    "acknowledged_by": names[pm_id - 1] if acked else None,
                    "acknowledged_at": _stamp(today, rng) if acked else None,
                    "created": deal["created"],
                }
            )
        if rng.random() < 0.35:
            signal, text = _INTEL[rng.randrange(len(_INTEL))]
            rows["updates"].append(
                {
                    "deal_id": did,
                    "text": text,
                    "signal": signal,
                    "author": names[pm_id - 1],
                    "created": _stamp(today - timedelta(days=rng.randint(0, 10)), rng),
                }
            )
    return rows


def _team_names(n: int) -> list[str]:
    if n <= len(_FIRST):
        return _FIRST[:n]
    return [f"{_FIRST[i % len(_FIRST)]} {i // len(_FIRST) + 1}" for i in range(n)]
