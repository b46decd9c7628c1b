package directory

import (
	"context"
	"encoding/json"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/engine"
)

// Question names a user, a workspace and a capability by id, or by email and
// slug within Org (an id or slug).
type Question struct {
	Org        string
	User       string
	Workspace  string
	Capability gh.Capability
	Level      gh.Level
}

// resolveUser finds the user a question is about. Only the operator, the
// user's Org Admins and the user itself may ask (others' users are "not found").
func (d *Directory) resolveUser(a *Actor, orgRef, ref string) (*gh.User, error) {
	u, err := d.findAsked(a, orgRef, ref)
	if err != nil {
		return nil, err
	}
	if d.mayAsk(a, u.Org, u.ID) {
		return u, nil
	}
	return nil, errMayNotAsk
}

// findAsked finds the user a question names, among those the actor sees.
func (d *Directory) findAsked(a *Actor, orgRef, ref string) (*gh.User, error) {
	if err := d.questionOrg(a, orgRef, ref); err != nil {
		return nil, err
	}
	var u *gh.User
	if gh.HasIDPrefix(ref, "usr") {
		u = d.idx.User(gh.UserID(ref))
	} else if orgRef != "" {
		if o, err := d.Org(a, orgRef); err == nil {
			var err error
			if u, err = d.userByEmail(a, o.ID, ref); err != nil {
				return nil, err
			}
		}
	} else if a.User != nil {
		var err error
		if u, err = d.userByEmail(a, a.User.Org, ref); err != nil {
			return nil, err
		}
	}
	if u == nil || !d.seesUser(a, u) {
		return nil, gh.NotFound("user")
	}
	return u, nil
}

var errMayNotAsk = gh.Forbidden("you may ask about yourself only; Organization Admins may ask about anyone in their organization, " +
	"and those who assign roles in a workspace about the people they see there")

// userByEmail finds the one user of org with that email among those the
// actor sees; the actor itself wins. The same email may live in several
// homes: when the actor sees more than one, the user must be named by id.
func (d *Directory) userByEmail(a *Actor, org gh.OrgID, email string) (*gh.User, error) {
	var seen []*gh.User
	for _, u := range d.idx.UsersByEmail(org, email) {
		if a.User != nil && a.User.ID == u.ID {
			return u, nil
		}
		if d.seesUser(a, u) {
			seen = append(seen, u)
		}
	}
	switch len(seen) {
	case 0:
		return nil, nil
	case 1:
		return seen[0], nil
	}
	return nil, gh.Invalid("ambiguous_user", "user", "belongs to users of several homes (the organization and workspaces); name the user by id")
}

// mayAsk reports whether the actor may ask about user u of org: the operator,
// the organization's admins, and the user itself.
func (d *Directory) mayAsk(a *Actor, org gh.OrgID, u gh.UserID) bool {
	return a.Operator || a.System || (a.User != nil && (a.User.ID == u || d.isOrgAdmin(a, org)))
}

// resolveQuestionWorkspace finds a workspace by id, or by slug in org. A
// workspace of another organization is "not found" except for the operator,
// whose question is then simply denied; so is one the actor may not see.
func (d *Directory) resolveQuestionWorkspace(a *Actor, org gh.OrgID, ref string) (*gh.Workspace, error) {
	var w *gh.Workspace
	if gh.HasIDPrefix(ref, "ws") {
		w = d.idx.Workspace(gh.WorkspaceID(ref))
	} else {
		w = d.idx.WorkspaceBySlug(org, ref)
	}
	if w == nil || (!a.Operator && (w.Org != org || !d.seesWorkspace(a, w))) {
		return nil, gh.NotFound("workspace")
	}
	return w, nil
}

func (d *Directory) question(a *Actor, q Question) (*gh.User, *gh.Workspace, error) {
	f := gh.Fields{}
	if q.User == "" {
		f.Add("user", "is required")
	}
	if q.Workspace == "" {
		f.Add("workspace", "is required")
	}
	d.checkCapability(f, q.Capability, gh.ScopeWorkspace)
	if err := f.Err(); err != nil {
		return nil, nil, err
	}
	u, err := d.resolveUser(a, q.Org, q.User)
	if err == errMayNotAsk {
		return d.questionInWorkspace(a, q)
	}
	if err != nil {
		return nil, nil, err
	}
	w, err := d.resolveQuestionWorkspace(a, u.Org, q.Workspace)
	if err != nil {
		return nil, nil, err
	}
	return u, w, nil
}

// questionInWorkspace lets those who assign roles in a workspace ask about
// the people they see there — a customer's admin troubleshooting its own
// staff — and about that workspace only: the answer tells nothing they could
// not read from the workspace's own assignments.
func (d *Directory) questionInWorkspace(a *Actor, q Question) (*gh.User, *gh.Workspace, error) {
	u, err := d.findAsked(a, q.Org, q.User)
	if err != nil {
		return nil, nil, err
	}
	w, err := d.resolveQuestionWorkspace(a, u.Org, q.Workspace)
	if err != nil {
		return nil, nil, err
	}
	if a.User == nil || !d.idx.Check(a.User.ID, w.ID, gh.CapRolesAssign, gh.LevelFull).Allowed {
		return nil, nil, errMayNotAsk
	}
	return u, w, nil
}

func (d *Directory) checkCapability(f gh.Fields, c gh.Capability, scope gh.Scope) {
	ci, ok := d.idx.Catalogue().Lookup(c)
	switch {
	case c == "":
		f.Add("capability", "is required")
	case !ok:
		f.Add("capability", "is not a known capability (see /v1/capabilities)")
	case ci.Scope != scope:
		f.Add("capability", "is a "+string(ci.Scope)+" capability; ask the "+string(ci.Scope)+" form of the question")
	}
}

// Check answers whether the user may use the capability in the workspace.
func (d *Directory) Check(a *Actor, q Question) (engine.Decision, error) {
	// The platform's services ask by ids thousands of times a second: answer
	// those from one read of the index, and leave every other case (names,
	// unknown objects, refusals) to the full path, which explains the error.
	if gh.HasIDPrefix(q.User, "usr") && gh.HasIDPrefix(q.Workspace, "ws") {
		uid := gh.UserID(q.User)
		dec, userOrg, wsOrg, known := d.idx.CheckIDs(uid, gh.WorkspaceID(q.Workspace), q.Capability, q.Level)
		if known && userOrg != "" && wsOrg != "" && (a.Operator || wsOrg == userOrg) && d.mayAsk(a, userOrg, uid) &&
			(q.Org == "" || q.Org == string(userOrg)) {
			if ci, _ := d.idx.Catalogue().Lookup(q.Capability); ci.Scope == gh.ScopeWorkspace {
				return dec, nil
			}
		}
	}
	u, w, err := d.question(a, q)
	if err != nil {
		return engine.Decision{}, err
	}
	return d.idx.Check(u.ID, w.ID, q.Capability, q.Level), nil
}

// Explain answers like Check with the reasons.
func (d *Directory) Explain(a *Actor, q Question) (*engine.Explanation, error) {
	u, w, err := d.question(a, q)
	if err != nil {
		return nil, err
	}
	return d.idx.Explain(u.ID, w.ID, q.Capability, q.Level), nil
}

// CheckOrg answers whether the user holds an organization capability.
func (d *Directory) CheckOrg(a *Actor, orgRef, userRef string, c gh.Capability) (engine.Decision, error) {
	f := gh.Fields{}
	if userRef == "" {
		f.Add("user", "is required")
	}
	d.checkCapability(f, c, gh.ScopeOrganization)
	if err := f.Err(); err != nil {
		return engine.Decision{}, err
	}
	u, err := d.resolveUser(a, orgRef, userRef)
	if err != nil {
		return engine.Decision{}, err
	}
	return d.idx.CheckOrg(u.ID, u.Org, c), nil
}

// ExplainOrg answers CheckOrg with the reasons.
func (d *Directory) ExplainOrg(a *Actor, orgRef, userRef string, c gh.Capability) (*engine.Explanation, error) {
	f := gh.Fields{}
	if userRef == "" {
		f.Add("user", "is required")
	}
	d.checkCapability(f, c, gh.ScopeOrganization)
	if err := f.Err(); err != nil {
		return nil, err
	}
	u, err := d.resolveUser(a, orgRef, userRef)
	if err != nil {
		return nil, err
	}
	return d.idx.ExplainOrg(u.ID, u.Org, c), nil
}

// LookupPage is a Page of a lookup, in id order, whose answers carry their
// paths only when Paths is set.
type LookupPage struct {
	Page
	Paths bool
}

// check adds a field error for a cursor that is not an id of the kind listed
// (a workspace's "ws", a user's "usr"): no answer could have given it.
func (p LookupPage) check(f gh.Fields, prefix string) {
	if p.After != "" && !gh.HasIDPrefix(p.After, prefix) {
		f.Add("cursor", "must be the next_cursor of an earlier answer")
	}
}

func (p LookupPage) engine() engine.LookupPage {
	return engine.LookupPage{After: p.After, Limit: p.limit(), Paths: p.Paths}
}

// LookupWorkspaces lists one page of the workspaces where the user holds the
// capability, by id.
func (d *Directory) LookupWorkspaces(a *Actor, orgRef, userRef string, c gh.Capability, l gh.Level, p LookupPage) (List[engine.WorkspaceAccess], gh.Revision, error) {
	f := gh.Fields{}
	if userRef == "" {
		f.Add("user", "is required")
	}
	d.checkCapability(f, c, gh.ScopeWorkspace)
	p.check(f, "ws")
	if err := f.Err(); err != nil {
		return List[engine.WorkspaceAccess]{}, 0, err
	}
	u, err := d.resolveUser(a, orgRef, userRef)
	if err != nil {
		return List[engine.WorkspaceAccess]{}, 0, err
	}
	out, more, rev := d.idx.LookupWorkspaces(u.ID, c, l, p.engine())
	return paged(out, more, func(w engine.WorkspaceAccess) string { return string(w.Workspace) }), rev, nil
}

// LookupUsers lists one page of the users holding the capability in the
// workspace, by id (operator and the organization's admins only).
func (d *Directory) LookupUsers(a *Actor, orgRef, wsRef string, c gh.Capability, l gh.Level, p LookupPage) (List[engine.UserAccess], gh.Revision, error) {
	f := gh.Fields{}
	if wsRef == "" {
		f.Add("workspace", "is required")
	}
	d.checkCapability(f, c, gh.ScopeWorkspace)
	p.check(f, "usr")
	if err := f.Err(); err != nil {
		return List[engine.UserAccess]{}, 0, err
	}
	var org gh.OrgID
	if orgRef != "" {
		o, err := d.Org(a, orgRef)
		if err != nil {
			return List[engine.UserAccess]{}, 0, err
		}
		org = o.ID
	} else if a.User != nil {
		org = a.User.Org
	}
	w, err := d.resolveQuestionWorkspace(a, org, wsRef)
	if err != nil {
		return List[engine.UserAccess]{}, 0, err
	}
	if !a.Operator && !d.isOrgAdmin(a, w.Org) {
		return List[engine.UserAccess]{}, 0, gh.Forbidden("only Organization Admins may list who holds a capability")
	}
	out, more, rev := d.idx.LookupUsers(w.ID, c, l, p.engine())
	return paged(out, more, func(u engine.UserAccess) string { return string(u.User) }), rev, nil
}

// ListEvents returns audit events of the scope, newest first: the
// organization's for its admins and the operator; a workspace's for those
// who hold workspace.settings.view there.
func (d *Directory) ListEvents(ctx context.Context, a *Actor, s Scope, f gh.EventFilter) ([]*gh.Event, error) {
	if err := d.mayAudit(a, s); err != nil {
		return nil, err
	}
	f.Org = s.Org.ID
	if s.Workspace != nil {
		f.Workspace = s.Workspace.ID
	}
	evs, err := withoutKeyHashes(d.store.ListEvents(ctx, f))
	if err != nil {
		return nil, err
	}
	return d.eventsSeenBy(a, s.Org, evs), nil
}

// withoutKeyHashes hides the key hashes that events written before keys'
// hashes left the log still carry: no audit reader sees anything derived
// from a key's secret. (The stored events, and so their chain, are untouched.)
func withoutKeyHashes(evs []*gh.Event, err error) ([]*gh.Event, error) {
	for _, ev := range evs {
		for i := range ev.Changes {
			if c := &ev.Changes[i]; c.Kind == gh.KindAPIKey {
				c.Before, c.After = dropHash(c.Before), dropHash(c.After)
			}
		}
	}
	return evs, err
}

func dropHash(raw json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return raw
	}
	if _, ok := m["hash"]; !ok {
		return raw
	}
	delete(m, "hash")
	return gh.MustJSON(m)
}

// ListOperatorEvents lists the deployment's own events — the operator's
// changes to the capability catalogue and its keys — newest first (operator only).
func (d *Directory) ListOperatorEvents(ctx context.Context, a *Actor, f gh.EventFilter) ([]*gh.Event, error) {
	if err := requireOperator(a, "read the deployment's audit log"); err != nil {
		return nil, err
	}
	f.Org, f.Workspace = "", ""
	return withoutKeyHashes(d.store.ListEvents(ctx, f))
}

// VerifyOperatorChain re-computes the hash chain of the deployment's own events (operator only).
func (d *Directory) VerifyOperatorChain(ctx context.Context, a *Actor) (*gh.ChainReport, error) {
	if err := requireOperator(a, "verify the deployment's audit log"); err != nil {
		return nil, err
	}
	return d.store.VerifyChain(ctx, "")
}

func (d *Directory) mayAudit(a *Actor, s Scope) error {
	if a.Operator {
		return nil
	}
	if s.Workspace == nil {
		return d.requireOrgAdmin(a, s.Org.ID, "read the organization's audit log")
	}
	return d.requireCap(a, s.Workspace, gh.CapSettingsView)
}

// VerifyChain checks the organization's audit hash chain (Org Admins and the operator).
func (d *Directory) VerifyChain(ctx context.Context, a *Actor, o *gh.Org) (*gh.ChainReport, error) {
	if err := d.mayAudit(a, Scope{Org: o}); err != nil {
		return nil, err
	}
	return d.store.VerifyChain(ctx, o.ID)
}

// questionOrg checks the organization a question names, so that a mistyped
// one says so instead of blaming the user; a user named by id must be of it.
func (d *Directory) questionOrg(a *Actor, orgRef, userRef string) error {
	if orgRef == "" {
		return nil
	}
	o, err := d.Org(a, orgRef)
	if err != nil {
		return err
	}
	if u := d.idx.User(gh.UserID(userRef)); gh.HasIDPrefix(userRef, "usr") && u != nil && u.Org != o.ID {
		return gh.NotFound("user")
	}
	return nil
}
