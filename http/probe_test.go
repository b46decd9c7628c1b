package http_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

var (
	probeN    = flag.Int("probe.n", 2400, "probes per store in TestCrossTenantProbe, shared by its four actors")
	probeSeed = flag.Uint64("probe.seed", 0, "seed of TestCrossTenantProbe (0: from the clock)")
)

// TestCrossTenantProbe drives every route of /openapi.json as four actors who
// each may not see part of the deployment — a customer admin, a customer
// analyst, a partner org member and another organization's admin — with
// identifiers of what they may not see (another organization, a sibling
// workspace, the organization level) in the path, the query and the body.
// Each request is sent twice: once with the hidden identifiers and once with
// identifiers that never existed. The two answers must be the same (status,
// code and message), so nothing tells a hidden object from an absent one, and
// the index must be exactly as it was when the probes are over.
func TestCrossTenantProbe(t *testing.T) {
	seed := *probeSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	forEachStore(t, func(t *testing.T, e *env) {
		w := newProbeWorld(e)
		routes := probeRoutes(e)
		before := e.dir.Index().Digest()
		seen := map[string]bool{}
		for ai, actor := range w.actors {
			rng := rand.New(rand.NewPCG(seed, uint64(ai)))
			for i := 0; i < *probeN/len(w.actors); i++ {
				rt := routes[rng.IntN(len(routes))]
				p, ok := w.probe(rng, actor, rt)
				if !ok {
					continue
				}
				seen[rt.key()] = true
				w.compare(t, seed, actor, p)
			}
		}
		if after := e.dir.Index().Digest(); after != before {
			t.Fatalf("seed %d: the probes changed the index (digest %s, then %s)", seed, before, after)
		}
		for _, rt := range routes {
			if rt.probeable() && !seen[rt.key()] && *probeN >= 2400 {
				t.Errorf("seed %d: route %s was never probed", seed, rt.key())
			}
		}
	})
}

// probeRoute is one operation of the OpenAPI document.
type probeRoute struct{ method, path string }

func (r probeRoute) key() string { return r.method + " " + r.path }

// probeable reports whether the route names something the probes can hide.
func (r probeRoute) probeable() bool {
	full := r.path + "?" + queries[r.key()] + "\x00" + bodies[r.key()]
	for _, l := range placeholderRE.FindAllStringIndex(full, -1) {
		if paramKind(full, l, strings.Trim(full[l[0]:l[1]], "${}")) != "" {
			return true
		}
	}
	return false
}

// probeRoutes lists every route the server documents, in a stable order.
func probeRoutes(e *env) []probeRoute {
	doc := e.must("", "GET", "/openapi.json", nil, 200)
	paths, _ := doc["paths"].(map[string]any)
	var out []probeRoute
	for p, ops := range paths {
		for m := range ops.(map[string]any) {
			if m == "parameters" {
				continue
			}
			out = append(out, probeRoute{strings.ToUpper(m), p})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

// bodies and queries give routes whose identifiers travel in the body or the
// query a template; $name placeholders are filled like path parameters.
var bodies = map[string]string{
	"POST /v1/check":       `{"org":"$org","user":"$user","workspace":"$ws","capability":"incidents.view"}`,
	"POST /v1/explain":     `{"org":"$org","user":"$user","workspace":"$ws","capability":"incidents.close"}`,
	"POST /v1/check/batch": `{"checks":[{"org":"$org","user":"$user","workspace":"$ws","capability":"incidents.view"}]}`,
	"POST /v1/orgs/{org}/workspaces/{ws}/assignments":         `{"principal":{"type":"user","id":"$user"},"role":"$role"}`,
	"POST /v1/orgs/{org}/groups/{id}/members":                 `{"member":{"type":"user","id":"$user"}}`,
	"POST /v1/orgs/{org}/workspaces/{ws}/groups/{id}/members": `{"member":{"type":"group","id":"$group"}}`,
	"PATCH /v1/orgs/{org}/workspaces/{ws}/assignments/{id}":   `{"role":"$role"}`,
	"POST /v1/orgs/{org}/templates":                           `{"name":"probe template","entries":[{"group_id":"$group","role":"incident_analyst"}]}`,
	"PUT /v1/orgs/{org}/templates/{id}":                       `{"name":"probe template","entries":[{"group_id":"$group","role":"incident_analyst"}]}`,
	"POST /v1/orgs/{org}/whatif":                              `{"operations":[{"op":"delete","type":"membership","id":"$group","body":{"member":{"type":"user","id":"$user"}}}]}`,
	"PATCH /v1/orgs/{org}/users/{id}":                         `{"given_name":"Probed"}`,
	"POST /v1/orgs/{org}/exclusions":                          `{"principal":{"type":"user","id":"$user"},"capabilities":["cms.rules.manage"]}`,
	"POST /v1/orgs/{org}/workspaces/{ws}/exclusions":          `{"principal":{"type":"group","id":"$group"},"capabilities":["cms.rules.manage"]}`,
	"PATCH /v1/me/profile":                                    `{"manager_id":"$user"}`,
	"PATCH /v1/orgs/{org}/workspaces/{ws}/users/{id}":         `{"given_name":"Probed"}`,
	"PATCH /v1/orgs/{org}/groups/{id}":                        `{"description":"probed"}`,
	"PATCH /v1/orgs/{org}/workspaces/{ws}/groups/{id}":        `{"description":"probed"}`,
	"PATCH /v1/orgs/{org}/roles/{id}":                         `{"description":"probed"}`,
	"PATCH /v1/orgs/{org}/workspaces/{ws}/roles/{id}":         `{"description":"probed"}`,
	"PATCH /v1/orgs/{org}/workspaces/{ws}":                    `{"name":"Probed"}`,
	"PATCH /v1/orgs/{org}":                                    `{"name":"Probed"}`,
	"POST /v1/orgs/{org}/users/{id}/keys":                     `{"name":"probe"}`,
	"POST /v1/orgs/{org}/users/{id}/password":                 `{"password":"a long probing passphrase 42"}`,
	"POST /v1/orgs/{org}/workspaces/{ws}/users/{id}/password": `{"password":"a long probing passphrase 42"}`,
}

var queries = map[string]string{
	"GET /v1/lookup/workspaces":        "org=$org&user=$user&capability=incidents.view",
	"GET /v1/lookup/users":             "org=$org&workspace=$ws&capability=incidents.view",
	"GET /v1/orgs/{org}/access/export": "workspace=$ws",
	"GET /v1/orgs/{org}/events":        "target=$user",
}

// questions are the POST routes that only ask.
var questions = map[string]bool{"/v1/check": true, "/v1/check/batch": true, "/v1/explain": true}

// probeActor is one caller and what it must not be able to see.
type probeActor struct {
	name    string
	key     string
	visible map[string][]string // kind → identifiers it may see
	hidden  map[string][]string // kind → identifiers it must not see
}

// probeWorld is two organizations: acme with workspaces w1 and w2, and beta.
type probeWorld struct {
	e      *env
	actors []*probeActor
}

// aProbe is one request with its twin.
type aProbe struct {
	method, hidden, absent string // paths with query
	hiddenBody, absentBody string
	swaps                  map[string]string // hidden value → absent value
}

func newProbeWorld(e *env) *probeWorld {
	e.t.Helper()
	_, adminA := e.org("acme")
	_, adminB := e.org("beta")
	const a, b = "/v1/orgs/acme", "/v1/orgs/beta"
	w1 := e.create(adminA, a+"/workspaces", obj{"name": "Contoso", "slug": "contoso"})
	w2 := e.create(adminA, a+"/workspaces", obj{"name": "Fabrikam", "slug": "fabrikam"})
	wb := e.create(adminB, b+"/workspaces", obj{"name": "Tailspin", "slug": "tailspin"})
	in := func(ws string) string { return a + "/workspaces/" + ws }

	member := e.user(adminA, a, "nina@acme.example")
	quiet := e.user(adminA, a, "quiet@acme.example")
	soc := e.create(adminA, a+"/groups", obj{"name": "SOC"})
	backOffice := e.create(adminA, a+"/groups", obj{"name": "Back office"})
	e.addMember(adminA, a+"/groups/"+soc, "user", member)
	e.addMember(adminA, a+"/groups/"+backOffice, "user", quiet)
	socAssign := e.assign(adminA, "acme", w1, "group", soc, "incident_responder").str("id")
	boAssign := e.assign(adminA, "acme", w2, "group", backOffice, "incident_analyst").str("id")
	orgRole := e.create(adminA, a+"/roles", obj{"name": "Tier 1", "based_on": "incident_analyst"})
	tmpl := e.create(adminA, a+"/templates", obj{"name": "Standard", "entries": []obj{{"group_id": soc, "role": "incident_analyst"}}})

	custAdmin := e.user(adminA, in(w1), "it@contoso.example")
	analyst := e.user(adminA, in(w1), "ana@contoso.example")
	g1 := e.create(adminA, in(w1)+"/groups", obj{"name": "Contoso IT"})
	r1 := e.create(adminA, in(w1)+"/roles", obj{"name": "Contoso viewer", "based_on": "incident_analyst"})
	a1 := e.assign(adminA, "acme", w1, "user", custAdmin, "admin").str("id")
	e.assign(adminA, "acme", w1, "user", analyst, "incident_analyst")

	u2 := e.user(adminA, in(w2), "it@fabrikam.example")
	g2 := e.create(adminA, in(w2)+"/groups", obj{"name": "Fabrikam IT"})
	r2 := e.create(adminA, in(w2)+"/roles", obj{"name": "Fabrikam viewer", "based_on": "incident_analyst"})
	a2 := e.assign(adminA, "acme", w2, "user", u2, "admin").str("id")

	ub := e.user(adminB, b, "lee@beta.example")
	wbu := e.user(adminB, b+"/workspaces/"+wb, "it@tailspin.example")
	gb := e.create(adminB, b+"/groups", obj{"name": "Beta SOC"})
	rb := e.create(adminB, b+"/roles", obj{"name": "Beta tier", "based_on": "incident_analyst"})
	ab := e.assign(adminB, "beta", wb, "user", wbu, "admin").str("id")
	tb := e.create(adminB, b+"/templates", obj{"name": "Beta standard", "entries": []obj{{"group_id": gb, "role": "incident_analyst"}}})

	// Exclusions of a capability the probes never ask about.
	exclude := func(admin, path string, p obj) string {
		return e.create(admin, path+"/exclusions", obj{"principal": p, "capabilities": []string{"cms.rules.manage"}})
	}
	exSibling := exclude(adminA, in(w2), obj{"type": "user", "id": quiet})
	exOrg := e.create(adminA, in(w1)+"/exclusions", obj{"email": "someone@partner.example", "capabilities": []string{"cms.rules.manage"}})
	exB := exclude(adminB, b+"/workspaces/"+wb, obj{"type": "user", "id": wbu})

	keys := map[string]string{}
	keyID := map[string]string{}
	for _, u := range []struct{ org, id string }{{"acme", member}, {"acme", custAdmin}, {"acme", analyst}, {"acme", u2}, {"acme", quiet}, {"beta", ub}} {
		admin := adminA
		if u.org == "beta" {
			admin = adminB
		}
		k := e.must(admin, "POST", "/v1/orgs/"+u.org+"/users/"+u.id+"/keys", obj{"name": "probe"}, 201)
		keys[u.id], keyID[u.id] = k.str("key"), k.str("id")
	}

	beta := map[string][]string{"org": {"beta"}, "ws": {wb, "tailspin"}, "user": {ub, wbu, "lee@beta.example"},
		"group": {gb}, "role": {rb}, "assignment": {ab}, "template": {tb}, "key": {keyID[ub]}, "exclusion": {exB}}
	sibling := map[string][]string{"ws": {w2, "fabrikam"}, "user": {u2, "it@fabrikam.example"}, "group": {g2},
		"role": {r2}, "assignment": {a2, boAssign}, "key": {keyID[u2]}, "exclusion": {exSibling}}
	orgLevel := map[string][]string{"user": {quiet, "quiet@acme.example"}, "group": {backOffice}, "key": {keyID[quiet], keyID[member]}, "template": {tmpl},
		"exclusion": {exOrg}}

	inW1 := map[string][]string{"org": {"acme"}, "ws": {w1, "contoso"}, "user": {custAdmin, analyst},
		"group": {g1}, "role": {r1, orgRole, "admin"}, "assignment": {a1, socAssign}}
	orgMember := map[string][]string{"org": {"acme"}, "ws": {w1, "contoso"}, "user": {member, quiet, "nina@acme.example"},
		"group": {soc, backOffice}, "role": {orgRole, "admin"}, "assignment": {socAssign}, "template": {tmpl}}
	betaAdmin := map[string][]string{"org": {"beta"}, "ws": {wb, "tailspin"}, "user": {ub, wbu}, "group": {gb},
		"role": {rb, "admin"}, "assignment": {ab}, "template": {tb}, "exclusion": {exB}}

	return &probeWorld{e: e, actors: []*probeActor{
		{name: "customer admin", key: keys[custAdmin], visible: inW1, hidden: merge(beta, sibling, orgLevel)},
		{name: "customer analyst", key: keys[analyst], visible: inW1, hidden: merge(beta, sibling, orgLevel)},
		{name: "org member", key: keys[member], visible: orgMember, hidden: merge(beta, sibling)},
		{name: "other organization's admin", key: keys[ub], visible: betaAdmin, hidden: merge(
			map[string][]string{"org": {"acme"}, "ws": {w1, "contoso"}, "user": {member, custAdmin, "nina@acme.example"},
				"group": {soc, g1}, "role": {orgRole, r1}, "assignment": {a1, socAssign}, "template": {tmpl},
				"key": {keyID[member], keyID[custAdmin]}, "exclusion": {exOrg}}, sibling)},
	}}
}

func merge(ms ...map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = append(out[k], v...)
		}
	}
	return out
}

var placeholderRE = regexp.MustCompile(`\$([a-z]+)|\{([a-z]+)\}`)

// paramKind names what a path parameter or placeholder identifies.
func paramKind(path string, loc []int, name string) string {
	switch name {
	case "org", "ws", "user", "group", "role", "key", "template", "assignment", "exclusion":
		return name
	case "member":
		return "user"
	case "id":
		before := strings.TrimSuffix(path[:loc[0]], "/")
		switch before[strings.LastIndexByte(before, '/')+1:] {
		case "users":
			return "user"
		case "groups":
			return "group"
		case "roles":
			return "role"
		case "assignments":
			return "assignment"
		case "templates":
			return "template"
		case "exclusions":
			return "exclusion"
		}
	}
	return "" // not something the probes hide (sessions, passkeys, catalogue entries)
}

// probe fills a route's parameters for actor, hiding at least one of them,
// and makes the twin with never-existing identifiers instead.
func (w *probeWorld) probe(rng *rand.Rand, a *probeActor, rt probeRoute) (aProbe, bool) {
	tmpl := rt.path
	if q := queries[rt.key()]; q != "" {
		tmpl += "?" + q
	}
	body := bodies[rt.key()]
	chosen := map[string]string{} // placeholder → value
	p := aProbe{method: rt.method, swaps: map[string]string{}}
	full := tmpl + "\x00" + body
	locs := placeholderRE.FindAllStringSubmatchIndex(full, -1)
	var names []string
	for _, l := range locs {
		name := strings.Trim(full[l[0]:l[1]], "${}")
		kind := paramKind(full, l, name)
		key := name + ":" + kind
		if _, ok := chosen[key]; ok || kind == "" {
			continue
		}
		chosen[key] = ""
		names = append(names, key)
	}
	var hideable []string
	for _, k := range names {
		if len(a.hidden[kindOf(k)]) > 0 {
			hideable = append(hideable, k)
		}
	}
	if len(hideable) == 0 {
		return p, false
	}
	must := hideable[rng.IntN(len(hideable))]
	for _, k := range names {
		kind := kindOf(k)
		vis, hid := a.visible[kind], a.hidden[kind]
		switch {
		case k == must || (len(hid) > 0 && rng.IntN(3) == 0) || (len(vis) == 0 && len(hid) > 0):
			v := hid[rng.IntN(len(hid))]
			chosen[k] = v
			p.swaps[v] = absentLike(rng, v)
		case len(vis) > 0:
			chosen[k] = vis[rng.IntN(len(vis))]
		default:
			chosen[k] = absentLike(rng, kind)
		}
	}
	fill := func(swap bool) string {
		return placeholderRE.ReplaceAllStringFunc(full, func(m string) string {
			name := strings.Trim(m, "${}")
			idx := strings.Index(full, m) // the kind depends on where the name stands
			kind := paramKind(full, []int{idx, idx + len(m)}, name)
			v, ok := chosen[name+":"+kind]
			if !ok {
				return m
			}
			if swap && p.swaps[v] != "" {
				v = p.swaps[v]
			}
			return url.PathEscape(v)
		})
	}
	hidden, absent := fill(false), fill(true)
	p.hidden, p.hiddenBody, _ = strings.Cut(hidden, "\x00")
	p.absent, p.absentBody, _ = strings.Cut(absent, "\x00")
	return p, true
}

func kindOf(key string) string { return key[strings.IndexByte(key, ':')+1:] }

// absentLike makes an identifier of the same shape as v that was never issued.
func absentLike(rng *rand.Rand, v string) string {
	suffix := fmt.Sprintf("%016x", rng.Uint64())
	switch {
	case strings.Contains(v, "@"):
		return "nobody" + suffix[:6] + v[strings.IndexByte(v, '@'):]
	case strings.Contains(v, "_"):
		return v[:strings.IndexByte(v, '_')+1] + strings.ToUpper(suffix) + "ABCDEFGHJK"
	}
	return "nx" + suffix[:8]
}

// compare sends both twins and fails when their answers differ.
func (w *probeWorld) compare(t *testing.T, seed uint64, a *probeActor, p aProbe) {
	t.Helper()
	hs, hb := w.send(a.key, p.method, p.hidden, p.hiddenBody)
	as, ab := w.send(a.key, p.method, p.absent, p.absentBody)
	for h, x := range p.swaps {
		hb = strings.ReplaceAll(hb, h, "<id>")
		ab = strings.ReplaceAll(ab, x, "<id>")
	}
	if hs != as || hb != ab {
		t.Errorf("seed %d, %s: %s answers differently for what it may not see and for what does not exist:\n  %s %s %s\n  → %d %s\n  %s %s %s\n  → %d %s",
			seed, a.name, p.method, p.method, p.hidden, p.hiddenBody, hs, hb, p.method, p.absent, p.absentBody, as, ab)
	}
	if hs < 300 && p.method != "GET" && !questions[strings.SplitN(p.hidden, "?", 2)[0]] {
		t.Errorf("seed %d, %s: %s %s %s succeeded (%d %s)", seed, a.name, p.method, p.hidden, p.hiddenBody, hs, hb)
	}
}

// send makes one request and returns its status and the parts of the answer
// that could tell objects apart: the problem's code and detail, or the body.
func (w *probeWorld) send(key, method, path, body string) (int, string) {
	var b any
	if body != "" {
		b = body
	}
	status, out, _ := w.e.call(key, method, path, b)
	if out["code"] != nil {
		ops, _ := json.Marshal(out["operations"]) // a refused batch's reasons
		return status, fmt.Sprint(out["code"], " ", out["detail"], " ", sortedFields(out), " ", string(ops))
	}
	raw, _ := json.Marshal(out)
	return status, string(raw)
}

func sortedFields(o obj) string {
	f, _ := o["fields"].(map[string]any)
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k+"="+fmt.Sprint(f[k]))
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}
