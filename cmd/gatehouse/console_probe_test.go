package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

// pageClient is a signed-in browser without a browser: a cookie jar and the
// sign-in form.
type pageClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

var formTokenRE = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

func signInPages(t *testing.T, base, email, password string) *pageClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	p := &pageClient{t: t, base: base, c: &http.Client{Jar: jar}}
	_, body := p.get("/signin")
	tok := formTokenRE.FindStringSubmatch(body)
	if tok == nil {
		t.Fatalf("no form token on /signin:\n%s", body)
	}
	resp, err := p.c.PostForm(base+"/signin", url.Values{"form_token": {tok[1]}, "email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path == "/signin" {
		t.Fatalf("signing in as %s did not leave /signin", email)
	}
	return p
}

func (p *pageClient) get(path string) (int, string) {
	p.t.Helper()
	resp, err := p.c.Get(p.base + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// pageNoise is what differs between two renderings of the same page: form
// tokens and request ids.
var pageNoise = regexp.MustCompile(`value="[A-Za-z0-9_-]{32,}"|"request_id":"[^"]*"`)

// TestConsoleHidesOtherTenants: every console page that takes an id answers
// a customer admin, an org member and another organization's admin the same
// for another tenant's objects as for ids never issued — status and page.
func TestConsoleHidesOtherTenants(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			x := s.m.Directory().Index()
			org := x.OrgBySlug(demoSlug)
			contoso, fabrikam := x.WorkspaceBySlug(org.ID, "contoso"), x.WorkspaceBySlug(org.ID, "fabrikam")
			fabAsg := x.AssignmentsIn(fabrikam.ID)[0]
			fabUser := x.UserByEmail(gh.Home{Org: org.ID, Workspace: fabrikam.ID}, "ciso@fabrikam.example")
			partner := x.UserByEmail(gh.Home{Org: org.ID}, "sam.okafor@northwind.example")
			var group gh.GroupID
			for _, g := range x.GroupsIn(gh.Home{Org: org.ID}, func(*gh.Group) bool { return true }) {
				group = g.ID
			}
			wsGroup, _, err := s.m.Directory().CreateGroup(context.Background(), directory.SystemActor("test"),
				directory.Scope{Org: org, Workspace: fabrikam}, directory.GroupInput{Name: "Fabrikam Liaisons"})
			if err != nil {
				t.Fatal(err)
			}
			wsRole, _, err := s.m.Directory().CreateRole(context.Background(), directory.SystemActor("test"),
				directory.Scope{Org: org, Workspace: fabrikam}, directory.RoleInput{Name: "Fabrikam Triage", Grants: map[gh.Capability]gh.Level{"incidents.view": gh.LevelFull}})
			if err != nil {
				t.Fatal(err)
			}
			hidden := map[string]string{"wsrole": string(wsRole.ID), "wsgroup": string(wsGroup.ID), "ws": string(fabrikam.ID), "asg": string(fabAsg.ID), "user": string(fabUser.ID),
				"partner": string(partner.ID), "group": string(group), "email": "ciso@fabrikam.example"}
			never := map[string]string{"wsrole": string(gh.NewID("role")), "wsgroup": string(gh.NewID("grp")), "ws": string(gh.NewID("ws")), "asg": string(gh.NewID("asg")), "user": string(gh.NewID("usr")),
				"partner": string(gh.NewID("usr")), "group": string(gh.NewID("grp")), "email": "nobody@fabrikam.example"}
			pages := []string{
				"/workspaces/{ws}/iam", "/workspaces/{ws}/suspend", "/workspaces/{ws}/assignments/{asg}/remove",
				"/access?mode=why&user={email}&workspace={ws}&capability=incidents.view",
				"/access?mode=who&workspace={ws}&capability=incidents.view",
				"/settings/users/{user}", "/settings/users/{partner}", "/settings/groups/{group}",
				"/workspaces/{ws}/users/{user}", "/workspaces/{ws}/users/{user}/disable",
				"/workspaces/{ws}/roles", "/workspaces/{ws}/roles/new", "/workspaces/{ws}/roles/{wsrole}", "/workspaces/{ws}/roles/{wsrole}/delete", "/workspaces/{ws}/groups/{wsgroup}", "/workspaces/{ws}/groups/{wsgroup}/members/user/{user}/remove",
				"/workspaces/{ws}/reports", "/workspaces/{ws}/reports/workspace.csv", "/workspaces/{ws}/reports/inactive.csv?days=30",
				"/workspaces/{ws}/reports/disable?days=30", "/workspaces/" + string(contoso.ID) + "/reports?user={user}",
				"/workspaces/" + string(contoso.ID) + "/reports?user={partner}", "/workspaces/" + string(contoso.ID) + "/reports/user.csv?user={email}",
				"/settings/reports?user={user}",
			}
			fill := func(p string, ids map[string]string) string {
				for k, v := range ids {
					p = strings.ReplaceAll(p, "{"+k+"}", v)
				}
				return p
			}

			other := s.givePassword(t, "it-admin@contoso.example", "contoso")
			rival, rivalAdmin, _, err := s.m.Directory().CreateOrg(context.Background(), directory.SystemActor("test"), directory.OrgInput{Name: "Rival Security",
				Admin: directory.UserInput{Email: "boss@rival.example", GivenName: "Boss"}})
			if err != nil {
				t.Fatal(err)
			}
			const pw = "a long passphrase for the rival admin"
			if _, err := s.m.signin.SetPassword(context.Background(), directory.SystemActor("test"), directory.Scope{Org: rival}, rivalAdmin.ID, signin.SetPasswordInput{Password: pw}); err != nil {
				t.Fatal(err)
			}
			callers := map[string]*pageClient{
				"customer admin":               signInPages(t, s.url, "it-admin@contoso.example", other),
				"another organization's admin": signInPages(t, s.url, "boss@rival.example", pw),
			}
			for who, c := range callers {
				for _, p := range pages {
					st1, body1 := c.get(fill(p, hidden))
					st2, body2 := c.get(fill(p, never))
					body1, body2 = pageNoise.ReplaceAllString(body1, ""), pageNoise.ReplaceAllString(body2, "")
					for k := range hidden { // the page may echo the ids it was given
						body1 = strings.ReplaceAll(body1, hidden[k], never[k])
						body1 = strings.ReplaceAll(body1, url.QueryEscape(hidden[k]), url.QueryEscape(never[k]))
					}
					if st1 != st2 || body1 != body2 {
						t.Errorf("%s at %s: another tenant's ids answer %d, never-issued ones %d, or the pages differ:\n%s\n---\n%s", who, p, st1, st2, body1, body2)
					}
					if st1 == http.StatusOK && strings.Contains(p, "{ws}") && !strings.Contains(p, "access") {
						t.Errorf("%s at %s: another tenant's page answered 200", who, p)
					}
				}
			}
			_ = contoso
		})
	}
}
