-- Passkeys live with the rest of a user's sign-in material.
ALTER TABLE credentials ADD COLUMN passkeys TEXT NOT NULL DEFAULT '[]';

-- WebAuthn ceremonies under way: each challenge is answered once.
CREATE TABLE ceremonies (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX ceremonies_expires_at ON ceremonies (expires_at);
