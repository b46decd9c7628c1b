package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	ghttp "gatehouse.dev/gatehouse/http"
)

// Reports: Settings → Reports for the organization, and a workspace's
// Reports beside its IAM page. Both read the directory's report methods as
// the viewer, so who sees which report, and how partner staff are named in
// it, is decided there; each table has its CSV beside it.

type reportsPage struct {
	Base        string // /settings/reports or /workspaces/{ws}/reports
	Workspace   *gh.Workspace
	Since       string // the period picker, as dates
	Until       string
	Days        int
	User        string
	Inactive    []directory.InactiveUser
	UserReport  *directory.UserReport
	WsReport    *directory.WorkspaceReport
	Workspaces  []*gh.Workspace // the organization's page links to each workspace's
	Query       string          // since, until, days and user, for the CSV links
	MayDisable  bool
	DisablePath string
}

func (c *Console) reportRoutes() {
	c.get("/settings/reports", c.reports)
	c.get("/settings/reports/{csv}", c.reportCSV)
	c.get("/workspaces/{ws}/reports", c.reports)
	c.get("/workspaces/{ws}/reports/{csv}", c.reportCSV)
	c.preview("/settings/reports/disable", c.confirmDisableInactive)
	c.preview("/workspaces/{ws}/reports/disable", c.confirmDisableInactive)
	c.post("/settings/reports/disable", c.disableInactive)
	c.post("/workspaces/{ws}/reports/disable", c.disableInactive)
}

// reportScope is the page's scope: the organization (Settings, the
// partner's alone) or the workspace of the path.
func (c *Console) reportScope(r *http.Request, v *view) (directory.Scope, string, error) {
	if r.PathValue("ws") == "" {
		s, err := orgScope(v)
		return s, "/settings/reports", err
	}
	s, err := c.scopeOf(r, v)
	if err != nil {
		return s, "", err
	}
	return s, "/workspaces/" + string(s.Workspace.ID) + "/reports", nil
}

// reportQuery reads the page's period (dates; until includes its day),
// days and user.
func reportQuery(r *http.Request, p *reportsPage) (directory.Period, error) {
	q := r.URL.Query()
	p.Since, p.Until, p.User, p.Days = q.Get("since"), q.Get("until"), strings.TrimSpace(q.Get("user")), 90
	var per directory.Period
	var err error
	if per.Since, err = ghttp.ParseReportTime("since", p.Since); err != nil {
		return per, err
	}
	if per.Until, err = ghttp.ParseReportTime("until", p.Until); err != nil {
		return per, err
	}
	if _, err := time.Parse(time.DateOnly, p.Until); err == nil {
		per.Until = per.Until.AddDate(0, 0, 1)
	}
	if d := q.Get("days"); d != "" {
		if p.Days, err = strconv.Atoi(d); err != nil {
			return per, gh.Invalid("invalid_query", "days", "must be a number of days from 1 to 3650")
		}
	}
	keep := url.Values{}
	for _, k := range []string{"since", "until", "days", "user"} {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	p.Query = keep.Encode()
	return per, nil
}

func (c *Console) reports(w http.ResponseWriter, r *http.Request, v *view) error {
	s, base, err := c.reportScope(r, v)
	if err != nil {
		return err
	}
	p := reportsPage{Base: base, Workspace: s.Workspace}
	per, err := reportQuery(r, &p)
	if err != nil {
		return err
	}
	if p.Inactive, err = c.dir.InactiveReport(r.Context(), v.actor, s, p.Days); err != nil {
		return err
	}
	if p.User != "" {
		if p.UserReport, err = c.dir.UserReport(r.Context(), v.actor, s, p.User, per); err != nil {
			return err
		}
	}
	if s.Workspace != nil {
		if p.WsReport, err = c.dir.WorkspaceReport(r.Context(), v.actor, s, per); err != nil {
			return err
		}
	} else {
		p.Workspaces = c.dir.Index().Workspaces(s.Org.ID, func(*gh.Workspace) bool { return true })
	}
	p.MayDisable = len(p.Inactive) > 0 && c.mayManage(v, s, gh.CapUsersRemove)
	p.DisablePath = base + "/disable?days=" + strconv.Itoa(p.Days)
	c.reportView(v, s)
	v.show("reports.html", "Reports", p)
	return nil
}

// reportView places a report page: under Settings, or beside the workspace's IAM.
func (c *Console) reportView(v *view, s directory.Scope) {
	if s.Workspace == nil {
		v.settings()
		return
	}
	v.Section = "iam"
	iam := "/workspaces/" + string(s.Workspace.ID) + "/iam"
	v.Crumbs = []crumb{{s.Workspace.Name + " · IAM", iam}}
	if v.Home == nil {
		v.Section = "workspaces"
		v.Crumbs = []crumb{{"Workspaces", "/workspaces"}, {s.Workspace.Name, iam}}
	}
}

// reportCSV downloads one report as CSV: inactive.csv, user.csv or workspace.csv.
func (c *Console) reportCSV(w http.ResponseWriter, r *http.Request, v *view) error {
	s, _, err := c.reportScope(r, v)
	if err != nil {
		return err
	}
	var p reportsPage
	per, err := reportQuery(r, &p)
	if err != nil {
		return err
	}
	var rows [][]string
	switch name := r.PathValue("csv"); {
	case name == "inactive.csv":
		list, err := c.dir.InactiveReport(r.Context(), v.actor, s, p.Days)
		if err != nil {
			return err
		}
		rows = directory.InactiveRows(list)
	case name == "user.csv":
		rep, err := c.dir.UserReport(r.Context(), v.actor, s, p.User, per)
		if err != nil {
			return err
		}
		rows = rep.Rows()
	case name == "workspace.csv" && s.Workspace != nil:
		rep, err := c.dir.WorkspaceReport(r.Context(), v.actor, s, per)
		if err != nil {
			return err
		}
		rows = rep.Rows()
	default:
		return gh.NotFound("page")
	}
	w.Header().Set("Cache-Control", "no-store")
	return ghttp.WriteCSV(w, r.PathValue("csv"), rows)
}

// Disabling the inactive accounts in one step: the bulk action's preview,
// selecting by inactive_days exactly as the report lists, then the same call
// for real. Each account's own rules still apply (the last Org Admin stays).

type disablePage struct {
	Days    int
	Result  *directory.BulkResult
	Confirm string
	Back    string
}

func (c *Console) inactiveBulk(r *http.Request, v *view, days string, preview bool) (directory.Scope, string, *directory.BulkResult, int, error) {
	s, base, err := c.reportScope(r, v)
	if err != nil {
		return s, "", nil, 0, err
	}
	n, err := strconv.Atoi(days)
	if err != nil {
		return s, "", nil, 0, gh.Invalid("invalid_input", "days", "must be a number of days from 1 to 3650")
	}
	in := directory.BulkInput{Select: directory.Selection{InactiveDays: n}, Action: directory.BulkAction{Type: directory.BulkDisable}, Preview: preview}
	res, err := c.signin.Bulk(r.Context(), v.actor, s, in)
	return s, base, res, n, err
}

func (c *Console) confirmDisableInactive(w http.ResponseWriter, r *http.Request, v *view) error {
	s, base, res, days, err := c.inactiveBulk(r, v, r.URL.Query().Get("days"), true)
	if err != nil {
		return err
	}
	c.reportView(v, s)
	v.Crumbs = append(v.Crumbs, crumb{"Reports", base})
	v.show("reports_disable.html", "Disable inactive accounts", disablePage{Days: days, Result: res, Confirm: base + "/disable", Back: base + "?days=" + strconv.Itoa(days)})
	return nil
}

func (c *Console) disableInactive(w http.ResponseWriter, r *http.Request, v *view) error {
	_, base, res, days, err := c.inactiveBulk(r, v, r.PostFormValue("days"), false)
	if err != nil {
		return err
	}
	return done(w, r, base+"?days="+strconv.Itoa(days), plural(res.Counts[directory.OutcomeDone], "account", "accounts")+" disabled.")
}
