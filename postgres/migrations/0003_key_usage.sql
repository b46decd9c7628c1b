-- When each API key was last used, written at most once a minute per key and node.
CREATE TABLE key_usage (
    key_id       TEXT PRIMARY KEY,
    last_used_at BIGINT NOT NULL,
    last_ip      TEXT NOT NULL DEFAULT ''
);
