-- migrate:up
-- A large batch is written in parts, each its own transaction. Until its last part is written it has no
-- completed_at, and each part records in its own transaction what it changed in rows it did not insert, so
-- that a batch a crash left half-written is undone at the next start (datavalues/writer.ts).
ALTER TABLE data_batches ADD COLUMN completed_at timestamptz;
-- The database's time of the batch's last written part: on PostgreSQL, where several servers may share the
-- database, a batch is taken for abandoned only once it has not progressed for a while.
ALTER TABLE data_batches ADD COLUMN progressed_at timestamptz NOT NULL DEFAULT now();
UPDATE data_batches SET completed_at = recorded_at;
CREATE TABLE data_batch_undo (
  batch_id uuid NOT NULL REFERENCES data_batches (id) ON DELETE CASCADE,
  value_id bigint NOT NULL,
  kind     text NOT NULL CHECK (kind IN ('superseded', 'unpublished'))
);
CREATE INDEX data_batch_undo_batch ON data_batch_undo (batch_id);
CREATE INDEX data_batches_unfinished ON data_batches (recorded_at) WHERE completed_at IS NULL;

-- migrate:down
DROP TABLE data_batch_undo;
ALTER TABLE data_batches DROP COLUMN progressed_at;
ALTER TABLE data_batches DROP COLUMN completed_at;
