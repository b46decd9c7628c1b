-- The HMAC key each organization's security webhook is signed with.
CREATE TABLE webhook_secrets (
    org_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);
