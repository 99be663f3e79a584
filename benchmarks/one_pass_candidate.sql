-- The one-pass candidate (benchmarks/one_pass.py) rendered for benchmarks/experiment_bench.toml as
-- of its end: the statistics rows of experiments.sql.statistics_query AND the exposure rows of
-- exposure_query in one statement, the events joined once. Regenerate with
--   python -m benchmarks.one_pass > benchmarks/one_pass_candidate.sql
WITH assigned AS (
    SELECT unit_id, min(variant) AS variant, min(assigned_at) AS assigned_at,
        min(variant) <> max(variant) AS multiple
    FROM assignments
    WHERE experiment_id = 'bench-three-metrics' AND assigned_at < TIMESTAMP '2026-03-30 00:00:00.000000'
    GROUP BY unit_id
),
units AS (
    SELECT unit_id, variant, assigned_at, CASE variant WHEN 'control' THEN 0 WHEN 'treatment' THEN 1 END::UTINYINT AS arm
    FROM assigned WHERE NOT multiple AND variant IN ('control', 'treatment')
),
event_rows AS (
    SELECT e.unit_id, u.arm, e.value,
        CASE WHEN e.ts >= u.assigned_at THEN CASE e.event WHEN 'click' THEN 0 WHEN 'impression' THEN 1 WHEN 'purchase' THEN 2 END ELSE CASE e.event WHEN 'purchase' THEN 3 END END::UTINYINT AS cell
    FROM events AS e JOIN units AS u ON e.unit_id = u.unit_id
    WHERE e.event IN ('click', 'impression', 'purchase') AND e.ts < TIMESTAMP '2026-03-30 00:00:00.000000' AND e.ts >= u.assigned_at - INTERVAL 14 DAY
),
unit_cells AS (
    SELECT unit_id, arm, cell, sum(value) AS total
    FROM event_rows WHERE cell IS NOT NULL GROUP BY unit_id, arm, cell
),
unit_events AS (
    SELECT unit_id, arm,
        coalesce(sum(total) FILTER (cell = 0), 0) AS m0_num,
        coalesce(sum(total) FILTER (cell = 1), 0) AS m0_den,
        coalesce(sum(total) FILTER (cell = 2), 0) AS m1_value,
        coalesce(sum(total) FILTER (cell = 3), 0) AS m1_pre,
        coalesce(max(1) FILTER (cell = 2), 0) AS m2_value,
        coalesce(max(1) FILTER (cell = 3), 0) AS m2_pre
    FROM unit_cells GROUP BY unit_id, arm
),
named AS (
    SELECT ['control', 'treatment'][arm + 1] AS variant, m0_num, m0_den, m1_value, m1_pre, m2_value, m2_pre FROM unit_events
),
sums AS (
    SELECT variant,
        sum(m0_num) AS m0_num_sum,
        sum(m0_num * m0_num) AS m0_num_sum_sq,
        sum(m0_den) AS m0_den_sum,
        sum(m0_den * m0_den) AS m0_den_sum_sq,
        sum(m0_num * m0_den) AS m0_num_den_sum,
        sum(m1_value) AS m1_sum,
        sum(m1_value * m1_value) AS m1_sum_sq,
        sum(m1_pre) AS m1_pre_sum,
        sum(m1_pre * m1_pre) AS m1_pre_sum_sq,
        sum(m1_value * m1_pre) AS m1_cross_sum,
        sum(m2_value) AS m2_sum,
        sum(m2_value * m2_value) AS m2_sum_sq,
        sum(m2_pre) AS m2_pre_sum,
        sum(m2_pre * m2_pre) AS m2_pre_sum_sq,
        sum(m2_value * m2_pre) AS m2_cross_sum
    FROM named GROUP BY GROUPING SETS ((variant))
),
counts AS (
    SELECT variant, assigned_at::DATE AS day FROM units
),
tallies AS (
    SELECT variant, day, GROUPING(day) AS grouping_day, count(*) AS units
    FROM counts GROUP BY GROUPING SETS ((variant, day), (variant))
),
excluded AS (SELECT count(*) AS excluded_multiple_variants FROM assigned WHERE multiple)
SELECT t.variant, x.excluded_multiple_variants, CASE WHEN t.grouping_day = 1 THEN t.units END AS n,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m0_num_sum, 0) END AS m0_num_sum,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m0_num_sum_sq, 0) END AS m0_num_sum_sq,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m0_den_sum, 0) END AS m0_den_sum,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m0_den_sum_sq, 0) END AS m0_den_sum_sq,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m0_num_den_sum, 0) END AS m0_num_den_sum,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m1_sum, 0) END AS m1_sum,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m1_sum_sq, 0) END AS m1_sum_sq,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m1_pre_sum, 0) END AS m1_pre_sum,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m1_pre_sum_sq, 0) END AS m1_pre_sum_sq,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m1_cross_sum, 0) END AS m1_cross_sum,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m2_sum, 0) END AS m2_sum,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m2_sum_sq, 0) END AS m2_sum_sq,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m2_pre_sum, 0) END AS m2_pre_sum,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m2_pre_sum_sq, 0) END AS m2_pre_sum_sq,
    CASE WHEN t.grouping_day = 1 THEN coalesce(s.m2_cross_sum, 0) END AS m2_cross_sum,
    t.day, CASE WHEN t.grouping_day = 0 THEN t.units END AS units
FROM tallies AS t CROSS JOIN excluded AS x
LEFT JOIN sums AS s ON t.grouping_day = 1 AND s.variant = t.variant
UNION ALL
SELECT NULL, excluded_multiple_variants, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, excluded_multiple_variants FROM excluded;
