-- Users' pictures, re-encoded as PNG; events carry only their hash.
CREATE TABLE avatars (
    user_id TEXT PRIMARY KEY,
    org_id  TEXT NOT NULL,
    hash    TEXT NOT NULL,
    png     BLOB NOT NULL
) STRICT;
