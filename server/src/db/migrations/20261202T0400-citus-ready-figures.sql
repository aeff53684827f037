-- migrate:up
-- The figures become distributable by indicator (docs/decisions/0010-distribution.md).
-- A figure's batch is recorded on the coordinator (data_batches is a local table): a foreign key from the
-- distributed figures to it cannot exist on Citus, and a write after a multi-shard read failed on it. The
-- guarantee it gave holds by construction: a batch is deleted only after its figures (datavalues/writer.ts
-- undoBatch, demo/load.ts removeSampleData), which citus-lint.test.ts checks.
ALTER TABLE data_values DROP CONSTRAINT data_values_batch_id_fkey;

-- Every primary and unique key of a distributed table holds its distribution column. The id stays first:
-- it is unique alone, so the key is as selective as before and lookups by id keep their index on one node.
ALTER TABLE data_values DROP CONSTRAINT data_values_pkey;
ALTER TABLE data_values ADD CONSTRAINT data_values_pkey PRIMARY KEY (id, indicator_code);

-- migrate:down
ALTER TABLE data_values DROP CONSTRAINT data_values_pkey;
ALTER TABLE data_values ADD CONSTRAINT data_values_pkey PRIMARY KEY (id);
ALTER TABLE data_values ADD CONSTRAINT data_values_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES data_batches (id);
