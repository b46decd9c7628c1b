-- Connected directories (SCIM, LDAP) provision the people of one home;
-- names are unique per home.
CREATE TABLE external_directories (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    workspace_id TEXT,
    name_norm    TEXT NOT NULL,
    data         TEXT NOT NULL,
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id),
    UNIQUE (org_id, name_norm)
) STRICT;

-- SCIM clients' bearer tokens, hashed; several may be valid at once.
CREATE TABLE directory_tokens (
    hash         TEXT PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    directory_id TEXT NOT NULL,
    org_id       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX directory_tokens_directory ON directory_tokens (directory_id);
