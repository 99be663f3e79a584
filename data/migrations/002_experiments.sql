-- Experiment definitions, versioned: defining an id again adds a version and never overwrites one,
-- so the history of what was planned (and when) stays readable next to the audit log.

CREATE TABLE IF NOT EXISTS experiment_definitions (
    experiment_id VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    defined_at    TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
    defined_by    VARCHAR NOT NULL,
    -- the validated spec with the TOML keys (experiments.spec.spec_to_dict)
    spec          JSON NOT NULL,
    PRIMARY KEY (experiment_id, version)
);
