-- Notifications kept for each person's list in the console, their choices
-- per category, announcements with their audience and window, and the
-- devices each person has signed in from (a hash of the browser family and
-- the network), to tell a new one. Times are Unix nanoseconds; read_at 0 is unread.
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    category   TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);

CREATE TABLE notification_prefs (
    user_id  TEXT NOT NULL,
    org_id   TEXT NOT NULL,
    category TEXT NOT NULL,
    email    INTEGER NOT NULL,
    console  INTEGER NOT NULL,
    PRIMARY KEY (user_id, category)
);

CREATE TABLE announcements (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    group_id     TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX announcements_org ON announcements (org_id, ends_at);

CREATE TABLE seen_devices (
    user_id    TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    device     TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    PRIMARY KEY (user_id, device)
);
