-- migrate:up
-- Files attached to documents and progress reports, kept in the database so that one backup holds all.
CREATE TABLE attachments (
  id           uuid PRIMARY KEY,
  file_name    text NOT NULL,
  content_type text NOT NULL,
  size_bytes   integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 20971520),
  sha256       text NOT NULL,
  content      bytea NOT NULL,
  uploaded_by  uuid REFERENCES users (id),
  uploaded_at  timestamptz NOT NULL DEFAULT now()
);

-- Directive documents (văn bản chỉ đạo): the decisions, plans, resolutions, conclusion notices and official
-- letters that assign tasks. The seed documents carry the id of their catalogue ("qd1012").
CREATE TABLE documents (
  id            text PRIMARY KEY,
  kind          text NOT NULL CHECK (kind IN ('decision', 'plan', 'resolution', 'conclusion_notice', 'official_letter', 'directive', 'other')),
  number        text,
  issued_on     date,
  issuer        text NOT NULL,
  title         text NOT NULL,
  area_id       text REFERENCES areas (id),
  attachment_id uuid REFERENCES attachments (id),
  origin        text NOT NULL DEFAULT 'manual' CHECK (origin IN ('seed', 'manual')),
  created_by    uuid REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  search_text   text NOT NULL
);
ALTER TABLE task_lists ADD COLUMN document_id text;
ALTER TABLE task_lists ADD CONSTRAINT task_lists_document_id_fkey FOREIGN KEY (document_id) REFERENCES documents (id);

-- Tasks become trackable: made by hand or from a document, with an assigning authority, a priority,
-- sub-tasks for coordinating agencies, an extension or a closing decision, and the accepted completion.
ALTER TABLE tasks ALTER COLUMN task_list_id DROP NOT NULL;
ALTER TABLE tasks ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE tasks ALTER COLUMN section_code DROP NOT NULL;
ALTER TABLE tasks ALTER COLUMN source_line DROP NOT NULL;
ALTER TABLE tasks ADD COLUMN origin text NOT NULL DEFAULT 'seed';
ALTER TABLE tasks ADD CONSTRAINT tasks_origin_check CHECK (origin IN ('seed', 'manual'));
ALTER TABLE tasks ADD COLUMN document_id text;
ALTER TABLE tasks ADD CONSTRAINT tasks_document_id_fkey FOREIGN KEY (document_id) REFERENCES documents (id);
ALTER TABLE tasks ADD COLUMN assigned_by text;
ALTER TABLE tasks ADD COLUMN priority text NOT NULL DEFAULT 'normal';
ALTER TABLE tasks ADD CONSTRAINT tasks_priority_check CHECK (priority IN ('normal', 'high', 'urgent'));
ALTER TABLE tasks ADD COLUMN parent_code text;
ALTER TABLE tasks ADD CONSTRAINT tasks_parent_code_fkey FOREIGN KEY (parent_code) REFERENCES tasks (code);
ALTER TABLE tasks ADD COLUMN report_cadence text;
ALTER TABLE tasks ADD CONSTRAINT tasks_report_cadence_check CHECK (report_cadence IN ('month', 'quarter', 'half_year', 'year'));
ALTER TABLE tasks ADD COLUMN extended_to date;
ALTER TABLE tasks ADD COLUMN completed_on date;
ALTER TABLE tasks ADD COLUMN closed_as text;
ALTER TABLE tasks ADD CONSTRAINT tasks_closed_as_check CHECK (closed_as IN ('cancelled', 'adjusted'));
ALTER TABLE tasks ADD COLUMN closed_by_document_id text;
ALTER TABLE tasks ADD CONSTRAINT tasks_closed_by_document_id_fkey FOREIGN KEY (closed_by_document_id) REFERENCES documents (id);
ALTER TABLE tasks ADD COLUMN closed_reason text;
ALTER TABLE tasks ADD COLUMN created_by uuid;
ALTER TABLE tasks ADD CONSTRAINT tasks_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id);
ALTER TABLE tasks ADD COLUMN created_on date NOT NULL DEFAULT CURRENT_DATE;
ALTER TABLE tasks ADD COLUMN version integer NOT NULL DEFAULT 1;
CREATE INDEX tasks_document_idx ON tasks (document_id);
CREATE INDEX tasks_parent_idx ON tasks (parent_code);

-- The indicators (and through them the targets) that measure a task.
CREATE TABLE task_indicators (
  task_code      text NOT NULL REFERENCES tasks (code) ON DELETE CASCADE,
  indicator_code text NOT NULL REFERENCES indicators (code),
  PRIMARY KEY (task_code, indicator_code)
);

-- Progress reports by the lead (or a coordinating) agency; a report may claim completion or ask for a
-- later deadline, which the assigning office accepts or sends back.
CREATE TABLE task_reports (
  id                bigserial PRIMARY KEY,
  task_code         text NOT NULL REFERENCES tasks (code),
  agency_code       text NOT NULL REFERENCES agencies (code),
  body              text NOT NULL CHECK (length(btrim(body)) > 0),
  percent           integer CHECK (percent BETWEEN 0 AND 100),
  claims_completion boolean NOT NULL DEFAULT false,
  proposed_deadline date,
  attachment_ids    uuid[] NOT NULL DEFAULT '{}',
  reported_by       uuid NOT NULL REFERENCES users (id),
  reported_on       date NOT NULL,
  reported_at       timestamptz NOT NULL DEFAULT now(),
  review            text NOT NULL DEFAULT 'pending' CHECK (review IN ('pending', 'accepted', 'returned', 'noted')),
  reviewed_by       uuid REFERENCES users (id),
  reviewed_at       timestamptz,
  review_comment    text
);
CREATE INDEX task_reports_task_idx ON task_reports (task_code, reported_at);

-- The task's timeline: what happened, when, by whom (the audit trail holds the full before/after).
CREATE TABLE task_events (
  id         bigserial PRIMARY KEY,
  task_code  text NOT NULL REFERENCES tasks (code),
  at         timestamptz NOT NULL DEFAULT now(),
  kind       text NOT NULL,
  actor      text,
  detail     text
);
CREATE INDEX task_events_task_idx ON task_events (task_code, at);

-- In-app notifications (đôn đốc) for the users of an agency; one per key, so a reminder is never sent twice.
CREATE TABLE notifications (
  id          bigserial PRIMARY KEY,
  agency_code text NOT NULL REFERENCES agencies (code),
  kind        text NOT NULL,
  task_code   text REFERENCES tasks (code),
  message     text NOT NULL,
  dedupe_key  text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_agency_idx ON notifications (agency_code, created_at DESC);
CREATE TABLE notification_reads (
  notification_id bigint NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES users (id),
  read_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (notification_id, user_id)
);

-- Messages for outside channels (the daily digest by e-mail); a sender delivers them, the default one only logs.
CREATE TABLE outbound_messages (
  id          bigserial PRIMARY KEY,
  channel     text NOT NULL CHECK (channel IN ('email')),
  agency_code text NOT NULL REFERENCES agencies (code),
  subject     text NOT NULL,
  body        text NOT NULL,
  dedupe_key  text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz,
  sender      text
);

-- Plan targets (chỉ tiêu): an indicator's target for an area by a year (or a programme's end), from a
-- resolution, with a comparison.
CREATE TABLE targets (
  id             bigserial PRIMARY KEY,
  indicator_code text NOT NULL REFERENCES indicators (code),
  area_id        text NOT NULL REFERENCES areas (id),
  target_year    integer NOT NULL CHECK (target_year BETWEEN 2000 AND 2100),
  source         text NOT NULL,
  operator       text NOT NULL CHECK (operator IN ('>=', '<=', '=', 'range')),
  target_value   numeric,
  target_max     numeric,
  note           text,
  updated_by     uuid REFERENCES users (id),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (operator <> 'range' OR target_value IS NULL OR target_max IS NOT NULL),
  UNIQUE (indicator_code, area_id, target_year)
);

-- National target programmes and key projects (group C): programme → projects, by province, with the
-- capital plan; disbursement and outputs are figures of the programme's indicators.
CREATE TABLE programmes (
  code           text PRIMARY KEY,
  name           text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('national_target_programme', 'key_projects')),
  indicator_code text REFERENCES indicators (code),
  lead_agency    text REFERENCES agencies (code),
  period_from    integer NOT NULL,
  period_to      integer NOT NULL
);
CREATE TABLE projects (
  code           text PRIMARY KEY,
  programme_code text NOT NULL REFERENCES programmes (code),
  name           text NOT NULL,
  area_id        text REFERENCES areas (id),
  capital_plan   numeric,
  unit           text NOT NULL DEFAULT 'tỷ đồng',
  physical_progress integer CHECK (physical_progress BETWEEN 0 AND 100),
  updated_by     uuid REFERENCES users (id),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- The channel of system-computed figures (the task indicators of A.XIII.7).
ALTER TABLE data_batches DROP CONSTRAINT data_batches_channel_check;
ALTER TABLE data_batches ADD CONSTRAINT data_batches_channel_check
  CHECK (channel IN ('form', 'spreadsheet', 'api', 'csv', 'sdmx', 'dhis2', 'review', 'sample', 'system'));

-- migrate:down
ALTER TABLE data_batches DROP CONSTRAINT data_batches_channel_check;
ALTER TABLE data_batches ADD CONSTRAINT data_batches_channel_check
  CHECK (channel IN ('form', 'spreadsheet', 'api', 'csv', 'sdmx', 'dhis2', 'review', 'sample'));
DROP TABLE projects;
DROP TABLE programmes;
DROP TABLE targets;
DROP TABLE outbound_messages;
DROP TABLE notification_reads;
DROP TABLE notifications;
DROP TABLE task_events;
DROP TABLE task_reports;
DROP TABLE task_indicators;
DROP INDEX tasks_parent_idx;
DROP INDEX tasks_document_idx;
ALTER TABLE tasks DROP COLUMN version, DROP COLUMN created_on, DROP COLUMN created_by, DROP COLUMN closed_reason,
  DROP COLUMN closed_by_document_id, DROP COLUMN closed_as, DROP COLUMN completed_on, DROP COLUMN extended_to,
  DROP COLUMN report_cadence, DROP COLUMN parent_code, DROP COLUMN priority, DROP COLUMN assigned_by,
  DROP COLUMN document_id, DROP COLUMN origin;
ALTER TABLE task_lists DROP COLUMN document_id;
DROP TABLE documents;
DROP TABLE attachments;
