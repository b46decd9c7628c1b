package sqlstore

import (
	"encoding/json"
	"errors"
	"strings"

	"gatehouse.dev/gatehouse"
)

// table maps one ObjectKind to its state table.
type table struct {
	name string
	cols []string // typed columns in INSERT order; data follows them
	nkey int      // cols[:nkey] are the primary key
	// keys decodes the object a change stores (after) or deletes into the values of cols.
	keys func(c *gatehouse.Change, after bool) ([]any, error)
	// clash says what a unique violation means. Writes upsert on the primary
	// key, so each table has exactly one other unique constraint that can fail.
	clash string
	// upsert and delete are the table's write statements, made once.
	upsert, delete string
}

func init() {
	for _, t := range tables {
		t.upsert, t.delete = t.upsertSQL(), t.deleteSQL()
	}
}

// tables is the schema of migrations/0001_init.sql, seen from Go.
var tables = map[gatehouse.ObjectKind]*table{
	gatehouse.KindOrg: {
		name: "orgs", cols: []string{"id", "slug"}, nkey: 1, clash: "slug already in use",
		keys: keysOf(func(o *gatehouse.Org) []any { return []any{string(o.ID), o.Slug} }),
	},
	gatehouse.KindWorkspace: {
		name: "workspaces", cols: []string{"id", "org_id", "slug"}, nkey: 1, clash: "slug already in use",
		keys: keysOf(func(w *gatehouse.Workspace) []any { return []any{string(w.ID), string(w.Org), w.Slug} }),
	},
	gatehouse.KindUser: {
		name: "users", cols: []string{"id", "org_id", "workspace_id", "email_norm"}, nkey: 1, clash: "email already in use",
		keys: keysOf(func(u *gatehouse.User) []any {
			return []any{string(u.ID), string(u.Org), null(u.Workspace), inHome(u.Workspace, gatehouse.NormalizeEmail(u.Email))}
		}),
	},
	gatehouse.KindGroup: {
		name: "groups", cols: []string{"id", "org_id", "workspace_id", "name_norm"}, nkey: 1, clash: "name already in use",
		keys: keysOf(func(g *gatehouse.Group) []any {
			return []any{string(g.ID), string(g.Org), null(g.Workspace), normName(g.Name)}
		}),
	},
	gatehouse.KindMembership: {
		name: "memberships", cols: []string{"group_id", "member_type", "member_id", "org_id"}, nkey: 3,
		clash: "already a member",
		keys: keysOf(func(m *gatehouse.Membership) []any {
			return []any{string(m.Group), string(m.Member.Type), m.Member.ID, string(m.Org)}
		}),
	},
	gatehouse.KindRole: {
		name: "roles", cols: []string{"id", "org_id", "workspace_id", "name_norm"}, nkey: 1, clash: "name already in use",
		keys: keysOf(func(r *gatehouse.Role) []any {
			return []any{string(r.ID), string(r.Org), null(r.Workspace), inHome(r.Workspace, normName(r.Name))}
		}),
	},
	gatehouse.KindAssignment: {
		name: "assignments", cols: []string{"id", "org_id", "workspace_id", "principal_type", "principal_id", "role_id"},
		nkey: 1, clash: "principal already has a role in this workspace",
		keys: keysOf(func(a *gatehouse.Assignment) []any {
			return []any{string(a.ID), string(a.Org), string(a.Workspace),
				string(a.Principal.Type), a.Principal.ID, string(a.Role)}
		}),
	},
	gatehouse.KindTemplate: {
		name: "templates", cols: []string{"id", "org_id", "name_norm"}, nkey: 1, clash: "name already in use",
		keys: keysOf(func(t *gatehouse.Template) []any { return []any{string(t.ID), string(t.Org), normName(t.Name)} }),
	},
	gatehouse.KindProvider: {
		name: "identity_providers", cols: []string{"id", "org_id", "workspace_id", "name_norm"}, nkey: 1, clash: "name already in use",
		keys: keysOf(func(p *gatehouse.IdentityProvider) []any {
			return []any{string(p.ID), string(p.Org), null(p.Workspace), inHome(p.Workspace, normName(p.Name))}
		}),
	},
	gatehouse.KindDomain: {
		name: "domains", cols: []string{"id", "org_id", "workspace_id", "verified_name"}, nkey: 1, clash: "domain already verified by another organization",
		keys: keysOf(func(d *gatehouse.Domain) []any {
			var verified any
			if d.Verified() {
				verified = d.Name
			}
			return []any{string(d.ID), string(d.Org), null(d.Workspace), verified}
		}),
	},
	gatehouse.KindExternalDirectory: {
		name: "external_directories", cols: []string{"id", "org_id", "workspace_id", "name_norm"}, nkey: 1, clash: "name already in use",
		keys: keysOf(func(x *gatehouse.ExternalDirectory) []any {
			return []any{string(x.ID), string(x.Org), null(x.Workspace), inHome(x.Workspace, normName(x.Name))}
		}),
	},
	gatehouse.KindAPIKey: {
		name: "api_keys", cols: []string{"id", "org_id", "user_id", "hash"}, nkey: 1, clash: "key already exists",
		keys: keysOf(func(k *gatehouse.APIKey) []any {
			return []any{string(k.ID), null(k.Org), null(k.User), k.Hash}
		}),
	},
	gatehouse.KindExclusion: {
		name: "exclusions", cols: []string{"id", "org_id", "workspace_id"}, nkey: 1, clash: "exclusion already exists",
		keys: keysOf(func(e *gatehouse.Exclusion) []any { return []any{string(e.ID), string(e.Org), null(e.Workspace)} }),
	},
	gatehouse.KindCapability: {
		name: "capabilities", cols: []string{"id"}, nkey: 1, clash: "capability already exists",
		keys: keysOf(func(c *gatehouse.CustomCapability) []any { return []any{string(c.ID)} }),
	},
}

// keysOf adapts a typed key extractor to a change's JSON, decoded once for
// every reader of the change (gatehouse.Decoded) unless the state table keeps
// another form of it (Change.State).
func keysOf[T any](f func(*T) []any) func(*gatehouse.Change, bool) ([]any, error) {
	return func(c *gatehouse.Change, after bool) ([]any, error) {
		if after && c.State != nil {
			var v T
			if err := json.Unmarshal(c.State, &v); err != nil {
				return nil, err
			}
			return f(&v), nil
		}
		v, ok := gatehouse.Decoded[T](c, after)
		if !ok {
			return nil, errors.New("not the JSON of its kind")
		}
		return f(v), nil
	}
}

// null stores an absent optional id as NULL, not "", so foreign keys skip it.
func null[S ~string](s S) any {
	if s == "" {
		return nil
	}
	return string(s)
}

// inHome qualifies a value that is unique per home (migration 0008): the
// home's workspace id, empty for the organization, then a space.
func inHome(ws gatehouse.WorkspaceID, v string) string { return string(ws) + " " + v }

// normName is the form names are unique in: trimmed and lower-cased.
func normName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// upsertSQL inserts a row or, when its primary key exists, replaces it.
func (t *table) upsertSQL() string {
	cols := append(append([]string(nil), t.cols...), "data")
	set := make([]string, 0, len(cols)-t.nkey)
	for _, c := range cols[t.nkey:] {
		set = append(set, c+" = excluded."+c)
	}
	return "INSERT INTO " + t.name + " (" + strings.Join(cols, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ") ON CONFLICT (" +
		strings.Join(cols[:t.nkey], ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
}

// deleteSQL deletes the row with the given primary key.
func (t *table) deleteSQL() string {
	return "DELETE FROM " + t.name + " WHERE " + strings.Join(t.cols[:t.nkey], " = ? AND ") + " = ?"
}

// orderBy lists rows in primary-key order, so snapshots are deterministic.
func (t *table) orderBy() string { return strings.Join(t.cols[:t.nkey], ", ") }
