package directory

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/engine"
)

// What-if. A what-if runs a batch's operations as its dry run would — the
// same rules, the same actor — and, before they run and after, inside the
// same batch so nothing interleaves, asks the index what the users they
// touch hold. The difference is the answer; the batch is then undone, so
// nothing is written. Only the users the operations reach are compared (a
// member taken out of a group, the holders of a role, whoever works in a
// suspended workspace), never the whole organization.

// MaxImpactRows bounds the losses, and the gains, one what-if lists.
const MaxImpactRows = 1000

// ImpactUser is a user as a what-if names it.
type ImpactUser struct {
	ID    gh.UserID `json:"id"`
	Email string    `json:"email"`
	Name  string    `json:"name"`
}

// ImpactWorkspace is a workspace as a what-if names it.
type ImpactWorkspace struct {
	ID   gh.WorkspaceID `json:"id"`
	Name string         `json:"name"`
}

// AccessChange is one capability whose level a user would see change: in a
// workspace, or with Workspace nil in the organization (its organization role).
type AccessChange struct {
	User       ImpactUser       `json:"user"`
	Workspace  *ImpactWorkspace `json:"workspace,omitempty"`
	Capability gh.Capability    `json:"capability"`
	From       gh.Level         `json:"from"`
	To         gh.Level         `json:"to"`
}

// Impact is what a batch would do to access, without doing it.
type Impact struct {
	// Results are the operations' results, as the batch's dry run answers them.
	Results []BatchResult `json:"results"`
	// Losses and Gains list the levels that would fall and rise, by user
	// email, workspace name and capability; at most MaxImpactRows each.
	Losses []AccessChange `json:"losses"`
	Gains  []AccessChange `json:"gains"`
	// UsersAffected counts the users with a loss or a gain, listed or not.
	UsersAffected int `json:"users_affected"`
	// Truncated is set when Losses or Gains were cut at MaxImpactRows.
	Truncated bool `json:"truncated"`
	// Revision is the revision the answer was worked out at.
	Revision gh.Revision `json:"revision"`
}

// WhatIf runs ops at organization o as a dry-run batch by a and returns who
// would lose and gain which capability where. Nothing is written: no event,
// no revision, the index as it was. The caller sees only the users and
// workspaces it may see; anything else is left out. Errors are those of
// ApplyBatch with dryRun: KindInvalid (*BatchError naming every refused
// operation, or a batch empty or too large), what the write path returns.
func (d *Directory) WhatIf(ctx context.Context, a *Actor, o *gh.Org, ops []BatchOp) (*Impact, error) {
	if err := checkBatchSize(ops); err != nil {
		return nil, err
	}
	var imp *Impact
	rev, err := d.batch(ctx, a, gh.NewID("bat"), true, func(ctx context.Context) error {
		s := &whatIf{d: d, a: a, org: o, users: map[gh.UserID]*whatIfUser{}, ws: map[gh.WorkspaceID]*whatIfWS{}}
		s.look(ops, nil, false)
		results, refs, err := d.runOps(ctx, a, o, ops)
		if err != nil {
			return err
		}
		s.look(ops, refs, true)
		imp = s.impact()
		imp.Results = results
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	imp.Revision = rev
	return imp, nil
}

// whatIf is one what-if under way: the users it compares and the workspaces
// they reach, as first seen (before the operations when they existed then).
type whatIf struct {
	d     *Directory
	a     *Actor
	org   *gh.Org
	users map[gh.UserID]*whatIfUser
	ws    map[gh.WorkspaceID]*whatIfWS
}

type whatIfUser struct {
	who           ImpactUser
	visible       bool
	before, after engine.Holdings
}

type whatIfWS struct {
	who     ImpactWorkspace
	visible bool
}

// look records what the users the operations reach hold now: before the
// operations ran, or after (then refs names what they created).
func (s *whatIf) look(ops []BatchOp, refs map[string]string, after bool) {
	x := s.d.idx
	for _, id := range s.candidates(ops, refs) {
		wu := s.users[id]
		if wu == nil {
			u := x.User(id)
			if u == nil || u.Org != s.org.ID {
				continue
			}
			wu = &whatIfUser{who: ImpactUser{ID: u.ID, Email: u.Email, Name: u.DisplayName()}, visible: s.d.seesUser(s.a, u)}
			s.users[id] = wu
		}
		if after {
			wu.after = s.holdings(id)
		} else {
			wu.before = s.holdings(id)
		}
	}
	if after { // users seen only before the operations (holders of a deleted role, say)
		for id, wu := range s.users {
			if wu.after.Workspaces == nil {
				wu.after = s.holdings(id)
			}
		}
	}
}

// holdings is what user id holds now, recording each workspace it reaches
// as first seen.
func (s *whatIf) holdings(id gh.UserID) engine.Holdings {
	h := s.d.idx.Holdings(id)
	for w := range h.Workspaces {
		if s.ws[w] == nil {
			if ws := s.d.idx.Workspace(w); ws != nil {
				s.ws[w] = &whatIfWS{who: ImpactWorkspace{ID: ws.ID, Name: ws.Name}, visible: s.d.seesWorkspace(s.a, ws)}
			}
		}
	}
	return h
}

// candidates lists the users whose access the operations may change: the
// users of a member added or removed, of an assignment's principal, of a
// deleted group; the users named; the holders of a role changed or deleted;
// whoever a changed or deleted workspace reaches. Identifiers the operations
// create ("$ref") count only once refs names them.
func (s *whatIf) candidates(ops []BatchOp, refs map[string]string) []gh.UserID {
	x := s.d.idx
	set := map[gh.UserID]struct{}{}
	add := func(ids []gh.UserID) {
		for _, id := range ids {
			set[id] = struct{}{}
		}
	}
	under := func(p *gh.Principal) {
		if p != nil && p.ID != "" {
			if id, ok := resolved(p.ID, refs); ok {
				add(x.UsersUnder(gh.Principal{Type: p.Type, ID: id}))
			}
		}
	}
	for _, op := range ops {
		id, ok := resolved(op.ID, refs)
		var body struct {
			Member    *gh.Principal `json:"member"`
			Principal *gh.Principal `json:"principal"`
		}
		_ = json.Unmarshal(op.Body, &body) // a body that does not fit is refused by the operation itself
		switch op.Type {
		case "user":
			if ok {
				add([]gh.UserID{gh.UserID(id)})
			}
		case "group":
			if ok {
				under(&gh.Principal{Type: gh.PrincipalGroup, ID: id})
			}
		case "membership":
			under(body.Member)
		case "assignment":
			under(body.Principal)
			if ok {
				if as := x.Assignment(gh.AssignmentID(id)); as != nil {
					under(&as.Principal)
				}
			}
		case "role":
			if ok {
				for _, as := range x.AssignmentsWithRole(s.org.ID, gh.RoleID(id)) {
					under(&as.Principal)
				}
			}
		case "workspace":
			if !ok {
				continue
			}
			w := x.Workspace(gh.WorkspaceID(id))
			if w == nil {
				w = x.WorkspaceBySlug(s.org.ID, id)
			}
			if w != nil && w.Org == s.org.ID {
				add(x.UsersReaching(w.ID))
			}
		}
	}
	out := make([]gh.UserID, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// resolved is id with a "$ref" replaced by what refs names; false when it
// names nothing (yet).
func resolved(id string, refs map[string]string) (string, bool) {
	if id == "" {
		return "", false
	}
	name, isRef := strings.CutPrefix(id, "$")
	if !isRef {
		return id, true
	}
	v, ok := refs[name]
	return v, ok && v != ""
}

// impact compares what each user held before and after, as the actor may see it.
func (s *whatIf) impact() *Impact {
	imp := &Impact{Losses: []AccessChange{}, Gains: []AccessChange{}}
	affected := map[gh.UserID]bool{}
	orgRows := s.a.User == nil || s.a.User.IsOrg() // a workspace user reads no organization role
	for _, wu := range s.users {
		if !wu.visible {
			continue
		}
		note := func(w *ImpactWorkspace, c gh.Capability, from, to gh.Level) {
			ch := AccessChange{User: wu.who, Workspace: w, Capability: c, From: from, To: to}
			switch {
			case to < from:
				imp.Losses = append(imp.Losses, ch)
			case to > from:
				imp.Gains = append(imp.Gains, ch)
			default:
				return
			}
			affected[wu.who.ID] = true
		}
		if orgRows {
			compareLevels(wu.before.Org, wu.after.Org, func(c gh.Capability, from, to gh.Level) { note(nil, c, from, to) })
		}
		reached := map[gh.WorkspaceID]map[gh.Capability]gh.Level{}
		maps.Copy(reached, wu.before.Workspaces)
		maps.Copy(reached, wu.after.Workspaces)
		for w := range reached {
			info := s.ws[w]
			if info == nil || !info.visible {
				continue
			}
			who := info.who
			compareLevels(wu.before.Workspaces[w], wu.after.Workspaces[w], func(c gh.Capability, from, to gh.Level) { note(&who, c, from, to) })
		}
	}
	imp.UsersAffected = len(affected)
	sortChanges(imp.Losses)
	sortChanges(imp.Gains)
	if len(imp.Losses) > MaxImpactRows || len(imp.Gains) > MaxImpactRows {
		imp.Truncated = true
		imp.Losses = imp.Losses[:min(len(imp.Losses), MaxImpactRows)]
		imp.Gains = imp.Gains[:min(len(imp.Gains), MaxImpactRows)]
	}
	return imp
}

// compareLevels calls fn for every capability of before or after, with both levels.
func compareLevels(before, after map[gh.Capability]gh.Level, fn func(c gh.Capability, from, to gh.Level)) {
	for c, from := range before {
		fn(c, from, after[c])
	}
	for c, to := range after {
		if _, seen := before[c]; !seen {
			fn(c, gh.LevelNone, to)
		}
	}
}

// sortChanges orders changes by user email, workspace name (the
// organization's own first) and capability, ids breaking ties.
func sortChanges(cs []AccessChange) {
	ws := func(c AccessChange) (string, gh.WorkspaceID) {
		if c.Workspace == nil {
			return "", ""
		}
		return c.Workspace.Name, c.Workspace.ID
	}
	slices.SortFunc(cs, func(x, y AccessChange) int {
		xn, xid := ws(x)
		yn, yid := ws(y)
		return cmp.Or(cmp.Compare(x.User.Email, y.User.Email), cmp.Compare(x.User.ID, y.User.ID),
			cmp.Compare(xn, yn), cmp.Compare(xid, yid), cmp.Compare(x.Capability, y.Capability))
	})
}
