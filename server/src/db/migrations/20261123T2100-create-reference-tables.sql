-- migrate:up
-- Administrative units (đơn vị hành chính): the nation, the 34 provinces and 3,321 communes valid from
-- 1 July 2025, and the 63 provinces and 10,047 communes valid until 30 June 2025. Official codes are reused
-- across the reform ("01" is Hà Nội before and after), so `id` is the code for current units and
-- "old-<code>" for pre-reform ones; `valid_from`/`valid_to` answer "as at" queries. Districts appear only for
-- the five pre-reform island districts that had no communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo):
-- the merge mapping names them directly.
CREATE TABLE areas (
  id          text PRIMARY KEY,
  code        text NOT NULL,
  level       text NOT NULL CHECK (level IN ('nation', 'province', 'district', 'commune')),
  parent_id   text REFERENCES areas (id),
  name        text NOT NULL,
  full_name   text NOT NULL,
  name_en     text,
  unit_type   text NOT NULL,
  valid_from  date,
  valid_to    date,
  area_km2    numeric,
  search_text text NOT NULL,
  CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_from <= valid_to)
);
CREATE INDEX areas_parent_idx ON areas (parent_id);
CREATE INDEX areas_level_idx ON areas (level, code);

-- The 2025 merge mapping: each new unit and the old units merged into it, fully or partly.
CREATE TABLE area_merges (
  new_area_id text NOT NULL REFERENCES areas (id),
  old_area_id text NOT NULL REFERENCES areas (id),
  merge_type  text NOT NULL CHECK (merge_type IN ('full', 'partial')),
  PRIMARY KEY (new_area_id, old_area_id)
);
CREATE INDEX area_merges_old_idx ON area_merges (old_area_id);

-- Agencies (cơ quan) named in the source documents, with succession through the 2025 mergers.
CREATE TABLE agencies (
  code           text PRIMARY KEY,
  name           text NOT NULL,
  level          text NOT NULL,
  kind           text NOT NULL,
  province_code  text,
  dissolved_on   date,
  successor_code text REFERENCES agencies (code) DEFERRABLE INITIALLY DEFERRED,
  note           text,
  search_text    text NOT NULL
);

-- Every spelling of an agency's name found in the documents; `name_key` ignores case and spacing.
CREATE TABLE agency_aliases (
  agency_code text NOT NULL REFERENCES agencies (code) ON DELETE CASCADE,
  alias       text NOT NULL,
  name_key    text NOT NULL,
  PRIMARY KEY (agency_code, alias)
);
CREATE INDEX agency_aliases_key_idx ON agency_aliases (name_key);

-- Indicator catalogues (bộ chỉ số), one per source document.
CREATE TABLE catalogues (
  id              text PRIMARY KEY,
  code_prefix     text NOT NULL UNIQUE,
  name            text NOT NULL,
  document_number text,
  document_date   date,
  document_issuer text NOT NULL,
  document_title  text NOT NULL,
  source_file     text NOT NULL,
  appendix        text NOT NULL,
  issuing_area_id text REFERENCES areas (id),
  version         integer NOT NULL DEFAULT 1,
  loaded_at       timestamptz NOT NULL DEFAULT now()
);

-- Groups (A, B, C, D) and sub-groups (I, II, …) of a catalogue.
CREATE TABLE catalogue_groups (
  catalogue_id    text NOT NULL REFERENCES catalogues (id) ON DELETE CASCADE,
  group_code      text NOT NULL,
  subgroup_code   text NOT NULL DEFAULT '',
  name_as_written text NOT NULL,
  seq             integer NOT NULL,
  PRIMARY KEY (catalogue_id, group_code, subgroup_code)
);

-- One row of a catalogue table (chỉ số).
CREATE TABLE indicators (
  code                          text PRIMARY KEY,
  catalogue_id                  text NOT NULL REFERENCES catalogues (id) ON DELETE CASCADE,
  seq                           integer NOT NULL,
  stt                           text,
  kind                          text NOT NULL,
  parent_code                   text REFERENCES indicators (code) DEFERRABLE INITIALLY DEFERRED,
  group_code                    text NOT NULL,
  subgroup_code                 text,
  name_as_written               text NOT NULL,
  name                          text NOT NULL,
  details                       text,
  unit_as_written               text,
  unit                          text,
  unit_inferred                 boolean NOT NULL,
  scope_as_written              text,
  scope_levels                  text[] NOT NULL,
  frequency_as_written          text,
  period_types                  text[] NOT NULL,
  disaggregation_as_written     text,
  dimensions                    text[] NOT NULL,
  agencies_as_written           text,
  sharing_agencies_as_written   text,
  collection_method_as_written  text,
  comparisons                   text[] NOT NULL,
  national_code                 text REFERENCES indicators (code) DEFERRABLE INITIALLY DEFERRED,
  source_line                   integer NOT NULL,
  source_row_label              text,
  note                          text,
  search_text                   text NOT NULL,
  version                       integer NOT NULL DEFAULT 1,
  updated_at                    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (catalogue_id, seq)
);
CREATE INDEX indicators_catalogue_idx ON indicators (catalogue_id, group_code, subgroup_code);
CREATE INDEX indicators_national_idx ON indicators (national_code);

-- Responsible (thực hiện / cung cấp) and data-sharing (chia sẻ) agencies of an indicator.
CREATE TABLE indicator_agencies (
  indicator_code text NOT NULL REFERENCES indicators (code) ON DELETE CASCADE,
  role           text NOT NULL CHECK (role IN ('responsible', 'sharing')),
  position       integer NOT NULL,
  agency_code    text NOT NULL REFERENCES agencies (code),
  as_written     text NOT NULL,
  PRIMARY KEY (indicator_code, role, position)
);
CREATE INDEX indicator_agencies_agency_idx ON indicator_agencies (agency_code);

-- Task lists (Phụ lục I) and their tasks (nhiệm vụ).
CREATE TABLE task_lists (
  id              text PRIMARY KEY,
  code_prefix     text NOT NULL UNIQUE,
  catalogue_id    text NOT NULL REFERENCES catalogues (id),
  appendix        text NOT NULL,
  title           text NOT NULL
);

CREATE TABLE task_sections (
  task_list_id    text NOT NULL REFERENCES task_lists (id) ON DELETE CASCADE,
  code            text NOT NULL,
  name_as_written text NOT NULL,
  seq             integer NOT NULL,
  PRIMARY KEY (task_list_id, code)
);

CREATE TABLE tasks (
  code                           text PRIMARY KEY,
  task_list_id                   text NOT NULL REFERENCES task_lists (id) ON DELETE CASCADE,
  seq                            integer NOT NULL,
  section_code                   text NOT NULL,
  stt                            text,
  name_as_written                text NOT NULL,
  name                           text NOT NULL,
  expected_result_as_written     text,
  deadline_as_written            text,
  deadline_kind                  text NOT NULL CHECK (deadline_kind IN ('date', 'range', 'recurring', 'on_request', 'unknown')),
  deadline_precision             text,
  deadline_date                  date,
  deadline_from                  date,
  deadline_to                    date,
  deadline_note                  text,
  lead_agencies_as_written       text,
  coordinating_agencies_as_written text,
  source_line                    integer NOT NULL,
  note                           text,
  search_text                    text NOT NULL,
  UNIQUE (task_list_id, seq),
  FOREIGN KEY (task_list_id, section_code) REFERENCES task_sections (task_list_id, code)
);

CREATE TABLE task_agencies (
  task_code   text NOT NULL REFERENCES tasks (code) ON DELETE CASCADE,
  role        text NOT NULL CHECK (role IN ('lead', 'coordinating')),
  position    integer NOT NULL,
  agency_code text NOT NULL REFERENCES agencies (code),
  as_written  text NOT NULL,
  PRIMARY KEY (task_code, role, position)
);
CREATE INDEX task_agencies_agency_idx ON task_agencies (agency_code);

-- migrate:down
DROP TABLE task_agencies;
DROP TABLE tasks;
DROP TABLE task_sections;
DROP TABLE task_lists;
DROP TABLE indicator_agencies;
DROP TABLE indicators;
DROP TABLE catalogue_groups;
DROP TABLE catalogues;
DROP TABLE agency_aliases;
DROP TABLE agencies;
DROP TABLE area_merges;
DROP TABLE areas;
