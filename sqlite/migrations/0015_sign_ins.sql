-- Each user's last successful sign-in, kept in the transaction that appends
-- the sign-in's event, so activity reports and the inactive-account filter
-- read one row per user instead of the organization's whole log.
CREATE TABLE sign_ins (
    org_id  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
) STRICT, WITHOUT ROWID;

-- The sign-ins already in the log. An identity provider's sign-in names the
-- provider as its target and the user as its actor.
INSERT INTO sign_ins (org_id, user_id, last_at)
SELECT org_id, CASE WHEN action = 'login.sso' THEN actor_id ELSE target_id END, MAX(time)
FROM events
WHERE action IN ('login.success', 'login.passkey', 'login.sso') AND org_id <> ''
GROUP BY org_id, CASE WHEN action = 'login.sso' THEN actor_id ELSE target_id END;

-- Reports count sign-ins over a period from this index alone: one action's
-- events of an organization in a time range, with whose sign-in each is.
-- Partial, so that no other event's write pays for it.
CREATE INDEX events_sign_ins ON events (org_id, action, time, workspace_id, target_id, actor_id)
    WHERE action IN ('login.success', 'login.passkey', 'login.sso', 'login.failure');
