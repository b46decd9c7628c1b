package http_test

import (
	"encoding/csv"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
)

// postCSV sends a CSV file to an import endpoint.
func (e *env) postCSV(key, path, body string) (int, obj) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := obj{}
	e.decode(resp.Body, &out)
	return resp.StatusCode, out
}

// getCSV downloads an export and parses it.
func (e *env) getCSV(key, path string) [][]string {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		b, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("GET %s = %d %s %s, want 200 text/csv", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		e.t.Fatalf("export is not CSV: %v", err)
	}
	return rows
}

func TestCSVImportIsAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		file := "email,first_name,last_name,role,group\n" +
			"ana@acme.example,Ana,Alves,member,SOC Tier 1\n" +
			"not-an-email,Bad,Row,,\n" +
			"ANA@acme.example,Twice,Again,,\n" +
			"cy@acme.example,Cy,Chen,emperor,\n" +
			"dee@acme.example,Dee,Diaz,admin,No Such Group\n" +
			"eli@acme.example,Eli,Ek,,Managers\n"
		before := p.head()
		got, out := p.postCSV(p.admin, org+"/users/import", file)
		if got != 400 || out.str("code") != "csv_invalid" {
			t.Fatalf("import with bad rows = %d %v, want 400 csv_invalid", got, out)
		}
		for _, field := range []string{"line 3.email", "line 4.email", "line 5.role", "line 6.group"} {
			if out.get("fields."+field) == nil {
				// Field keys contain dots; look them up directly.
				if _, ok := out["fields"].(map[string]any)[field]; !ok {
					t.Errorf("fields = %v, want a message for %q", out["fields"], field)
				}
			}
		}
		if p.head() != before {
			t.Fatalf("a refused import changed the directory")
		}

		got, out = p.postCSV(p.admin, org+"/users/import?mode=valid", file)
		if got != 200 || out.num("imported") != 2 || len(out.list("skipped")) != 4 {
			t.Fatalf("import valid rows = %d %v, want 2 imported and 4 skipped", got, out)
		}
		p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")
		if !p.allowed("ana@acme.example", "alpha", "incidents.view") {
			t.Errorf("imported ana is not in SOC Tier 1's workspace")
		}
		events := p.must(p.admin, "GET", org+"/events?action=user.create", nil, 200).list("items")
		if len(events) != 2 {
			t.Errorf("user.create events = %d, want one per imported user", len(events))
		}
	})
}

func TestCSVImportIntoAWorkspaceAssignsRoles(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ca := p.user(p.admin, org+"/workspaces/alpha", "it@customer.example")
		p.assign(p.admin, "acme", "alpha", "user", ca, "admin")
		caKey := p.key("acme", ca)
		p.create(caKey, org+"/workspaces/alpha/groups", obj{"name": "Helpdesk"})
		file := "\ufeffEmail,First Name,Last Name,Role,Group\nhal@customer.example,Hal,H,Incident Responder,Helpdesk\nivy@customer.example,Ivy,I,,\n"
		got, out := p.postCSV(caKey, org+"/workspaces/alpha/users/import", file)
		if got != 200 || out.num("imported") != 2 {
			t.Fatalf("workspace import = %d %v, want 2 imported", got, out)
		}
		if !p.allowed("hal@customer.example", "alpha", "incidents.close") {
			t.Errorf("hal imported as Incident Responder cannot close incidents")
		}
		// A customer admin cannot import into another workspace, nor at the organization.
		if got, _ := p.postCSV(caKey, org+"/workspaces/beta/users/import", file); got != 404 {
			t.Errorf("import into another workspace = %d, want 404", got)
		}
		if got, _ := p.postCSV(caKey, org+"/users/import", file); got != 403 {
			t.Errorf("import at the organization = %d, want 403", got)
		}
		for name, body := range map[string]string{
			"empty":          "",
			"unknown column": "email,first_name,shoe_size\na@b.example,A,9\n",
			"no email":       "first_name\nA\n",
			"ragged":         "email,first_name\na@b.example,A,extra\n",
			"header only":    "email,first_name\n",
		} {
			if got, out := p.postCSV(caKey, org+"/workspaces/alpha/users/import", body); got != 400 {
				t.Errorf("%s file = %d %v, want 400", name, got, out)
			}
		}
	})
}

func TestCSVExports(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		night := p.create(p.admin, org+"/groups", obj{"name": "Night Shift"})
		p.addMember(p.admin, org+"/groups/"+p.t1, "group", night)
		nina := p.create(p.admin, org+"/users", obj{"email": "nina@acme.example", "given_name": "=HYPERLINK(\"x\")"})
		p.addMember(p.admin, org+"/groups/"+night, "user", nina)
		p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")

		users := p.getCSV(p.admin, org+"/users/export")
		if users[0][1] != "email" || len(users) != 3 {
			t.Fatalf("users export = %v, want a header and 2 users", users)
		}
		for _, row := range users[1:] {
			if row[1] == "nina@acme.example" {
				if row[2] != `'=HYPERLINK("x")` || row[9] != "Night Shift" {
					t.Errorf("nina's row = %v, want the formula escaped and her group", row)
				}
			}
		}
		access := p.getCSV(p.admin, org+"/access/export")
		var found bool
		for _, row := range access[1:] {
			if row[2] == "nina@acme.example" && row[0] == "Alpha" && row[4] == "Incident Analyst" && row[7] == "Night Shift > SOC Tier 1" {
				found = true
			}
		}
		if !found {
			t.Errorf("access export = %v, want nina in Alpha as Incident Analyst via Night Shift > SOC Tier 1", access)
		}
	})
}

func TestCSVExportNeutralizesHiddenAndFullwidthFormulas(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		// Fullwidth signs are visible characters, so a name may hold them today.
		fw := p.create(p.admin, org+"/users", obj{"email": "fw@acme.example", "given_name": "＝HYPERLINK(\"x\")",
			"family_name": "＋1", "job_title": "－1", "department": "＠SUM(A1)"})
		// Invisible characters are refused in names now, but older rows may hold them.
		hid := p.user(p.admin, org, "hid@acme.example")
		p.storeLegacy(hid, func(u *gh.User) {
			u.GivenName, u.FamilyName, u.JobTitle = "\ufeff=HYPERLINK(\"x\")", "\u200b+1", "\u200d\u2060-1"
		})
		want := map[string][]string{
			fw:  {`'＝HYPERLINK("x")`, "'＋1", "'－1", "'＠SUM(A1)"},
			hid: {"'\ufeff=HYPERLINK(\"x\")", "'\u200b+1", "'\u200d\u2060-1", ""},
		}
		for _, row := range p.getCSV(p.admin, org+"/users/export")[1:] {
			if w, ok := want[row[0]]; ok {
				if got := []string{row[2], row[3], row[6], row[7]}; !slices.Equal(got, w) {
					t.Errorf("%s's cells = %q, want %q", row[1], got, w)
				}
				delete(want, row[0])
			}
		}
		if len(want) != 0 {
			t.Errorf("users missing from the export: %v", want)
		}
	})
}

// TestImportSampleImportsAsIs: the sample file of each scope is accepted
// by that scope's import, unchanged.
func TestImportSampleImportsAsIs(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		e.create(p.admin, org+"/workspaces/alpha/groups", obj{"name": "Alpha Staff"})
		for _, path := range []string{org, org + "/workspaces/alpha"} {
			rows := e.getCSV(p.admin, path+"/users/import/sample")
			if len(rows) < 2 || strings.Join(rows[0], ",") != "email,first_name,last_name,role,group" {
				t.Fatalf("sample of %s = %v, want a header and rows", path, rows)
			}
			var b strings.Builder
			_ = csv.NewWriter(&b).WriteAll(rows)
			if got, out := e.postCSV(p.admin, path+"/users/import", b.String()); got != 200 || out.num("imported") != int64(len(rows)-1) {
				t.Errorf("importing the sample of %s = %d %v, want 200 and %d created", path, got, out, len(rows)-1)
			}
		}
	})
}

// The organization's people take a role in the workspace their row names
// (per row, unlike a list of invitations); a workspace's file may not name one.
func TestCSVImportGivesOrgUsersARoleInAWorkspace(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		file := "email,first_name,role,workspace,group\nkim@acme.example,Kim,Incident Responder,alpha,SOC Tier 1\nlu@acme.example,Lu,incident_analyst,beta,\nmo@acme.example,Mo,admin,,\n"
		got, out := p.postCSV(p.admin, org+"/users/import", file)
		if got != 200 || out.num("imported") != 3 {
			t.Fatalf("import = %d %v, want 3 imported", got, out)
		}
		for _, c := range []struct {
			who, ws, capability string
			want                bool
		}{
			{"kim@acme.example", "alpha", "incidents.close", true}, {"kim@acme.example", "beta", "incidents.view", false},
			{"lu@acme.example", "beta", "incidents.view", true}, {"lu@acme.example", "beta", "incidents.close", false},
		} {
			if got := p.allowed(c.who, c.ws, c.capability); got != c.want {
				t.Errorf("%s %s in %s = %v, want %v", c.who, c.capability, c.ws, got, c.want)
			}
		}
		if got := p.must(p.admin, "GET", org+"/users?q=mo@", nil, 200).str("items.0.org_role"); got != "admin" {
			t.Errorf("mo's organization role = %q, want admin (no workspace: the role is the organization's)", got)
		}
		bad := "email,first_name,role,workspace\nno@acme.example,No,admin,nowhere\n"
		if got, out := p.postCSV(p.admin, org+"/users/import", bad); got != 400 || out.str("code") != "csv_invalid" {
			t.Errorf("a row naming no workspace = %d %v, want 400 csv_invalid", got, out)
		}
		if got, out := p.postCSV(p.admin, org+"/workspaces/alpha/users/import", "email,first_name,role,workspace\nx@alpha.example,X,admin,beta\n"); got != 400 {
			t.Errorf("a workspace's file naming a workspace = %d %v, want 400", got, out)
		}
	})
}

// TestCSVProfileColumns imports users with their profiles and exports them
// back; a bad cell names its line and column and imports nothing.
func TestCSVProfileColumns(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.user(p.admin, org, "lead@acme.example")
		bad := "email,first_name,phones,manager,skills,language,time_zone\n" +
			"ana@acme.example,Ana,work:+12025550143,lead@acme.example,DFIR;Malware,en-gb,Europe/Paris\n" +
			"ben@acme.example,Ben,pager 12,nobody@acme.example,,xx-!!,Mars/Base\n"
		before := p.head()
		st, out := e.postCSV(p.admin, org+"/users/import", bad)
		fields, _ := out.get("fields").(map[string]any)
		for _, f := range []string{"line 3.phones", "line 3.manager", "line 3.language", "line 3.time_zone"} {
			if fields[f] == nil {
				t.Errorf("no error on %s: %d %v", f, st, out)
			}
		}
		if st != 400 || len(fields) != 4 || p.head() != before {
			t.Fatalf("bad profile cells = %d %v, or something changed", st, out)
		}
		good := "email,first_name,job_title,department,phones,manager,skills,specializations,language,time_zone\n" +
			"ana@acme.example,Ana,Analyst,SOC,work:+1 202-555-0143; mobile:+44 7911 123456,lead@acme.example,DFIR; Malware;dfir,Cloud,en-gb,Europe/Paris\n"
		if st, out := e.postCSV(p.admin, org+"/users/import", good); st != 200 {
			t.Fatalf("import = %d %v", st, out)
		}
		rows := e.getCSV(p.admin, org+"/users/export")
		header := rows[0]
		for _, r := range rows[1:] {
			if r[1] != "ana@acme.example" {
				continue
			}
			got := map[string]string{}
			for i, h := range header {
				got[h] = r[i]
			}
			want := map[string]string{"job_title": "Analyst", "department": "SOC", "phones": "work:+12025550143; mobile:+447911123456",
				"manager": "lead@acme.example", "skills": "DFIR; Malware", "specializations": "Cloud", "language": "en-GB", "time_zone": "Europe/Paris"}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("export %s = %q, want %q", k, got[k], v)
				}
			}
			return
		}
		t.Fatalf("ana not exported: %v", rows)
	})
}
