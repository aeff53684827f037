-- migrate:up
-- Figures (số liệu): indicator × area × period × disaggregation → value. Every revision is a new row
-- (a vintage); the row it replaces gets `superseded_at`, so a query "as at T" sees what stood at T.
CREATE TABLE data_values (
  id                bigserial PRIMARY KEY,
  indicator_code    text NOT NULL REFERENCES indicators (code),
  area_id           text NOT NULL REFERENCES areas (id),
  period            text NOT NULL,
  period_type       text NOT NULL,
  disaggregation    text NOT NULL DEFAULT '',
  version           integer NOT NULL,
  value             numeric,
  value_text        text,
  comment           text,
  status            text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'returned')),
  source            text NOT NULL,
  agency_code       text REFERENCES agencies (code),
  recorded_by_user  uuid REFERENCES users (id),
  recorded_by_token uuid REFERENCES api_tokens (id),
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  superseded_at     timestamptz,
  CHECK (value IS NOT NULL OR value_text IS NOT NULL),
  UNIQUE (indicator_code, area_id, period, disaggregation, version)
);
-- At most one current row per key.
CREATE UNIQUE INDEX data_values_current_idx ON data_values (indicator_code, area_id, period, disaggregation)
  WHERE superseded_at IS NULL;
CREATE INDEX data_values_area_idx ON data_values (area_id, period);

-- migrate:down
DROP TABLE data_values;
