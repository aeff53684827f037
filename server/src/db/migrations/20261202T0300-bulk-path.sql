-- migrate:up
-- The bulk path (issue 12, item 3; docs/decisions/0005).

-- data_values keeps no foreign keys to indicators and areas: each was a lookup per inserted row (61 % of
-- an insert with the indexes gone). Every figure is validated against the reference data before it is
-- written, and deleting an indicator or an area that has figures is refused by the code that deletes them
-- (the reference data reload: reference/load.ts, areas/repository.ts) with a message naming them.
ALTER TABLE data_values DROP CONSTRAINT IF EXISTS data_values_indicator_code_fkey;
ALTER TABLE data_values DROP CONSTRAINT IF EXISTS data_values_area_id_fkey;

-- The undo journal of a batch written in parts names each version by its distribution column too, so that
-- the undo's UPDATE of data_values carries it (Citus: no UPDATE by surrogate id alone).
ALTER TABLE data_batch_undo ADD COLUMN indicator_code text;
UPDATE data_batch_undo u SET indicator_code = d.indicator_code FROM data_values d WHERE d.id = u.value_id;

-- The reference data a write is validated against is cached in each server process; a counter bumped by
-- any change to it (a reload, a hand edit, another process) tells the processes to read it again. A
-- sequence, not a transaction's own count: a rolled-back change never hands out a number that a later,
-- different change takes again. `database_id` tells apart databases served by one process (tests).
CREATE SEQUENCE reference_revision_seq;
CREATE TABLE reference_revision (
  singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  database_id uuid NOT NULL DEFAULT gen_random_uuid(),
  revision    bigint NOT NULL
);
INSERT INTO reference_revision (revision) VALUES (nextval('reference_revision_seq'));
CREATE FUNCTION reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE reference_revision SET revision = nextval('reference_revision_seq');
  RETURN NULL;
END
$$;
CREATE TRIGGER reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON indicators
  FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalogues
  FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON indicator_agencies
  FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON areas
  FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON area_merges
  FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agencies
  FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dimensions
  FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dimension_options
  FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();

-- migrate:down
DROP TRIGGER reference_changed ON dimension_options;
DROP TRIGGER reference_changed ON dimensions;
DROP TRIGGER reference_changed ON agencies;
DROP TRIGGER reference_changed ON area_merges;
DROP TRIGGER reference_changed ON areas;
DROP TRIGGER reference_changed ON indicator_agencies;
DROP TRIGGER reference_changed ON catalogues;
DROP TRIGGER reference_changed ON indicators;
DROP FUNCTION reference_changed();
DROP TABLE reference_revision;
DROP SEQUENCE reference_revision_seq;
ALTER TABLE data_batch_undo DROP COLUMN indicator_code;
ALTER TABLE data_values ADD CONSTRAINT data_values_area_id_fkey FOREIGN KEY (area_id) REFERENCES areas (id);
ALTER TABLE data_values ADD CONSTRAINT data_values_indicator_code_fkey FOREIGN KEY (indicator_code) REFERENCES indicators (code);
