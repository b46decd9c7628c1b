-- Token buckets of the sign-in rate limits, shared by every node. Times are
-- Unix seconds; full_at is when the bucket is full again, after which the
-- row carries no information and may be deleted.
CREATE TABLE rate_buckets (
    key     TEXT PRIMARY KEY,
    tokens  REAL NOT NULL,
    at      REAL NOT NULL,
    rate    REAL NOT NULL, -- tokens per second
    burst   REAL NOT NULL,
    full_at REAL NOT NULL,
    ok      INTEGER NOT NULL
) STRICT;
CREATE INDEX rate_buckets_full_at ON rate_buckets (full_at);
