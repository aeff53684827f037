-- migrate:up
-- The undo journal of a batch written in parts is distributed with the figures it names (by indicator,
-- docs/decisions/0010): every row names its figure's distribution column, and it keeps no foreign key to
-- the local data_batches, which Citus cannot have. The batch's journal is deleted by the code that deletes
-- the batch (datavalues/writer.ts: on completion and in undoBatch), not by a cascade.
-- 20261202T0300 filled indicator_code for the rows then present and every write since names it; a row
-- without one would fail this loudly rather than be dropped.
ALTER TABLE data_batch_undo ALTER COLUMN indicator_code SET NOT NULL;
ALTER TABLE data_batch_undo DROP CONSTRAINT data_batch_undo_batch_id_fkey;

-- migrate:down
DELETE FROM data_batch_undo u WHERE NOT EXISTS (SELECT 1 FROM data_batches b WHERE b.id = u.batch_id);
ALTER TABLE data_batch_undo ADD CONSTRAINT data_batch_undo_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES data_batches (id) ON DELETE CASCADE;
ALTER TABLE data_batch_undo ALTER COLUMN indicator_code DROP NOT NULL;
