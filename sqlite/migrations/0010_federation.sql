-- Identity providers sign in the people of one home (the organization, or
-- one workspace); names are unique per home.
CREATE TABLE identity_providers (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    workspace_id TEXT,
    name_norm    TEXT NOT NULL,
    data         TEXT NOT NULL,
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id),
    UNIQUE (org_id, name_norm)
) STRICT;

-- Email domains claimed by a home. Any number of claims may wait for their
-- DNS proof; once proven, a domain belongs to that claim alone.
CREATE TABLE domains (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    workspace_id  TEXT,
    verified_name TEXT,
    data          TEXT NOT NULL,
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id),
    UNIQUE (verified_name)
) STRICT;

-- A provider's secrets (OIDC client secret, SAML SP private key), sealed
-- under the deployment's key; never in an event.
CREATE TABLE provider_secrets (
    provider_id TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    sealed      TEXT NOT NULL
) STRICT;

-- Keys used once until they expire, on every node: SAML assertion ids
-- (replay), OIDC token ids.
CREATE TABLE seen_once (
    key        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX seen_once_expires_at ON seen_once (expires_at);
