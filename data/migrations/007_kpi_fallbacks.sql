-- The value per day of a KPI's fallback (rules, or the model switched off) if its model is
-- withdrawn, in the KPI's currency with the sign of its value per day; withdrawal is weighed
-- against it. Each change is a new, immutable version (who, when, why).

CREATE TABLE IF NOT EXISTS kpi_fallback_values (
    kpi_id        VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    value_per_day DOUBLE NOT NULL CHECK (isfinite(value_per_day)),
    note          VARCHAR,
    author        VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (kpi_id, version)
);
