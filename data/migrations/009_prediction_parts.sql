-- Predictions stored as immutable Parquet parts beside the store (`<store file>.parts/predictions/`),
-- one file per load batch, zstd, rows in ts order: 19.3 bytes a prediction where the native table
-- takes 29.5 (docs/monitoring.md, "Storing predictions"). This manifest is the list of committed
-- parts: a part is written before its row here, in the same transaction as its batch, so a file
-- not listed is an orphan of a failed load and never read. The native `predictions` table keeps
-- the typed schema (feature columns are added to it) and any rows written natively; every
-- connection reads ONE relation `predictions`: the table UNION ALL BY NAME the listed parts
-- (data/prediction_parts.py).

CREATE TABLE IF NOT EXISTS prediction_parts (
    file_name  VARCHAR PRIMARY KEY,  -- relative to the parts folder, so a copied store+folder works
    batch_id   BIGINT NOT NULL,      -- the load (load_batches) whose rows the part holds
    rows       BIGINT NOT NULL,
    min_ts     TIMESTAMP NOT NULL,
    max_ts     TIMESTAMP NOT NULL,
    written_at TIMESTAMP NOT NULL    -- UTC
);
