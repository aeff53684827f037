-- migrate:up
-- Whom this install serves (hồ sơ triển khai): the Government Office, a ministry or a province; its home
-- catalogue and area, the office's name and the tiles its pages open with. One row; every page defaults
-- from it. Set at first start from the environment, then edited by an administrator (audited). No foreign
-- keys to the reference tables: reloading them replaces their rows; the service checks the codes instead.
CREATE TABLE install_profile (
  id            integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  kind          text NOT NULL CHECK (kind IN ('government_office', 'ministry', 'province')),
  name          text NOT NULL CHECK (length(btrim(name)) > 0),
  catalogue_id  text NOT NULL,
  area_id       text NOT NULL,
  agency_code   text,
  default_tiles jsonb NOT NULL,
  version       integer NOT NULL DEFAULT 1,
  updated_by    uuid REFERENCES users (id),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE install_profile;
