package directory

import (
	"context"
	"slices"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// UserReport is one user's activity over a period.
type UserReport struct {
	User       ReportUser `json:"user"`
	Period     Period     `json:"period"`
	LastSignIn *time.Time `json:"last_sign_in,omitempty"` // ever, not only in the period; absent: never
	SignIns    int        `json:"sign_ins"`
	Failures   int        `json:"sign_in_failures"`
	// Changes are the directory changes made by the user or to it in the
	// period, newest first.
	Changes []ReportChange `json:"changes"`
	Keys    []ReportKey    `json:"keys"`
	// Truncated says the period held more events than one report reads.
	Truncated bool `json:"truncated,omitempty"`
}

// ReportChange is one change in a user's report.
type ReportChange struct {
	Time     time.Time   `json:"time"`
	Revision gh.Revision `json:"revision"`
	Action   string      `json:"action"`
	By       string      `json:"by"` // who made it, as the audit log names it to the reader
	Target   gh.Target   `json:"target"`
	ByUser   bool        `json:"by_user"` // made by the user itself
}

// ReportKey is an API key of the user and its last use (absent: never).
type ReportKey struct {
	ID         gh.KeyID   `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// UserReport reports on one user of the scope (id or email), as the audit
// log shows it to the actor. A user the actor may not audit in the scope is
// not found, as one never created. Errors: KindNotFound, KindForbidden,
// KindInvalid (the period, an ambiguous email).
func (d *Directory) UserReport(ctx context.Context, a *Actor, s Scope, ref string, p Period) (*UserReport, error) {
	if err := d.mayAudit(a, s); err != nil {
		return nil, err
	}
	u, err := d.bulkUser(a, s, ref)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, gh.NotFound("user")
	}
	if p, err = d.period(p); err != nil {
		return nil, err
	}
	rep := &UserReport{User: d.reportUser(a, s.Org, u), Period: p, Changes: []ReportChange{}}
	if err := d.userEvents(ctx, a, s, u, rep); err != nil {
		return nil, err
	}
	last, err := d.store.LastSignIns(ctx, s.Org.ID, []gh.UserID{u.ID})
	if err != nil {
		return nil, err
	}
	rep.LastSignIn = lastSignIn(last, u.ID)
	rep.Keys, err = d.reportKeys(ctx, u)
	return rep, err
}

// userEvents counts u's sign-ins and lists the changes by and to u in the
// report's period: two indexed reads, by actor and by target.
func (d *Directory) userEvents(ctx context.Context, a *Actor, s Scope, u *gh.User, rep *UserReport) error {
	seen := map[gh.Revision]bool{}
	var evs []*gh.Event
	for _, f := range []gh.EventFilter{{ActorID: string(u.ID)}, {Target: string(u.ID)}} {
		f.Org, f.Since, f.Until = s.Org.ID, rep.Period.Since, rep.Period.Until
		if s.Workspace != nil {
			f.Workspace = s.Workspace.ID
		}
		more, err := d.scanEvents(ctx, f, func(ev *gh.Event) {
			if !seen[ev.Revision] {
				seen[ev.Revision] = true
				evs = append(evs, ev)
			}
		})
		if err != nil {
			return err
		}
		rep.Truncated = rep.Truncated || more
	}
	slices.SortFunc(evs, func(x, y *gh.Event) int { return int(y.Revision - x.Revision) })
	for _, ev := range d.eventsSeenBy(a, s.Org, evs) {
		switch signInOutcome(ev, u.ID) {
		case 1:
			rep.SignIns++
		case -1:
			rep.Failures++
		}
		if !signInEvent(ev) {
			rep.Changes = append(rep.Changes, ReportChange{Time: ev.Time, Revision: ev.Revision, Action: ev.Action,
				By: actorName(ev.Actor), Target: ev.Target, ByUser: ev.Actor.User == u.ID && u.ID != ""})
		}
	}
	return nil
}

// actorName names an event's actor as the audit log shows it.
func actorName(act gh.Actor) string {
	switch {
	case act.Name != "" && act.Email != "":
		return act.Name + " <" + act.Email + ">"
	case act.Name != "":
		return act.Name
	case act.Email != "":
		return act.Email
	case act.Provider != "":
		return "identity provider " + string(act.Provider)
	case act.Directory != "":
		return "directory " + string(act.Directory)
	}
	return string(act.Type)
}

// reportKeys lists u's API keys with their last use.
func (d *Directory) reportKeys(ctx context.Context, u *gh.User) ([]ReportKey, error) {
	keys := d.idx.KeysOf(u.Org, u.ID)
	ids := make([]gh.KeyID, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	used, err := d.store.KeyUsage(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ReportKey, len(keys))
	for i, k := range keys {
		out[i] = ReportKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt}
		if use, ok := used[k.ID]; ok {
			out[i].LastUsedAt = &use.At
		}
	}
	return out, nil
}
