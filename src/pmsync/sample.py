"""A believable sample team, for `pmsync demo` and, scaled up, for the benchmarks.

Everything is drawn from one seeded generator relative to `today`, so the same arguments
always give the same team.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from pmsync.core.models import PM, Estimate, Term, TimeOff, Update, WorklogEntry
from pmsync.storage.store import Store

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


def build(store: Store, today: date, size: Size | None = None, seed: int = 7) -> dict[str, int]:
    """Fill an empty database with a team; returns how many records of each it made."""
    size = size or Size()
    rng = random.Random(seed)
    names = _team_names(size.pms)
    for i, name in enumerate(names):
        workdays, capacity = ((0, 1, 2, 3), 37.5) if i % 5 == 4 else ((0, 1, 2, 3, 4), 40.0)
        if i % 7 == 3:
            capacity = 24.0  # part-time
        store.add_pm(
            PM(
                name=name,
                capacity=capacity,
                workdays=workdays,
                email=f"{name.lower().replace(' ', '.')}@example.com",
                holidays=_HOLIDAYS[i % len(_HOLIDAYS)],
            )
        )
        if rng.random() < 0.6:
            off = today + timedelta(days=rng.randint(5, 60))
            store.add_timeoff(
                name, TimeOff(off, off + timedelta(days=rng.randint(2, 9)), "vacation")
            )
    counts = {"pms": len(names), "open": 0, "delivered": 0}
    kinds = list(_KINDS)
    # History first: delivered deals whose actuals ran over their estimates.
    for n in range(size.delivered):
        kind = kinds[n % len(kinds)]
        est = round(_KINDS[kind] * rng.uniform(0.7, 1.4))
        signed = today - timedelta(days=rng.randint(30, 400))
        deal = store.add_deal(
            {
                "title": f"{kind.title()} for {rng.choice(_CLIENTS)}",
                "client": rng.choice(_CLIENTS),
                "seller": rng.choice(_SELLERS),
                "kind": kind,
                "value": est * 150.0,
                "stage": "signed",
                "signed_on": signed,
                "promised": signed + timedelta(days=rng.randint(20, 90)),
                "pm": names[n % len(names)],
            },
            Estimate(0, est, author=names[n % len(names)]),
        )
        actual = round(est * rng.lognormvariate(0.18, 0.2), 1)
        delivered = min(today - timedelta(days=1), signed + timedelta(days=rng.randint(20, 120)))
        store.set_stage(deal.id, "delivered", delivered_on=delivered, actual_hours=actual)
        counts["delivered"] += 1
    for _ in range(size.open_deals):
        kind = kinds[rng.randrange(len(kinds))]
        client = rng.choice(_CLIENTS)
        est = round(_KINDS[kind] * rng.uniform(0.6, 1.5))
        pipeline = rng.random() < size.pipeline_share
        pm = names[rng.randrange(len(names))]
        promised = today + timedelta(days=rng.randint(10, 120))
        deal = store.add_deal(
            {
                "title": f"{kind.title()} for {client}",
                "client": client,
                "seller": rng.choice(_SELLERS),
                "kind": kind,
                "value": est * 150.0,
                "stage": "pipeline" if pipeline else "signed",
                "probability": rng.choice([20, 40, 60, 80]) if pipeline else None,
                "signed_on": None if pipeline else today - timedelta(days=rng.randint(0, 30)),
                "promised": promised,
                "pm": pm,
                "start": today + timedelta(days=rng.randint(0, 20)) if rng.random() < 0.2 else None,
                "stakeholder": f"{rng.choice(_FIRST)} at {client}",
            },
            Estimate(0, est, low=round(est * 0.8), high=round(est * 1.5), author=pm)
            if rng.random() < 0.3
            else Estimate(0, est, author=pm),
        )
        counts["open"] += 1
        if not pipeline and rng.random() < 0.5:
            for k in range(rng.randint(1, 4)):
                store.log_hours(
                    WorklogEntry(deal.id, float(rng.randint(2, 8)), today - timedelta(days=k + 1))
                )
            store.set_stage(deal.id, "active")
        if rng.random() < 0.4:
            kind_t, text, share = _TERMS[rng.randrange(len(_TERMS))]
            term = store.add_term(
                Term(
                    0,
                    deal.id,
                    text,
                    promised - timedelta(days=rng.randint(-5, 20)),
                    kind_t,
                    round(est * 150.0 * share) if share else None,
                    14,
                )
            )
            if rng.random() < 0.5:
                store.set_term(term.id, acknowledged_by=pm, acknowledged_at=store.now())
        if rng.random() < 0.35:
            signal, text = _INTEL[rng.randrange(len(_INTEL))]
            store.add_update(Update(0, deal.id, text, signal, pm))
    return counts


def _team_names(n: int) -> list[str]:
    if n <= len(_FIRST):
        return _FIRST[:n]
    return [f"{_FIRST[i % len(_FIRST)]} {i // len(_FIRST) + 1}" for i in range(n)]
