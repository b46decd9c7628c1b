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

func (s *Server) registerCatalogue() {
	s.handle("GET", "/v1/capabilities", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		writeJSON(w, http.StatusOK, directory.List[gh.CapabilityInfo]{Items: s.dir.Catalogue().Capabilities()})
		return nil
	})
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
}

// orgCreated is the answer to creating an organization: it and its first admin.
type orgCreated struct {
	*gh.Org
	Admin *gh.User `json:"admin"`
}

func (s *Server) registerOrgs() {
	s.handle("GET", "/v1/orgs", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		p, err := page(r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.dir.ListOrgs(a, p))
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
		writeObject(w, http.StatusCreated, rev, orgCreated{Org: o, Admin: admin})
		return nil
	})
	s.handle("GET", "/v1/orgs/{org}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		o, err := s.dir.Org(a, r.PathValue("org"))
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, o.Revision, orgView{Org: o, Warnings: s.dir.OrgWarnings(o)})
		return nil
	})
	s.handle("PATCH", "/v1/orgs/{org}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		o, err := s.dir.Org(a, r.PathValue("org"))
		if err != nil {
			return err
		}
		var in directory.OrgPatch
		m, err := decodePatch(w, r, &in)
		if err != nil {
			return err
		}
		o, rev, err := s.dir.UpdateOrg(r.Context(), a, o, in, m)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, rev, orgView{Org: o, Warnings: s.dir.OrgWarnings(o)})
		return nil
	})
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
	s.handle("GET", "/v1/orgs/{org}/workspaces", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		o, err := s.dir.Org(a, r.PathValue("org"))
		if err != nil {
			return err
		}
		p, err := page(r)
		if err != nil {
			return err
		}
		st, err := statusParam(r, gh.StatusActive, gh.StatusSuspended, gh.StatusArchived)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.dir.ListWorkspaces(a, o, st, p))
		return nil
	})
	s.handle("POST", "/v1/orgs/{org}/workspaces", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		o, err := s.dir.Org(a, r.PathValue("org"))
		if err != nil {
			return err
		}
		var in directory.WorkspaceInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		ws, rev, err := s.dir.CreateWorkspace(r.Context(), a, o, in)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusCreated, rev, ws)
		return nil
	})
	s.handle("GET", "/v1/orgs/{org}/workspaces/{ws}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, sc.Workspace.Revision, sc.Workspace)
		return nil
	})
	s.handle("PATCH", "/v1/orgs/{org}/workspaces/{ws}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		var in directory.WorkspacePatch
		m, err := decodePatch(w, r, &in)
		if err != nil {
			return err
		}
		ws, rev, err := s.dir.UpdateWorkspace(r.Context(), a, sc.Workspace, in, m)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, rev, ws)
		return nil
	})
	s.handle("DELETE", "/v1/orgs/{org}/workspaces/{ws}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		m, err := ifMatch(r)
		if err != nil {
			return err
		}
		rev, err := s.dir.DeleteWorkspace(r.Context(), a, sc.Workspace, m)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	})
}

func (s *Server) registerUsers() {
	s.both("GET", "/users", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		p, err := page(r)
		if err != nil {
			return err
		}
		st, err := statusParam(r, gh.StatusActive, gh.StatusInvited, gh.StatusDisabled)
		if err != nil {
			return err
		}
		list, err := s.dir.ListUsers(a, sc, directory.UserFilter{Query: r.URL.Query().Get("q"), Status: st}, p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, list)
		return nil
	})
	s.both("POST", "/users", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		var in directory.UserInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		u, rev, err := s.dir.CreateUser(r.Context(), a, sc, in)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusCreated, rev, u)
		return nil
	})
	s.both("GET", "/users/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		u, err := s.dir.GetUser(a, sc, gh.UserID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, u.Revision, u)
		return nil
	})
	s.both("PATCH", "/users/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		var in directory.UserPatch
		m, err := decodePatch(w, r, &in)
		if err != nil {
			return err
		}
		u, rev, err := s.dir.UpdateUser(r.Context(), a, sc, gh.UserID(r.PathValue("id")), in, m)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, rev, u)
		return nil
	})
	s.both("DELETE", "/users/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		m, err := ifMatch(r)
		if err != nil {
			return err
		}
		rev, err := s.dir.DeleteUser(r.Context(), a, sc, gh.UserID(r.PathValue("id")), m)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	})
	s.both("GET", "/users/{id}/assignments", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
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
	})
}

func (s *Server) registerGroups() {
	s.both("GET", "/groups", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		p, err := page(r)
		if err != nil {
			return err
		}
		list, err := s.dir.ListGroups(a, sc, r.URL.Query().Get("q"), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, list)
		return nil
	})
	s.both("POST", "/groups", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		var in directory.GroupInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		g, rev, err := s.dir.CreateGroup(r.Context(), a, sc, in)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusCreated, rev, g)
		return nil
	})
	s.both("GET", "/groups/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		g, err := s.dir.GetGroup(a, sc, gh.GroupID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, g.Revision, g)
		return nil
	})
	s.both("PATCH", "/groups/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		var in directory.GroupPatch
		m, err := decodePatch(w, r, &in)
		if err != nil {
			return err
		}
		g, rev, err := s.dir.UpdateGroup(r.Context(), a, sc, gh.GroupID(r.PathValue("id")), in, m)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, rev, g)
		return nil
	})
	s.both("DELETE", "/groups/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		m, err := ifMatch(r)
		if err != nil {
			return err
		}
		rev, err := s.dir.DeleteGroup(r.Context(), a, sc, gh.GroupID(r.PathValue("id")), m)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	})
	s.both("GET", "/groups/{id}/members", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		p, err := page(r)
		if err != nil {
			return err
		}
		list, err := s.dir.ListMembers(a, sc, gh.GroupID(r.PathValue("id")), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, list)
		return nil
	})
	s.both("POST", "/groups/{id}/members", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		var in memberInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		created, rev, err := s.dir.AddMember(r.Context(), a, sc, gh.GroupID(r.PathValue("id")), in.Member)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, memberAdded{in.Member, created, rev})
		return nil
	})
	s.both("DELETE", "/groups/{id}/members/{type}/{member}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		p := gh.Principal{Type: gh.PrincipalType(r.PathValue("type")), ID: r.PathValue("member")}
		if err := p.Validate(); err != nil {
			return err
		}
		rev, err := s.dir.RemoveMember(r.Context(), a, sc, gh.GroupID(r.PathValue("id")), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	})
}

func (s *Server) registerRoles() {
	s.both("GET", "/roles", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		p, err := page(r)
		if err != nil {
			return err
		}
		list, err := s.dir.ListRoles(a, sc, p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, list)
		return nil
	})
	s.both("POST", "/roles", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		var in directory.RoleInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		role, rev, err := s.dir.CreateRole(r.Context(), a, sc, in)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusCreated, rev, role)
		return nil
	})
	s.both("GET", "/roles/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		role, err := s.dir.GetRole(a, sc, r.PathValue("id"))
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, role.Revision, role)
		return nil
	})
	s.both("PATCH", "/roles/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		var in directory.RolePatch
		m, err := decodePatch(w, r, &in)
		if err != nil {
			return err
		}
		role, rev, err := s.dir.UpdateRole(r.Context(), a, sc, gh.RoleID(r.PathValue("id")), in, m)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, rev, role)
		return nil
	})
	s.both("DELETE", "/roles/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		m, err := ifMatch(r)
		if err != nil {
			return err
		}
		rev, err := s.dir.DeleteRole(r.Context(), a, sc, gh.RoleID(r.PathValue("id")), m)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	})
}

// assignInput is the body of POST …/assignments and PATCH …/assignments/{id}.
type assignInput struct {
	Principal gh.Principal `json:"principal"`
	Role      string       `json:"role"`
}

func (s *Server) registerAssignments() {
	const base = "/v1/orgs/{org}/workspaces/{ws}/assignments"
	s.handle("GET", base, func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		p, err := page(r)
		if err != nil {
			return err
		}
		list, err := s.dir.ListAssignments(a, sc, p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, list)
		return nil
	})
	s.handle("POST", base, func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
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
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeObject(w, status, rev, v)
		return nil
	})
	s.handle("GET", base+"/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		v, err := s.dir.GetAssignment(a, sc, gh.AssignmentID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, v.Revision, v)
		return nil
	})
	s.handle("PATCH", base+"/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		cur, err := s.dir.GetAssignment(a, sc, gh.AssignmentID(r.PathValue("id")))
		if err != nil {
			return err
		}
		var in assignmentPatch
		m, err := decodePatch(w, r, &in)
		if err != nil {
			return err
		}
		if in.Role == "" {
			return gh.Invalid("invalid_input", "role", "is required")
		}
		if m != 0 && m != cur.Revision {
			return gh.Errorf(gh.KindPrecondition, "revision_mismatch", "the assignment changed since revision %d; read it again", m)
		}
		v, _, rev, err := s.dir.Assign(r.Context(), a, sc, cur.Principal, in.Role)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, rev, v)
		return nil
	})
	s.handle("DELETE", base+"/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		m, err := ifMatch(r)
		if err != nil {
			return err
		}
		rev, err := s.dir.Unassign(r.Context(), a, sc, gh.AssignmentID(r.PathValue("id")), m)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	})
}

func (s *Server) registerTemplates() {
	const base = "/v1/orgs/{org}/templates"
	s.handle("GET", base, func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		p, err := page(r)
		if err != nil {
			return err
		}
		list, err := s.dir.ListTemplates(a, sc.Org, p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, list)
		return nil
	})
	s.handle("POST", base, func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		var in directory.TemplateInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		t, rev, err := s.dir.CreateTemplate(r.Context(), a, sc.Org, in)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusCreated, rev, t)
		return nil
	})
	s.handle("GET", base+"/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		t, err := s.dir.GetTemplate(a, sc.Org, gh.TemplateID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, t.Revision, t)
		return nil
	})
	s.handle("PUT", base+"/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		var in directory.TemplateInput
		m, err := decodePatch(w, r, &in)
		if err != nil {
			return err
		}
		t, rev, err := s.dir.ReplaceTemplate(r.Context(), a, sc.Org, gh.TemplateID(r.PathValue("id")), in, m)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, rev, t)
		return nil
	})
	s.handle("DELETE", base+"/{id}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		m, err := ifMatch(r)
		if err != nil {
			return err
		}
		rev, err := s.dir.DeleteTemplate(r.Context(), a, sc.Org, gh.TemplateID(r.PathValue("id")), m)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	})
	s.handle("POST", "/v1/orgs/{org}/workspaces/{ws}/templates/{id}/apply", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		res, rev, err := s.dir.ApplyTemplate(r.Context(), a, sc.Workspace, gh.TemplateID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, templateApplied{res, rev})
		return nil
	})
}
