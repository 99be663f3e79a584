-- Retraining plans (the cost parts and the expected gain behind a retraining case), each change a new
-- immutable version, and the evidence behind each retraining decision recorded in kpi_decisions.

CREATE TABLE IF NOT EXISTS retraining_plans (
    plan_id                VARCHAR NOT NULL,
    version                INTEGER NOT NULL,
    kpi_id                 VARCHAR NOT NULL,
    name                   VARCHAR NOT NULL,
    -- cost parts, in the KPI's currency: person-days x day rate + compute + validation and release
    person_days            DOUBLE NOT NULL CHECK (person_days >= 0),
    day_rate               DOUBLE NOT NULL CHECK (day_rate >= 0),
    compute_cost           DOUBLE NOT NULL CHECK (compute_cost >= 0),
    release_cost           DOUBLE NOT NULL CHECK (release_cost >= 0),
    -- the expected gain: measured (an experiment's metric) or assumed (relative uplift and its SE)
    uplift_experiment      VARCHAR,
    uplift_metric          VARCHAR,
    uplift                 DOUBLE,
    uplift_se              DOUBLE CHECK (uplift_se >= 0),
    horizon_days           INTEGER NOT NULL CHECK (horizon_days >= 1),
    discount_rate          DOUBLE NOT NULL CHECK (discount_rate > -1),
    fallback_value_per_day DOUBLE,
    notes                  VARCHAR,
    author                 VARCHAR NOT NULL,
    created_at             TIMESTAMP NOT NULL,
    PRIMARY KEY (plan_id, version),
    CHECK ((uplift_experiment IS NOT NULL AND uplift_metric IS NOT NULL AND uplift IS NULL
            AND uplift_se IS NULL)
        OR (uplift_experiment IS NULL AND uplift_metric IS NULL AND uplift IS NOT NULL
            AND uplift_se IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS retraining_decision_evidence (
    decision_id          BIGINT PRIMARY KEY,
    plan_id              VARCHAR,
    plan_version         INTEGER,
    as_of                DATE NOT NULL,
    recommendation       VARCHAR NOT NULL,
    npv_expected         DOUBLE,
    npv_p10              DOUBLE,
    npv_p90              DOUBLE,
    probability_positive DOUBLE,
    -- the full `retrain evaluate --json` record the decision was taken on
    evaluation           JSON NOT NULL
);
