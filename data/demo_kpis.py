"""The demo store's KPIs: one healthy, two at warning (one with an exit forecast), one past exit.

Thresholds were read off the demo series (recommender-v2 and fraud-v2 over their last weeks):
CTR ~0.043 (fell from 0.051 with a catalogue step), revenue per session ~375 JPY, latency p95
~188 ms, fraud recall ~0.81 (from 0.90). Each agreement is dated at its model's deployment, as if
agreed in the launch review.
"""

from __future__ import annotations

import datetime as dt

from data import kpi_store
from data.store import StoreSettings, transaction
from kpi.spec import check_against_store, parse_spec
from kpi.versions import checked_decision, next_version

DEMO_AUTHOR = "demo"

_COMMON = """\
source = "online"
window_days = 7
persistence = 3
confidence = 0.95
rationale = "Agreed in the launch review"
"""

DEMO_SPECS = {
    "rec-ctr": """\
id = "rec-ctr"
name = "Recommendation click-through rate"
family = "recommender"
metric = "ctr"
direction = "increase"
target = 0.052
warning = 0.044
exit = 0.040
owner = "EC business unit"
[value]
kind = "per_unit"
currency = "JPY"
unit_value = 60
""",
    "rec-revenue-per-session": """\
id = "rec-revenue-per-session"
name = "Revenue per session"
family = "recommender"
metric = "revenue_per_session"
direction = "increase"
target = 420
warning = 350
exit = 320
owner = "EC business unit"
[value]
kind = "per_unit"
currency = "JPY"
unit_value = 1
""",
    "rec-latency": """\
id = "rec-latency"
name = "Recommendation latency (p95)"
family = "recommender"
metric = "latency_p95_ms"
direction = "decrease"
target = 160
warning = 175
exit = 200
owner = "Platform SRE"
[value]
kind = "per_unit"
currency = "JPY"
unit_value = -0.002
""",
    "fraud-cost": """\
id = "fraud-cost"
name = "Fraud screening recall (priced by cost matrix)"
family = "fraud"
metric = "recall"
direction = "increase"
target = 0.90
warning = 0.87
exit = 0.84
owner = "Risk management"
max_staleness_days = 33  # fraud is confirmed about 30 days after the transaction
[value]
kind = "cost_matrix"
currency = "JPY"
tp = 48000
fp = -800
tn = 0
fn = -50000
""",
}


def define_demo_kpis(settings: StoreSettings, now: dt.datetime) -> None:
    """Define the demo KPIs (dated at their live model's deployment) and one recorded decision.

    One transaction, through the same rules as `services.kpis.define_kpi` and `record_decision`
    (the demo builder is part of the store and cannot call the services).
    """
    reason = checked_decision(
        "continue",
        "Below warning after the catalogue change; retraining is planned for next quarter.",
    )
    with transaction(settings) as con:
        available = kpi_store.metric_availability(con)
        for kpi_id, body in DEMO_SPECS.items():
            header, _, value_table = body.partition("[value]")
            origin = f"demo:{kpi_id}"
            spec = parse_spec(f"{header}{_COMMON}[value]{value_table}", origin)
            check_against_store(spec, available, origin)
            outcome = next_version(kpi_store.latest_version(con, kpi_id), spec, origin)
            if not outcome.created:
                continue
            live = [d for d in kpi_store.deployments(con, spec.family) if d.stage == "production"]
            agreed_at = live[-1].deployed_at if live else now
            kpi_store.insert_version(
                con,
                spec,
                outcome.version,
                DEMO_AUTHOR,
                agreed_at,
                outcome.changed_lines,
                logged_at=now,
            )
        kpi_store.insert_decision(con, "rec-ctr", "continue", "EC business unit", now, reason)
