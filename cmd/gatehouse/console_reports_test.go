package main

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	gh "gatehouse.dev/gatehouse"
)

// fetchText reads a same-origin path from inside the page, with its cookies.
func (b *browser) fetchText(path string) string {
	b.t.Helper()
	var s string
	b.run(chromedp.Evaluate(`fetch(`+"`"+path+"`"+`).then(r => r.text())`, &s,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	return s
}

// TestConsoleReports: forty days after the demo was made, the customer's
// admin reads its workspace's report (partner staff named, another
// workspace absent), and the Organization Admin reads a user's report,
// downloads the inactive accounts as CSV and disables them in one step.
func TestConsoleReports(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			var shift atomic.Int64 // the clock's lead over real time
			s := startConsoleWith(t, store(t), func(m *Main) {
				m.Now = func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
			})
			x := s.m.Directory().Index()
			org := x.OrgBySlug(demoSlug)
			contoso := x.WorkspaceBySlug(org.ID, "contoso")
			fabrikam := x.WorkspaceBySlug(org.ID, "fabrikam")
			itPassword := s.givePassword(t, "it-admin@contoso.example", "contoso")
			shift.Store(int64(40 * 24 * time.Hour))

			customer := newBrowser(t, s.url, 1280)
			customer.signIn("it-admin@contoso.example", itPassword)
			customer.visit("/workspaces/" + string(contoso.ID) + "/iam")
			customer.press(`a[href$="/reports"]`)
			customer.want("the customer's workspace report", "Who holds which role", "IT Admin", "group SOC Tier 1",
				"Nina Berg", "Who signed in", "it-admin@contoso.example", "Inactive for 90 days")
			customer.wantNot("the customer's workspace report", "it-admin@fabrikam.example")
			customer.visit("/workspaces/" + string(fabrikam.ID) + "/reports")
			customer.want("another customer's report", "Not found")
			customer.visit("/settings/reports")
			customer.want("the partner's reports", "Not found")

			admin := newBrowser(t, s.url, 1280)
			admin.signIn("admin@northwind.example", s.adminPassword)
			admin.visit("/settings/users")
			admin.press(`nav.subnav a[href="/settings/reports"]`)
			admin.fill(`#report-period input[name=user]`, "admin@northwind.example")
			admin.fill(`#report-period input[name=days]`, "30")
			admin.press(`#report-period button[type=submit]`)
			admin.want("the admin's own report", "Last sign-in", "In the period: 1 sign-in, 0 failed", "demo",
				"Inactive for 30 days", "sam.okafor@northwind.example", "Workspace reports")
			admin.wantNot("the inactive list", "it-admin@contoso.example")
			csv := admin.fetchText("/settings/reports/inactive.csv?days=30")
			if !strings.HasPrefix(csv, "user_id,email,name,workspace_id,status,created_at,last_sign_in\n") || !strings.Contains(csv, "sam.okafor@northwind.example") {
				t.Errorf("inactive CSV = %q", csv)
			}

			admin.press(`a[href^="/settings/reports/disable"]`)
			admin.want("the preview", "sam.okafor@northwind.example", "would be disabled")
			sam := x.UserByEmail(gh.Home{Org: org.ID}, "sam.okafor@northwind.example")
			if x.User(sam.ID).Status != gh.StatusActive {
				t.Fatalf("the preview disabled sam")
			}
			admin.press(`#confirm button[type=submit]`)
			admin.want("after disabling", "accounts disabled.", "No inactive accounts.")
			if got := x.User(sam.ID).Status; got != gh.StatusDisabled {
				t.Errorf("sam is %s after disabling the inactive accounts, want disabled", got)
			}
			if got := x.User(x.UserByEmail(gh.Home{Org: org.ID, Workspace: contoso.ID}, "it-admin@contoso.example").ID).Status; got != gh.StatusActive {
				t.Errorf("the customer admin who signed in is %s, want active", got)
			}
		})
	}
}
