-- Monitoring: what each model served (its predictions, with their inputs), labels that arrived
-- later, annotations of what changed, and monitors agreed up front (each change a new version).
-- Predictions are a wide table: one typed column per input feature, added by the ingest the first
-- time a feature appears (DOUBLE for numeric, VARCHAR for categorical). DuckDB compresses each
-- column on its own (ALP for doubles, dictionaries for categories; bytes per column at 100 million
-- rows: docs/monitoring.md, "Storing predictions"); a long (row, feature, value) table would hold
-- ten times the rows, and a MAP keeps the keys with every row. No primary-key index (see 001): each
-- kind's natural key is enforced at ingestion.

CREATE TABLE IF NOT EXISTS predictions (
    ts         TIMESTAMP NOT NULL,
    model_id   VARCHAR NOT NULL,
    -- '' when the file gave none: the prediction is then known by (model_id, ts) alone
    request_id VARCHAR NOT NULL DEFAULT '',
    score      DOUBLE NOT NULL,
    -- 'model', or the fallback level that answered instead (e.g. 'popular', 'random')
    served_by  VARCHAR NOT NULL DEFAULT 'model',
    latency_ms DOUBLE CHECK (latency_ms >= 0),
    label      DOUBLE
);

-- Labels that arrive after their predictions, matched to them by (model_id, request_id).
CREATE TABLE IF NOT EXISTS prediction_labels (
    model_id   VARCHAR NOT NULL,
    request_id VARCHAR NOT NULL,
    label      DOUBLE NOT NULL
);

CREATE TABLE IF NOT EXISTS annotations (
    date   DATE NOT NULL,
    family VARCHAR NOT NULL,
    kind   VARCHAR NOT NULL
        CHECK (kind IN ('data', 'labels', 'parameters', 'algorithm', 'business', 'infrastructure')),
    note   VARCHAR NOT NULL,
    author VARCHAR
);

CREATE TABLE IF NOT EXISTS monitor_versions (
    monitor_id VARCHAR NOT NULL,
    version    INTEGER NOT NULL,
    family     VARCHAR NOT NULL,
    -- the spec as agreed, written by core/toml.py and read back by monitoring/spec.py
    spec_toml  VARCHAR NOT NULL,
    owner      VARCHAR NOT NULL,
    rationale  VARCHAR NOT NULL,
    author     VARCHAR NOT NULL,
    defined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (monitor_id, version)
);
