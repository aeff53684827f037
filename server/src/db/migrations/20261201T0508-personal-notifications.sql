-- migrate:up
-- Notifications go to the persons who must act, in the app and by e-mail. Every account may carry an
-- e-mail address (set by the administrator or by its owner).
ALTER TABLE users ADD COLUMN email text;

-- A notification now names its recipient; the agency stays for the agency-wide reminders of old.
ALTER TABLE notifications ALTER COLUMN agency_code DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN user_id uuid;
ALTER TABLE notifications ADD CONSTRAINT notifications_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE notifications ADD COLUMN link text;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);

-- The outbox: written in the same transaction as the event, delivered by a sender that retries, so a
-- message is neither lost while the SMTP server is down nor sent twice.
ALTER TABLE outbound_messages ALTER COLUMN agency_code DROP NOT NULL;
ALTER TABLE outbound_messages ADD COLUMN user_id uuid;
ALTER TABLE outbound_messages ADD CONSTRAINT outbound_messages_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE outbound_messages ADD COLUMN recipient text;
ALTER TABLE outbound_messages ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE outbound_messages ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE outbound_messages ADD COLUMN last_error text;
CREATE INDEX outbound_messages_pending_idx ON outbound_messages (next_attempt_at) WHERE sent_at IS NULL;

-- migrate:down
DROP INDEX outbound_messages_pending_idx;
ALTER TABLE outbound_messages DROP COLUMN last_error;
ALTER TABLE outbound_messages DROP COLUMN next_attempt_at;
ALTER TABLE outbound_messages DROP COLUMN attempts;
ALTER TABLE outbound_messages DROP COLUMN recipient;
ALTER TABLE outbound_messages DROP COLUMN user_id;
DELETE FROM outbound_messages WHERE agency_code IS NULL;
ALTER TABLE outbound_messages ALTER COLUMN agency_code SET NOT NULL;
DROP INDEX notifications_user_idx;
ALTER TABLE notifications DROP COLUMN link;
ALTER TABLE notifications DROP COLUMN user_id;
DELETE FROM notifications WHERE agency_code IS NULL;
ALTER TABLE notifications ALTER COLUMN agency_code SET NOT NULL;
ALTER TABLE users DROP COLUMN email;
