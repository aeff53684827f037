-- migrate:up
-- Disaggregation dimensions (chiều phân tổ) and their code lists, from data/dimensions/. A dimension whose
-- options come from a registry (provinces, communes, agencies) names it in `options_from`.
CREATE TABLE dimensions (
  code         text PRIMARY KEY,
  name         text NOT NULL,
  description  text,
  -- The options exclude each other and exhaust the total: all parts must add up to it.
  is_partition boolean NOT NULL,
  options_from text,
  source       text
);
CREATE TABLE dimension_options (
  dimension_code text NOT NULL REFERENCES dimensions (code) ON DELETE CASCADE,
  code           text NOT NULL,
  name           text NOT NULL,
  parent_code    text,
  seq            integer NOT NULL,
  PRIMARY KEY (dimension_code, code)
);

-- Textual indicators (bulletins, maps, lists) take text values; the others numbers.
ALTER TABLE indicators ADD COLUMN value_type text NOT NULL DEFAULT 'number';
ALTER TABLE indicators ADD CONSTRAINT indicators_value_type_check CHECK (value_type IN ('number', 'text'));

-- One write of figures (a form save, an uploaded file, an API call, a review): who, how, from which file.
CREATE TABLE data_batches (
  id                uuid PRIMARY KEY,
  channel           text NOT NULL CHECK (channel IN ('form', 'spreadsheet', 'api', 'csv', 'sdmx', 'dhis2', 'review', 'sample')),
  file_name         text,
  file_sha256       text,
  recorded_by_user  uuid REFERENCES users (id),
  recorded_by_token uuid REFERENCES api_tokens (id),
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  created           integer NOT NULL,
  updated           integer NOT NULL,
  deleted           integer NOT NULL,
  unchanged         integer NOT NULL
);

ALTER TABLE data_values ADD COLUMN batch_id uuid;
ALTER TABLE data_values ADD CONSTRAINT data_values_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES data_batches (id);
-- Who recorded a value is its batch's: the per-row copies keep no foreign keys of their own, since each
-- is a lookup per inserted row (docs/decisions/0005). The agency is derived from the indicator.
ALTER TABLE data_values DROP CONSTRAINT data_values_agency_code_fkey;
ALTER TABLE data_values DROP CONSTRAINT data_values_recorded_by_user_fkey;
ALTER TABLE data_values DROP CONSTRAINT data_values_recorded_by_token_fkey;
-- The reviewer's words when returning or reopening; the reporter's stay in `comment`.
ALTER TABLE data_values ADD COLUMN review_comment text;
-- Warnings the value was accepted with (e.g. 'outlier', explained in `comment`).
ALTER TABLE data_values ADD COLUMN flags text[] NOT NULL DEFAULT '{}';
CREATE INDEX data_values_batch_idx ON data_values (batch_id);
CREATE INDEX data_values_agency_idx ON data_values (agency_code, period) WHERE superseded_at IS NULL;

-- Reporting obligations (chế độ báo cáo): an agency reports an indicator for the areas of one level
-- within a root area, every period of a type, by `deadline_days` after the period ends. Entry locks
-- `lock_after_days` after the deadline (never when null).
CREATE TABLE reporting_obligations (
  id              serial PRIMARY KEY,
  agency_code     text NOT NULL REFERENCES agencies (code),
  indicator_code  text NOT NULL REFERENCES indicators (code),
  root_area_id    text NOT NULL REFERENCES areas (id),
  area_level      text NOT NULL CHECK (area_level IN ('nation', 'province', 'commune')),
  period_type     text NOT NULL CHECK (period_type IN ('day', 'week', 'month', 'quarter', 'half_year', 'year')),
  deadline_days   integer NOT NULL CHECK (deadline_days BETWEEN 0 AND 366),
  lock_after_days integer CHECK (lock_after_days BETWEEN 0 AND 366),
  active          boolean NOT NULL DEFAULT true,
  updated_by      uuid REFERENCES users (id),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agency_code, indicator_code, root_area_id, area_level, period_type)
);
CREATE INDEX reporting_obligations_indicator_idx ON reporting_obligations (indicator_code);

-- A locked or approved report opened again for correction, with the reason, until a time.
CREATE TABLE entry_reopenings (
  id          bigserial PRIMARY KEY,
  agency_code text NOT NULL REFERENCES agencies (code),
  area_id     text NOT NULL REFERENCES areas (id),
  period      text NOT NULL,
  reason      text NOT NULL CHECK (length(btrim(reason)) >= 5),
  reopened_by uuid NOT NULL REFERENCES users (id),
  reopened_at timestamptz NOT NULL DEFAULT now(),
  open_until  timestamptz NOT NULL
);
CREATE INDEX entry_reopenings_key_idx ON entry_reopenings (agency_code, area_id, period);

-- migrate:down
DROP TABLE entry_reopenings;
DROP TABLE reporting_obligations;
DROP INDEX data_values_agency_idx;
DROP INDEX data_values_batch_idx;
ALTER TABLE data_values DROP COLUMN flags;
ALTER TABLE data_values DROP COLUMN review_comment;
ALTER TABLE data_values DROP COLUMN batch_id;
ALTER TABLE data_values ADD CONSTRAINT data_values_agency_code_fkey FOREIGN KEY (agency_code) REFERENCES agencies (code);
ALTER TABLE data_values ADD CONSTRAINT data_values_recorded_by_user_fkey FOREIGN KEY (recorded_by_user) REFERENCES users (id);
ALTER TABLE data_values ADD CONSTRAINT data_values_recorded_by_token_fkey FOREIGN KEY (recorded_by_token) REFERENCES api_tokens (id);
DROP TABLE data_batches;
ALTER TABLE indicators DROP COLUMN value_type;
DROP TABLE dimension_options;
DROP TABLE dimensions;
