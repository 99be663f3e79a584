-- How many days a KPI's last data day may lag today before `kpi check` calls it stale (exit 30).
-- Versions stored before this column existed get the spec's default.

ALTER TABLE kpi_versions ADD COLUMN IF NOT EXISTS max_staleness_days INTEGER DEFAULT 3;
