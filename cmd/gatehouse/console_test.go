package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

// consoleServer is a demo node for the browser tests, with the password the
// demo printed for its Organization Admin.
type consoleServer struct {
	*cliServer
	adminPassword string
}

var demoPasswordRE = regexp.MustCompile(`(?s)and password \(shown once\):\n\n  (\S+)\n`)

func startConsole(t *testing.T, store string) *consoleServer {
	t.Helper()
	return startConsoleWith(t, store)
}

// startConsoleWith starts the console with changes to the node's settings.
func startConsoleWith(t *testing.T, store string, opts ...func(*Main)) *consoleServer {
	t.Helper()
	s := startCLIServerOn(t, store, opts...)
	m := demoPasswordRE.FindStringSubmatch(s.out)
	if m == nil {
		t.Fatalf("the demo printed no password:\n%s", s.out)
	}
	return &consoleServer{cliServer: s, adminPassword: m[1]}
}

// givePassword sets a demo user's password, as an admin would.
func (s *consoleServer) givePassword(t *testing.T, email, workspace string) string {
	t.Helper()
	d := s.m.Directory()
	o := d.Index().OrgBySlug(demoSlug)
	h := gh.Home{Org: o.ID}
	sc := directory.Scope{Org: o}
	if workspace != "" {
		sc.Workspace = d.Index().WorkspaceBySlug(o.ID, workspace)
		h.Workspace = sc.Workspace.ID
	}
	u := d.Index().UserByEmail(h, email)
	if u == nil {
		t.Fatalf("no demo user %s in %q", email, workspace)
	}
	const pw = "a long passphrase for the browser tests"
	if _, err := s.m.signin.SetPassword(context.Background(), directory.SystemActor("test"), sc, u.ID, signin.SetPasswordInput{Password: pw}); err != nil {
		t.Fatal(err)
	}
	return pw
}

// TestConsoleOnboardsACustomer: an Organization Admin signs in, creates a
// customer workspace, and sees the onboarding template's assignments there;
// a customer's admin then sees only its own workspace, with the partner's
// groups read-only.
func TestConsoleOnboardsACustomer(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			b := newBrowser(t, s.url, 1280)
			b.signIn("admin@northwind.example", s.adminPassword)
			b.want("the workspaces page", "Contoso", "Fabrikam", "Tailspin Toys", "Onboard a customer")
			if row := b.text(`#ws-list tbody tr:first-child`); !strings.Contains(row, "Contoso") || !strings.Contains(row, "active\t2\t0\t7") {
				t.Errorf("Contoso's row = %q, want active, 2 own users, no own group, 7 assignments", row)
			}
			b.fill(`input[name=name]`, "Wingtip Toys")
			b.press(`#onboard button[type=submit]`)
			b.want("the new workspace's IAM", "Workspace Wingtip Toys created.", "SOC Tier 1", "Incident Analyst", "SOC Managers", "inherited from the partner")

			it := s.givePassword(t, "it-admin@contoso.example", "contoso")
			c := newBrowser(t, s.url, 768)
			c.signIn("it-admin@contoso.example", it)
			c.want("a customer admin's IAM", "Contoso", "SOC Tier 1", "inherited from the partner", "read-only", "ciso@contoso.example")
			c.wantNot("a customer admin's IAM", "Fabrikam", "Wingtip")
			// The customer's admin adds one of its own people with a role,
			// then manages them on their page.
			c.run(chromedp.Click(`#add-ws-user-box summary`, chromedp.ByQuery))
			c.fill(`#add-ws-user input[name=email]`, "analyst@contoso.example")
			c.fill(`#add-ws-user input[name=given_name]`, "Cara")
			c.choose(`#add-ws-user select[name=role]`, "Incident Analyst")
			c.press(`#add-ws-user button.secondary`)
			c.want("the new customer user", "User analyst@contoso.example created. Role: Incident Analyst.", "Contoso · IAM")
			c.wantNot("the new customer user", "Organization role")
			c.fill(`#user-password input[name=password]`, "a temporary passphrase 2026")
			c.press(`#user-password button[type=submit]`)
			c.want("after the temporary password", "temporary password")
			c.press(`#user-status a[href$="/disable"]`)
			c.want("the disable preview", "1 person would lose access", "analyst@contoso.example", "incidents.view")
			c.press(`#confirm button[type=submit]`)
			c.want("the disabled customer user", "disabled")
			contoso := s.m.Directory().Index().WorkspaceBySlug(s.m.Directory().Index().OrgBySlug(demoSlug).ID, "contoso")
			if u := s.m.Directory().Index().UserByEmail(gh.Home{Org: contoso.Org, Workspace: contoso.ID}, "analyst@contoso.example"); u == nil || u.Status != gh.StatusDisabled {
				t.Errorf("the customer's new user is %+v, want disabled", u)
			}

			// ... and its own groups.
			c.visit("/workspaces/" + string(contoso.ID) + "/iam")
			c.fill(`#add-ws-group input[name=name]`, "Contoso Liaisons")
			c.press(`#add-ws-group button[type=submit]`)
			c.want("the customer's new group", "Group Contoso Liaisons created.", "Contoso · IAM")
			c.fill(`#add-member input[name=email]`, "ciso@contoso.example")
			c.press(`#add-member button[type=submit]`)
			c.want("the group with its member", "Member added.", "ciso@contoso.example")

			// ... and its own custom roles, which only it can give.
			c.visit("/workspaces/" + string(contoso.ID) + "/roles")
			c.want("Contoso's roles", "Roles of Contoso", "Incident Analyst")
			c.choose(`#new-role select[name=from]`, "A copy of Incident Analyst")
			c.press(`#new-role button[type=submit]`)
			c.fill(`#role-form input[name=name]`, "Contoso Triage")
			c.choose(`#role-form select[name="cap:incidents.close"]`, "full")
			c.press(`#role-form button[type=submit]`)
			c.want("the new workspace role", "Role Contoso Triage created.")
			if rs := s.m.Directory().Index().RolesNamed(contoso.Org, "Contoso Triage"); len(rs) != 1 || rs[0].Workspace != contoso.ID {
				t.Errorf("Contoso Triage is %+v, want one role of Contoso", rs)
			}
			c.visit("/settings/roles")
			c.want("Settings for a customer", "Not found")

			c.visit("/workspaces")
			if c.has("Fabrikam") {
				t.Errorf("a customer admin sees other customers at /workspaces")
			}
			wingtip := s.m.Directory().Index().WorkspaceBySlug(s.m.Directory().Index().OrgBySlug(demoSlug).ID, "wingtip-toys")
			if wingtip == nil {
				t.Fatal("no wingtip-toys workspace after onboarding")
			}
			c.visit("/workspaces/" + string(wingtip.ID) + "/iam")
			c.want("another customer's IAM", "Not found")
		})
	}
}

// TestConsoleExplorerExplainsAndFixes: the explorer draws why a nested
// group's member may not close incidents in a customer, and its fix button
// gives the role that allows it; the reverse questions answer too.
func TestConsoleExplorerExplainsAndFixes(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			x := s.m.Directory().Index()
			contoso := x.WorkspaceBySlug(x.OrgBySlug(demoSlug).ID, "contoso")
			b := newBrowser(t, s.url, 1280)
			b.signIn("admin@northwind.example", s.adminPassword)
			why := "/access?mode=why&user=nina.berg@northwind.example&workspace=" + string(contoso.ID) + "&capability=incidents.close&level=full"
			b.visit(why)
			b.want("the denial", "Denied: nina.berg@northwind.example may not use incidents.close", "group Night Shift", "group SOC Tier 1", "Incident Analyst", "missing", "Fix:")
			b.choose(`#fix select[name=role]`, "Incident Responder")
			b.press(`#fix button[type=submit]`)
			b.want("after the fix", "now has the role Incident Responder in Contoso", "Allowed: nina.berg@northwind.example may use incidents.close")
			if d := x.Check(x.UserByEmail(gh.Home{Org: contoso.Org}, "nina.berg@northwind.example").ID, contoso.ID, "incidents.close", gh.LevelFull); !d.Allowed {
				t.Errorf("the engine still denies after the fix: %+v", d)
			}

			b.visit("/access?mode=where&user=nina.berg@northwind.example&capability=incidents.view")
			b.want("where can", "Contoso", "Fabrikam", "Tailspin Toys")
			b.visit("/access?mode=who&workspace=" + string(contoso.ID) + "&capability=incidents.close")
			b.want("who can", "nina.berg@northwind.example", "maria.lopez@northwind.example")
			b.wantNot("who can", "sam.okafor@northwind.example")
			b.visit("/access?mode=matrix")
			b.want("the matrix", "Contoso", "maria.lopez@northwind.example", "Admin", "Incident Responder")

			// A customer's admin asks only about its own workspace, and
			// cannot ask about the partner's staff it cannot see.
			c := newBrowser(t, s.url, 768)
			c.signIn("it-admin@contoso.example", s.givePassword(t, "it-admin@contoso.example", "contoso"))
			c.visit("/access?mode=why&user=ciso@contoso.example&capability=incidents.close&level=full")
			c.want("a customer's question", "Denied: ciso@contoso.example", "Customer Viewer")
			c.visit("/access?mode=why&user=ciso@fabrikam.example&capability=incidents.view&level=full")
			c.wantNot("another customer's user", "ciso@fabrikam.example may")
		})
	}
}

// TestConsoleWhatIfListsWhoLosesAccess: removing a partner group's role in a
// customer first shows exactly the people who would lose access — the
// group's members, nested ones included — and changes nothing until confirmed.
func TestConsoleWhatIfListsWhoLosesAccess(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			x := s.m.Directory().Index()
			org := x.OrgBySlug(demoSlug)
			contoso := x.WorkspaceBySlug(org.ID, "contoso")
			var tier1 *gh.Assignment
			for _, as := range x.AssignmentsIn(contoso.ID) {
				if g := x.Group(gh.GroupID(as.Principal.ID)); g != nil && g.Name == "SOC Tier 1" {
					tier1 = as
				}
			}
			if tier1 == nil {
				t.Fatal("the demo has no SOC Tier 1 assignment in Contoso")
			}
			b := newBrowser(t, s.url, 1280)
			b.signIn("admin@northwind.example", s.adminPassword)
			b.visit("/workspaces/" + string(contoso.ID) + "/iam")
			rev := s.revision()
			b.press(`a[href$="/assignments/` + string(tier1.ID) + `/remove"]`)
			losses := b.text("#losses")
			for _, who := range []string{"sam.okafor@northwind.example", "nina.berg@northwind.example"} {
				if !strings.Contains(losses, who) {
					t.Errorf("the confirmation does not list %s:\n%s", who, losses)
				}
			}
			for _, who := range []string{"maria.lopez@northwind.example", "lee.chen@northwind.example", "admin@northwind.example", "ciso@contoso.example"} {
				if strings.Contains(losses, who) {
					t.Errorf("the confirmation lists %s, who keeps access:\n%s", who, losses)
				}
			}
			b.want("the confirmation", "2 people", "incidents.view")
			if s.revision() != rev || x.Assignment(tier1.ID) == nil {
				t.Fatal("the what-if changed something before the confirmation")
			}
			b.press(`#confirm button[type=submit]`)
			b.want("after confirming", "Assignment removed.")
			if x.Assignment(tier1.ID) != nil {
				t.Error("the assignment is still there after confirming")
			}
		})
	}
}

// TestConsoleNewAnalystReachesTheGroupsWorkspaces: a new analyst has no
// customer at first; once an admin adds them to SOC Tier 1 on its group
// page, every workspace the group is assigned to appears for them, with
// the group's role.
func TestConsoleNewAnalystReachesTheGroupsWorkspaces(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			x := s.m.Directory().Index()
			org := x.OrgBySlug(demoSlug)
			admin := newBrowser(t, s.url, 1280)
			admin.signIn("admin@northwind.example", s.adminPassword)
			admin.visit("/settings/users")
			admin.fill(`#add-user input[name=email]`, "ana.new@northwind.example")
			admin.fill(`#add-user input[name=given_name]`, "Ana")
			admin.fill(`#add-user input[name=family_name]`, "New")
			admin.press(`#create-user`)
			admin.want("the new analyst", "User ana.new@northwind.example created.")

			ana := newBrowser(t, s.url, 768)
			ana.signIn("ana.new@northwind.example", s.givePassword(t, "ana.new@northwind.example", ""))
			ana.want("a new analyst's workspaces", "You have no role in any customer workspace yet")

			var tier1 *gh.Group
			for _, g := range x.GroupsIn(gh.Home{Org: org.ID}, func(g *gh.Group) bool { return g.Name == "SOC Tier 1" }) {
				tier1 = g
			}
			admin.visit("/settings/groups/" + string(tier1.ID))
			admin.fill(`#add-member input[name=email]`, "ana.new@northwind.example")
			admin.press(`#add-member button[type=submit]`)
			admin.want("SOC Tier 1 with Ana", "Member added.", "ana.new@northwind.example")

			ana.visit("/workspaces")
			ana.want("the analyst's workspaces", "Contoso", "Fabrikam", "Tailspin Toys", "Incident Analyst")
			ana.wantNot("the analyst's workspaces", "You have no role")
		})
	}
}

// TestConsoleUsersFilters: Settings → Users narrows by group — nested
// members included — and by organization role, and the CLI takes the same
// filters; a service account is made from the same form.
func TestConsoleUsersFilters(t *testing.T) {
	s := startConsole(t, testStores["sqlite"](t))
	x := s.m.Directory().Index()
	org := x.OrgBySlug(demoSlug)
	var tier1 *gh.Group
	for _, g := range x.GroupsIn(gh.Home{Org: org.ID}, func(g *gh.Group) bool { return g.Name == "SOC Tier 1" }) {
		tier1 = g
	}
	b := newBrowser(t, s.url, 1280)
	b.signIn("admin@northwind.example", s.adminPassword)
	b.visit("/settings/users?group=" + string(tier1.ID))
	b.want("SOC Tier 1's people", "sam.okafor@northwind.example", "nina.berg@northwind.example")
	b.wantNot("SOC Tier 1's people", "maria.lopez@northwind.example", "admin@northwind.example")
	b.visit("/settings/users?org_role=admin")
	b.want("the admins", "admin@northwind.example")
	b.wantNot("the admins", "sam.okafor@northwind.example")
	b.visit("/settings/users?org_role=admin&group=" + string(tier1.ID))
	b.want("admins in SOC Tier 1", "No user matches")

	b.visit("/settings/users")
	b.fill(`#add-user input[name=email]`, "siem-bot@northwind.example")
	b.fill(`#add-user input[name=given_name]`, "SIEM")
	b.run(chromedp.Click(`#add-user input[name=kind]`, chromedp.ByQuery))
	b.press(`#create-user`)
	b.want("the service account", "Service account (API keys only)")
	if u := x.UserByEmail(gh.Home{Org: org.ID}, "siem-bot@northwind.example"); u == nil || !u.IsService() {
		t.Errorf("the new account is %+v, want a service account", u)
	}

	out := s.mustRun(t, s.admin, "users", "list", "--org", demoSlug, "--group", string(tier1.ID))
	if !strings.Contains(out, "nina.berg@northwind.example") || strings.Contains(out, "maria.lopez") {
		t.Errorf("users list --group answered:\n%s", out)
	}
	if _, errOut, code := s.run(s.admin, "users", "list", "--org", demoSlug, "--org-role", "owner"); code == 0 || !strings.Contains(errOut, "org_role") {
		t.Errorf("users list --org-role owner: exit %d, %s", code, errOut)
	}
}

// TestConsoleRoleChangePreview: taking a grant away from a role in use
// first lists everyone who would lose it, wherever the role is assigned;
// the role changes only once confirmed.
func TestConsoleRoleChangePreview(t *testing.T) {
	s := startConsole(t, testStores["sqlite"](t))
	x := s.m.Directory().Index()
	org := x.OrgBySlug(demoSlug)
	viewer := x.RolesNamed(org.ID, "Customer Viewer")[0]
	b := newBrowser(t, s.url, 1280)
	b.signIn("admin@northwind.example", s.adminPassword)
	b.visit("/settings/roles/" + string(viewer.ID))
	b.choose(`#role-form select[name="cap:incidents.view"]`, "none")
	b.press(`#role-form button[type=submit]`)
	b.want("the preview", "Save the role Customer Viewer?", "3 people", "ciso@contoso.example", "ciso@fabrikam.example", "ciso@tailspin.example", "incidents.view (full → none)")
	if x.Role(viewer.ID).Grants["incidents.view"] != gh.LevelFull {
		t.Fatal("the role changed before the confirmation")
	}
	b.press(`#confirm button[type=submit]`)
	b.want("after confirming", "Role Customer Viewer saved.")
	if l := x.Role(viewer.ID).Grants["incidents.view"]; l != gh.LevelNone {
		t.Errorf("incidents.view is %s after confirming, want none", l)
	}
}

// TestConsoleTemplates: an onboarding template is edited, applied to an
// existing customer — adding only what is missing — and deleted, leaving
// the assignments it made.
func TestConsoleTemplates(t *testing.T) {
	s := startConsole(t, testStores["sqlite"](t))
	x := s.m.Directory().Index()
	org := x.OrgBySlug(demoSlug)
	contoso := x.WorkspaceBySlug(org.ID, "contoso")
	var night *gh.Group
	for _, g := range x.GroupsIn(gh.Home{Org: org.ID}, func(g *gh.Group) bool { return g.Name == "Night Shift" }) {
		night = g
	}
	b := newBrowser(t, s.url, 1280)
	b.signIn("admin@northwind.example", s.adminPassword)
	b.visit("/settings/templates")
	b.press(`a[href^="/settings/templates?edit="]`)
	b.want("the edit form", "Edit the template", "Save template")
	b.choose(`#add-template tbody tr:nth-child(6) select[name=group]`, "Night Shift")
	b.choose(`#add-template tbody tr:nth-child(6) select[name=role]`, "Incident Responder")
	b.press(`#add-template button[type=submit]`)
	b.want("the saved template", "Template Standard onboarding saved.", "Night Shift")

	b.choose(`form.apply-template select[name=workspace]`, "Contoso")
	b.press(`form.apply-template button[type=submit]`)
	b.want("the applied template", "Template applied: 1 assignment made")
	if as := x.AssignmentFor(gh.GroupPrincipal(night.ID), contoso.ID); as == nil || as.Role != gh.RoleIncidentResponder {
		t.Errorf("Night Shift in Contoso: %+v, want Incident Responder", as)
	}

	b.visit("/settings/templates")
	b.press(`form[action$="/delete"] button[type=submit]`)
	b.want("after deleting", "Template deleted.", "No onboarding template yet.")
	if x.AssignmentFor(gh.GroupPrincipal(night.ID), contoso.ID) == nil {
		t.Error("deleting the template took its assignments away")
	}
}
