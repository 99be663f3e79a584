-- Loads as batches: every ingested file is recorded (kind, name, sha256 of its bytes, rows added, who, when), and
-- every data row names the batch that added it, so a load can be recognised when the same file comes again and
-- removed as a whole. Events gain an optional event_id (row-level idempotency where the source has one) and are no
-- longer keyed by (unit_id, event, ts): identical rows are real, repeated events.
-- Rows already stored belong to batch 0, the synthetic "pre-batch" (rows written before batches were recorded, and
-- rows the demo builder writes): the column default.

CREATE SEQUENCE IF NOT EXISTS load_batch_id START 1;

CREATE TABLE IF NOT EXISTS load_batches (
    batch_id     BIGINT PRIMARY KEY,
    kind         VARCHAR,            -- NULL for the pre-batch, which spans every data table
    file_name    VARCHAR NOT NULL,
    content_hash VARCHAR,            -- sha256 of the file's bytes, hex; NULL for the pre-batch
    rows         BIGINT NOT NULL,    -- rows this load added (the pre-batch: rows stored when it was made)
    actor        VARCHAR NOT NULL,
    loaded_at    TIMESTAMP,          -- UTC; NULL for the pre-batch (when its rows came is unknown)
    deleted_at   TIMESTAMP,          -- set when `python cli.py delete --batch` removed its rows
    reason       VARCHAR
);

ALTER TABLE models ADD COLUMN batch_id BIGINT DEFAULT 0;
ALTER TABLE offline_metrics ADD COLUMN batch_id BIGINT DEFAULT 0;
ALTER TABLE online_metrics ADD COLUMN batch_id BIGINT DEFAULT 0;
ALTER TABLE assignments ADD COLUMN batch_id BIGINT DEFAULT 0;
ALTER TABLE events ADD COLUMN batch_id BIGINT DEFAULT 0;
ALTER TABLE events ADD COLUMN event_id VARCHAR;
-- The monitoring kinds (migration 005) are loaded the same way.
ALTER TABLE predictions ADD COLUMN batch_id BIGINT DEFAULT 0;
ALTER TABLE prediction_labels ADD COLUMN batch_id BIGINT DEFAULT 0;
ALTER TABLE annotations ADD COLUMN batch_id BIGINT DEFAULT 0;

INSERT INTO load_batches (batch_id, kind, file_name, content_hash, rows, actor, loaded_at)
SELECT 0, NULL, '(pre-batch: rows stored before loads were recorded)', NULL,
       (SELECT count(*) FROM models) + (SELECT count(*) FROM offline_metrics)
       + (SELECT count(*) FROM online_metrics) + (SELECT count(*) FROM assignments)
       + (SELECT count(*) FROM events) + (SELECT count(*) FROM predictions)
       + (SELECT count(*) FROM prediction_labels) + (SELECT count(*) FROM annotations),
       'migration', NULL;
