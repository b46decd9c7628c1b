-- State: one table per object kind. Typed columns carry uniqueness and
-- references; data is the object's JSON and is what reads decode. Absent
-- workspace ids are NULL so the foreign keys skip them. References carry the
-- org_id, so a row can never point into another organization.

CREATE TABLE orgs (
    id   TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    data JSONB NOT NULL
);

CREATE TABLE workspaces (
    id     TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id),
    slug   TEXT NOT NULL,
    data   JSONB NOT NULL,
    UNIQUE (org_id, slug),
    UNIQUE (org_id, id)
);

CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    workspace_id TEXT,
    email_norm   TEXT NOT NULL,
    data         JSONB NOT NULL,
    UNIQUE (org_id, email_norm),
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id)
);

CREATE TABLE groups (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    workspace_id TEXT,
    name_norm    TEXT NOT NULL,
    data         JSONB NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id)
);

-- A name is unique within one home: the organization or one workspace.
CREATE UNIQUE INDEX groups_name ON groups (org_id, COALESCE(workspace_id, ''), name_norm);

CREATE TABLE memberships (
    group_id    TEXT NOT NULL,
    member_type TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    data        JSONB NOT NULL,
    PRIMARY KEY (group_id, member_type, member_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id)
);

-- Custom roles only; built-in roles are code. A name is unique across the
-- organization and all its workspaces.
CREATE TABLE roles (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    workspace_id TEXT,
    name_norm    TEXT NOT NULL,
    data         JSONB NOT NULL,
    UNIQUE (org_id, name_norm),
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id)
);

-- role_id has no foreign key: built-in roles are not stored.
CREATE TABLE assignments (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL,
    workspace_id   TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    principal_id   TEXT NOT NULL,
    role_id        TEXT NOT NULL,
    data           JSONB NOT NULL,
    UNIQUE (workspace_id, principal_type, principal_id),
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id)
);

CREATE TABLE templates (
    id        TEXT PRIMARY KEY,
    org_id    TEXT NOT NULL REFERENCES orgs (id),
    name_norm TEXT NOT NULL,
    data      JSONB NOT NULL,
    UNIQUE (org_id, name_norm)
);

-- The operator key has neither org nor user.
CREATE TABLE api_keys (
    id      TEXT PRIMARY KEY,
    org_id  TEXT,
    user_id TEXT,
    hash    TEXT NOT NULL UNIQUE,
    data    JSONB NOT NULL
);

-- The event log. data is the event's JSON exactly as hashed; the other columns
-- repeat parts of it for filters, and VerifyChain checks they still agree.
-- org_id '' is the deployment's own chain. Events keep no foreign keys: the
-- objects they name may be deleted later. time is Unix nanoseconds. data is
-- TEXT, not JSONB: JSONB would reorder the keys and the hash would no longer match.
CREATE TABLE events (
    revision     BIGINT PRIMARY KEY,
    org_id       TEXT NOT NULL DEFAULT '',
    workspace_id TEXT NOT NULL DEFAULT '',
    time         BIGINT NOT NULL,
    actor_id     TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    data         TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);

CREATE INDEX events_org ON events (org_id, revision);
CREATE INDEX events_workspace ON events (org_id, workspace_id, revision);
CREATE INDEX events_actor ON events (org_id, actor_id, revision);
CREATE INDEX events_target ON events (org_id, target_id, revision);
CREATE INDEX events_action ON events (org_id, action, revision);

-- Every object an event changed, so the audit log can be filtered by object.
CREATE TABLE event_objects (
    object_id TEXT NOT NULL,
    revision  BIGINT NOT NULL,
    PRIMARY KEY (object_id, revision)
);

-- The last committed revision. Every write transaction reads it first.
CREATE TABLE head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);

INSERT INTO head (id, revision) VALUES (1, 0);
