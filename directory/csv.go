package directory

import (
	"context"
	"fmt"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/engine"
)

// ImportRow is one line of a user import: the person, and optionally a role
// (the organization role for org users, or a role in Workspace; a workspace
// role for a workspace's users) and a group (name or id) of the same home to join.
type ImportRow struct {
	Line       int
	Email      string
	GivenName  string
	FamilyName string
	Role       string
	Group      string
	// Workspace, for the organization's users, makes Role a role to assign
	// in that workspace (id or slug) instead of the organization role.
	Workspace string
	ImportProfile
}

// ImportProfile is the profile part of an import row, as a file writes it:
// lists separated by ';', phones as TYPE:NUMBER, the manager by email (a
// user of the same home who exists already).
type ImportProfile struct {
	JobTitle, Department, Phone     string
	Phones, Skills, Specializations string
	Manager, Language, TimeZone     string
}

// ListSep separates the items of a list in one cell of a users file.
const ListSep = ";"

// splitList splits a cell at ListSep, dropping empty items.
func splitList(cell string) []string {
	var out []string
	for _, v := range strings.Split(cell, ListSep) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// JoinPhones writes phones as an import cell reads them.
func JoinPhones(phones []gh.Phone) string {
	out := make([]string, len(phones))
	for i, p := range phones {
		out[i] = FormatPhone(p)
	}
	return strings.Join(out, ListSep+" ")
}

// applyTo sets the row's profile on u, which is new, reporting a malformed
// phone cell or an unknown manager through bad.
func (p ImportProfile) applyTo(d *Directory, u *gh.User, bad func(field, reason string)) {
	u.JobTitle, u.Department, u.Phone = gh.CleanName(p.JobTitle), gh.CleanName(p.Department), gh.CleanName(p.Phone)
	u.Skills, u.Specializations = splitList(p.Skills), splitList(p.Specializations)
	u.Language, u.TimeZone = p.Language, p.TimeZone
	phones, err := ParsePhones("phones", splitList(p.Phones))
	if err != nil {
		bad("phones", gh.AsError(err).Fields["phones"])
	}
	u.Phones = phones
	if p.Manager != "" {
		m := d.idx.UserByEmail(u.Home, p.Manager)
		if m == nil {
			bad("manager", "no user here has this email")
		} else {
			u.Manager = m.ID
		}
	}
	gh.CleanProfile(u)
}

// ImportProblem is what is wrong with one line.
type ImportProblem struct {
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// ImportResult says what an import did.
type ImportResult struct {
	Imported int             `json:"imported"`
	Created  []*gh.User      `json:"created"`
	Skipped  []ImportProblem `json:"skipped"`
	Revision gh.Revision     `json:"revision"`
}

// MaxImportRows bounds one import.
const MaxImportRows = 10000

// ImportUsers creates users in bulk at the scope's home. Every row is checked
// first, against the directory and against the other rows; with onlyValid
// false nothing is imported unless every row is good (the KindInvalid error
// names every bad line), with onlyValid true the good rows are imported and
// the bad ones reported. Each user is one event; all are one transaction.
func (d *Directory) ImportUsers(ctx context.Context, a *Actor, s Scope, rows []ImportRow, onlyValid bool) (*ImportResult, error) {
	return d.ImportUsersWith(ctx, a, s, rows, onlyValid, "", nil)
}

// ImportUsersWith is ImportUsers that creates the users with a status
// (invited, say; active when empty) and runs after for each in the same
// transaction (their invitation links and emails).
func (d *Directory) ImportUsersWith(ctx context.Context, a *Actor, s Scope, rows []ImportRow, onlyValid bool,
	status gh.Status, after func(c *Change, u *gh.User) error) (*ImportResult, error) {
	if err := d.requireManage(a, s, gh.CapUsersAdd, "import organization users"); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, gh.Errorf(gh.KindInvalid, "csv_empty", "the file has a header but no users")
	}
	if len(rows) > MaxImportRows {
		return nil, gh.Errorf(gh.KindInvalid, "csv_too_long", "at most %d users per import; split the file", MaxImportRows)
	}
	res := &ImportResult{Created: []*gh.User{}, Skipped: []ImportProblem{}}
	rev, err := d.write(ctx, a, func(w *writer) error {
		plans, problems := d.planImport(a, s, rows)
		if len(problems) > 0 && !onlyValid {
			f := gh.Fields{}
			for _, p := range problems {
				key := fmt.Sprintf("line %d", p.Line)
				if p.Field != "" {
					key += "." + p.Field
				}
				f.Add(key, p.Reason)
			}
			return &gh.Error{Kind: gh.KindInvalid, Code: "csv_invalid",
				Message: fmt.Sprintf("%d of %d rows are invalid; nothing was imported", countLines(problems), len(rows)), Fields: f}
		}
		res.Skipped = problems
		for _, p := range plans {
			if status != "" {
				p.user.Status = status
			}
			ev := w.event(p.user.Org, p.user.Workspace, "user.create", gh.KindUser, string(p.user.ID))
			ev.Source.Via = "csv"
			p.user.Touch(w.rev(), w.now)
			change(ev, gh.KindUser, string(p.user.ID), nil, p.user)
			if p.role == nil || p.in != nil {
				d.applyDefaults(w, ev, p.user, nil)
			}
			if p.group != nil {
				m := &gh.Membership{Org: p.user.Org, Group: p.group.ID, Member: gh.UserPrincipal(p.user.ID)}
				m.Touch(w.rev(), w.now)
				change(ev, gh.KindMembership, m.Key(), nil, m)
			}
			if p.role != nil {
				ws := p.user.Workspace
				if p.in != nil {
					ws = p.in.ID
				}
				as := &gh.Assignment{ID: gh.AssignmentID(gh.NewID("asg")), Org: p.user.Org, Workspace: ws,
					Principal: gh.UserPrincipal(p.user.ID), Role: p.role.ID}
				as.Touch(w.rev(), w.now)
				change(ev, gh.KindAssignment, string(as.ID), nil, as)
			}
			res.Created = append(res.Created, p.user)
			if after != nil {
				if err := after(&Change{d: d, w: w}, p.user); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Imported, res.Revision = len(res.Created), rev
	return res, nil
}

func countLines(ps []ImportProblem) int {
	lines := map[int]bool{}
	for _, p := range ps {
		lines[p.Line] = true
	}
	return len(lines)
}

type importPlan struct {
	user  *gh.User
	group *gh.Group
	role  *gh.Role      // workspace role to assign
	in    *gh.Workspace // where, for an org user; its own workspace when nil
}

// planImport checks every row and returns the plans of the good ones and the problems of the bad ones.
func (d *Directory) planImport(a *Actor, s Scope, rows []ImportRow) ([]importPlan, []ImportProblem) {
	var plans []importPlan
	problems := []ImportProblem{}
	seen := map[string]int{}
	for _, r := range rows {
		bad := func(field, reason string) {
			problems = append(problems, ImportProblem{Line: r.Line, Field: field, Reason: reason})
		}
		before := len(problems)
		in := UserInput{Email: r.Email, GivenName: r.GivenName, FamilyName: r.FamilyName}
		var p importPlan
		switch {
		case s.Workspace == nil && r.Workspace != "":
			p.in, p.role = d.importRoleIn(a, s, r, bad)
		case r.Workspace != "":
			bad("workspace", "a workspace's users take its own roles; leave the workspace out")
		}
		if s.Workspace == nil && r.Role != "" && r.Workspace == "" {
			switch role := gh.OrgRole(strings.ToLower(strings.TrimSpace(r.Role))); role {
			case gh.OrgRoleAdmin, gh.OrgRoleMember:
				in.OrgRole = role
			default:
				bad("role", `must be "admin" or "member" for organization users`)
			}
		}
		p.user = in.user(s.Home())
		r.ImportProfile.applyTo(d, p.user, bad)
		if err := p.user.Validate(); err != nil {
			for field, msg := range gh.AsError(err).Fields {
				bad(field, msg)
			}
		}
		email := gh.NormalizeEmail(r.Email)
		if first, dup := seen[email]; dup && email != "" {
			bad("email", fmt.Sprintf("repeats line %d", first))
		} else if d.idx.UserByEmail(s.Home(), email) != nil {
			bad("email", "is already in use here")
		}
		seen[email] = r.Line
		if r.Group != "" {
			p.group = d.importGroup(s, r.Group)
			if p.group == nil {
				bad("group", "no such group here")
			} else if s.Workspace != nil {
				if err := d.requireCap(a, s.Workspace, gh.CapGroupsAdd); err != nil {
					bad("group", gh.AsError(err).Message)
				} else if err := d.joinCovered(a, s, p.group); err != nil {
					bad("group", gh.AsError(err).Message)
				}
			}
		}
		if s.Workspace != nil && r.Role != "" {
			if p.role = d.findRole(s, strings.TrimSpace(r.Role)); p.role == nil {
				bad("role", "no such role is usable in this workspace")
			} else if err := d.mayAssign(a, s, s.Home(), p.role); err != nil {
				bad("role", gh.AsError(err).Message)
			}
		}
		if len(problems) == before {
			plans = append(plans, p)
		}
	}
	return plans, problems
}

// importRoleIn resolves the workspace and role of a row that gives an
// organization user a role in a workspace, and checks the actor may assign it.
func (d *Directory) importRoleIn(a *Actor, s Scope, r ImportRow, bad func(field, reason string)) (*gh.Workspace, *gh.Role) {
	w, err := d.Workspace(a, s.Org, strings.TrimSpace(r.Workspace))
	if err != nil {
		bad("workspace", "no such workspace")
		return nil, nil
	}
	ws := Scope{Org: s.Org, Workspace: w}
	role := d.findRole(ws, strings.TrimSpace(r.Role))
	switch {
	case strings.TrimSpace(r.Role) == "":
		bad("role", "name the role to assign in the workspace")
	case role == nil:
		bad("role", "no such role is usable in this workspace")
	default:
		if err := d.mayAssign(a, ws, s.Home(), role); err != nil {
			bad("role", gh.AsError(err).Message)
			return nil, nil
		}
		return w, role
	}
	return nil, nil
}

// importGroup finds a group of the scope's home by id or name.
func (d *Directory) importGroup(s Scope, ref string) *gh.Group {
	ref = strings.TrimSpace(ref)
	if g := d.idx.Group(gh.GroupID(ref)); g != nil && s.Contains(g.Home) {
		return g
	}
	return d.groupNamed(s.Home(), ref)
}

// GroupNames returns the names of the groups a user is directly in.
func (d *Directory) GroupNames(u gh.UserID) []string {
	var out []string
	for _, g := range d.idx.GroupsOf(gh.UserPrincipal(u), false) {
		if grp := d.idx.Group(g); grp != nil {
			out = append(out, grp.Name)
		}
	}
	return out
}

// AccessRow is one line of the effective-access matrix: a user reaching a
// workspace with a role through a path.
type AccessRow struct {
	Workspace *gh.Workspace
	User      engine.UserAccess
	Path      engine.Path
}

// AccessMatrix lists, for every workspace of the organization (or just ws),
// every user that may work there, with each role and the path giving it (Org Admins only).
func (d *Directory) AccessMatrix(a *Actor, o *gh.Org, ws *gh.Workspace) ([]AccessRow, error) {
	if err := d.requireOrgAdmin(a, o.ID, "export the access matrix"); err != nil {
		return nil, err
	}
	wss := []*gh.Workspace{ws}
	if ws == nil {
		wss = d.idx.Workspaces(o.ID, func(*gh.Workspace) bool { return true })
	}
	var out []AccessRow
	for _, w := range wss {
		users, _ := d.idx.Reach(w.ID)
		for _, u := range users {
			for _, p := range u.Paths {
				out = append(out, AccessRow{Workspace: w, User: u, Path: p})
			}
		}
	}
	return out, nil
}
