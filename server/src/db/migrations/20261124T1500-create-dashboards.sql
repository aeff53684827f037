-- migrate:up
-- Configurable dashboards (bảng điều khiển): tiles chosen and arranged by a specialist, saved for a person or
-- for everyone with a role, and shareable by link (what a viewer sees stays within their scope).
CREATE TABLE dashboards (
  id            uuid PRIMARY KEY,
  name          text NOT NULL CHECK (length(btrim(name)) > 0),
  owner_user_id uuid REFERENCES users (id),
  for_role      text,
  shared        boolean NOT NULL DEFAULT false,
  area_id       text NOT NULL REFERENCES areas (id),
  tiles         jsonb NOT NULL,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dashboards_owner_idx ON dashboards (owner_user_id);

-- migrate:down
DROP TABLE dashboards;
