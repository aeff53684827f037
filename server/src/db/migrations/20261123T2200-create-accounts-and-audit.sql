-- migrate:up
-- Accounts (tài khoản). `external_issuer`/`external_subject` let an OpenID Connect provider (a government SSO)
-- sign users in later without a new user model; local accounts have a password hash instead.
CREATE TABLE users (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username             text NOT NULL UNIQUE CHECK (username = lower(username) AND username ~ '^[a-z0-9._-]{3,64}$'),
  display_name         text NOT NULL,
  role                 text NOT NULL CHECK (role IN ('admin', 'leader', 'office_specialist', 'reporter', 'approver', 'viewer')),
  scope_agencies       text[],
  scope_area_id        text REFERENCES areas (id),
  password_hash        text,
  must_change_password boolean NOT NULL DEFAULT false,
  external_issuer      text,
  external_subject     text,
  disabled_at          timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (external_issuer, external_subject)
);

-- Sessions behind the session cookie; only a hash of the cookie value is stored.
CREATE TABLE sessions (
  token_hash   text PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  ip           text,
  user_agent   text,
  revoked_at   timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- API tokens for system-to-system exchange, scoped to an agency and an area; stored hashed, shown once.
CREATE TABLE api_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL,
  token_hash    text NOT NULL UNIQUE,
  token_prefix  text NOT NULL,
  agency_code   text REFERENCES agencies (code),
  area_id       text REFERENCES areas (id),
  can_write     boolean NOT NULL DEFAULT false,
  created_by    uuid REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  last_used_at  timestamptz,
  revoked_at    timestamptz
);

-- Failed sign-ins, for throttling by user name and by address.
CREATE TABLE login_failures (
  username  text NOT NULL,
  ip        text,
  failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username_idx ON login_failures (username, failed_at);

-- The audit trail (nhật ký): who did what, when, from where, to what, and why. Append-only for the
-- application: the trigger refuses every UPDATE and DELETE.
CREATE TABLE audit_log (
  id             bigserial PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  actor_user_id  uuid,
  actor_username text,
  actor_token_id uuid,
  ip             text,
  user_agent     text,
  action         text NOT NULL,
  outcome        text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  entity_type    text NOT NULL,
  entity_id      text,
  before         jsonb,
  after          jsonb,
  reason         text
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, at);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- migrate:down
DROP TRIGGER audit_log_no_update ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_log;
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
