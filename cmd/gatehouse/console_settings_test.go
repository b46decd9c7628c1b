package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
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
			b.want("the bad file's check", "2 rows of 3 cannot be imported", "Nothing was imported",
				"Line 3", "must be an email address", "Line 4", "already in use")
			b.wantNot("the bad file's check", "Line 2")
			if s.orgUserByEmail("gina.good@northwind.example") != nil {
				t.Fatal("a file with bad rows imported its good row")
			}

			b.visit("/settings/users")
			b.upload(`#import-users input[name=file]`, "header.csv", "mail,first_name\nx@northwind.example,X\n")
			b.press(`#import-users button[type=submit]`)
			b.want("a file with an unknown column", `column "mail" is unknown`)

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

			b.press(`#user-status a[href$="/disable"]`)
			b.want("the confirmation", "Disable ivy.iles@northwind.example?", "1 person would lose access", "the organization")
			b.press(`#confirm button[type=submit]`)
			b.want("the disabled user", "is disabled", "disabled", "Enable user")
			ivy := b.location()
			b.visit("/settings/users?status=disabled")
			b.want("the disabled users", "ivy.iles@northwind.example")
			b.visit("/settings/users?status=active&q=ivy")
			b.want("active users named ivy", "No user matches")
			b.run(chromedp.Navigate(ivy))
			b.waitIdle()
			b.press(`#user-status button[type=submit]`)
			b.want("the enabled user", "is enabled again.", "Disable user")
			b.choose(`#user-role select[name=org_role]`, "Organization Admin")
			b.press(`#user-role button[type=submit]`)
			b.want("the promoted user", "Organization role changed.", "Organization Admin")
			b.fill(`#user-password input[name=password]`, "a temporary passphrase for Ivy")
			b.press(`#user-password button[type=submit]`)
			b.want("the temporary password", "Temporary password set")
			b.press(`#user-mfa button[type=submit]`)
			b.want("the second factor reset", "Second factors removed")
			if u := s.orgUserByEmail("ivy.iles@northwind.example"); u.Status != gh.StatusActive || u.OrgRole != gh.OrgRoleAdmin {
				t.Errorf("Ivy is %s and %s, want active and admin", u.Status, u.OrgRole)
			}

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

			b.press(`#keys-h ~ div form button[type=submit]`)
			b.want("the revoked key", "API key revoked.", "No API key.")

			// Lee signs in; an admin sees the session and ends it.
			lee := newBrowser(t, s.url, 1280)
			lee.signIn("lee.chen@northwind.example", s.givePassword(t, "lee.chen@northwind.example", ""))
			b.visit("/settings/users/" + string(s.orgUserByEmail("lee.chen@northwind.example").ID))
			b.want("Lee's sessions", "End session")
			b.press(`#sess-h ~ div form button[type=submit]`)
			b.want("Lee's ended session", "Session ended.", "not signed in anywhere")
			lee.visit("/settings/users")
			lee.want("Lee after the session ended", "Sign in")
			if !strings.Contains(lee.location(), "/signin?next=%2Fsettings%2Fusers") {
				t.Errorf("an ended session still opens %s", lee.location())
			}

			// A workspace's user is not one of the organization's.
			x := s.m.Directory().Index()
			o := x.OrgBySlug(demoSlug)
			it := x.UserByEmail(gh.Home{Org: o.ID, Workspace: x.WorkspaceBySlug(o.ID, "contoso").ID}, "it-admin@contoso.example")
			b.visit("/settings/users/" + string(it.ID))
			b.want("a workspace user under settings", "Not found")
			b.visit("/settings/users/usr_never_issued")
			b.want("an unknown user", "Not found")
			// Nor is another organization's.
			_, other, _, err := s.m.Directory().CreateOrg(context.Background(), directory.SystemActor("test"), directory.OrgInput{Name: "Elsewhere Security",
				Admin: directory.UserInput{Email: "admin@elsewhere.example", GivenName: "Else"}})
			if err != nil {
				t.Fatal(err)
			}
			b.visit("/settings/users/" + string(other.ID))
			b.want("another organization's user", "Not found")
			b.wantNot("another organization's user", "admin@elsewhere.example")

			// Typing in the search narrows the list in place (htmx).
			b.visit("/settings/users")
			b.run(chromedp.SendKeys(`#users-q`, "okafor", chromedp.ByQuery), chromedp.Sleep(500*time.Millisecond))
			b.waitIdle()
			b.want("the live search", "sam.okafor@northwind.example")
			b.wantNot("the live search", "maria.lopez@northwind.example")
			if !strings.Contains(b.location(), "q=okafor") {
				t.Errorf("the live search did not push its query: %s", b.location())
			}
		})
	}
}

// TestConsoleSettingsGroupsRolesAndAudit: add a user and a nested group to a
// group and see its members; see a group's workspaces; copy a built-in role;
// make a template; save the policy; invite someone and see the mail in the
// outbox; and find every change in the audit log, whose chain verifies.
func TestConsoleSettingsGroupsRolesAndAudit(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s, b := settingsAdmin(t, store(t))
			x := s.m.Directory().Index()
			o := x.OrgBySlug(demoSlug)

			b.visit("/settings/groups")
			b.want("the groups page", "SOC Tier 1", "Night Shift", "Create a group")
			b.fill(`#add-group input[name=name]`, "Threat Hunters")
			b.press(`#add-group button[type=submit]`)
			b.want("the new group", "Group Threat Hunters created.", "has no members yet", "not assigned to any workspace")
			b.fill(`#add-member input[name=email]`, "sam.okafor@northwind.example")
			b.press(`#add-member button[type=submit]`)
			b.want("the group with Sam", "Member added.", "sam.okafor@northwind.example")
			b.choose(`#add-member select[name=principal]`, "Night Shift")
			b.press(`#add-member button[type=submit]`)
			b.want("the group with Night Shift", "sam.okafor@northwind.example", "Night Shift", "nested group")
			b.press(`#group-members a[aria-label="Remove Night Shift from Threat Hunters"]`)
			b.want("the confirmation", "Remove Night Shift from Threat Hunters?")
			b.press(`#confirm button[type=submit]`)
			b.want("the group without Night Shift", "Member removed.", "sam.okafor@northwind.example")
			b.wantNot("the group without Night Shift", "nested group")
			b.fill(`#add-member input[name=email]`, "nobody@northwind.example")
			b.press(`#add-member button[type=submit]`)
			b.want("an unknown member", "User not found")
			b.visit("/settings/groups?q=tier+1")
			b.press(`#groups-list a`)
			b.want("SOC Tier 1's workspaces", "Contoso", "Fabrikam", "Incident Analyst", "Night Shift")
			b.press(`#group-members a[href*="/settings/groups/"]:not([href$="/remove"])`)
			b.want("Night Shift's page", "nina.berg@northwind.example", "Night Shift is also a member of SOC Tier 1")

			b.visit("/settings/roles")
			b.want("the roles page", "Incident Responder", "Content Admin", "workspace.users.add", "Customer Viewer")
			b.choose(`#new-role select[name=from]`, "A copy of Incident Analyst")
			b.press(`#new-role button[type=submit]`)
			b.want("the copy's form", "A copy of the built-in role Incident Analyst")
			b.fill(`#role-form input[name=name]`, "Tier 1 Plus")
			b.choose(`#role-form select[name="cap:incidents.close"]`, "full")
			b.press(`#role-form button[type=submit]`)
			b.want("the roles after the copy", "Role Tier 1 Plus created.", "Tier 1 Plus")
			var copied *gh.Role
			for _, r := range x.RolesNamed(o.ID, "Tier 1 Plus") {
				copied = r
			}
			if copied == nil || copied.BasedOn != gh.RoleIncidentAnalyst || copied.Grants["incidents.close"] != gh.LevelFull || copied.Grants["incidents.view"] != gh.LevelFull {
				t.Fatalf("the copied role is %+v", copied)
			}
			b.visit("/settings/roles/" + string(copied.ID))
			b.want("the role's form", "Delete role")
			b.choose(`#role-form select[name="cap:incidents.delete"]`, "limited")
			b.press(`#role-form button[type=submit]`)
			b.want("the saved role", "Role Tier 1 Plus saved.")
			if got := x.Role(copied.ID).Grants["incidents.delete"]; got != gh.LevelLimited {
				t.Errorf("incidents.delete = %s after the edit, want limited", got)
			}
			b.visit("/settings/roles/" + string(copied.ID))
			b.press(`#delete-role a`)
			b.want("the confirmation", "Delete the role Tier 1 Plus?")
			b.press(`#confirm button[type=submit]`)
			b.want("the roles after the deletion", "Role Tier 1 Plus deleted.")
			b.visit("/settings/roles/" + string(gh.RoleAdmin))
			b.want("a built-in role's form", "Not found")

			b.visit("/settings/templates")
			b.want("the templates page", "Standard onboarding", "SOC Managers", "applies to every new customer")
			b.fill(`#add-template input[name=name]`, "Managers only")
			b.choose(`#add-template select[name=group]`, "SOC Managers")
			b.choose(`#add-template select[name=role]`, "Admin")
			b.press(`#add-template button[type=submit]`)
			b.want("the new template", "Template Managers only created.", "Managers only")

			b.visit("/settings/policy")
			b.want("the policy page", "Minimum length", "Failures before a lockout")
			b.fill(`#policy input[name=lockout_threshold]`, "5")
			b.press(`#policy button[type=submit]`)
			b.want("the saved policy", "Security policy saved.")
			if got := x.Org(o.ID).Policy.LockoutThreshold; got != 5 {
				t.Errorf("lockout threshold = %d, want 5", got)
			}
			b.fill(`#policy textarea[name=security_contacts]`, "soc@northwind.example\nnot an email")
			b.press(`#policy button[type=submit]`)
			b.want("a bad security contact", `"not an email"`)
			var got string
			b.run(chromedp.Value(`#policy textarea[name=security_contacts]`, &got, chromedp.ByQuery))
			if !strings.Contains(got, "not an email") {
				t.Errorf("the contacts typed are lost after the error: %q", got)
			}
			if got := x.Org(o.ID).Policy.SecurityContacts; len(got) != 0 {
				t.Errorf("a refused policy saved its contacts: %q", got)
			}

			b.visit("/settings/users")
			b.fill(`#add-user input[name=email]`, "jo.jay@northwind.example")
			b.fill(`#add-user input[name=given_name]`, "Jo")
			b.press(`#invite-user`)
			b.want("the invited user", "Invitation sent to jo.jay@northwind.example.", "invited")
			b.visit("/settings/outbox")
			b.want("the outbox", "jo.jay@northwind.example")

			b.visit("/settings/audit")
			b.want("the audit log", "group.create", "group.member.add", "role.create", "template.create", "org.policy.update", "admin@northwind.example")
			b.press(`#verify-chain button[type=submit]`)
			b.want("the chain", "The chain verifies")
			b.visit("/settings/audit?actor=admin%40northwind.example")
			b.want("the admin's events", "group.create", "admin@northwind.example")
			b.wantNot("the admin's events", "org.create")
			b.visit("/settings/audit?action=role.")
			b.want("role events", "role.create")
			b.wantNot("role events", "group.create")
			var csv string
			b.run(chromedp.Evaluate(`fetch("/settings/audit/events.csv?action=group.").then(r => r.text())`, &csv,
				func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
			if !strings.HasPrefix(csv, "revision,time,") || !strings.Contains(csv, "group.member.add") || strings.Contains(csv, "role.create") {
				t.Errorf("the audit export is:\n%s", csv)
			}
		})
	}
}

// TestConsoleSettingsOrgMemberReads: an Organization Member reads the
// organization's people, groups, roles and policy without the forms that
// change them, and is refused the audit log and the outbox; a customer's user
// finds no settings at all.
func TestConsoleSettingsOrgMemberReads(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			b := newBrowser(t, s.url, 1280)
			b.signIn("sam.okafor@northwind.example", s.givePassword(t, "sam.okafor@northwind.example", ""))
			b.visit("/settings/users")
			b.want("a member's users page", "maria.lopez@northwind.example", "SOC Tier 1")
			b.wantNot("a member's users page", "Add a user", "Import users")
			b.visit("/settings/users/" + string(s.orgUserByEmail("maria.lopez@northwind.example").ID))
			b.want("a colleague's page", "maria.lopez@northwind.example", "SOC Managers")
			b.wantNot("a colleague's page", "Disable user", "API keys", "Sessions")
			b.visit("/settings/groups")
			b.wantNot("a member's groups page", "Create a group")
			b.visit("/settings/roles")
			b.want("a member's roles page", "Incident Responder")
			b.wantNot("a member's roles page", "New custom role")
			b.visit("/settings/policy")
			b.want("a member's policy page", "Only an Organization Admin can change them.")
			b.visit("/settings/audit")
			b.want("a member's audit page", "Not allowed")
			b.visit("/settings/outbox")
			b.want("a member's outbox", "Not allowed")

			c := newBrowser(t, s.url, 1280)
			c.signIn("it-admin@contoso.example", s.givePassword(t, "it-admin@contoso.example", "contoso"))
			c.visit("/settings/users")
			c.want("a customer's user at settings", "Not found")
		})
	}
}
