package http_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"gatehouse.dev/gatehouse/ssotest"
)

// Helpers of the single sign-on tests: providers set up through the API as
// an admin would, with real peers (ssotest) on the other side.

// addOIDC adds an OIDC provider at home (an org or workspace path) for op,
// registers its redirect URI as a client at op and gives Gatehouse the
// client's credentials, as an admin does. extra overrides fields.
func (e *env) addOIDC(key, home, name string, op *ssotest.OP, extra obj) obj {
	e.t.Helper()
	in := obj{"type": "oidc", "name": name, "issuer": op.Issuer(), "client_id": "to-be-registered",
		"client_secret": "to-be-registered", "jit": true, "claims": obj{}}
	for k, v := range extra {
		in[k] = v
	}
	p := e.must(key, "POST", home+"/identity-providers", in, 201)
	if p.str("redirect_uri") == "" || p.str("start_url") == "" {
		e.t.Fatalf("new OIDC provider = %v, want its redirect_uri and start_url", p)
	}
	in["client_id"], in["client_secret"] = op.AddClient(p.str("redirect_uri"))
	return e.must(key, "PUT", home+"/identity-providers/"+p.str("id"), in, 200)
}

// addSAML adds a SAML provider at home for idp and registers Gatehouse's SP
// metadata at idp; cleartext leaves assertions unencrypted.
func (e *env) addSAML(key, home, name string, idp *ssotest.IdP, cleartext bool, extra obj) obj {
	e.t.Helper()
	in := obj{"type": "saml", "name": name, "metadata_xml": string(idp.MetadataXML()),
		"attributes": obj{"groups": ssotest.GroupsAttribute}, "jit": true}
	for k, v := range extra {
		in[k] = v
	}
	p := e.must(key, "POST", home+"/identity-providers", in, 201)
	if p.str("acs_url") == "" || p.str("sp_entity_id") == "" {
		e.t.Fatalf("new SAML provider = %v, want its acs_url and sp_entity_id", p)
	}
	md := e.spMetadata(p.str("id"))
	var entity string
	if cleartext {
		entity = idp.AddSPCleartext(md)
	} else {
		entity = idp.AddSP(md)
	}
	if entity != p.str("sp_entity_id") {
		e.t.Fatalf("SP metadata names entity %q, the provider says %q", entity, p.str("sp_entity_id"))
	}
	return p
}

// spMetadata is the SP metadata Gatehouse serves for a SAML provider.
func (e *env) spMetadata(id string) []byte {
	e.t.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + "/sso/" + id + "/saml/metadata")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	md, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "samlmetadata") {
		e.t.Fatalf("GET SP metadata = %s %s", resp.Status, md)
	}
	return md
}

// ssoBrowser is a browser for the SSO round trip whose session, once it
// has one, the API helpers of the sign-in tests can use.
func (e *env) ssoBrowser() (*ssotest.Browser, *browser) {
	sb := ssotest.NewBrowser(e.t)
	return sb, &browser{e: e, jar: sb.Jar().(*cookiejar.Jar), c: sb.Client(), ua: firefoxOnWindows}
}

// wantSession fails unless resp set a session cookie.
func wantSession(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	if c := sessionCookieOf(resp); c == nil || c.Value == "" {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s = %s without a session cookie, want one:\n%.600s", what, resp.Status, body)
	}
}

// wantRefused fails unless resp is the sign-in page's refusal: 401, no session.
func wantRefused(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("%s = %s, want 401 (the sign-in page)\n%.600s", what, resp.Status, body)
	}
	if c := sessionCookieOf(resp); c != nil && c.Value != "" {
		t.Errorf("%s set a session cookie", what)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Errorf("%s redirects to %s", what, loc)
	}
}

// events lists the org's events with an action (or prefix ending in ".").
func (e *env) events(key, orgPath, action string) []obj {
	e.t.Helper()
	out := e.must(key, "GET", orgPath+"/events?limit=200&action="+action, nil, 200)
	var evs []obj
	for _, it := range out.list("items") {
		evs = append(evs, obj(it.(map[string]any)))
	}
	return evs
}

// attempts lists a provider's sign-in attempts.
func (e *env) attempts(key, home, id string) []obj {
	e.t.Helper()
	out := e.must(key, "GET", home+"/identity-providers/"+id+"/attempts", nil, 200)
	var evs []obj
	for _, it := range out.list("items") {
		evs = append(evs, obj(it.(map[string]any)))
	}
	return evs
}

// attempt returns the newest attempt with an action, failing when none.
func (e *env) attempt(key, home, id, action string) obj {
	e.t.Helper()
	all := e.attempts(key, home, id)
	for _, ev := range all {
		if ev.str("action") == action {
			return ev
		}
	}
	var got []string
	for _, ev := range all {
		got = append(got, ev.str("action")+" ("+ev.str("detail")+")")
	}
	e.t.Fatalf("attempts of %s = %v, want one %s", id, got, action)
	return nil
}

// fieldError is the message of one field of an invalid_input answer.
func fieldError(out obj, field string) string {
	f, _ := out["fields"].(map[string]any)
	s, _ := f[field].(string)
	return s
}
