package directory

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// Activity reports read what the log and the index already hold: sign-ins
// and changes from the audit log, each user's last sign-in from the store's
// summary kept with the log, keys' last use from the vault. They are audit
// reads, so they follow the audit log's rule (mayAudit) and its view of
// partner staff (eventsSeenBy, staffName).

// Report limits.
const (
	DefaultReportDays = 30
	MaxReportDays     = 366
	MaxInactiveDays   = 3650
	// maxReportEvents bounds the log one report reads; past it the report says truncated.
	maxReportEvents = 10000
)

// Period is a report's window: from Since, up to but not including Until.
type Period struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
}

// period fills a zero Until with now and a zero Since with DefaultReportDays
// before Until, and refuses a window that is empty or too long.
func (d *Directory) period(p Period) (Period, error) {
	if p.Until.IsZero() {
		// Events keep microseconds: a window ending now must hold what was
		// recorded at this very instant, so it ends just after it.
		p.Until = d.now().Truncate(time.Microsecond).Add(time.Microsecond)
	}
	if p.Since.IsZero() {
		p.Since = p.Until.AddDate(0, 0, -DefaultReportDays)
	}
	f := gh.Fields{}
	switch {
	case !p.Since.Before(p.Until):
		f.Add("since", "must be before until")
	case p.Until.Sub(p.Since) > MaxReportDays*24*time.Hour:
		f.Add("since", "a report covers at most 366 days")
	}
	return p, f.Err()
}

// ReportUser is a user as a report names it. Partner staff seen from a
// workspace are named as the organization chose (partner_staff_shown_as),
// without their email apart from the name, their status or their dates.
type ReportUser struct {
	ID        gh.UserID      `json:"id,omitempty"`
	Email     string         `json:"email,omitempty"`
	Name      string         `json:"name"`
	Workspace gh.WorkspaceID `json:"workspace_id,omitempty"`
	Status    gh.Status      `json:"status,omitempty"`
	CreatedAt *time.Time     `json:"created_at,omitempty"`
}

func (d *Directory) reportUser(a *Actor, o *gh.Org, u *gh.User) ReportUser {
	if fromWorkspace(a) && u.IsOrg() {
		r := ReportUser{ID: u.ID, Name: staffName(o, u)}
		if o.StaffDisplay() == gh.StaffOrgOnly {
			r.ID = ""
		}
		return r
	}
	created := u.CreatedAt
	return ReportUser{ID: u.ID, Email: u.Email, Name: u.DisplayName(), Workspace: u.Workspace, Status: u.Status, CreatedAt: &created}
}

// scanEvents reads the events f selects, newest first, up to
// maxReportEvents; it reports whether it stopped there.
func (d *Directory) scanEvents(ctx context.Context, f gh.EventFilter, each func(*gh.Event)) (bool, error) {
	f.Limit = 1000
	for n := 0; ; {
		evs, err := d.store.ListEvents(ctx, f)
		if err != nil {
			return false, err
		}
		for _, ev := range evs {
			each(ev)
		}
		if n += len(evs); len(evs) < f.Limit {
			return false, nil
		}
		if n >= maxReportEvents {
			return true, nil
		}
		f.Before = evs[len(evs)-1].Revision
	}
}

// signInOutcome says whether ev is a successful sign-in of user u (1), a
// failed one (-1), or neither (0).
func signInOutcome(ev *gh.Event, u gh.UserID) int {
	if id, ok := ev.SignedIn(); ok {
		if id == u {
			return 1
		}
		return 0
	}
	if ev.Action == "login.failure" && gh.UserID(ev.Target.ID) == u {
		return -1
	}
	return 0
}

// signInEvent reports whether ev belongs to signing in and sessions rather
// than to changes of the directory.
func signInEvent(ev *gh.Event) bool {
	return strings.HasPrefix(ev.Action, "login.") || strings.HasPrefix(ev.Action, "session.") || ev.Action == "mfa.recovery_code.use"
}

// lastSignIn is u's last sign-in from the store's summary, nil for never.
func lastSignIn(last map[gh.UserID]time.Time, u gh.UserID) *time.Time {
	if t, ok := last[u]; ok {
		return &t
	}
	return nil
}

// Inactive reports whether u counts as inactive since cutoff: a person whose
// account is not disabled, existed before cutoff, and has not signed in since
// (never counts). Service accounts use keys and never sign in, so they are
// left out. The bulk selector (inactive_days) and the report share it.
func inactive(u *gh.User, signedInSince bool, cutoff time.Time) bool {
	return !signedInSince && !u.IsService() && u.Status != gh.StatusDisabled && u.CreatedAt.Before(cutoff)
}

// InactiveCutoff is the moment a report or selection of users inactive for
// days counts from. Errors: KindInvalid (days outside 1…MaxInactiveDays).
func (d *Directory) InactiveCutoff(days int, field string) (time.Time, error) {
	if days < 1 || days > MaxInactiveDays {
		return time.Time{}, gh.Invalid("invalid_input", field, "must be a number of days from 1 to 3650")
	}
	return d.now().AddDate(0, 0, -days), nil
}

// inactiveCandidates lists the scope's people old enough to count as
// inactive since cutoff, and their last sign-ins: the whole organization's at
// once, or a workspace's people's by name.
func (d *Directory) inactiveCandidates(ctx context.Context, a *Actor, s Scope, cutoff time.Time) ([]*gh.User, map[gh.UserID]time.Time, error) {
	keep := func(u *gh.User) bool {
		return d.inScope(a, s, u.Home, gh.UserPrincipal(u.ID)) && inactive(u, false, cutoff)
	}
	if s.Workspace == nil {
		last, err := d.store.LastSignIns(ctx, s.Org.ID, nil)
		return d.idx.Users(s.Org.ID, keep), last, err
	}
	users, _ := d.idx.UsersPage(s.Org.ID, s.Workspace.ID, "", math.MaxInt-1, keep) // one home's, not the organization's
	ids := make([]gh.UserID, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	last, err := d.store.LastSignIns(ctx, s.Org.ID, ids)
	return users, last, err
}

// InactiveUser is one row of the inactive-accounts report.
type InactiveUser struct {
	User       ReportUser `json:"user"`
	LastSignIn *time.Time `json:"last_sign_in,omitempty"` // absent: never
}

// InactiveReport lists the people of the scope (at the organization: every
// home the actor sees) with no sign-in for days days, never signed in
// first, then the longest silent. Errors: KindInvalid, KindForbidden.
func (d *Directory) InactiveReport(ctx context.Context, a *Actor, s Scope, days int) ([]InactiveUser, error) {
	if err := d.mayAudit(a, s); err != nil {
		return nil, err
	}
	cutoff, err := d.InactiveCutoff(days, "days")
	if err != nil {
		return nil, err
	}
	users, last, err := d.inactiveCandidates(ctx, a, s, cutoff)
	if err != nil {
		return nil, err
	}
	users = slices.DeleteFunc(users, func(u *gh.User) bool { return !last[u.ID].Before(cutoff) })
	out := make([]InactiveUser, len(users))
	for i, u := range users {
		out[i] = InactiveUser{User: d.reportUser(a, s.Org, u), LastSignIn: lastSignIn(last, u.ID)}
	}
	slices.SortStableFunc(out, func(x, y InactiveUser) int {
		switch {
		case x.LastSignIn == nil && y.LastSignIn == nil:
			return strings.Compare(x.User.Email, y.User.Email)
		case x.LastSignIn == nil:
			return -1
		case y.LastSignIn == nil:
			return 1
		}
		return x.LastSignIn.Compare(*y.LastSignIn)
	})
	return out, nil
}

// sortBy sorts rows by a key.
func sortBy[T any](rows []T, key func(T) string) {
	slices.SortStableFunc(rows, func(x, y T) int { return strings.Compare(key(x), key(y)) })
}

// CSV: each report as rows with a header line, times in RFC 3339 (UTC).

func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// InactiveRows returns the inactive-accounts report as CSV rows.
func InactiveRows(list []InactiveUser) [][]string {
	out := [][]string{{"user_id", "email", "name", "workspace_id", "status", "created_at", "last_sign_in"}}
	for _, r := range list {
		u := r.User
		out = append(out, []string{string(u.ID), u.Email, u.Name, string(u.Workspace), string(u.Status), csvTime(u.CreatedAt), csvTime(r.LastSignIn)})
	}
	return out
}

// Rows returns the user report as CSV rows: the user and its sign-ins, then
// one line per change and per key.
func (r *UserReport) Rows() [][]string {
	u := r.User
	out := [][]string{{"section", "time", "item", "by", "detail"},
		{"user", csvTime(u.CreatedAt), u.Email, "", u.Name},
		{"period", csvTime(&r.Period.Since), csvTime(&r.Period.Until), "", ""},
		{"last_sign_in", csvTime(r.LastSignIn), "", "", ""},
		{"sign_ins", "", strconv.Itoa(r.SignIns), "", strconv.Itoa(r.Failures) + " failed"}}
	for _, c := range r.Changes {
		out = append(out, []string{"change", csvTime(&c.Time), c.Action, c.By, string(c.Target.Type) + " " + c.Target.ID})
	}
	for _, k := range r.Keys {
		out = append(out, []string{"key", csvTime(k.LastUsedAt), k.Name, "", string(k.ID) + " " + k.Prefix})
	}
	return out
}

// Rows returns the workspace report as CSV rows: role holdings, then sign-ins.
func (r *WorkspaceReport) Rows() [][]string {
	out := [][]string{{"section", "user_id", "email", "name", "role", "via", "since", "sign_ins", "sign_in_failures", "last_sign_in"}}
	for _, h := range r.Roles {
		out = append(out, []string{"role", string(h.User.ID), h.User.Email, h.User.Name, h.Role, h.Via, csvTime(&h.Since), "", "", ""})
	}
	for _, s := range r.SignIns {
		out = append(out, []string{"sign_in", string(s.User.ID), s.User.Email, s.User.Name, "", "", "",
			strconv.Itoa(s.SignIns), strconv.Itoa(s.Failures), csvTime(s.LastSignIn)})
	}
	return out
}
