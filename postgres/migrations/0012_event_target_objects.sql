-- The audit log finds an event by the object it names through event_objects
-- alone: an event's target joins the objects it changed there (most often it
-- is one of them already), and the target index goes. It was one more B-tree
-- to update on every append, on a leaf chosen at random by the target's id.
INSERT INTO event_objects (object_id, revision)
    SELECT target_id, revision FROM events WHERE target_id <> ''
    ON CONFLICT DO NOTHING;
DROP INDEX events_target;
