package notify

import (
	"encoding/json"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/engine"
)

// Namer names objects by id for notices: from the change itself first, since
// a workspace made in this change (with its template's assignments) is not
// in the index yet, then from the index; an unknown id stays an id. The
// change's objects are read on the first notice only: most changes (a batch
// of a thousand users, say) make none.
func Namer(idx *engine.Index, events []*gh.Event) func(id string) string {
	var names map[string]string
	return func(id string) string {
		if names == nil {
			names = changeNames(events)
		}
		switch {
		case names[id] != "":
			return names[id]
		case idx.Workspace(gh.WorkspaceID(id)) != nil:
			return idx.Workspace(gh.WorkspaceID(id)).Name
		case idx.Group(gh.GroupID(id)) != nil:
			return idx.Group(gh.GroupID(id)).Name
		case idx.User(gh.UserID(id)) != nil:
			return idx.User(gh.UserID(id)).Email
		case idx.Role(gh.RoleID(id)) != nil:
			return idx.Role(gh.RoleID(id)).Name
		}
		return id
	}
}

// changeNames maps the id of every object events write to its name or email.
func changeNames(events []*gh.Event) map[string]string {
	names := map[string]string{}
	for _, ev := range events {
		for _, c := range ev.Changes {
			var o struct {
				ID    string `json:"id"`
				Name  string `json:"name"`
				Email string `json:"email"`
			}
			if Decode(c.After, &o) && o.ID != "" {
				names[o.ID] = first(o.Name, o.Email)
			}
		}
	}
	return names
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Decode reads one side of a change; false when it is absent or unreadable.
func Decode(raw json.RawMessage, v any) bool {
	return len(raw) > 0 && json.Unmarshal(raw, v) == nil
}

// Before and After read one side of a change as a T, false when it is empty:
// decoded once for all the change's readers in its commit (gh.Decoded).
func Before[T any](c *gh.Change) (T, bool) { return side[T](c, false) }

// After: see Before.
func After[T any](c *gh.Change) (T, bool) { return side[T](c, true) }

// Became returns c's object after it, and true when is holds for it now and
// did not before (or the object did not exist).
func Became[T any](c *gh.Change, is func(*T) bool) (T, bool) {
	after, ok := After[T](c)
	if !ok || !is(&after) {
		return after, false
	}
	before, had := Before[T](c)
	return after, !had || !is(&before)
}

func side[T any](c *gh.Change, after bool) (T, bool) {
	if v, ok := gh.Decoded[T](c, after); ok {
		return *v, true
	}
	var zero T
	return zero, false
}

// ActorName names who made a change, for a notice.
func ActorName(ev *gh.Event) string {
	switch {
	case ev.Actor.Email != "":
		return ev.Actor.Email
	case ev.Actor.Type != "":
		return string(ev.Actor.Type)
	}
	return "unknown"
}
