-- Exclusions: capabilities taken away from a principal (or an email) in one
-- workspace, or in every workspace of the organization when workspace_id is
-- NULL. They win over every grant.
CREATE TABLE exclusions (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    workspace_id TEXT,
    data         JSONB NOT NULL,
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id)
);
