-- migrate:up
-- Work a first start still owes, such as loading the sample figures. The row is written before the work
-- starts and deleted in the work's own transaction, so a start killed half-way redoes it at the next start
-- instead of leaving half a sample behind forever.
CREATE TABLE pending_startup_steps (
  step text PRIMARY KEY,
  since timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE pending_startup_steps;
