-- migrate:up
-- Every version of every figure, partitioned by the year of its period (docs/decisions/0012): a period
-- code always starts with its 4-digit year ('2025', '2025S1', '2025Q3', '2025M07', '2025W31', '20250715'),
-- so the range ['2025', '2026') holds exactly the year's codes in any collation (digits and a longer code
-- after its prefix sort alike everywhere). Reads naming a period or a list of periods read one year's
-- partition; a closed year's partition moves to cheaper disk whole (`archive-year`, bin/commands.ts).
-- The table is rebuilt under the same name: columns, defaults, checks and the id sequence carried over,
-- rows copied, then every index of the schema as the earlier migrations left it.
-- Its foreign keys as the earlier migrations left them (LIKE does not copy them), made again at the end.
CREATE TEMPORARY TABLE data_values_foreign_keys ON COMMIT DROP AS
  SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'data_values'::regclass AND contype = 'f';
ALTER TABLE data_values RENAME TO data_values_unpartitioned;
-- The id sequence outlives the old table: the new one draws from it.
ALTER SEQUENCE data_values_id_seq OWNED BY NONE;
CREATE TABLE data_values (LIKE data_values_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)
  PARTITION BY RANGE (period);

-- One partition per year, made as figures of that year come: here the years an existing install holds, the
-- current year and the next; then at each start (bin/startup.ts: this year, the next, and every year the
-- default partition holds). A figure of a year without its partition lands in the default partition —
-- stored correctly, only not pruned apart nor archivable until its partition is made.
CREATE TABLE data_values_default PARTITION OF data_values DEFAULT;

-- Makes the partition of a year if it is missing, moving the year's rows out of the default partition
-- first (PostgreSQL refuses a new partition whose range the default partition holds rows of).
CREATE FUNCTION ensure_data_values_year(y integer) RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
  part text := 'data_values_y' || y::text;
BEGIN
  IF y < 1000 OR y > 9998 OR to_regclass(part) IS NOT NULL THEN
    RETURN false;
  END IF;
  -- One maker at a time, then look again.
  PERFORM pg_advisory_xact_lock(hashtext('data_values_partitions'));
  IF to_regclass(part) IS NOT NULL THEN
    RETURN false;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM data_values_default WHERE period >= y::text AND period < (y + 1)::text) THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF data_values FOR VALUES FROM (%L) TO (%L)', part, y::text, (y + 1)::text);
    RETURN true;
  END IF;
  CREATE TEMPORARY TABLE IF NOT EXISTS data_values_moving (LIKE data_values) ON COMMIT DROP;
  DELETE FROM data_values_moving;
  WITH moved AS (
    DELETE FROM data_values_default WHERE period >= y::text AND period < (y + 1)::text RETURNING *
  )
  INSERT INTO data_values_moving SELECT * FROM moved;
  EXECUTE format('CREATE TABLE %I PARTITION OF data_values FOR VALUES FROM (%L) TO (%L)', part, y::text, (y + 1)::text);
  INSERT INTO data_values SELECT * FROM data_values_moving;
  DELETE FROM data_values_moving;
  RETURN true;
END
$$;

-- The partitions are made before the rows arrive (Vietnam's current year: UTC+7).
SELECT ensure_data_values_year(y) FROM (
  SELECT DISTINCT substr(period, 1, 4)::integer AS y FROM data_values_unpartitioned WHERE period ~ '^[0-9]{4}'
  UNION SELECT extract(year FROM (now() AT TIME ZONE 'UTC') + interval '7 hours')::integer + n FROM generate_series(0, 1) AS n
) years ORDER BY y;

INSERT INTO data_values SELECT * FROM data_values_unpartitioned;
DROP TABLE data_values_unpartitioned;
ALTER SEQUENCE data_values_id_seq OWNED BY data_values.id;

-- The keys and indexes as the earlier migrations left them. Every unique key holds the partition column
-- (period) and the distribution column (indicator_code, docs/decisions/0010); the primary key keeps the
-- id first, so a lookup by id uses it in each partition.
ALTER TABLE data_values ADD CONSTRAINT data_values_pkey PRIMARY KEY (id, indicator_code, period);
ALTER TABLE data_values ADD CONSTRAINT data_values_indicator_code_area_id_period_disaggregation_ve_key
  UNIQUE (indicator_code, area_id, period, disaggregation, version);
CREATE UNIQUE INDEX data_values_current_idx ON data_values (indicator_code, area_id, period, disaggregation)
  WHERE superseded_at IS NULL;
CREATE UNIQUE INDEX data_values_published_idx ON data_values (indicator_code, area_id, period, disaggregation)
  WHERE published_at IS NOT NULL AND unpublished_at IS NULL;
CREATE INDEX data_values_area_idx ON data_values (area_id, period);
CREATE INDEX data_values_batch_idx ON data_values (batch_id);
CREATE INDEX data_values_agency_idx ON data_values (agency_code, period) WHERE superseded_at IS NULL;
CREATE INDEX data_values_period_idx ON data_values (period, indicator_code, area_id)
  INCLUDE (status, recorded_at, superseded_at) WHERE disaggregation = '';
DO $$
DECLARE
  fk record;
BEGIN
  FOR fk IN SELECT conname, def FROM data_values_foreign_keys ORDER BY conname LOOP
    EXECUTE format('ALTER TABLE data_values ADD CONSTRAINT %I %s', fk.conname, fk.def);
  END LOOP;
END
$$;
ANALYZE data_values;

-- migrate:down
CREATE TEMPORARY TABLE data_values_foreign_keys ON COMMIT DROP AS
  SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'data_values'::regclass AND contype = 'f';
ALTER TABLE data_values RENAME TO data_values_partitioned;
ALTER SEQUENCE data_values_id_seq OWNED BY NONE;
CREATE TABLE data_values (LIKE data_values_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE);
INSERT INTO data_values SELECT * FROM data_values_partitioned;
DROP TABLE data_values_partitioned;
DROP FUNCTION ensure_data_values_year(integer);
ALTER SEQUENCE data_values_id_seq OWNED BY data_values.id;
ALTER TABLE data_values ADD CONSTRAINT data_values_pkey PRIMARY KEY (id, indicator_code);
ALTER TABLE data_values ADD CONSTRAINT data_values_indicator_code_area_id_period_disaggregation_ve_key
  UNIQUE (indicator_code, area_id, period, disaggregation, version);
CREATE UNIQUE INDEX data_values_current_idx ON data_values (indicator_code, area_id, period, disaggregation)
  WHERE superseded_at IS NULL;
CREATE UNIQUE INDEX data_values_published_idx ON data_values (indicator_code, area_id, period, disaggregation)
  WHERE published_at IS NOT NULL AND unpublished_at IS NULL;
CREATE INDEX data_values_area_idx ON data_values (area_id, period);
CREATE INDEX data_values_batch_idx ON data_values (batch_id);
CREATE INDEX data_values_agency_idx ON data_values (agency_code, period) WHERE superseded_at IS NULL;
CREATE INDEX data_values_period_idx ON data_values (period, indicator_code, area_id)
  INCLUDE (status, recorded_at, superseded_at) WHERE disaggregation = '';
DO $$
DECLARE
  fk record;
BEGIN
  FOR fk IN SELECT conname, def FROM data_values_foreign_keys ORDER BY conname LOOP
    EXECUTE format('ALTER TABLE data_values ADD CONSTRAINT %I %s', fk.conname, fk.def);
  END LOOP;
END
$$;
