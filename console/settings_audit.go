package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	ghttp "gatehouse.dev/gatehouse/http"
)

// Settings → Audit log: the organization's events, newest first, filtered
// and paged; the hash chain verified on request; the same query as CSV.
// Settings → Mail outbox: the organization's outgoing mail.

type auditPage struct {
	Action, Actor, Since, Until string
	Events                      []auditRow
	Next                        string
	Export                      string
	Chain                       *gh.ChainReport
}

type auditRow struct {
	*gh.Event
	Who, What, Where string
}

// auditCSVRows caps an export: a longer log is exported in pieces, by date.
const auditCSVRows = 10000

// auditFilter reads the page's query; an actor may be given by email.
func (c *Console) auditFilter(r *http.Request, v *view) (auditPage, gh.EventFilter, error) {
	q := r.URL.Query()
	p := auditPage{Action: strings.TrimSpace(q.Get("action")), Actor: strings.TrimSpace(q.Get("actor")), Since: q.Get("since"), Until: q.Get("until")}
	f := gh.EventFilter{Action: p.Action, Limit: pageSize}
	if p.Actor != "" {
		f.Actor = gh.UserID(p.Actor)
		if u := c.dir.Index().UserByEmail(gh.Home{Org: v.Org.ID}, p.Actor); u != nil {
			f.Actor = u.ID
		}
	}
	bad := gh.Fields{}
	day := func(name, s string, dst *time.Time, next bool) {
		if s == "" {
			return
		}
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			bad.Add(name, "must be a date such as 2026-01-31")
			return
		}
		if next { // until a day includes that day
			t = t.AddDate(0, 0, 1)
		}
		*dst = t
	}
	day("since", p.Since, &f.Since, false)
	day("until", p.Until, &f.Until, true)
	if after := q.Get("after"); after != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil || n < 1 {
			bad.Add("after", "must be a page link this page gave")
		}
		f.Before = gh.Revision(n)
	}
	return p, f, bad.Err()
}

func (c *Console) settingsAudit(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := orgScope(v)
	if err != nil {
		return err
	}
	p, f, err := c.auditFilter(r, v)
	if err != nil {
		return err
	}
	evs, err := c.dir.ListEvents(r.Context(), v.actor, s, f)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		p.Events = append(p.Events, c.auditRow(ev))
	}
	if len(evs) == f.Limit {
		p.Next = pageLink(r, strconv.FormatInt(int64(evs[len(evs)-1].Revision), 10))
	}
	export := r.URL.Query()
	export.Del("after")
	export.Del("verify")
	p.Export = "/settings/audit/events.csv?" + export.Encode()
	if r.URL.Query().Get("verify") != "" {
		if p.Chain, err = c.dir.VerifyChain(r.Context(), v.actor, v.Org); err != nil {
			return err
		}
	}
	v.settings()
	v.show("settings_audit.html", "Audit log", p)
	return nil
}

func (c *Console) auditRow(ev *gh.Event) auditRow {
	row := auditRow{Event: ev, Who: string(ev.Actor.Type), What: string(ev.Target.Type) + " " + c.targetName(ev.Target)}
	switch {
	case ev.Actor.Name != "":
		row.Who = ev.Actor.Name
	case ev.Actor.Email != "":
		row.Who = ev.Actor.Email
	case ev.Actor.Key != "":
		row.Who = "key " + string(ev.Actor.Key)
	}
	if ev.Workspace != "" {
		row.Where = string(ev.Workspace)
		if ws := c.dir.Index().Workspace(ev.Workspace); ws != nil {
			row.Where = ws.Name
		}
	}
	return row
}

// targetName names an event's target as it is now, or by id when it is gone.
func (c *Console) targetName(t gh.Target) string {
	x := c.dir.Index()
	switch t.Type {
	case gh.KindUser:
		if u := x.User(gh.UserID(t.ID)); u != nil {
			return u.Email
		}
	case gh.KindGroup:
		if g := x.Group(gh.GroupID(t.ID)); g != nil {
			return g.Name
		}
	case gh.KindRole:
		if r := x.Role(gh.RoleID(t.ID)); r != nil {
			return r.Name
		}
	case gh.KindWorkspace:
		if ws := x.Workspace(gh.WorkspaceID(t.ID)); ws != nil {
			return ws.Name
		}
	case gh.KindTemplate:
		if tp := x.Template(gh.TemplateID(t.ID)); tp != nil {
			return tp.Name
		}
	case gh.KindOrg:
		if o := x.Org(gh.OrgID(t.ID)); o != nil {
			return o.Name
		}
	}
	return t.ID
}

// auditCSV exports the filtered log, newest first, up to auditCSVRows events.
func (c *Console) auditCSV(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := orgScope(v)
	if err != nil {
		return err
	}
	_, f, err := c.auditFilter(r, v)
	if err != nil {
		return err
	}
	rows := [][]string{{"revision", "time", "actor_type", "actor", "action", "target_type", "target_id", "workspace_id", "ip", "batch"}}
	for f.Limit = directory.MaxLimit; len(rows) <= auditCSVRows; {
		evs, err := c.dir.ListEvents(r.Context(), v.actor, s, f)
		if err != nil {
			return err
		}
		for _, ev := range evs[:min(len(evs), auditCSVRows+1-len(rows))] {
			who := ev.Actor.Email
			if who == "" {
				who = string(ev.Actor.User) + string(ev.Actor.Key)
			}
			rows = append(rows, []string{strconv.FormatInt(int64(ev.Revision), 10), ev.Time.UTC().Format(time.RFC3339),
				string(ev.Actor.Type), who, ev.Action, string(ev.Target.Type), ev.Target.ID, string(ev.Workspace), ev.Source.IP, ev.Source.Batch})
		}
		if len(evs) < f.Limit {
			break
		}
		f.Before = evs[len(evs)-1].Revision
	}
	w.Header().Set("Cache-Control", "no-store")
	return ghttp.WriteCSV(w, "audit.csv", rows)
}

// The outbox: mail waits there until the worker has handed it to the SMTP
// server. Bodies are never shown: they may hold one-time links.

type outboxPage struct {
	Mail []*gh.Mail
}

// outboxRows is what the store lists: the latest messages.
const outboxRows = 100

func (c *Console) settingsOutbox(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := orgScope(v); err != nil {
		return err
	}
	if err := c.dir.RequireOrgAdmin(v.actor, v.Org, "see the organization's outgoing mail"); err != nil {
		return err
	}
	list, err := c.dir.Store().ListMail(r.Context(), v.Org.ID, outboxRows)
	if err != nil {
		return err
	}
	v.settings()
	v.show("settings_outbox.html", "Mail outbox", outboxPage{Mail: list})
	return nil
}
