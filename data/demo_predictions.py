"""The demo's predictions, late labels and annotations: the story the Monitoring page tells.

The last `PREDICTION_DAYS` days of both families, generated inside DuckDB from a counter-based hash
(as data/demo.py's events), so a seed gives the same rows on any machine and the large size never
passes through Python:

- recommender (v2, and the challenger v3 on a tenth of the traffic in the A/B test's weeks): inputs
  `price`, `category_id` and `session_length`. At the catalogue change (`CATALOGUE_CHANGE_DAYS`
  before the end) new categories take a third of the traffic and prices rise: `category_id`
  drifts past the alert line, `price` a little, `session_length` not at all. v3 answers about 1.7x
  slower (a latency regression). For `INCIDENT_DAYS` days the model service failed: about 30% of
  requests were served by the `popular` fallback, then, as it saturated, up to 15% by `random`.
  Each request's `label` is a click: drawn with half the model's score as its probability when
  the model served it (CTR ~4.5%), 2.8% from `popular`, 0.8% from `random`, so the page can say
  what the fallbacks cost the `rec-ctr` KPI.
- fraud (v1, then v2 from its deployment): inputs `amount` and `merchant_type`, and a score that
  is calibrated (each label is drawn with the score as its probability) with about the fraud KPI's
  positive rate (0.3% of transactions; recall about 0.73 at the monitor's threshold 0.04), so its
  estimated money, scaled to the KPI's volume, sits beside the realised money. Labels arrive
  `LABEL_DELAY_DAYS` days late: they are in `prediction_labels` for every day but the last 30.
- annotations: the catalogue change, the deployments, the incident and the label delay.

Rows per size (both families together, over `PREDICTION_DAYS` days): small ~190 thousand, medium
~1.4 million, large ~101 million (the 100 million of the monitoring benchmark).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from data.prediction_parts import PendingParts, open_predictions

if TYPE_CHECKING:
    import duckdb

PREDICTION_DAYS = 240
CATALOGUE_CHANGE_DAYS = 120  # before the end, as the catalogue step in data/demo.py
INCIDENT_DAYS = 4
INCIDENT_START_DAYS = 47  # before the end
LABEL_DELAY_DAYS = 30
V3_DAYS = 28  # the challenger's A/B test, as data/demo.py's EXPERIMENT_DAYS
FRAUD_V2_DAYS = 209  # fraud-v2 deployed this many days before the end


@dataclass(frozen=True)
class PredictionScale:
    """Predictions per day of each family."""

    recommender: int
    fraud: int


PREDICTION_SCALES = {
    "small": PredictionScale(300, 200),
    "medium": PredictionScale(4_000, 2_000),
    "large": PredictionScale(280_000, 140_000),
}

FEATURES = (
    ("price", "DOUBLE"),
    ("category_id", "VARCHAR"),
    ("session_length", "DOUBLE"),
    ("amount", "DOUBLE"),
    ("merchant_type", "VARCHAR"),
)

# pu(seed, k, salt): a uniform draw in (0, 1) from a hash; pz: a standard normal (Box-Muller).
# Salts are integers (a multiple of 10 per draw; pz uses salt + 1 and salt + 2): hashing an
# integer is about twice as fast as hashing a text salt.
_MACROS = """
CREATE OR REPLACE TEMP MACRO pu(seed, k, salt) AS
    ((hash(seed, k, salt) % 1000000007)::DOUBLE + 0.5) / 1000000007;
CREATE OR REPLACE TEMP MACRO pz(seed, k, salt) AS
    sqrt(-2 * ln(pu(seed, k, salt + 1))) * cos(2 * pi() * pu(seed, k, salt + 2));
"""

# What every generated prediction has; each family adds its input features.
_SERVED_COLUMNS = ("ts", "model_id", "request_id", "score", "served_by", "latency_ms")
_RECOMMENDER_COLUMNS = (*_SERVED_COLUMNS, "price", "category_id", "session_length", "label")
_RECOMMENDER_SQL = """
WITH rows AS (
    SELECT d, d * $per_day + k AS i, $first + INTERVAL (d) DAY AS day
    FROM range($days) AS a(d), range($per_day) AS b(k)
), drawn AS (
    SELECT *,
        day >= $change AS changed,
        day >= $incident AND day < $incident + INTERVAL ($incident_days) DAY AS incident,
        day >= $incident + INTERVAL ($incident_late) DAY
            AND day < $incident + INTERVAL ($incident_days) DAY AS saturated,
        day >= $v3 AND pu($seed, i, 10) < 0.1 AS challenger,
        pu($seed, i, 20) AS fb,
        1 / (1 + exp(-((CASE WHEN day >= $change THEN -2.7 ELSE -2.5 END)
            + 0.8 * pz($seed, i, 40)))) AS score
    FROM rows
), served AS (
    SELECT *,
        CASE WHEN incident AND fb < 0.30 THEN 'popular'
             WHEN saturated AND fb < 0.45 THEN 'random'
             WHEN incident AND fb < 0.33 THEN 'random'
             WHEN fb < 0.008 THEN 'popular'
             WHEN fb < 0.0095 THEN 'random'
             ELSE 'model' END AS served_by
    FROM drawn
)
SELECT
    day + to_microseconds(CAST(pu($seed, i, 30) * 86400000000 AS BIGINT)),
    CASE WHEN challenger THEN 'recommender-v3' ELSE 'recommender-v2' END,
    'r' || i,
    score,
    served_by,
    round(CASE
        WHEN incident AND fb < 0.30 THEN 9 * exp(0.2 * pz($seed, i, 50))
        WHEN (saturated AND fb < 0.45) OR (incident AND fb < 0.33) OR fb < 0.0095 THEN
            3 * exp(0.2 * pz($seed, i, 50))
        WHEN fb < 0.008 THEN 9 * exp(0.2 * pz($seed, i, 50))
        ELSE 42 * exp(0.35 * pz($seed, i, 50)) * (CASE WHEN challenger THEN 1.7 ELSE 1 END)
            * (CASE WHEN incident THEN 1.3 ELSE 1 END)
    END, 1),
    round(2800 * exp(0.6 * pz($seed, i, 60)) * (CASE WHEN changed THEN 1.15 ELSE 1 END), 0),
    'c' || lpad(CAST(CASE
        WHEN changed AND pu($seed, i, 70) < 0.35 THEN 13 + floor(pu($seed, i, 80) * 4)
        WHEN changed THEN 1 + floor(power(pu($seed, i, 80), 1.4) * 8)
        ELSE 1 + floor(power(pu($seed, i, 80), 1.4) * 12)
    END AS INTEGER)::VARCHAR, 2, '0'),
    greatest(1, round(exp(1.8 + 0.5 * pz($seed, i, 90)), 0)),
    -- a click: half the model's score; the popular list clicks less, random almost never
    CASE WHEN pu($seed, i, 160) < (CASE served_by WHEN 'model' THEN 0.5 * score
                                                 WHEN 'popular' THEN 0.028
                                                 ELSE 0.008 END) THEN 1 ELSE 0 END
FROM served
"""

_FRAUD_COLUMNS = (*_SERVED_COLUMNS, "amount", "merchant_type")
_FRAUD_SQL = """
WITH rows AS (
    SELECT d, d * $per_day + k AS i, $first + INTERVAL (d) DAY AS day
    FROM range($days) AS a(d), range($per_day) AS b(k)
)
SELECT
    day + to_microseconds(CAST(pu($seed, i, 100) * 86400000000 AS BIGINT)),
    CASE WHEN day >= $fraud_v2 THEN 'fraud-v2' ELSE 'fraud-v1' END,
    'f' || i,
    1 / (1 + exp(-(-11 + 3.5 * pz($seed, i, 110)))),
    'model',
    round(12 * exp(0.3 * pz($seed, i, 120)), 1),
    round(6000 * exp(0.9 * pz($seed, i, 130) + 0.0008 * d), 0),
    CASE WHEN pu($seed, i, 140) < 0.45 - 0.0005 * d THEN 'online'
         WHEN pu($seed, i, 140) < 0.75 - 0.0005 * d THEN 'store'
         WHEN pu($seed, i, 140) < 0.85 - 0.0002 * d THEN 'travel'
         ELSE 'digital' END
FROM rows
"""

# A label is drawn with the prediction's score as its probability (a calibrated model); only the
# labels of predictions made before the cutoff have arrived.
_LABELS_SQL = """
INSERT INTO prediction_labels (model_id, request_id, label)
SELECT model_id, request_id,
       CASE WHEN pu($seed, CAST(substr(request_id, 2) AS BIGINT), 150) < score THEN 1 ELSE 0 END
FROM predictions
WHERE model_id IN ('fraud-v1', 'fraud-v2') AND ts < $label_cutoff;
"""


def _timestamp(day: dt.date) -> str:
    return f"TIMESTAMP '{day:%Y-%m-%d} 00:00:00'"


def _bind(sql: str, values: dict[str, object]) -> str:
    """Fill `$name` placeholders with trusted literals (numbers and timestamps made here)."""
    for name in sorted(values, key=len, reverse=True):
        sql = sql.replace(f"${name}", str(values[name]))
    return sql


def annotation_rows(end: dt.date) -> list[tuple[dt.date, str, str, str, str]]:
    """The demo's annotations: (date, family, kind, note, author)."""

    def before(days: int) -> dt.date:
        return end - dt.timedelta(days=days)

    return [
        (before(364), "recommender", "algorithm", "recommender-v2 deployed (two-tower)", "ml-ops"),
        (
            before(CATALOGUE_CHANGE_DAYS),
            "recommender",
            "business",
            "Catalogue change: four new categories, prices revised",
            "merchandising",
        ),
        (
            before(INCIDENT_START_DAYS),
            "recommender",
            "infrastructure",
            "Model service overloaded: fallbacks serving (popular, then random)",
            "sre",
        ),
        (
            before(V3_DAYS - 1),
            "recommender",
            "algorithm",
            "recommender-v3 deployed as challenger (A/B test rec-v3-vs-v2)",
            "ml-ops",
        ),
        (before(FRAUD_V2_DAYS), "fraud", "data", "fraud-v2 deployed (retrained)", "ml-ops"),
        (
            before(LABEL_DELAY_DAYS - 1),
            "fraud",
            "labels",
            "Chargeback labels arrive 30 days late: the last 30 days are unlabelled",
            "risk",
        ),
    ]


def _write_rows(
    con: duckdb.DuckDBPyConnection,
    columns: tuple[str, ...],
    rows_sql: str,
    parts: PendingParts | None,
) -> None:
    """Insert the generated rows into the table, or write them as one Parquet part of the
    pre-batch rows (batch 0) through the ingest's own part writer, sorted by ts as a load's."""
    names = ", ".join(columns)
    if parts is None:
        con.execute(f"INSERT INTO predictions ({names}) {rows_sql}")
    else:
        parts.write(con, f"SELECT * FROM ({rows_sql}) AS generated({names})", batch_id=0)


def insert_demo_predictions(
    con: duckdb.DuckDBPyConnection,
    *,
    seed: int,
    size: str,
    end: dt.date,
    parts: PendingParts | None = None,
) -> None:
    """Add the feature columns and insert the predictions, late labels and annotations, in the
    caller's transaction.

    With `parts` (the large size: about 100 million predictions) the predictions are stored as
    the ingest stores a load, as Parquet parts beside the store (docs/monitoring.md, "Storing
    predictions"), and the connection's `predictions` then reads them; the small and medium
    demos, which tests copy as one file, keep them in the table.
    """
    scale = PREDICTION_SCALES[size]
    first = end - dt.timedelta(days=PREDICTION_DAYS - 1)
    incident = end - dt.timedelta(days=INCIDENT_START_DAYS)
    common: dict[str, object] = {
        "seed": seed,
        "days": PREDICTION_DAYS,
        "first": _timestamp(first),
    }
    for name, sql_type in FEATURES:
        con.execute(f'ALTER TABLE predictions ADD COLUMN IF NOT EXISTS "{name}" {sql_type}')
    con.execute(_MACROS)
    _write_rows(
        con,
        _RECOMMENDER_COLUMNS,
        _bind(
            _RECOMMENDER_SQL,
            {
                **common,
                "per_day": scale.recommender,
                "change": _timestamp(end - dt.timedelta(days=CATALOGUE_CHANGE_DAYS)),
                "incident_days": INCIDENT_DAYS,
                "incident_late": INCIDENT_DAYS // 2,
                "incident": _timestamp(incident),
                "v3": _timestamp(end - dt.timedelta(days=V3_DAYS - 1)),
            },
        ),
        parts,
    )
    _write_rows(
        con,
        _FRAUD_COLUMNS,
        _bind(
            _FRAUD_SQL,
            {
                **common,
                "per_day": scale.fraud,
                "fraud_v2": _timestamp(end - dt.timedelta(days=FRAUD_V2_DAYS)),
            },
        ),
        parts,
    )
    if parts is not None:
        # The labels below read `predictions`: the parts just listed in this transaction.
        open_predictions(con, parts.store_path)
    cutoff = end - dt.timedelta(days=LABEL_DELAY_DAYS - 1)
    con.execute(_bind(_LABELS_SQL, {"seed": seed, "label_cutoff": _timestamp(cutoff)}))
    con.executemany(
        "INSERT INTO annotations (date, family, kind, note, author) VALUES (?, ?, ?, ?, ?)",
        annotation_rows(end),
    )


def demo_monitor_specs(end: dt.date) -> dict[str, str]:
    """The demo's two monitors as agreed (TOML): the recommender's inputs and serving objectives,
    its reference the four weeks before the catalogue change; the fraud model's inputs and scores,
    its reference the first four weeks of the live version."""
    reference_end = end - dt.timedelta(days=CATALOGUE_CHANGE_DAYS + 13)
    reference_start = reference_end - dt.timedelta(days=27)
    return {
        "rec-inputs": f"""\
id = "rec-inputs"
family = "recommender"
reference = {{ start = {reference_start.isoformat()}, end = {reference_end.isoformat()} }}
window_days = 7
features = ["price", "category_id", "session_length"]
owner = "data science"
rationale = "Inputs as trained; latency budget agreed with the shop team"

[serving]
latency_p95_ms = 100
fallback_rate = 0.05
""",
        "fraud-scores": """\
id = "fraud-scores"
family = "fraud"
reference = { days_after_deploy = 28 }
window_days = 7
features = ["amount", "merchant_type"]
owner = "risk analytics"
rationale = "Scores calibrated on the first four weeks of the live version"
threshold = 0.04
""",
    }
