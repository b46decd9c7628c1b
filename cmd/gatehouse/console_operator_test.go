package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	gh "gatehouse.dev/gatehouse"
)

// TestConsoleOperator: the platform operator signs in with its key, creates
// an organization with its first admin, suspends and reactivates one, and
// verifies the deployment's audit chain; a wrong key and an organization's
// admin are kept out.
func TestConsoleOperator(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			x := s.m.Directory().Index()

			admin := newBrowser(t, s.url, 1280)
			admin.signIn("admin@northwind.example", s.adminPassword)
			admin.visit("/operator")
			admin.want("an org admin at /operator", "Operator API key")

			b := newBrowser(t, s.url, 1280)
			b.visit("/operator/signin")
			b.fill(`input[name=key]`, "ghk_not-the-key")
			b.press(`#operator-signin button[type=submit]`)
			b.want("a wrong key", "That is not the operator's key")

			b.fill(`input[name=key]`, s.operator)
			b.press(`#operator-signin button[type=submit]`)
			b.want("the organizations", "Northwind Security", "New organization")
			b.fill(`input[name=name]`, "Adatum Defense")
			b.fill(`input[name=email]`, "ops@adatum.example")
			b.fill(`input[name=given_name]`, "Ada")
			b.press(`#new-org button[type=submit]`)
			b.want("after creating", "Organization Adatum Defense created with ops@adatum.example", "A link to set a password is on its way")
			if o := x.OrgBySlug("adatum-defense"); o == nil || len(x.ActiveOrgAdmins(o.ID)) == 0 {
				t.Fatalf("no organization adatum-defense with an admin after creating it: %+v", o)
			}

			b.fill(`input[name=name]`, "Bad Slug Partners")
			b.fill(`input[name=slug]`, "Not A Slug!")
			b.fill(`input[name=email]`, "ops@badslug.example")
			b.fill(`input[name=given_name]`, "Bo")
			b.press(`#new-org button[type=submit]`)
			b.want("a refused form", "Slug")
			if n := len(x.Orgs(func(*gh.Org) bool { return true })); n != 2 {
				t.Errorf("%d organizations after a refused form, want 2", n)
			}

			adatum := x.OrgBySlug("adatum-defense")
			b.press(`form[action="/operator/orgs/` + string(adatum.ID) + `/status"] button`)
			b.want("after suspending", "Adatum Defense is now suspended.")
			if x.Org(adatum.ID).Status != gh.StatusSuspended {
				t.Errorf("adatum is %s after suspending", x.Org(adatum.ID).Status)
			}
			b.visit("/operator/audit?verify=1")
			b.want("the deployment's log", "The chain holds", "apikey.create")
		})
	}
}

// TestConsoleSeats: the operator sets an organization's seats on its page;
// the admins see them used per workspace, and a user past them is refused
// with words that say why and what to do.
func TestConsoleSeats(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			x := s.m.Directory().Index()
			nw := x.OrgBySlug("northwind")
			used := x.ActiveUsers(nw.ID, "", true)

			op := newBrowser(t, s.url, 1280)
			op.visit("/operator/signin")
			op.fill(`input[name=key]`, s.operator)
			op.press(`#operator-signin button[type=submit]`)
			form := `form[action="/operator/orgs/` + string(nw.ID) + `/seats"]`
			op.fill(form+` input[name=seats]`, fmt.Sprint(used))
			op.press(form + ` button`)
			op.want("after setting seats", fmt.Sprintf("Northwind Security may now have %d active users.", used), "Seats used")
			if got := x.Org(nw.ID).Seats; got != used {
				t.Fatalf("northwind has %d seats after setting %d", got, used)
			}

			b := newBrowser(t, s.url, 1280)
			b.signIn("admin@northwind.example", s.adminPassword)
			b.visit("/workspaces")
			b.want("the workspaces", "Seats used")
			b.visit("/settings/users")
			b.fill(`#add-user input[name=email]`, "one.more@northwind.example")
			b.fill(`#add-user input[name=given_name]`, "One")
			b.press(`#create-user`)
			b.want("a user past the seats", fmt.Sprintf("The organization uses all its %d seats; ask the platform operator for more, or disable someone", used))
			if x.UserByEmail(gh.Home{Org: nw.ID}, "one.more@northwind.example") != nil {
				t.Error("a user past the seats was created")
			}

			// The Org Admin gives Contoso a share of the seats, never more than all.
			contoso := x.WorkspaceBySlug(nw.ID, "contoso")
			b.visit("/workspaces/" + string(contoso.ID) + "/iam")
			b.fill(`#set-seats input[name=seats]`, fmt.Sprint(used+1))
			b.press(`#set-seats button[type=submit]`)
			b.want("a share over the total", fmt.Sprintf("more than the organization's %d seats", used))
			if got := x.Workspace(contoso.ID).Seats; got != 0 {
				t.Fatalf("a share over the total was saved: %d", got)
			}
			b.fill(`#set-seats input[name=seats]`, "5")
			b.press(`#set-seats button[type=submit]`)
			b.want("the share", "Seat share saved.", "of a share of 5 seats")
			if got := x.Workspace(contoso.ID).Seats; got != 5 {
				t.Fatalf("Contoso's share is %d, want 5", got)
			}
		})
	}
}

// TestConsoleAPIReference: /docs draws the OpenAPI document with the
// vendored viewer under the console's policy, with no violation logged.
func TestConsoleAPIReference(t *testing.T) {
	s := startConsole(t, testStores["sqlite"](t))
	b := newBrowser(t, s.url, 1280)
	// The viewer draws operations as they scroll into view: read the page
	// while scrolling through it.
	b.run(chromedp.Navigate(s.url+"/docs"), chromedp.WaitVisible(`.opblock-tag`, chromedp.ByQuery))
	b.check("docs")
	var body string
	for y := 0; y < 40000; y += 600 {
		var text string
		var bottom bool
		b.run(chromedp.Evaluate(fmt.Sprintf(`window.scrollTo(0, %d)`, y), nil), chromedp.Sleep(30*time.Millisecond),
			chromedp.Evaluate(`document.querySelector("#api").textContent.replaceAll("\u200b", "")`, &text),
			chromedp.Evaluate(`window.scrollY + window.innerHeight >= document.body.scrollHeight`, &bottom))
		body += text
		if bottom {
			break
		}
		if y == 6000 {
			b.check("docs-operations") // axe again, on operations drawn since
		}
	}
	for _, want := range []string{"/v1/check", "/v1/orgs/{org}/whatif", "Gatehouse"} {
		if !strings.Contains(body, want) {
			t.Errorf("the API reference does not show %q", want)
		}
	}
}

// TestConsoleDarkAndNarrow: with the system in dark mode, at 768 px, the
// main pages keep their contrast and structure (axe on each), and the
// stylesheet follows the system's setting.
func TestConsoleDarkAndNarrow(t *testing.T) {
	s := startConsole(t, testStores["sqlite"](t))
	b := newBrowser(t, s.url, 768)
	b.run(emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}))
	b.signIn("admin@northwind.example", s.adminPassword)
	var background string
	b.run(chromedp.Evaluate(`getComputedStyle(document.body).backgroundColor`, &background))
	if background == "rgb(255, 255, 255)" {
		t.Errorf("the page is white in dark mode")
	}
	for _, p := range []string{"/workspaces", "/settings/users", "/settings/roles", "/access?mode=matrix", "/account"} {
		b.visit(p)
	}
}

// TestConsoleByKeyboard: a person who uses only the keyboard signs in (the
// email field has the focus, Tab moves on, Enter sends), finds the skip link
// first on a page, and reaches the explorer's answer the same way.
func TestConsoleByKeyboard(t *testing.T) {
	s := startConsole(t, testStores["sqlite"](t))
	b := newBrowser(t, s.url, 1280)
	b.visit("/signin")
	b.run(chromedp.KeyEvent("admin@northwind.example"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(s.adminPassword), chromedp.KeyEvent(kb.Enter))
	b.waitPath("/workspaces")
	b.check("signed-in-by-keyboard")

	var focused string
	b.run(chromedp.KeyEvent(kb.Tab), chromedp.Evaluate(`document.activeElement.textContent.trim()`, &focused))
	if focused != "Skip to content" {
		t.Errorf("the first Tab lands on %q, want the skip link", focused)
	}
	b.run(chromedp.KeyEvent(kb.Enter), chromedp.Evaluate(`location.hash`, &focused))
	if focused != "#main" {
		t.Errorf("the skip link leads to %q, want #main", focused)
	}

	x := s.m.Directory().Index()
	contoso := x.WorkspaceBySlug(x.OrgBySlug(demoSlug).ID, "contoso")
	b.visit("/access?mode=why")
	b.run(chromedp.Focus(`#question input[name=user]`, chromedp.ByQuery), chromedp.KeyEvent("nina.berg@northwind.example"))
	b.run(chromedp.SetValue(`#question select[name=workspace]`, string(contoso.ID), chromedp.ByQuery),
		chromedp.SetValue(`#question select[name=capability]`, "incidents.close", chromedp.ByQuery),
		chromedp.Focus(`#question input[name=user]`, chromedp.ByQuery), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`#answer-h`, chromedp.ByQuery))
	b.check("answered-by-keyboard")
	b.want("the answer by keyboard", "Denied: nina.berg@northwind.example may not use incidents.close")
}
