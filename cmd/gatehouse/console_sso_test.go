package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/miekg/dns"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/ssotest"
)

// txtServer is a DNS server of the test's own, answering TXT questions
// from records the test sets as it goes.
type txtServer struct {
	addr string
	mu   sync.Mutex
	txt  map[string]string // fully qualified name → value
}

func startTXTServer(t *testing.T) *txtServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &txtServer{addr: pc.LocalAddr().String(), txt: map[string]string{}}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.answer)}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return s
}

func (s *txtServer) set(name, value string) {
	s.mu.Lock()
	s.txt[dns.Fqdn(strings.ToLower(name))] = value
	s.mu.Unlock()
}

func (s *txtServer) answer(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	s.mu.Lock()
	for _, q := range r.Question {
		if v, ok := s.txt[strings.ToLower(q.Name)]; ok && q.Qtype == dns.TypeTXT {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 30}, Txt: []string{v}})
		}
	}
	s.mu.Unlock()
	if len(m.Answer) == 0 {
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

// TestConsoleSingleSignOn: an Organization Admin connects the partner's
// OpenID Provider from Settings, registers the redirect URI the console
// shows, makes a group follow a provider group, tries a token's claims on
// the test bench, proves the email domain over DNS; then a new analyst types
// their email on the sign-in page, signs in at the provider and lands in
// the console with the workspaces the mapped group reaches, and the
// provider's page lists the sign-in.
func TestConsoleSingleSignOn(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			dnsSrv := startTXTServer(t)
			s := startConsoleWith(t, store(t), func(m *Main) { m.Config.DNSResolver = dnsSrv.addr })
			op := ssotest.NewOP(t)
			// Browsers come by the public URL, as the provider sends them back there.
			public := strings.Replace(s.url, "127.0.0.1", "localhost", 1)
			b := newBrowser(t, public, 1280)
			b.signIn("admin@northwind.example", s.adminPassword)

			b.visit("/settings/sso")
			b.want("the empty SSO page", "No identity provider yet", "Password sign-in", "Email domains")
			b.fill(`#add-provider input[name=name]`, "Northwind Entra")
			b.fill(`#add-provider input[name=issuer]`, op.Issuer())
			b.fill(`#add-provider input[name=client_id]`, "to-be-registered")
			b.press(`#add-provider button[type=submit]`)
			b.want("the new provider", "Identity provider Northwind Entra added.", "Redirect URI", "/oidc/callback")
			redirect := b.text(`dl.facts dd code`)
			id, secret := op.AddClient(redirect)
			b.fill(`#edit-provider input[name=client_id]`, id)
			b.fill(`#edit-provider input[name=client_secret]`, secret)
			b.press(`#edit-provider button[type=submit]`)
			b.want("the saved provider", "Identity provider saved.")
			provider := strings.TrimPrefix(b.path(), "/settings/sso/")

			// SOC Tier 1 follows the provider's soc-t1 group.
			d := s.m.Directory()
			o := d.Index().OrgBySlug(demoSlug)
			tier1 := d.Index().GroupsIn(gh.Home{Org: o.ID}, func(g *gh.Group) bool { return g.Name == "SOC Tier 1" })[0]
			b.visit("/settings/groups/" + string(tier1.ID))
			b.choose(`#add-external select[name=provider]`, "Northwind Entra")
			b.fill(`#add-external input[name=value]`, "soc-t1")
			b.press(`#add-external button[type=submit]`)
			b.want("the group following the provider", "The group now follows that provider group.", "Northwind Entra", "soc-t1")

			// The test bench: what a token would do, with nothing changed.
			b.visit("/settings/sso/" + provider)
			b.fill(`#bench textarea[name=answer]`, `{"sub": "ava-1", "email": "ava@northwind.example", "email_verified": true, "name": "Ava Stone", "groups": ["soc-t1", "vpn-users"]}`)
			b.press(`#bench button[type=submit]`)
			b.want("the bench's answer", "Accepted.", "A new account would be created for ava@northwind.example", "SOC Tier 1", "vpn-users", "Contoso")
			if d.Index().UserByEmail(gh.Home{Org: o.ID}, "ava@northwind.example") != nil {
				t.Fatal("the test bench created the user")
			}

			// The domain, proven over DNS.
			b.visit("/settings/sso")
			b.fill(`#claim-domain input[name=domain]`, "northwind.example")
			b.press(`#claim-domain button[type=submit]`)
			b.want("the claimed domain", "Domain northwind.example claimed.", "_gatehouse-challenge.northwind.example", "waiting for DNS")
			b.press(`#domains button[type=submit]`)
			b.want("verification before the record", "TXT record at _gatehouse-challenge.northwind.example")
			doms := d.Index().Domains(o.ID, func(*gh.Domain) bool { return true })
			dnsSrv.set(doms[0].TXTName(), doms[0].Token)
			b.visit("/settings/sso")
			b.press(`#domains button[type=submit]`)
			b.want("the verified domain", "Domain northwind.example verified")

			// Ava signs in through the provider from the sign-in page.
			op.AddUser("ava", "ava's passphrase at the provider", "ava@northwind.example", true, "Ava Stone", []string{"soc-t1"})
			a := newBrowser(t, public, 768)
			a.visit("/signin")
			a.fill(`form.sso input[name=email]`, "ava@northwind.example")
			a.run(chromedp.Submit(`form.sso`, chromedp.ByQuery))
			a.waitHost(op.Issuer())
			a.run(chromedp.SetValue(`input[name=username]`, "ava", chromedp.ByQuery),
				chromedp.SetValue(`input[name=password]`, "ava's passphrase at the provider", chromedp.ByQuery),
				chromedp.Submit(`form`, chromedp.ByQuery))
			a.waitPath("/workspaces")
			a.check("signed in through the provider")
			a.want("Ava's workspaces", "Contoso", "Fabrikam")
			ava := d.Index().UserByEmail(gh.Home{Org: o.ID}, "ava@northwind.example")
			if ava == nil || len(ava.Identities) != 1 || d.Index().Membership(tier1.ID, gh.UserPrincipal(ava.ID)) == nil {
				t.Fatalf("after the sign-in Ava is %+v, want a linked member of SOC Tier 1", ava)
			}

			b.visit("/settings/sso/" + provider)
			b.want("the provider's attempts", "signed in", "ava@northwind.example signed in through Northwind Entra")
		})
	}
}

// path is the browser's current path.
func (b *browser) path() string {
	u := b.location()
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		u = u[strings.IndexByte(u, '/'):]
	}
	p, _, _ := strings.Cut(u, "?")
	return p
}

// waitHost waits until the browser is at a page of another site.
func (b *browser) waitHost(prefix string) {
	b.t.Helper()
	for range 100 {
		if strings.HasPrefix(b.location(), prefix) {
			b.run(chromedp.WaitReady("body"))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("the browser stayed at %s, not at %s", b.location(), prefix)
}

// TestConsoleCustomerSAML: a customer's admin connects the customer's own
// SAML IdP from its workspace's pages (the partner's Settings stay out of
// reach); a customer employee then signs in through it in Chromium, from
// the customer's sign-in link, and lands in that workspace only.
func TestConsoleCustomerSAML(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			idp := ssotest.NewIdP(t)
			public := strings.Replace(s.url, "127.0.0.1", "localhost", 1)
			d := s.m.Directory()
			o := d.Index().OrgBySlug(demoSlug)
			contoso := d.Index().WorkspaceBySlug(o.ID, "contoso")

			it := s.givePassword(t, "it-admin@contoso.example", "contoso")
			c := newBrowser(t, public, 1024)
			c.signIn("it-admin@contoso.example", it)
			c.visit("/settings/sso")
			c.want("the partner's SSO page, as a customer", "There is nothing here")
			c.visit("/workspaces/" + string(contoso.ID) + "/sso")
			c.want("Contoso's SSO page", "Identity providers", "people of Contoso")
			c.run(chromedp.Click(`#add-provider input[value=saml]`, chromedp.ByQuery))
			c.fill(`#add-provider input[name=name]`, "Contoso ADFS")
			c.fill(`#add-provider textarea[name=metadata_xml]`, string(idp.MetadataXML()))
			c.fill(`#add-provider input[name=groups_claim]`, ssotest.GroupsAttribute)
			c.press(`#add-provider button[type=submit]`)
			c.want("Contoso's new provider", "Identity provider Contoso ADFS added.", "ACS URL", "/saml/acs", "SP entity id")
			entity := c.text(`dl.facts a code`)
			idp.AddSP(fetch(t, entity))

			// Contoso's responders follow the IdP's "responders" group.
			sc := directory.Scope{Org: o, Workspace: contoso}
			p := d.ProvidersOf(gh.Home{Org: o.ID, Workspace: contoso.ID})[0]
			g, _, err := d.CreateGroup(context.Background(), directory.SystemActor("test"), sc, directory.GroupInput{Name: "Contoso Responders",
				External: []gh.ExternalGroup{{Provider: p.ID, Value: "responders"}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := d.Assign(context.Background(), directory.SystemActor("test"), sc, gh.GroupPrincipal(g.ID), string(gh.RoleIncidentResponder)); err != nil {
				t.Fatal(err)
			}

			idp.AddUser("carl", "carl's passphrase at the IdP", "carl@contoso.example", []string{"responders"})
			e := newBrowser(t, public, 768)
			e.visit("/signin?org=northwind&workspace=contoso")
			e.want("Contoso's sign-in link", "Sign in with Contoso ADFS")
			e.run(chromedp.Click(`ul.choices a`, chromedp.ByQuery))
			e.waitHost(idp.URL())
			e.run(chromedp.SetValue(`input[name=user]`, "carl", chromedp.ByQuery),
				chromedp.SetValue(`input[name=password]`, "carl's passphrase at the IdP", chromedp.ByQuery),
				chromedp.Submit(`form`, chromedp.ByQuery))
			e.waitPath("/workspaces/" + string(contoso.ID) + "/iam")
			e.check("signed in through Contoso's IdP")
			e.want("Carl's workspace", "Contoso")
			carl := d.Index().UserByEmail(gh.Home{Org: o.ID, Workspace: contoso.ID}, "carl@contoso.example")
			if carl == nil || d.Index().Membership(g.ID, gh.UserPrincipal(carl.ID)) == nil {
				t.Fatalf("Carl is %+v, want a Contoso user in Contoso Responders", carl)
			}
			if d.Index().UserByEmail(gh.Home{Org: o.ID}, "carl@contoso.example") != nil {
				t.Fatal("Contoso's IdP created a partner user")
			}
		})
	}
}

// fetch reads a URL the test server serves.
func fetch(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return b
}
