package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/xml"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"

	"gatehouse.dev/gatehouse/sso"
)

var idpIDRE = regexp.MustCompile(`idp_[0-9A-Za-z]+`)

// samlMetadata is the metadata of a SAML IdP with a fresh key, as an IdP's
// admin would download it.
func samlMetadata(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://idp.test.example")
	idp := &saml.IdentityProvider{Key: key, Signer: key, Certificate: cert,
		MetadataURL: *base.JoinPath("metadata"), SSOURL: *base.JoinPath("sso")}
	b, err := xml.MarshalIndent(idp.Metadata(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startOP runs an OpenID Provider (zitadel/oidc's, with its example
// storage) and returns its issuer; Gatehouse reads its discovery.
func startOP(t *testing.T) string {
	t.Helper()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	st := storage.NewStorageWithClients(storage.NewUserStore(srv.URL),
		map[string]*storage.Client{"gatehouse": storage.WebClient("gatehouse", "op-secret", "http://127.0.0.1/callback")})
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("op")), CodeMethodS256: true},
		st, op.StaticIssuer(srv.URL), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	handler = provider
	return srv.URL
}

// nxdomainDNS answers every question "no such name", as DNS does before a
// domain's TXT record is published; it returns its address.
func nxdomainDNS(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			resp := append([]byte(nil), buf[:n]...)
			resp[2] = 0x80 | (resp[2] & 0x01) // a response, recursion desired as asked
			resp[3] = 0x80 | 3                // recursion available, NXDOMAIN
			_, _ = pc.WriteTo(resp, addr)
		}
	}()
	return pc.LocalAddr().String()
}

func tempFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCLIIdPBadInput(t *testing.T) {
	s := startCLIServer(t)
	org := []string{"--org", "northwind"}
	md := tempFile(t, "md.xml", []byte("<x/>"))
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"add without --type", []string{"idp", "add", "--name", "Okta"}, []string{"--type is required: oidc or saml"}},
		{"add with an unknown type", []string{"idp", "add", "--type", "ldap", "--name", "Okta"}, []string{`--type "ldap": want oidc or saml`}},
		{"add without --name", []string{"idp", "add", "--type", "oidc", "--issuer", "https://x.example"}, []string{"--name is required"}},
		{"OIDC without --issuer", []string{"idp", "add", "--type", "oidc", "--name", "Okta", "--client-id", "c"}, []string{"an OIDC provider needs --issuer"}},
		{"OIDC without --client-id", []string{"idp", "add", "--type", "oidc", "--name", "Okta", "--issuer", "https://x.example"}, []string{"an OIDC provider needs --client-id"}},
		{"OIDC with a SAML flag", []string{"idp", "add", "--type", "oidc", "--name", "Okta", "--issuer", "https://x.example", "--client-id", "c", "--metadata-file", md},
			[]string{"--metadata-file does not apply to an OIDC provider"}},
		{"SAML without metadata", []string{"idp", "add", "--type", "saml", "--name", "ADFS"}, []string{"a SAML provider needs --metadata-file PATH or --metadata-url URL"}},
		{"SAML with both metadata", []string{"idp", "add", "--type", "saml", "--name", "ADFS", "--metadata-file", md, "--metadata-url", "https://x.example/md"},
			[]string{"--metadata-file or --metadata-url, not both"}},
		{"SAML with an OIDC flag", []string{"idp", "add", "--type", "saml", "--name", "ADFS", "--metadata-file", md, "--issuer", "https://x.example"},
			[]string{"--issuer does not apply to a SAML provider"}},
		{"test without an answer", []string{"idp", "test", "idp_x"}, []string{"give --claims FILE"}},
		{"update without a change", []string{"idp", "update", "idp_x"}, []string{"nothing to change"}},
		{"attempts limit", []string{"idp", "attempts", "idp_x", "--limit", "500"}, []string{"--limit 500: want 1 to 200"}},
		{"show without ID", []string{"idp", "show"}, []string{"missing ID"}},
		{"bad external", []string{"groups", "create", "G", "--external", "no-equals"}, []string{`--external "no-equals": write PROVIDER_ID=VALUE`}},
		{"external and clear", []string{"groups", "update", "SOC Tier 1", "--external", "idp_x=a", "--clear-external"}, []string{"not both"}},
		{"sign-in without --password", []string{"workspaces", "sign-in", "contoso"}, []string{"--password is required: allowed or sso-only"}},
		{"sign-in with a bad mode", []string{"workspaces", "sign-in", "contoso", "--password", "never"}, []string{`--password "never": want allowed or sso-only`}},
		{"claim without domain", []string{"domains", "claim"}, []string{"missing DOMAIN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.revision()
			out, errOut, code := s.run(s.admin, append(tt.args, org...)...)
			if code != 2 {
				t.Fatalf("gatehouse %s: exit %d, want 2\nstdout: %s\nstderr: %s", strings.Join(tt.args, " "), code, out, errOut)
			}
			wantAll(t, "stderr", errOut, tt.want...)
			if after := s.revision(); after != before {
				t.Errorf("revision = %d after a refused command, want %d", after, before)
			}
		})
	}
}

func TestCLIIdPSAML(t *testing.T) {
	s := startCLIServer(t)
	org := []string{"--org", "northwind"}
	md := tempFile(t, "idp-metadata.xml", samlMetadata(t))

	out := s.mustRun(t, s.admin, append([]string{"idp", "add", "--type", "saml", "--name", "Corporate ADFS", "--metadata-file", md,
		"--groups-attr", "memberOf", "--jit"}, org...)...)
	wantAll(t, "idp add", out, `Added SAML provider "Corporate ADFS"`, "Enter at the identity provider:", "ACS URL:", "/saml/acs",
		"SP entity ID:", "IdP entity ID:", "https://idp.test.example/metadata", "Groups attribute:", "memberOf")
	id := idpIDRE.FindString(out)
	if id == "" {
		t.Fatalf("idp add printed no id: %q", out)
	}

	wantAll(t, "idp list", s.mustRun(t, s.admin, append([]string{"idp", "list"}, org...)...),
		"NAME", "Corporate ADFS", "saml", "enabled", id)
	wantAll(t, "idp show", s.mustRun(t, s.admin, append([]string{"idp", "show", id}, org...)...),
		"Corporate ADFS", "ACS URL:", "/sso/"+id+"/saml/acs", "Sign-in start URL:", "/sso/"+id+"/start")

	var v sso.ProviderView
	if err := json.Unmarshal([]byte(s.mustRun(t, s.admin, append([]string{"idp", "show", id, "-o", "json"}, org...)...)), &v); err != nil {
		t.Fatal(err)
	}
	if v.ACSURL == "" || v.EntityID == "" || v.SAML == nil || v.SAML.Attributes.Groups != "memberOf" {
		t.Errorf("idp show -o json = %+v, want the ACS URL, SP entity id and the groups attribute", v)
	}

	// A refused sign-in is in the attempts, with the check that failed.
	resp0, err := http.PostForm(s.url+"/sso/"+id+"/saml/acs", url.Values{"SAMLResponse": {"PG5vdCBzYW1sLz4="}})
	if err != nil {
		t.Fatal(err)
	}
	resp0.Body.Close()
	wantAll(t, "idp attempts", s.mustRun(t, s.admin, append([]string{"idp", "attempts", id, "--limit", "5"}, org...)...),
		"TIME", "RESULT", "DETAIL", "failure: ")

	// update keeps what it is not told: the metadata, the attributes, JIT.
	out = s.mustRun(t, s.admin, append([]string{"idp", "update", id, "--name", "ADFS", "--disabled"}, org...)...)
	wantAll(t, "idp update", out, `Updated identity provider "ADFS"`, "Status:", "disabled", "memberOf", "JIT:", "yes")

	// A refused answer is printed and exits 1.
	resp := tempFile(t, "response.xml", []byte("<samlp:Response>not signed</samlp:Response>"))
	out, errOut, code := s.run(s.admin, append([]string{"idp", "test", id, "--saml-response", resp}, org...)...)
	if code != 1 {
		t.Fatalf("idp test of a bad response: exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	wantAll(t, "idp test", out, "rejected", "check:", "detail:")

	// Groups follow the provider's groups; get shows them.
	s.mustRun(t, s.admin, append([]string{"groups", "update", "SOC Tier 1", "--external", id + "=CN=SOC,OU=Groups"}, org...)...)
	wantAll(t, "groups get", s.mustRun(t, s.admin, append([]string{"groups", "get", "SOC Tier 1"}, org...)...),
		"PROVIDER", "EXTERNAL GROUP", id, "CN=SOC,OU=Groups")
	out = s.mustRun(t, s.admin, append([]string{"groups", "update", "SOC Tier 1", "--clear-external"}, org...)...)
	wantAll(t, "groups update --clear-external", out, "follows 0 provider group(s)")
	out = s.mustRun(t, s.admin, append([]string{"groups", "create", "Auditors", "--external", id + "=Auditors"}, org...)...)
	wantAll(t, "groups create --external", out, `Created group "Auditors"`)
	wantAll(t, "groups show", s.mustRun(t, s.admin, append([]string{"groups", "show", "Auditors"}, org...)...), id, "Auditors")

	wantAll(t, "idp remove", s.mustRun(t, s.admin, append([]string{"idp", "remove", id}, org...)...), "Removed identity provider "+id)
	wantAll(t, "idp list after remove", s.mustRun(t, s.admin, append([]string{"idp", "list"}, org...)...), "No identity providers in organization northwind")
}

func TestCLIIdPOIDCTest(t *testing.T) {
	s := startCLIServer(t)
	org := []string{"--org", "northwind"}
	issuer := startOP(t)

	secret := tempFile(t, "secret", []byte("op-secret\n"))
	out := s.mustRun(t, s.admin, append([]string{"idp", "add", "--type", "oidc", "--name", "Okta", "--issuer", issuer,
		"--client-id", "gatehouse", "--client-secret-file", secret, "--jit", "--scope", "groups"}, org...)...)
	wantAll(t, "idp add", out, `Added OIDC provider "Okta"`, "Redirect URI:", "/oidc/callback", "Issuer:", issuer)
	id := idpIDRE.FindString(out)

	s.mustRun(t, s.admin, append([]string{"groups", "update", "SOC Tier 1", "--external", id + "=soc-analysts"}, org...)...)
	claims := tempFile(t, "claims.json", []byte(`{"sub":"okta|42","email":"new.hire@northwind.example","email_verified":true,
		"name":"New Hire","groups":["soc-analysts","coffee-club"]}`))
	out = s.mustRun(t, s.admin, append([]string{"idp", "test", id, "--claims", claims}, org...)...)
	wantAll(t, "idp test", out, "accepted", "creates the user new.hire@northwind.example", "Groups joined:", "SOC Tier 1",
		"Unmapped groups:", "coffee-club", "Access after this sign-in:", "WORKSPACE", "Contoso", "Incident Analyst", "SOC Tier 1")

	bad := tempFile(t, "bad.json", []byte(`{"email":"x@northwind.example"}`))
	out, errOut, code := s.run(s.admin, append([]string{"idp", "test", id, "--claims", bad, "-o", "json"}, org...)...)
	if code != 1 {
		t.Fatalf("idp test without sub: exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	var res sso.BenchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Accepted || res.Rejection == nil || res.Rejection.Check != "malformed" {
		t.Errorf("idp test -o json = %s (%v), want a rejection by the malformed check", out, err)
	}

	// update sends If-Match and keeps the settings it is not given.
	out = s.mustRun(t, s.admin, append([]string{"idp", "update", id, "--groups-claim", "roles"}, org...)...)
	wantAll(t, "idp update", out, "Issuer:", issuer, "Client ID:", "gatehouse", "Groups claim:", "roles", "Scopes:", "groups")
	if _, errOut, code := s.run(s.admin, append([]string{"idp", "update", id, "--metadata-url", "https://x.example"}, org...)...); code != 2 {
		t.Errorf("idp update of an OIDC provider with --metadata-url: exit %d, stderr %q; want 2", code, errOut)
	}
}

func TestCLIDomainsAndSignIn(t *testing.T) {
	dns := nxdomainDNS(t)
	s := startCLIServerOn(t, filepath.Join(t.TempDir(), "g.db"), func(m *Main) { m.Config.DNSResolver = dns })
	org := []string{"--org", "northwind"}

	out := s.mustRun(t, s.admin, append([]string{"domains", "claim", "northwind.example"}, org...)...)
	wantAll(t, "domains claim", out, "Claimed northwind.example", "Publish this DNS TXT record", "_gatehouse-challenge.northwind.example",
		"gatehouse-verification=", "gatehouse domains verify dom_")
	wantAll(t, "domains list", s.mustRun(t, s.admin, append([]string{"domains", "list"}, org...)...),
		"DOMAIN", "northwind.example", "pending: publish TXT _gatehouse-challenge.northwind.example")

	out, errOut, code := s.run(s.admin, append([]string{"domains", "verify", "northwind.example"}, org...)...)
	if code != 1 {
		t.Fatalf("domains verify before the record: exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	wantAll(t, "domains verify", errOut, "no TXT record at _gatehouse-challenge.northwind.example", "publish it and try again")

	wantAll(t, "domains release", s.mustRun(t, s.admin, append([]string{"domains", "release", "northwind.example"}, org...)...), "Released northwind.example")
	wantAll(t, "domains list after release", s.mustRun(t, s.admin, append([]string{"domains", "list"}, org...)...), "No domains claimed")

	// SSO only needs a provider of the home first.
	md := tempFile(t, "md.xml", samlMetadata(t))
	out = s.mustRun(t, s.admin, "idp", "add", "--type", "saml", "--name", "Contoso Entra", "--metadata-file", md, "--org", "northwind", "--workspace", "contoso")
	wantAll(t, "idp add --workspace", out, `Added SAML provider "Contoso Entra"`, "to workspace contoso")
	wantAll(t, "idp list --workspace", s.mustRun(t, s.admin, "idp", "list", "--org", "northwind", "--workspace", "contoso"), "Contoso Entra")
	wantAll(t, "idp list of the organization", s.mustRun(t, s.admin, append([]string{"idp", "list"}, org...)...), "No identity providers")
	s.mustRun(t, s.admin, append([]string{"idp", "add", "--type", "saml", "--name", "Northwind ADFS", "--metadata-file", md}, org...)...)

	out = s.mustRun(t, s.admin, append([]string{"workspaces", "sign-in", "contoso", "--password", "sso-only", "--break-glass", "it-admin@contoso.example"}, org...)...)
	wantAll(t, "workspaces sign-in", out, "workspace contoso sign in through single sign-on only", "Break-glass", "it-admin@contoso.example")
	var ws struct {
		SignIn struct {
			PasswordSignIn string   `json:"password_sign_in"`
			BreakGlass     []string `json:"break_glass"`
		} `json:"sign_in"`
	}
	wantAll(t, "workspaces get", s.mustRun(t, s.admin, append([]string{"workspaces", "get", "contoso"}, org...)...),
		"Password sign-in:", "single sign-on only (1 break-glass accounts)")
	raw := s.mustRun(t, s.admin, append([]string{"workspaces", "get", "contoso", "-o", "json"}, org...)...)
	if err := json.Unmarshal([]byte(raw), &ws); err != nil {
		t.Fatal(err)
	}
	if r := ws.SignIn; r.PasswordSignIn != "sso_only" || len(r.BreakGlass) != 1 || !strings.HasPrefix(r.BreakGlass[0], "usr_") {
		t.Errorf("workspace after sign-in = %s, want sso_only with one break-glass user id", raw)
	}

	out = s.mustRun(t, s.admin, "orgs", "sign-in", "northwind", "--password", "sso_only", "--break-glass", "admin@northwind.example")
	wantAll(t, "orgs sign-in", out, "organization northwind sign in through single sign-on only", "admin@northwind.example")
	raw = s.mustRun(t, s.admin, "orgs", "get", "northwind", "-o", "json")
	if !strings.Contains(raw, `"password_sign_in": "sso_only"`) {
		t.Errorf("orgs get -o json = %s, want the policy's password_sign_in sso_only", raw)
	}
	wantAll(t, "orgs sign-in allowed", s.mustRun(t, s.admin, "orgs", "sign-in", "northwind", "--password", "allowed"),
		"with a password or single sign-on")
}
