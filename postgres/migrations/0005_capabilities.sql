-- Workspace capabilities the platform operator added to the catalogue.
CREATE TABLE capabilities (
    id   TEXT PRIMARY KEY,
    data JSONB NOT NULL
);
