-- Nothing to do here: SQLite's 0019 makes event_objects a WITHOUT ROWID
-- table, which PostgreSQL has no equivalent of (its primary key index is
-- already the only index). The number stays the same in both stores.
SELECT 1;
