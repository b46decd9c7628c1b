package main

import (
	"os"
	"path/filepath"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The Settings → User Management pages, as an Organization Admin uses them.

// settingsAdmin signs the demo's Organization Admin in to a fresh browser.
func settingsAdmin(t *testing.T, store string) (*consoleServer, *browser) {
	t.Helper()
	s := startConsole(t, store)
	b := newBrowser(t, s.url, 1280)
	b.signIn("admin@northwind.example", s.adminPassword)
	b.acceptDialogs()
	return s, b
}

// acceptDialogs answers yes to the confirmations risky buttons ask.
func (b *browser) acceptDialogs() {
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go func() { _ = chromedp.Run(b.ctx, page.HandleJavaScriptDialog(true)) }()
		}
	})
}

// orgUserByEmail is the demo organization's user with this email, or nil.
func (s *consoleServer) orgUserByEmail(email string) *gh.User {
	x := s.m.Directory().Index()
	return x.UserByEmail(gh.Home{Org: x.OrgBySlug(demoSlug).ID}, email)
}

// upload puts a file with this content in the form's file field.
func (b *browser) upload(sel, name, content string) {
	b.t.Helper()
	path := filepath.Join(b.t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		b.t.Fatal(err)
	}
	b.run(chromedp.SetUploadFiles(sel, []string{path}, chromedp.ByQuery))
}

// TestConsoleSettingsImportsUsers: a file with a bad row shows every bad row
// with its line and reason and writes nothing; a good file is checked, then
// imported on confirmation.
func TestConsoleSettingsImportsUsers(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s, b := settingsAdmin(t, store(t))
			b.visit("/settings/users")
			b.want("the users page", "maria.lopez@northwind.example", "SOC Managers", "Organization Admin", "Import users from a CSV file")

			b.upload(`#import-users input[name=file]`, "bad.csv", "email,first_name,last_name\n"+
				"gina.good@northwind.example,Gina,Good\n"+
				"not-an-email,Bad,Email\n"+
				"maria.lopez@northwind.example,Maria,Again\n")
			b.press(`#import-users button[type=submit]`)
			b.want("the bad file's check", "Nothing was imported", "Line 3", "Line 4", "email")
			b.wantNot("the bad file's check", "Line 2")
			if s.orgUserByEmail("gina.good@northwind.example") != nil {
				t.Fatal("a file with bad rows imported its good row")
			}

			b.visit("/settings/users")
			b.upload(`#import-users input[name=file]`, "good.csv", "email,first_name,last_name,role\n"+
				"gina.good@northwind.example,Gina,Good,member\n"+
				"hal.hope@northwind.example,Hal,Hope,admin\n")
			b.press(`#import-users button[type=submit]`)
			b.want("the good file's check", "Every row is good", "gina.good@northwind.example", "hal.hope@northwind.example")
			if s.orgUserByEmail("gina.good@northwind.example") != nil {
				t.Fatal("checking a file imported it before confirmation")
			}
			b.press(`#confirm-import button[type=submit]`)
			b.want("the users after the import", "2 users imported.", "gina.good@northwind.example", "Hal Hope")
			if s.orgUserByEmail("hal.hope@northwind.example") == nil {
				t.Fatal("the confirmed import wrote nothing")
			}
		})
	}
}

// TestConsoleSettingsManagesAUser: create a user, open them, disable them;
// search finds them by status; an API key's secret is shown once.
func TestConsoleSettingsManagesAUser(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s, b := settingsAdmin(t, store(t))
			b.visit("/settings/users")
			b.fill(`#add-user input[name=email]`, "ivy.iles@northwind.example")
			b.fill(`#add-user input[name=given_name]`, "Ivy")
			b.fill(`#add-user input[name=family_name]`, "Iles")
			b.press(`#create-user`)
			b.want("the new user's page", "User ivy.iles@northwind.example created.", "Ivy Iles", "active", "Organization Member")

			b.press(`#user-status button[type=submit]`)
			b.want("the disabled user", "is disabled", "disabled", "Enable user")
			b.visit("/settings/users?status=disabled")
			b.want("the disabled users", "ivy.iles@northwind.example")
			b.visit("/settings/users?status=active&q=ivy")
			b.want("active users named ivy", "No user matches")

			b.visit("/settings/users?q=maria")
			b.press(`#users-list a`)
			b.want("Maria's page", "maria.lopez@northwind.example", "SOC Managers", "API keys", "Sessions")
			b.fill(`#new-key input[name=name]`, "SIEM export")
			b.press(`#new-key button[type=submit]`)
			secret := b.text("#key-secret")
			if len(secret) < 20 {
				t.Fatalf("the new key's secret is %q", secret)
			}
			b.want("the new key", "shown only this once", "SIEM export")
			b.visit("/settings/users/" + string(s.orgUserByEmail("maria.lopez@northwind.example").ID))
			b.want("the user page again", "SIEM export")
			if b.has(secret) {
				t.Fatal("the key's secret is shown again after the page was loaded again")
			}

			// A workspace's user is not one of the organization's.
			x := s.m.Directory().Index()
			o := x.OrgBySlug(demoSlug)
			it := x.UserByEmail(gh.Home{Org: o.ID, Workspace: x.WorkspaceBySlug(o.ID, "contoso").ID}, "it-admin@contoso.example")
			b.visit("/settings/users/" + string(it.ID))
			b.want("a workspace user under settings", "Not found")
			b.visit("/settings/users/usr_never_issued")
			b.want("an unknown user", "Not found")
		})
	}
}
