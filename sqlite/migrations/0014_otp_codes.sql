-- One-time codes by email and text message as second factors: whether the
-- user takes codes by email, the proved phone (sealed), and the code sent
-- last (its hash, channel, expiry and tries left, as JSON; '' for none).
ALTER TABLE credentials ADD COLUMN email_codes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE credentials ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN code TEXT NOT NULL DEFAULT '';
