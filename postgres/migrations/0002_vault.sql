-- The vault: secrets and sign-in state that never travel in events. Times are
-- Unix nanoseconds (0 for none); flags are 0 or 1. Rows name their user and
-- organization without foreign keys: deleting a user removes them in the same
-- transaction (VaultTx.ForgetUser).

CREATE TABLE credentials (
    user_id          TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    password_hash    TEXT NOT NULL DEFAULT '',
    password_set_at  BIGINT NOT NULL DEFAULT 0,
    must_change      BIGINT NOT NULL DEFAULT 0,
    history          TEXT NOT NULL DEFAULT '[]',
    failed_attempts  BIGINT NOT NULL DEFAULT 0,
    locked_until     BIGINT NOT NULL DEFAULT 0,
    totp_secret      TEXT NOT NULL DEFAULT '',
    totp_confirmed   BIGINT NOT NULL DEFAULT 0,
    totp_last_step   BIGINT NOT NULL DEFAULT 0,
    recovery         TEXT NOT NULL DEFAULT '[]',
    password_version BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    csrf_hash    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    org_id       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    mfa_pending  BIGINT NOT NULL,
    step_up_at   BIGINT NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL,
    device       TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_org ON outbox (org_id, created_at);
