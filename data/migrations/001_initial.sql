-- The foundation: models, their offline and online metrics, experiment units and events, and the audit log.
-- No primary-key indexes on the large tables: idempotency is enforced at ingestion by an anti-join on each
-- kind's natural key, which keeps a 100-million-row events table cheap to load and small on disk.

CREATE TABLE IF NOT EXISTS models (
    model_id    VARCHAR PRIMARY KEY,
    family      VARCHAR NOT NULL,
    version     VARCHAR NOT NULL,
    deployed_at TIMESTAMP NOT NULL,
    retired_at  TIMESTAMP,
    notes       VARCHAR,
    -- production: serves all traffic (one per family on any day); challenger: serves an experiment only
    stage       VARCHAR NOT NULL DEFAULT 'production'
);

CREATE TABLE IF NOT EXISTS offline_metrics (
    model_id     VARCHAR NOT NULL,
    metric       VARCHAR NOT NULL,
    value        DOUBLE NOT NULL,
    evaluated_at TIMESTAMP NOT NULL,
    dataset      VARCHAR NOT NULL,
    n            BIGINT
);

CREATE TABLE IF NOT EXISTS online_metrics (
    date     DATE NOT NULL,
    model_id VARCHAR NOT NULL,
    metric   VARCHAR NOT NULL,
    value    DOUBLE NOT NULL,
    n        BIGINT,
    std      DOUBLE
);

CREATE TABLE IF NOT EXISTS assignments (
    experiment_id VARCHAR NOT NULL,
    unit_id       VARCHAR NOT NULL,
    variant       VARCHAR NOT NULL,
    assigned_at   TIMESTAMP NOT NULL,
    attributes    JSON
);

CREATE TABLE IF NOT EXISTS events (
    unit_id VARCHAR NOT NULL,
    event   VARCHAR NOT NULL,
    value   DOUBLE NOT NULL DEFAULT 1,
    ts      TIMESTAMP NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS audit_log_id;

CREATE TABLE IF NOT EXISTS audit_log (
    id      BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id'),
    logged_at TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
    actor   VARCHAR NOT NULL,
    action  VARCHAR NOT NULL,
    target  VARCHAR NOT NULL,
    detail  JSON,
    reason  VARCHAR
);
