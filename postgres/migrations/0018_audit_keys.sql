-- The audit log's filters by workspace, actor and action read audit_keys,
-- which is written behind the log in batches (sqlstore/audit.go) instead of
-- one index entry per event and filter inside every commit. Those three
-- indexes put each commit's entries on as many leaves as it touched
-- workspaces, actors and actions; a batch of a few hundred events writes
-- each such leaf once. head.indexed is the revision up to which audit_keys
-- is complete; the events after it are read from the log itself.
CREATE TABLE audit_keys (
    key      TEXT NOT NULL,
    revision BIGINT NOT NULL,
    PRIMARY KEY (key, revision)
);

INSERT INTO audit_keys (key, revision)
    SELECT 'w:' || workspace_id, revision FROM events WHERE workspace_id <> ''
    UNION ALL SELECT 'a:' || org_id || ':' || actor_id, revision FROM events WHERE actor_id <> ''
    UNION ALL SELECT 'c:' || org_id || ':' || action, revision FROM events
    ORDER BY 1, 2;

ALTER TABLE head ADD COLUMN indexed BIGINT NOT NULL DEFAULT 0;
UPDATE head SET indexed = revision;

DROP INDEX events_workspace;
DROP INDEX events_actor;
DROP INDEX events_action;
