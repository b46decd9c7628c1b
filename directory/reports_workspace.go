package directory

import (
	"context"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// WorkspaceReport says who holds which role in a workspace and since when,
// and who signed in over a period.
type WorkspaceReport struct {
	Workspace gh.WorkspaceID  `json:"workspace_id"`
	Name      string          `json:"workspace_name"`
	Period    Period          `json:"period"`
	Roles     []RoleHolding   `json:"roles"`
	SignIns   []SignInSummary `json:"sign_ins"`
}

// RoleHolding is a user holding a role in the workspace, through its own
// assignment (Via empty) or a group's, held since the assignment last set it.
type RoleHolding struct {
	User  ReportUser `json:"user"`
	Role  string     `json:"role"`
	Via   string     `json:"via,omitempty"` // the assigned group
	Since time.Time  `json:"since"`
}

// SignInSummary is a user's sign-ins in the period and its last one ever.
type SignInSummary struct {
	User       ReportUser `json:"user"`
	SignIns    int        `json:"sign_ins"`
	Failures   int        `json:"sign_in_failures"`
	LastSignIn *time.Time `json:"last_sign_in,omitempty"`
}

// WorkspaceReport reports on the scope's workspace. Partner staff are named
// as the organization chose; their sign-ins are the partner's, not the
// customer's, so a workspace user's report lists only the workspace's own
// people's. Errors: KindInvalid (no workspace, the period), KindForbidden.
func (d *Directory) WorkspaceReport(ctx context.Context, a *Actor, s Scope, p Period) (*WorkspaceReport, error) {
	if s.Workspace == nil {
		return nil, gh.Invalid("invalid_input", "workspace", "name the workspace to report on")
	}
	if err := d.mayAudit(a, s); err != nil {
		return nil, err
	}
	p, err := d.period(p)
	if err != nil {
		return nil, err
	}
	rep := &WorkspaceReport{Workspace: s.Workspace.ID, Name: s.Workspace.Name, Period: p, Roles: d.roleHoldings(a, s)}
	rep.SignIns, err = d.workspaceSignIns(ctx, a, s, p)
	return rep, err
}

// roleHoldings lists every path by which a user holds a role in the workspace.
func (d *Directory) roleHoldings(a *Actor, s Scope) []RoleHolding {
	users, _ := d.idx.Reach(s.Workspace.ID)
	out := []RoleHolding{}
	for _, ua := range users {
		u := d.idx.User(ua.User)
		if u == nil {
			continue
		}
		for _, path := range ua.Paths {
			h := RoleHolding{User: d.reportUser(a, s.Org, u), Role: path.RoleName}
			if as := d.idx.Assignment(path.Assignment); as != nil {
				h.Since = as.UpdatedAt
			}
			if path.Principal.Type == gh.PrincipalGroup {
				h.Via = d.principalSeenBy(a, s.Org.ID, path.Principal)
			}
			out = append(out, h)
		}
	}
	sortBy(out, func(h RoleHolding) string { return h.User.Name + "\x00" + h.User.Email + "\x00" + h.Role })
	return out
}

// workspaceSignIns counts the sign-ins of the workspace's people in the
// period: its own users, and for the organization's own readers the
// partner staff holding a role there too.
func (d *Directory) workspaceSignIns(ctx context.Context, a *Actor, s Scope, p Period) ([]SignInSummary, error) {
	ws, staff := s.Workspace.ID, map[gh.UserID]bool{}
	if !fromWorkspace(a) {
		ws = "" // partner staff sign in to the organization, not to the workspace
		users, _ := d.idx.Reach(s.Workspace.ID)
		for _, ua := range users {
			staff[ua.User] = true
		}
	}
	counts, err := d.store.SignInCounts(ctx, s.Org.ID, ws, p.Since, p.Until)
	if err != nil {
		return nil, err
	}
	var ids []gh.UserID
	for id := range counts {
		if u := d.idx.User(id); u != nil && (u.Workspace == s.Workspace.ID || staff[id]) {
			ids = append(ids, id)
		}
	}
	last, err := d.store.LastSignIns(ctx, s.Org.ID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]SignInSummary, len(ids))
	for i, id := range ids {
		c := counts[id]
		out[i] = SignInSummary{User: d.reportUser(a, s.Org, d.idx.User(id)), SignIns: c.Successes, Failures: c.Failures, LastSignIn: lastSignIn(last, id)}
	}
	sortBy(out, func(c SignInSummary) string { return strings.ToLower(c.User.Email) + "\x00" + string(c.User.ID) })
	return out, nil
}
