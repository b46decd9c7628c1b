package http_test

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"gatehouse.dev/gatehouse/ssotest"
)

// TestSSOTestBench: an admin pastes an ID token's claims or a SAML
// response and sees what a sign-in would do, with nothing changed; a
// tampered response shows the check that refuses it.
func TestSSOTestBench(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		wsID := e.create(admin, org+"/workspaces", obj{"name": "Alpha"})
		op := ssotest.NewOP(t)
		p := e.addOIDC(admin, org, "Partner", op, nil)
		pid := p.str("id")
		soc := e.create(admin, org+"/groups", obj{"name": "SOC Analysts"})
		e.must(admin, "PATCH", org+"/groups/"+soc, obj{"external": []obj{{"provider_id": pid, "value": "soc-analysts"}}}, 200)
		e.assign(admin, "acme", wsID, "group", soc, "incident_analyst")
		head := e.head()
		events := len(e.events(admin, org, ""))

		claims := obj{"iss": op.Issuer(), "sub": "bench-1", "email": "ben@partner.example", "email_verified": true,
			"name": "Ben Bench", "groups": []string{"soc-analysts", "unknown-group"}}
		out := e.must(admin, "POST", org+"/identity-providers/"+pid+"/test", obj{"claims": claims}, 200)
		if out.get("accepted") != true || out.get("outcome.created") != true || out.str("outcome.user.email") != "ben@partner.example" {
			t.Fatalf("bench = %v, want accepted, creating ben", out)
		}
		if out.str("outcome.joined.0.id") != soc || len(out.list("outcome.joined")) != 1 || out.str("outcome.unmapped_groups.0") != "unknown-group" {
			t.Errorf("bench groups = joined %v, unmapped %v; want %s joined, unknown-group unmapped", out.get("outcome.joined"), out.get("outcome.unmapped_groups"), soc)
		}
		if out.str("outcome.access.0.via") != "SOC Analysts" || out.str("outcome.access.0.workspace") != "Alpha" {
			t.Errorf("bench access = %v, want Alpha through SOC Analysts", out.get("outcome.access"))
		}
		if e.head() != head || len(e.events(admin, org, "")) != events {
			t.Errorf("the bench changed the directory")
		}

		// SAML: a real response from samlidp, then the same tampered.
		idp := ssotest.NewIdP(t)
		idp.AddUser("sam", "sam-pw", "sam@partner.example", []string{"soc-analysts"})
		sp := e.addSAML(admin, org, "Partner SAML", idp, true, nil)
		post, err := ssotest.NewBrowser(t).CaptureSAML(sp.str("start_url"), "sam", "sam-pw")
		if err != nil {
			t.Fatal(err)
		}
		head, events = e.head(), len(e.events(admin, org, ""))
		path := org + "/identity-providers/" + sp.str("id") + "/test"
		out = e.must(admin, "POST", path, obj{"saml_response": post.SAMLResponse}, 200)
		if out.get("accepted") != true || out.str("outcome.user.email") != "sam@partner.example" || out.get("outcome.created") != true {
			t.Fatalf("bench of samlidp's response = %v, want accepted, creating sam", out)
		}
		raw, _ := base64.StdEncoding.DecodeString(post.SAMLResponse)
		nameID := regexp.MustCompile(`(<saml:NameID[^>]*>)([^<]*)(</saml:NameID>)`)
		if !nameID.Match(raw) {
			t.Fatalf("no NameID in samlidp's response:\n%s", raw)
		}
		forged := nameID.ReplaceAll(raw, []byte("${1}admin@acme.example${3}"))
		out = e.must(admin, "POST", path, obj{"saml_response": base64.StdEncoding.EncodeToString(forged)}, 200)
		if out.get("accepted") == true || out.str("rejection.check") != "signature" {
			t.Errorf("bench of a tampered response = %v, want rejection signature", out)
		}
		if e.head() != head || len(e.events(admin, org, "")) != events {
			t.Errorf("the bench changed the directory")
		}
	})
}

// txtServer is a DNS server answering TXT queries for one name.
type txtServer struct {
	name  string
	value atomic.Value // string; "" answers NXDOMAIN
}

func (s *txtServer) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	v, _ := s.value.Load().(string)
	for _, q := range r.Question {
		if q.Qtype == dns.TypeTXT && strings.EqualFold(q.Name, s.name) && v != "" {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{v}})
		}
	}
	if len(m.Answer) == 0 {
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

func startDNS(t *testing.T, name string) (*txtServer, string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &txtServer{name: dns.Fqdn(name)}
	srv := &dns.Server{PacketConn: pc, Handler: h}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.ShutdownContext(context.Background()) })
	return h, pc.LocalAddr().String()
}

// TestSSODomainsLeadToTheirProvider: a domain proven by DNS sends its
// people to the org's provider; nobody else may prove it again.
func TestSSODomainsLeadToTheirProvider(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		p := e.addOIDC(admin, org, "Partner", ssotest.NewOP(t), nil)
		dom := e.must(admin, "POST", org+"/domains", obj{"domain": "Partner.Example"}, 201)
		if dom.str("verification_token") == "" || dom.str("domain") != "partner.example" || dom.get("verified_at") != nil {
			t.Fatalf("claim = %v, want partner.example with a token, unverified", dom)
		}
		txt, addr := startDNS(t, "_gatehouse-challenge.partner.example")
		e.dns.Store(addr)
		verify := org + "/domains/" + dom.str("id") + "/verify"
		e.refused(admin, "POST", verify, nil, 400, "domain_unverified")
		if got := e.must("", "GET", "/v1/sso/discover?email=x@partner.example", nil, 200).list("providers"); len(got) != 0 {
			t.Errorf("discovery before the proof = %v, want none", got)
		}
		txt.value.Store("not-the-token")
		e.refused(admin, "POST", verify, nil, 400, "domain_unverified")
		txt.value.Store(dom.str("verification_token"))
		if v := e.must(admin, "POST", verify, nil, 200); v.str("verified_at") == "" {
			t.Fatalf("verify = %v, want verified_at", v)
		}

		got := e.must("", "GET", "/v1/sso/discover?email=X@Partner.example", nil, 200).list("providers")
		if len(got) != 1 || obj(got[0].(map[string]any)).str("id") != p.str("id") {
			t.Fatalf("discovery = %v, want %s", got, p.str("id"))
		}
		if got := e.must("", "GET", "/v1/sso/discover?email=x@elsewhere.example", nil, 200).list("providers"); len(got) != 0 {
			t.Errorf("discovery of another domain = %v, want none", got)
		}
		resp, err := ssotest.NewBrowser(t).Get(e.srv.URL + "/login/sso?email=x%40partner.example")
		if err != nil {
			t.Fatal(err)
		}
		// The page refreshes to the provider's start: a redirect would be a
		// redirect of the sign-in form, which may not leave the site.
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := `<meta http-equiv="refresh" content="0; url=/sso/` + p.str("id") + `/start">`; resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("/login/sso = %s, want 200 with %s; got\n%s", resp.Status, want, body)
		}

		// Another org may claim the name, but never prove it.
		_, other := e.org("globex")
		code, out, _ := e.call(other, "POST", "/v1/orgs/globex/domains", obj{"domain": "partner.example"})
		if code == 409 {
			if out.str("code") != "domain_taken" {
				t.Errorf("the second claim = %d %v, want 409 domain_taken", code, out)
			}
			return
		}
		if code != 201 {
			t.Fatalf("the second claim = %d %v", code, out)
		}
		txt.value.Store(out.str("verification_token"))
		e.refused(other, "POST", "/v1/orgs/globex/domains/"+out.str("id")+"/verify", nil, 409, "domain_taken")
	})
}
