-- Token buckets of the sign-in rate limits, shared by every node. Times are
-- Unix seconds; full_at is when the bucket is full again, after which the
-- row carries no information and may be deleted.
CREATE TABLE rate_buckets (
    key     TEXT PRIMARY KEY,
    tokens  DOUBLE PRECISION NOT NULL,
    at      DOUBLE PRECISION NOT NULL,
    rate    DOUBLE PRECISION NOT NULL, -- tokens per second
    burst   DOUBLE PRECISION NOT NULL,
    full_at DOUBLE PRECISION NOT NULL,
    ok      INTEGER NOT NULL
);
CREATE INDEX rate_buckets_full_at ON rate_buckets (full_at);
