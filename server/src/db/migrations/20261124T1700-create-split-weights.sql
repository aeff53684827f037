-- migrate:up
-- How an old unit split among several new ones shares its figures (phân bổ khi chia tách): by default
-- equally; an office can set population or area shares here. Each row is old → new with a weight; the
-- weights of one old unit are used as given (they should add up to 1).
CREATE TABLE area_split_weights (
  old_area_id text NOT NULL REFERENCES areas (id),
  new_area_id text NOT NULL REFERENCES areas (id),
  weight      numeric NOT NULL CHECK (weight >= 0 AND weight <= 1),
  basis       text NOT NULL CHECK (basis IN ('population', 'area', 'other')),
  updated_by  uuid REFERENCES users (id),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (old_area_id, new_area_id)
);

-- migrate:down
DROP TABLE area_split_weights;
