-- migrate:up
-- Completeness (reporting/repository.ts `completeness`) reads every version of one period's totals: with
-- no index leading on period it scanned data_values whole (600 ms at 10 M rows). This one serves it alone,
-- index-only (what it reads is in the index), and only for totals (disaggregation ''), which it counts.
CREATE INDEX data_values_period_idx ON data_values (period, indicator_code, area_id)
  INCLUDE (status, recorded_at, superseded_at) WHERE disaggregation = '';

-- migrate:down
DROP INDEX data_values_period_idx;
