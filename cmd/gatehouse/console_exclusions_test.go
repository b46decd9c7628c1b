package main

import (
	"testing"

	"github.com/chromedp/chromedp"

	gh "gatehouse.dev/gatehouse"
)

// TestConsoleExclusions: a customer's IT admin keeps a partner analyst out
// of its workspace by email on the IAM page; the analyst is denied there at
// once; the partner's admin sees the exclusion but cannot lift it; the
// customer lifts it.
func TestConsoleExclusions(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			x := s.m.Directory().Index()
			org := x.OrgBySlug(demoSlug)
			contoso := x.WorkspaceBySlug(org.ID, "contoso")
			lee := x.UserByEmail(gh.Home{Org: org.ID}, "lee.chen@northwind.example")
			if !x.Check(lee.ID, contoso.ID, "incidents.close", gh.LevelLimited).Allowed {
				t.Fatal("the demo's Lee cannot close incidents in Contoso to begin with")
			}
			iam := "/workspaces/" + string(contoso.ID) + "/iam"

			c := newBrowser(t, s.url, 1280)
			c.signIn("it-admin@contoso.example", s.givePassword(t, "it-admin@contoso.example", "contoso"))
			c.visit(iam)
			c.want("the exclusions panel", "Exclusions", "Nobody is excluded here.")
			c.run(chromedp.Click(`#add-exclusion-box summary`, chromedp.ByQuery))
			c.press(`#add-exclusion button[type=submit]`)
			c.want("nobody named", "pick a group or give an email address")
			c.run(chromedp.Click(`#add-exclusion-box summary`, chromedp.ByQuery))
			c.fill(`#add-exclusion input[name=email]`, "lee.chen@northwind.example")
			c.fill(`#add-exclusion input[name=reason]`, "Not cleared for our data")
			c.press(`#add-exclusion button[type=submit]`)
			c.want("the exclusion set", "Exclusion set", "email lee.chen@northwind.example", "everything", "Not cleared for our data")
			if x.Check(lee.ID, contoso.ID, "incidents.view", gh.LevelLimited).Allowed {
				t.Fatal("Lee still sees Contoso's incidents after the exclusion")
			}

			a := newBrowser(t, s.url, 1280)
			a.signIn("admin@northwind.example", s.adminPassword)
			a.visit(iam)
			a.want("the partner's view", "email lee.chen@northwind.example", "lifted by the workspace")
			a.wantNot("no lift button for the partner", "Lift")

			c.visit(iam)
			c.press(`#exclusions form.inline button[type=submit]`)
			c.want("the exclusion lifted", "Exclusion lifted.", "Nobody is excluded here.")
			if !x.Check(lee.ID, contoso.ID, "incidents.close", gh.LevelLimited).Allowed {
				t.Fatal("lifting did not give Lee's access back")
			}
		})
	}
}
