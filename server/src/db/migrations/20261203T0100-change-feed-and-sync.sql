-- migrate:up
-- Two-way exchange between installs (server/src/sync, docs/decisions/0013).

-- Who this install is to its peers: a random id made once, and the epoch of its change feed. A cursor
-- names the epoch, so a cursor of another database (a restored backup, a rebuilt install) is refused
-- (410) rather than read against the wrong log.
CREATE TABLE install_identity (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  install_id text NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', ''),
  feed_epoch text NOT NULL DEFAULT substr(replace(gen_random_uuid()::text, '-', ''), 1, 12),
  -- The last change id removed by pruning the log: a cursor before it has expired (410, resync).
  pruned_through bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO install_identity DEFAULT VALUES;

-- The change feed: one row per change of a key's PUBLISHED figure (a figure published or revised, or a
-- tombstone when it is withdrawn), written by the writer in the write's own transaction. Its ids are taken
-- under an advisory lock held to the commit (sync/feed.ts), so they become visible in commit order and a
-- cursor (the last id served) is stable whatever commits later.
CREATE TABLE change_log (
  id               bigserial PRIMARY KEY,
  -- The install where the change was first made, and its id there (a mirrored change keeps both; null
  -- for a change made here: its id is the row's own).
  origin           text NOT NULL,
  origin_change_id text,
  indicator_code   text NOT NULL,
  area_id          text NOT NULL,
  period           text NOT NULL,
  disaggregation   text NOT NULL,
  deleted          boolean NOT NULL,
  value            text,
  value_text       text,
  comment          text,
  status           text,
  version          integer,
  recorded_at      timestamptz,
  recorded_by      text,
  changed_at       timestamptz NOT NULL DEFAULT now()
);

-- Where a batch came from when another install sent it (null: written here).
ALTER TABLE data_batches ADD COLUMN origin text;
ALTER TABLE data_batches DROP CONSTRAINT data_batches_channel_check;
ALTER TABLE data_batches ADD CONSTRAINT data_batches_channel_check
  CHECK (channel IN ('form', 'spreadsheet', 'api', 'csv', 'sdmx', 'dhis2', 'review', 'sample', 'system', 'sync'));

-- A system token: a trusted peer's machine account. Locks and submission dates bind people; a system
-- token loads past periods as its origin validated them (item 6 of issue #13), always audited as itself.
ALTER TABLE api_tokens ADD COLUMN kind text NOT NULL DEFAULT 'standard';
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_kind_check CHECK (kind IN ('standard', 'system'));

-- Links to other installs: this install pulls `peer_url`'s change feed with `token` and mirrors what it
-- gets. The peer owns (is authoritative for) the indicators × area subtree of the link's scope here.
CREATE TABLE sync_links (
  id               text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
  name             text NOT NULL,
  peer_url         text NOT NULL,
  token            text NOT NULL,
  indicators       text[],
  area_id          text REFERENCES areas (id),
  webhook_secret   text,
  enabled          boolean NOT NULL DEFAULT true,
  peer_install_id  text,
  cursor           text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       uuid REFERENCES users (id),
  last_attempt_at  timestamptz,
  last_success_at  timestamptz,
  -- The peer's time of the latest change applied here, and of the latest it had when last asked.
  last_change_at   timestamptz,
  peer_head_at     timestamptz,
  applied_changes  bigint NOT NULL DEFAULT 0,
  skipped_changes  bigint NOT NULL DEFAULT 0,
  failures         integer NOT NULL DEFAULT 0,
  last_error       text,
  last_error_at    timestamptz,
  late_notified_at timestamptz,
  peer_metadata    jsonb
);

-- Webhooks this install sends when its feed moves (Standard Webhooks), with an outbox that survives a
-- crash: a delivery is due until it is answered 2xx.
CREATE TABLE webhook_subscriptions (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url        text NOT NULL,
  secret     text NOT NULL,
  -- The feed's last change id this subscription was told of: the sender compares it with the log's head,
  -- so a change made just before a crash is still announced after the restart.
  notified_through bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE TABLE webhook_deliveries (
  id              text PRIMARY KEY,
  subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  payload         text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  last_error      text
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL;
-- Webhook ids already received (dedupe within the replay window).
CREATE TABLE webhook_receipts (
  id          text PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE webhook_receipts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
DROP TABLE sync_links;
ALTER TABLE api_tokens DROP COLUMN kind;
ALTER TABLE data_batches DROP CONSTRAINT data_batches_channel_check;
DELETE FROM data_batches WHERE channel = 'sync';
ALTER TABLE data_batches ADD CONSTRAINT data_batches_channel_check
  CHECK (channel IN ('form', 'spreadsheet', 'api', 'csv', 'sdmx', 'dhis2', 'review', 'sample', 'system'));
ALTER TABLE data_batches DROP COLUMN origin;
DROP TABLE change_log;
DROP TABLE install_identity;
