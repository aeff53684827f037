-- migrate:up
-- The PUBLISHED figure of each key (indicator, area, period, disaggregation): the version leaders,
-- dashboards and exports read, from `published_at` until `unpublished_at`. A submitted or approved version
-- is published and unpublishes the key's previous one; a draft leaves the previous one published; a return
-- or a deletion unpublishes (docs/decisions/0008).
ALTER TABLE data_values ADD COLUMN published_at timestamptz;
ALTER TABLE data_values ADD COLUMN unpublished_at timestamptz;

-- Backfill from the versions kept: each submitted or approved version was published when recorded, until
-- the key's next submitted, approved or returned version (a return after a reopening kept the approved
-- figure published), or until a deletion (a version superseded without a successor at that moment).
WITH v AS (
  SELECT id, indicator_code, area_id, period, disaggregation, version, status, recorded_at,
         CASE WHEN status IN ('submitted', 'approved')
                OR (status = 'returned' AND coalesce(review_comment, '') NOT LIKE 'Mở lại:%')
              THEN recorded_at END AS starts_at,
         CASE WHEN superseded_at IS NOT NULL AND superseded_at IS DISTINCT FROM lead(recorded_at) OVER k
              THEN superseded_at END AS deleted_at
  FROM data_values
  WINDOW k AS (PARTITION BY indicator_code, area_id, period, disaggregation ORDER BY version)
),
w AS (
  SELECT id, indicator_code, status, recorded_at,
         LEAST(deleted_at, min(starts_at) OVER later, min(deleted_at) OVER later) AS ends_at
  FROM v
  WINDOW later AS (PARTITION BY indicator_code, area_id, period, disaggregation ORDER BY version
                   ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
)
UPDATE data_values d SET published_at = w.recorded_at, unpublished_at = w.ends_at
FROM w WHERE w.id = d.id AND w.indicator_code = d.indicator_code AND w.status IN ('submitted', 'approved')
  -- A period not over (Vietnam time) is never final: what was submitted for it stays unpublished, except the
  -- figures the system computes as at today (the task indicator).
  AND (d.source = 'system' OR (
    CASE d.period_type
      WHEN 'year' THEN make_date(substr(d.period, 1, 4)::int, 12, 31)
      WHEN 'half_year' THEN (make_date(substr(d.period, 1, 4)::int, substr(d.period, 6, 1)::int * 6, 1) + interval '1 month' - interval '1 day')::date
      WHEN 'quarter' THEN (make_date(substr(d.period, 1, 4)::int, substr(d.period, 6, 1)::int * 3, 1) + interval '1 month' - interval '1 day')::date
      WHEN 'month' THEN (make_date(substr(d.period, 1, 4)::int, substr(d.period, 6, 2)::int, 1) + interval '1 month' - interval '1 day')::date
      WHEN 'week' THEN to_date(d.period, 'IYYY"W"IW') + 6
      WHEN 'day' THEN to_date(d.period, 'YYYYMMDD')
    END < ((now() AT TIME ZONE 'UTC') + interval '7 hours')::date) IS NOT FALSE);

-- At most one published version per key; it is also the index the dashboards' reads use.
CREATE UNIQUE INDEX data_values_published_idx ON data_values (indicator_code, area_id, period, disaggregation)
  WHERE published_at IS NOT NULL AND unpublished_at IS NULL;

-- migrate:down
DROP INDEX data_values_published_idx;
ALTER TABLE data_values DROP COLUMN unpublished_at;
ALTER TABLE data_values DROP COLUMN published_at;
