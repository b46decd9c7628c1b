-- Answers kept for requests sent with an Idempotency-Key, per organization:
-- a retry with the same key gets the same answer instead of a second change.
-- request is a digest of the request the answer belongs to; times are Unix
-- nanoseconds, and rows past expires_at are deleted as new ones are written.
CREATE TABLE kept_answers (
    org_id     TEXT NOT NULL,
    key        TEXT NOT NULL,
    request    TEXT NOT NULL,
    status     INTEGER NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, key)
) STRICT;
CREATE INDEX kept_answers_expires_at ON kept_answers (expires_at);
