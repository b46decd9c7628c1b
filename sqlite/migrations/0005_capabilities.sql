-- Workspace capabilities the platform operator added to the catalogue.
CREATE TABLE capabilities (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
) STRICT;
