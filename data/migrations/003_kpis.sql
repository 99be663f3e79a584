-- KPIs agreed with the business owner: every definition change is a new, immutable version (who, when,
-- why); decisions (continue, retrain, withdraw) and recorded evaluations name the version they used.

CREATE TABLE IF NOT EXISTS kpi_versions (
    kpi_id         VARCHAR NOT NULL,
    version        INTEGER NOT NULL,
    name           VARCHAR NOT NULL,
    family         VARCHAR NOT NULL,
    metric         VARCHAR NOT NULL,
    source         VARCHAR NOT NULL CHECK (source IN ('online', 'offline')),
    direction      VARCHAR NOT NULL CHECK (direction IN ('increase', 'decrease')),
    target         DOUBLE NOT NULL,
    warning        DOUBLE NOT NULL,
    exit_threshold DOUBLE NOT NULL,
    window_days    INTEGER NOT NULL CHECK (window_days >= 1),
    persistence    INTEGER NOT NULL CHECK (persistence >= 1),
    confidence     DOUBLE NOT NULL CHECK (confidence > 0 AND confidence < 1),
    owner          VARCHAR NOT NULL,
    -- the value model as in the spec's [value] table: kind, currency and the kind's parameters
    value_model    JSON NOT NULL,
    author         VARCHAR NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    rationale      VARCHAR,
    PRIMARY KEY (kpi_id, version)
);

CREATE SEQUENCE IF NOT EXISTS kpi_decision_id;

CREATE TABLE IF NOT EXISTS kpi_decisions (
    id         BIGINT PRIMARY KEY DEFAULT nextval('kpi_decision_id'),
    kpi_id     VARCHAR NOT NULL,
    version    INTEGER NOT NULL,
    decision   VARCHAR NOT NULL CHECK (decision IN ('continue', 'retrain', 'withdraw')),
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL,
    reason     VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS kpi_evaluations (
    kpi_id       VARCHAR NOT NULL,
    version      INTEGER NOT NULL,
    as_of        DATE NOT NULL,
    status       VARCHAR NOT NULL CHECK (status IN ('healthy', 'warning', 'exit', 'no_data')),
    model_id     VARCHAR,
    value        DOUBLE,
    ci_low       DOUBLE,
    ci_high      DOUBLE,
    evaluated_at TIMESTAMP NOT NULL,
    evaluated_by VARCHAR NOT NULL
);
