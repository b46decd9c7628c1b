package http_test

import (
	"context"
	"strconv"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
)

// The platform ships a new screen and guards it with a capability of its own:
// the operator adds it to the catalogue, and built-in and custom roles carry
// it in every workspace at once, on every store, without a release.
func TestOperatorExtendsTheCatalogue(t *testing.T) {
	const capPath = "/v1/capabilities/custom"
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")
		p.assign(p.admin, "acme", "alpha", "group", p.t2, "incident_responder")
		p.assign(p.admin, "acme", "alpha", "group", p.managers, "admin")
		ana := p.user(p.admin, org, "ana@acme.example")
		rob := p.user(p.admin, org, "rob@acme.example")
		meg := p.user(p.admin, org, "meg@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.t1, "user", ana)
		p.addMember(p.admin, org+"/groups/"+p.t2, "user", rob)
		p.addMember(p.admin, org+"/groups/"+p.managers, "user", meg)
		ask := func(user, ws, level string) (int, obj) {
			got, out, _ := p.call(p.admin, "POST", "/v1/check", obj{"org": "acme", "user": user, "workspace": ws,
				"capability": "vulnerabilities.triage", "level": level})
			return got, out
		}
		if got, out := ask(rob, "alpha", "full"); got != 400 || out.get("fields.capability") == nil {
			t.Fatalf("check of an unknown capability = %d %v, want 400 naming the capability", got, out)
		}

		// Only the operator extends the catalogue, and bad input changes nothing.
		good := obj{"id": "vulnerabilities.triage", "description": "Triage vulnerability findings",
			"builtin_grants": obj{"incident_responder": "full", "incident_analyst": "limited"}}
		if got, _, _ := p.call(p.admin, "POST", capPath, good); got != 403 {
			t.Errorf("an Org Admin adds a capability = %d, want 403", got)
		}
		before := e.head()
		bad := []struct {
			body  obj
			want  int
			field string
		}{
			{obj{"id": "Vulnerabilities", "description": "x"}, 400, "id"},
			{obj{"id": "org.vulnerabilities", "description": "x"}, 400, "id"},
			{obj{"id": "workspace.vulns.view", "description": "x"}, 400, "id"},
			{obj{"id": "vulnerabilities.triage", "description": " "}, 400, "description"},
			{obj{"id": "vulnerabilities.triage", "description": "x", "builtin_grants": obj{"admin": "full"}}, 400, "builtin_grants.admin"},
			{obj{"id": "vulnerabilities.triage", "description": "x", "builtin_grants": obj{"auditor": "full"}}, 400, "builtin_grants.auditor"},
			{obj{"id": "vulnerabilities.triage", "description": "x", "builtin_grants": obj{"incident_analyst": "none"}}, 400, "builtin_grants.incident_analyst"},
			{obj{"id": "vulnerabilities.triage", "description": "x", "builtin_grants": obj{"incident_analyst": "most"}}, 400, ""},
			{obj{"id": "vulnerabilities.triage", "description": "x", "scope": "organization"}, 400, ""},
			{obj{"id": "incidents.view", "description": "x"}, 409, "id"},
		}
		for _, b := range bad {
			got, out, _ := p.call(e.operator, "POST", capPath, b.body)
			fields, _ := out["fields"].(map[string]any)
			if got != b.want || (b.field != "" && fields[b.field] == nil) {
				t.Errorf("POST %v = %d %v, want %d naming %q", b.body, got, out, b.want, b.field)
			}
		}
		if e.head() != before || len(p.must(e.operator, "GET", capPath, nil, 200).list("items")) != 0 {
			t.Fatalf("refused capabilities changed the directory")
		}

		created := p.must(e.operator, "POST", capPath, good, 201)
		if created.num("revision") == 0 || created.str("builtin_grants.incident_responder") != "full" {
			t.Fatalf("created = %v", created)
		}
		for _, c := range []struct {
			user, level string
			want        bool
		}{{meg, "full", true}, {rob, "full", true}, {ana, "full", false}, {ana, "limited", true}} {
			if got, out := ask(c.user, "alpha", c.level); got != 200 || out.get("allowed") != c.want {
				t.Errorf("%s at level %s = %d %v, want allowed %v", c.user, c.level, got, out, c.want)
			}
		}
		if got, out := ask(rob, "beta", "full"); got != 200 || out.get("allowed") != false {
			t.Errorf("rob in beta, where his group has no role = %v, want denied", out)
		}
		listed := false
		for _, it := range p.must(p.admin, "GET", "/v1/capabilities", nil, 200).list("items") {
			if c := obj(it.(map[string]any)); c.str("id") == "vulnerabilities.triage" {
				listed = c.get("custom") == true && c.str("scope") == "workspace"
			}
		}
		if !listed {
			t.Errorf("the catalogue does not list the new capability as a custom workspace one")
		}
		look := p.must(p.admin, "GET", "/v1/lookup/workspaces?org=acme&user="+rob+"&capability=vulnerabilities.triage", nil, 200)
		if items := look.list("items"); len(items) != 1 || obj(items[0].(map[string]any)).str("workspace_name") != "Alpha" {
			t.Errorf("lookup for rob = %v, want Alpha", items)
		}

		// Custom roles grant it like any other capability.
		role := p.create(p.admin, org+"/roles", obj{"name": "Vuln Triage", "grants": obj{"vulnerabilities.triage": "full"}})
		p.assign(p.admin, "acme", "beta", "group", p.t1, role)
		if got, out := ask(ana, "beta", "full"); got != 200 || out.get("allowed") != true {
			t.Errorf("ana through the custom role in beta = %v, want allowed", out)
		}

		// A node started now from the store holds exactly what this one holds.
		fresh := directory.New(e.store, engine.New(gh.DefaultCatalogue), nil, nil)
		if err := fresh.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		if fresh.Index().Digest() != e.dir.Index().Digest() {
			t.Errorf("a restarted index differs from the live one")
		}
		if ci, ok := fresh.Catalogue().Lookup("vulnerabilities.triage"); !ok || !ci.Custom {
			t.Errorf("the restarted node does not know the capability")
		}

		// Lowering the built-in grants takes effect at once; stale writers are refused.
		stale := strconv.FormatInt(created.num("revision"), 10)
		p.must(e.operator, "PATCH", capPath+"/vulnerabilities.triage", obj{"builtin_grants": obj{}}, 200)
		if got, _, _ := p.call(e.operator, "PATCH", capPath+"/vulnerabilities.triage", obj{"description": "y"}, "If-Match", `"`+stale+`"`); got != 412 {
			t.Errorf("PATCH with a stale If-Match = %d, want 412", got)
		}
		if _, out := ask(rob, "alpha", "full"); out.get("allowed") != false {
			t.Errorf("rob after the responder lost the capability = %v, want denied", out)
		}
		if _, out := ask(meg, "alpha", "full"); out.get("allowed") != true {
			t.Errorf("a workspace Admin lost a custom capability: %v", out)
		}

		// Removing it while a role grants it would take access away unseen.
		got, out, _ := p.call(e.operator, "DELETE", capPath+"/vulnerabilities.triage", nil)
		if got != 409 || out.str("code") != "capability_in_use" {
			t.Fatalf("delete while Vuln Triage grants it = %d %v, want 409 capability_in_use", got, out)
		}
		p.must(p.admin, "PATCH", org+"/roles/"+role, obj{"grants": obj{"incidents.view": "full"}}, 200)
		p.must(e.operator, "DELETE", capPath+"/vulnerabilities.triage", nil, 200)
		if got, _ := ask(meg, "alpha", "full"); got != 400 {
			t.Errorf("check after removal = %d, want 400 (unknown capability)", got)
		}
		p.must(e.operator, "GET", capPath+"/vulnerabilities.triage", nil, 404)
		if got, _, _ := p.call(e.operator, "DELETE", capPath+"/incidents.view", nil); got != 404 {
			t.Errorf("delete a built-in capability = %d, want 404", got)
		}
	})
}
