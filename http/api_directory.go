package http

import (
	"net/http"
	"strconv"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// scope resolves {org} and, on workspace paths, {ws}.
func (s *Server) scope(r *http.Request, a *directory.Actor) (directory.Scope, error) {
	return s.dir.Resolve(a, r.PathValue("org"), r.PathValue("ws"))
}

// page reads ?limit= and ?cursor=.
func page(r *http.Request) (directory.Page, error) {
	p := directory.Page{After: r.URL.Query().Get("cursor")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > directory.MaxLimit {
			return p, gh.Invalid("invalid_query", "limit", "must be a whole number from 1 to 1000")
		}
		p.Limit = n
	}
	return p, nil
}

func statusParam(r *http.Request, allowed ...gh.Status) (gh.Status, error) {
	v := gh.Status(r.URL.Query().Get("status"))
	if v == "" {
		return "", nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", gh.Invalid("invalid_query", "status", "is not a status of this kind of object")
}

// both registers h on the organization path and its workspace twin.
func (s *Server) both(method, orgPattern string, h handler) {
	s.handle(method, "/v1/orgs/{org}"+orgPattern, h)
	s.handle(method, "/v1/orgs/{org}/workspaces/{ws}"+orgPattern, h)
}

// unscoped runs a scope handler for a path that names no organization.
func unscoped(h scopeHandler) handler {
	return func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		return h(w, r, a, directory.Scope{})
	}
}

func (s *Server) registerCatalogue() {
	s.handle("GET", "/v1/capabilities", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		writeJSON(w, http.StatusOK, directory.List[gh.CapabilityInfo]{Items: s.dir.Catalogue().Capabilities()})
		return nil
	})
	// The operator's own additions to the catalogue.
	const custom = "/v1/capabilities/custom"
	s.handle("GET", custom, unscoped(listOf(func(c call, p directory.Page) (directory.List[*gh.CustomCapability], error) {
		return s.dir.ListCapabilities(c.a, p)
	})))
	s.handle("POST", custom, unscoped(createOf(func(c call, in directory.CapabilityInput) (*gh.CustomCapability, gh.Revision, error) {
		return s.dir.CreateCapability(c.r.Context(), c.a, in)
	})))
	s.handle("GET", custom+"/{id}", unscoped(getOf(func(c call) (*gh.CustomCapability, error) {
		return s.dir.GetCapability(c.a, gh.Capability(c.id()))
	})))
	s.handle("PATCH", custom+"/{id}", unscoped(updateOf(func(c call, in directory.CapabilityPatch, m gh.Revision) (*gh.CustomCapability, gh.Revision, error) {
		return s.dir.UpdateCapability(c.r.Context(), c.a, gh.Capability(c.id()), in, m)
	})))
	s.handle("DELETE", custom+"/{id}", unscoped(deleteOf(func(c call, m gh.Revision) (gh.Revision, error) {
		return s.dir.DeleteCapability(c.r.Context(), c.a, gh.Capability(c.id()), m)
	})))
	s.handle("GET", "/v1/roles", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		writeJSON(w, http.StatusOK, directory.List[*gh.Role]{Items: s.dir.BuiltinRoles()})
		return nil
	})
	s.handle("GET", "/v1/roles/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		for _, role := range s.dir.BuiltinRoles() {
			if string(role.ID) == r.PathValue("id") {
				writeJSON(w, http.StatusOK, role)
				return nil
			}
		}
		return gh.NotFound("role")
	})
}

// orgView is an organization with what its admins should know.
type orgView struct {
	*gh.Org
	Warnings []string `json:"warnings,omitempty"`
	// SeatsUsed counts the organization's active users, for its admins.
	SeatsUsed *int `json:"seats_used,omitempty"`
}

// workspaceView is a workspace with how many of its seats are used.
type workspaceView struct {
	*gh.Workspace
	SeatsUsed int `json:"seats_used"`
}

func (s *Server) workspaceView(ws *gh.Workspace) workspaceView {
	return workspaceView{Workspace: ws, SeatsUsed: s.dir.WorkspaceSeats(ws).Used}
}

// orgCreated is the answer to creating an organization: it and its first admin.
type orgCreated struct {
	*gh.Org
	Admin *gh.User `json:"admin"`
}

// orgView shows an organization as the actor may read it; the warnings are for its admins.
func (s *Server) orgView(a *directory.Actor, o *gh.Org) orgView {
	v := orgView{Org: directory.OrgSeenBy(a, o)}
	if a.Operator || (a.User != nil && a.User.IsOrgAdmin()) {
		v.Warnings = s.dir.OrgWarnings(o)
		used := s.dir.OrgSeats(o).Used
		v.SeatsUsed = &used
	}
	return v
}

func (s *Server) registerOrgs() {
	s.handle("GET", "/v1/orgs", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		p, err := page(r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.dir.ListOrgs(a, p)) // as each actor may read them, settings in force
		return nil
	})
	s.handle("POST", "/v1/orgs", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		var in directory.OrgInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		o, admin, rev, err := s.dir.CreateOrg(r.Context(), a, in)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusCreated, rev, orgCreated{Org: directory.OrgSeenBy(a, o), Admin: admin})
		return nil
	})
	s.handle("GET", "/v1/orgs/{org}", s.inScope(getOf(func(c call) (orgView, error) {
		return s.orgView(c.a, c.sc.Org), nil
	})))
	s.handle("PATCH", "/v1/orgs/{org}", s.inScope(updateOf(func(c call, in directory.OrgPatch, m gh.Revision) (orgView, gh.Revision, error) {
		o, rev, err := s.dir.UpdateOrg(c.r.Context(), c.a, c.sc.Org, in, m)
		if err != nil {
			return orgView{}, 0, err
		}
		return s.orgView(c.a, o), rev, nil
	})))
}

// decodePatch reads If-Match and a JSON patch body.
func decodePatch(w http.ResponseWriter, r *http.Request, dst any) (gh.Revision, error) {
	m, err := ifMatch(r)
	if err != nil {
		return 0, err
	}
	return m, decode(w, r, dst)
}

func (s *Server) registerWorkspaces() {
	const one = "/v1/orgs/{org}/workspaces/{ws}"
	s.handle("GET", "/v1/orgs/{org}/workspaces", s.inScope(listOf(func(c call, p directory.Page) (directory.List[*gh.Workspace], error) {
		st, err := statusParam(c.r, gh.StatusActive, gh.StatusSuspended, gh.StatusArchived)
		return s.dir.ListWorkspaces(c.a, c.sc.Org, st, p), err
	})))
	s.handle("POST", "/v1/orgs/{org}/workspaces", s.inScope(createOf(func(c call, in directory.WorkspaceInput) (*gh.Workspace, gh.Revision, error) {
		return s.dir.CreateWorkspace(c.r.Context(), c.a, c.sc.Org, in)
	})))
	s.handle("GET", one, s.inScope(getOf(func(c call) (workspaceView, error) { return s.workspaceView(c.sc.Workspace), nil })))
	s.handle("PATCH", one, s.inScope(updateOf(func(c call, in directory.WorkspacePatch, m gh.Revision) (workspaceView, gh.Revision, error) {
		ws, rev, err := s.dir.UpdateWorkspace(c.r.Context(), c.a, c.sc.Workspace, in, m)
		if err != nil {
			return workspaceView{}, 0, err
		}
		return s.workspaceView(ws), rev, nil
	})))
	s.handle("DELETE", one, s.inScope(deleteOf(func(c call, m gh.Revision) (gh.Revision, error) {
		return s.dir.DeleteWorkspace(c.r.Context(), c.a, c.sc.Workspace, m)
	})))
}

func (s *Server) registerUsers() {
	s.both("GET", "/users", s.inScope(listOf(func(c call, p directory.Page) (directory.List[*gh.User], error) {
		st, err := statusParam(c.r, gh.StatusActive, gh.StatusInvited, gh.StatusDisabled)
		if err != nil {
			return directory.List[*gh.User]{}, err
		}
		return s.dir.ListUsers(c.a, c.sc, directory.UserFilter{Query: c.query("q"), Status: st,
			OrgRole: gh.OrgRole(c.query("org_role")), Group: gh.GroupID(c.query("group"))}, p)
	})))
	s.both("POST", "/users", s.inScope(createOf(func(c call, in directory.UserInput) (*gh.User, gh.Revision, error) {
		return s.dir.CreateUser(c.r.Context(), c.a, c.sc, in)
	})))
	s.both("GET", "/users/{id}", s.inScope(getOf(func(c call) (*gh.User, error) {
		return s.dir.GetUser(c.a, c.sc, gh.UserID(c.id()))
	})))
	s.both("PATCH", "/users/{id}", s.inScope(updateOf(func(c call, in directory.UserPatch, m gh.Revision) (*gh.User, gh.Revision, error) {
		return s.dir.UpdateUser(c.r.Context(), c.a, c.sc, gh.UserID(c.id()), in, m)
	})))
	s.both("DELETE", "/users/{id}", s.inScope(deleteOf(func(c call, m gh.Revision) (gh.Revision, error) {
		return s.dir.DeleteUser(c.r.Context(), c.a, c.sc, gh.UserID(c.id()), m)
	})))
	s.both("GET", "/users/{id}/assignments", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		u, err := s.dir.GetUser(a, sc, gh.UserID(r.PathValue("id")))
		if err != nil {
			return err
		}
		list, err := s.dir.PrincipalAssignments(a, sc, gh.UserPrincipal(u.ID))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, directory.List[directory.AssignmentView]{Items: list})
		return nil
	}))
}

func (s *Server) registerGroups() {
	s.both("GET", "/groups", s.inScope(listOf(func(c call, p directory.Page) (directory.List[*gh.Group], error) {
		return s.dir.ListGroups(c.a, c.sc, c.query("q"), p)
	})))
	s.both("POST", "/groups", s.inScope(createOf(func(c call, in directory.GroupInput) (*gh.Group, gh.Revision, error) {
		return s.dir.CreateGroup(c.r.Context(), c.a, c.sc, in)
	})))
	s.both("GET", "/groups/{id}", s.inScope(getOf(func(c call) (*gh.Group, error) {
		return s.dir.GetGroup(c.a, c.sc, gh.GroupID(c.id()))
	})))
	s.both("PATCH", "/groups/{id}", s.inScope(updateOf(func(c call, in directory.GroupPatch, m gh.Revision) (*gh.Group, gh.Revision, error) {
		return s.dir.UpdateGroup(c.r.Context(), c.a, c.sc, gh.GroupID(c.id()), in, m)
	})))
	s.both("DELETE", "/groups/{id}", s.inScope(deleteOf(func(c call, m gh.Revision) (gh.Revision, error) {
		return s.dir.DeleteGroup(c.r.Context(), c.a, c.sc, gh.GroupID(c.id()), m)
	})))
	s.both("GET", "/groups/{id}/rule-members", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		us, err := s.dir.RuleMembers(a, sc, gh.GroupID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, directory.List[*gh.User]{Items: nonNil(us)})
		return nil
	}))
	s.both("GET", "/groups/{id}/members", s.inScope(listOf(func(c call, p directory.Page) (directory.List[directory.Member], error) {
		return s.dir.ListMembers(c.a, c.sc, gh.GroupID(c.id()), p)
	})))
	s.both("POST", "/groups/{id}/members", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		var in memberInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		created, rev, err := s.dir.AddMember(r.Context(), a, sc, gh.GroupID(r.PathValue("id")), in.Member)
		if err != nil {
			return err
		}
		writeJSON(w, createdStatus(created), memberAdded{in.Member, created, rev})
		return nil
	}))
	s.both("DELETE", "/groups/{id}/members/{type}/{member}", s.inScope(deleteOf(func(c call, _ gh.Revision) (gh.Revision, error) {
		p := gh.Principal{Type: gh.PrincipalType(c.r.PathValue("type")), ID: c.r.PathValue("member")}
		if err := p.Validate(); err != nil {
			return 0, err
		}
		return s.dir.RemoveMember(c.r.Context(), c.a, c.sc, gh.GroupID(c.id()), p)
	})))
}

// createdStatus is 201 for something new, 200 when it was there already.
func createdStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (s *Server) registerRoles() {
	s.both("GET", "/roles", s.inScope(listOf(func(c call, p directory.Page) (directory.List[*gh.Role], error) {
		return s.dir.ListRoles(c.a, c.sc, c.query("usable") == "true", p)
	})))
	s.both("POST", "/roles", s.inScope(createOf(func(c call, in directory.RoleInput) (*gh.Role, gh.Revision, error) {
		return s.dir.CreateRole(c.r.Context(), c.a, c.sc, in)
	})))
	s.both("GET", "/roles/{id}", s.inScope(getOf(func(c call) (*gh.Role, error) {
		return s.dir.GetRole(c.a, c.sc, c.id())
	})))
	s.both("PATCH", "/roles/{id}", s.inScope(updateOf(func(c call, in directory.RolePatch, m gh.Revision) (*gh.Role, gh.Revision, error) {
		return s.dir.UpdateRole(c.r.Context(), c.a, c.sc, gh.RoleID(c.id()), in, m)
	})))
	s.both("DELETE", "/roles/{id}", s.inScope(deleteOf(func(c call, m gh.Revision) (gh.Revision, error) {
		return s.dir.DeleteRole(c.r.Context(), c.a, c.sc, gh.RoleID(c.id()), m)
	})))
}

// assignInput is the body of POST …/assignments.
type assignInput struct {
	Principal gh.Principal `json:"principal"`
	Role      string       `json:"role"`
}

func (s *Server) registerAssignments() {
	const base = "/v1/orgs/{org}/workspaces/{ws}/assignments"
	s.handle("GET", base, s.inScope(listOf(func(c call, p directory.Page) (directory.List[directory.AssignmentView], error) {
		return s.dir.ListAssignments(c.a, c.sc, p)
	})))
	s.handle("POST", base, s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		var in assignInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		f := gh.Fields{}
		if in.Role == "" {
			f.Add("role", "is required")
		}
		if err := in.Principal.Validate(); err != nil {
			for k, v := range gh.AsError(err).Fields {
				f.Add(k, v)
			}
		}
		if err := f.Err(); err != nil {
			return err
		}
		v, created, rev, err := s.dir.Assign(r.Context(), a, sc, in.Principal, in.Role)
		if err != nil {
			return err
		}
		writeObject(w, createdStatus(created), rev, v)
		return nil
	}))
	s.handle("GET", base+"/{id}", s.inScope(getOf(func(c call) (directory.AssignmentView, error) {
		return s.dir.GetAssignment(c.a, c.sc, gh.AssignmentID(c.id()))
	})))
	s.handle("PATCH", base+"/{id}", s.inScope(updateOf(func(c call, in assignmentPatch, m gh.Revision) (directory.AssignmentView, gh.Revision, error) {
		cur, err := s.dir.GetAssignment(c.a, c.sc, gh.AssignmentID(c.id()))
		switch {
		case err != nil:
			return cur, 0, err
		case in.Role == "":
			return cur, 0, gh.Invalid("invalid_input", "role", "is required")
		case m != 0 && m != cur.Revision:
			return cur, 0, gh.Errorf(gh.KindPrecondition, "revision_mismatch", "the assignment changed since revision %d; read it again", m)
		}
		v, _, rev, err := s.dir.Assign(c.r.Context(), c.a, c.sc, cur.Principal, in.Role)
		return v, rev, err
	})))
	s.handle("DELETE", base+"/{id}", s.inScope(deleteOf(func(c call, m gh.Revision) (gh.Revision, error) {
		return s.dir.Unassign(c.r.Context(), c.a, c.sc, gh.AssignmentID(c.id()), m)
	})))
}

func (s *Server) registerTemplates() {
	const base = "/v1/orgs/{org}/templates"
	s.handle("GET", base, s.inScope(listOf(func(c call, p directory.Page) (directory.List[*gh.Template], error) {
		return s.dir.ListTemplates(c.a, c.sc.Org, p)
	})))
	s.handle("POST", base, s.inScope(createOf(func(c call, in directory.TemplateInput) (*gh.Template, gh.Revision, error) {
		return s.dir.CreateTemplate(c.r.Context(), c.a, c.sc.Org, in)
	})))
	s.handle("GET", base+"/{id}", s.inScope(getOf(func(c call) (*gh.Template, error) {
		return s.dir.GetTemplate(c.a, c.sc.Org, gh.TemplateID(c.id()))
	})))
	s.handle("PUT", base+"/{id}", s.inScope(updateOf(func(c call, in directory.TemplateInput, m gh.Revision) (*gh.Template, gh.Revision, error) {
		return s.dir.ReplaceTemplate(c.r.Context(), c.a, c.sc.Org, gh.TemplateID(c.id()), in, m)
	})))
	s.handle("DELETE", base+"/{id}", s.inScope(deleteOf(func(c call, m gh.Revision) (gh.Revision, error) {
		return s.dir.DeleteTemplate(c.r.Context(), c.a, c.sc.Org, gh.TemplateID(c.id()), m)
	})))
	s.handle("POST", "/v1/orgs/{org}/workspaces/{ws}/templates/{id}/apply", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		res, rev, err := s.dir.ApplyTemplate(r.Context(), a, sc.Workspace, gh.TemplateID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, templateApplied{res, rev})
		return nil
	}))
}
