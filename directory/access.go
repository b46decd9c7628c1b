package directory

import (
	gh "gatehouse.dev/gatehouse"
)

// Authenticate resolves a bearer key to its actor. Unknown, expired and
// revoked keys, and keys of disabled users or suspended organizations, all
// give the same error so that nothing about the key leaks.
func (d *Directory) Authenticate(secret string, src gh.Source) (*Actor, error) {
	k := d.idx.KeyByHash(gh.HashKey(secret))
	if k == nil || (k.ExpiresAt != nil && !d.now().Before(*k.ExpiresAt)) {
		return nil, errBadKey
	}
	if k.IsOperator() {
		return &Actor{Operator: true, Key: k.ID, Source: src}, nil
	}
	u := d.idx.User(k.User)
	o := d.idx.Org(k.Org)
	if u == nil || o == nil || u.Org != k.Org || u.Status != gh.StatusActive || !o.Active() {
		return nil, errBadKey
	}
	return &Actor{User: u, Key: k.ID, Source: src, Recovery: k.Origin == gh.KeyRecovery}, nil
}

var errBadKey = gh.Errorf(gh.KindUnauthenticated, "invalid_credentials", "the API key is missing, unknown, expired or no longer valid")

// isOrgAdmin reports whether the actor administers org (the system actor does everything).
func (d *Directory) isOrgAdmin(a *Actor, org gh.OrgID) bool {
	if a.System {
		return true
	}
	if a.User == nil || a.User.Org != org {
		return false
	}
	u := d.idx.User(a.User.ID) // the actor may have changed since it authenticated
	return u != nil && u.IsOrgAdmin()
}

// Org resolves an organization by id or slug as the actor may see it:
// the operator sees all; users see only their own (others are "not found").
func (d *Directory) Org(a *Actor, ref string) (*gh.Org, error) {
	var o *gh.Org
	if gh.HasIDPrefix(ref, "org") {
		o = d.idx.Org(gh.OrgID(ref))
	} else {
		o = d.idx.OrgBySlug(ref)
	}
	if o == nil || (a.User != nil && a.User.Org != o.ID) {
		return nil, gh.NotFound("organization")
	}
	return o, nil
}

// Workspace resolves a workspace of org by id or slug. Org Admins and the
// operator see every workspace; org members see those they have access to;
// workspace users see only their own. Anything else is "not found".
func (d *Directory) Workspace(a *Actor, org *gh.Org, ref string) (*gh.Workspace, error) {
	var w *gh.Workspace
	if gh.HasIDPrefix(ref, "ws") {
		w = d.idx.Workspace(gh.WorkspaceID(ref))
	} else {
		w = d.idx.WorkspaceBySlug(org.ID, ref)
	}
	if w == nil || w.Org != org.ID || !d.seesWorkspace(a, w) {
		return nil, gh.NotFound("workspace")
	}
	return w, nil
}

func (d *Directory) seesWorkspace(a *Actor, w *gh.Workspace) bool {
	switch {
	case a.Operator || d.isOrgAdmin(a, w.Org):
		return true
	case a.User == nil || a.User.Org != w.Org:
		return false
	case !a.User.IsOrg():
		return a.User.Workspace == w.ID
	}
	return len(d.idx.Effective(a.User.ID, w.ID)) > 0
}

// seesPrincipal reports whether the actor may know that principal p, living
// at home h, exists. Anything else must answer exactly as if it did not
// (DESIGN §2): the operator and the organization's admins see everything of
// it; org users see the organization's own principals; a workspace's
// principals are seen by whoever sees the workspace; and an org principal is
// seen from a workspace only where it is assigned by name, as assignment
// lists show it there.
func (d *Directory) seesPrincipal(a *Actor, h gh.Home, p gh.Principal) bool {
	switch {
	case a.Operator || a.System:
		return true
	case a.User == nil || a.User.Org != h.Org:
		return false
	case d.isOrgAdmin(a, h.Org) || (p.Type == gh.PrincipalUser && gh.UserID(p.ID) == a.User.ID):
		return true
	case !h.IsOrg():
		w := d.idx.Workspace(h.Workspace)
		return w != nil && d.seesWorkspace(a, w)
	case a.User.IsOrg():
		return true
	}
	return d.idx.AssignmentFor(p, a.User.Workspace) != nil
}

// seesUser is seesPrincipal for a user.
func (d *Directory) seesUser(a *Actor, u *gh.User) bool {
	return d.seesPrincipal(a, u.Home, gh.UserPrincipal(u.ID))
}

// requireFresh refuses sensitive actions to a session that signed in too long ago.
func requireFresh(a *Actor, what string) error {
	if a.StaleSession {
		return gh.Errorf(gh.KindForbidden, "reauthentication_required",
			"%s needs a recent sign-in: confirm your password (and code) at /v1/me/reauthenticate, then try again", what)
	}
	return nil
}

// RequireOrgAdmin allows only the organization's admins (and the operator)
// to do what, for services beside the directory.
func (d *Directory) RequireOrgAdmin(a *Actor, o *gh.Org, what string) error {
	if a.Operator {
		return nil
	}
	return d.requireOrgAdmin(a, o.ID, what)
}

// requireOrgAdmin allows only the organization's admins (and the system).
func (d *Directory) requireOrgAdmin(a *Actor, org gh.OrgID, what string) error {
	if d.isOrgAdmin(a, org) {
		return nil
	}
	return gh.Forbidden("only an Organization Admin may %s", what)
}

// requireOrgReader allows the operator and the organization's own org users to read
// organization-level lists; workspace users never see past their workspace.
func (d *Directory) requireOrgReader(a *Actor, org gh.OrgID) error {
	if a.Operator || a.System || (a.User != nil && a.User.Org == org && a.User.IsOrg()) {
		return nil
	}
	return gh.Forbidden("organization-level lists are visible to organization users only")
}

// requireCap allows Org Admins, and users holding capability c at full level in w.
func (d *Directory) requireCap(a *Actor, w *gh.Workspace, c gh.Capability) error {
	if d.isOrgAdmin(a, w.Org) {
		return nil
	}
	if a.User != nil && d.idx.Check(a.User.ID, w.ID, c, gh.LevelFull).Allowed {
		return nil
	}
	return gh.Forbidden("this needs %s in workspace %q", c, w.Name)
}

// requireCovered refuses, outside Org Admins, a role that grants more than the actor holds in w.
func (d *Directory) requireCovered(a *Actor, w *gh.Workspace, r *gh.Role) error {
	if d.isOrgAdmin(a, w.Org) {
		return nil
	}
	held := map[gh.Capability]gh.Level{}
	if a.User != nil {
		held = d.idx.Effective(a.User.ID, w.ID)
	}
	for _, c := range gh.SortedCapabilities(r.Grants) {
		if held[c] < r.Grants[c] {
			return gh.Errorf(gh.KindForbidden, "escalation",
				"role %q grants %s at level %s, more than you hold in workspace %q", r.Name, c, r.Grants[c], w.Name)
		}
	}
	return nil
}

// Scope is an organization and, for workspace-scoped calls, one of its workspaces.
type Scope struct {
	Org       *gh.Org
	Workspace *gh.Workspace // nil: the organization itself
}

// Home is where users and groups created in this scope live.
func (s Scope) Home() gh.Home {
	h := gh.Home{Org: s.Org.ID}
	if s.Workspace != nil {
		h.Workspace = s.Workspace.ID
	}
	return h
}

// Contains reports whether an object with home h belongs to this scope.
func (s Scope) Contains(h gh.Home) bool { return h == s.Home() }

// Resolve resolves an organization and, when wsRef is not empty, one of its
// workspaces, as the actor may see them (KindNotFound otherwise).
func (d *Directory) Resolve(a *Actor, orgRef, wsRef string) (Scope, error) {
	o, err := d.Org(a, orgRef)
	if err != nil {
		return Scope{}, err
	}
	s := Scope{Org: o}
	if wsRef != "" {
		if s.Workspace, err = d.Workspace(a, o, wsRef); err != nil {
			return Scope{}, err
		}
	}
	return s, nil
}

// requireManage checks the right to change the scope's directory: Org Admin at
// organization scope; in a workspace, the capability c there.
func (d *Directory) requireManage(a *Actor, s Scope, c gh.Capability, what string) error {
	if a.Operator {
		return gh.Forbidden("the platform operator manages organizations, not their directories")
	}
	if s.Workspace == nil {
		return d.requireOrgAdmin(a, s.Org.ID, what)
	}
	return d.requireCap(a, s.Workspace, c)
}

// requireRead checks the right to read the scope's directory.
func (d *Directory) requireRead(a *Actor, s Scope) error {
	if s.Workspace == nil {
		return d.requireOrgReader(a, s.Org.ID)
	}
	return nil // Workspace() already refused actors who cannot see it
}
