-- event_objects keeps its rows in the primary key's B-tree alone. As a rowid
-- table it was two B-trees, the rows in rowid order and an index on (object,
-- revision) beside them, and every event wrote both.
CREATE TABLE event_objects_clustered (
    object_id TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    PRIMARY KEY (object_id, revision)
) STRICT, WITHOUT ROWID;
INSERT INTO event_objects_clustered (object_id, revision)
    SELECT object_id, revision FROM event_objects;
DROP TABLE event_objects;
ALTER TABLE event_objects_clustered RENAME TO event_objects;
