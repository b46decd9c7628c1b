package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse.dev/gatehouse/postgres/postgrestest"
	"gatehouse.dev/gatehouse/ssotest"
)

// TestSAMLReplayOnAnotherNode: two nodes behind one public URL share a
// PostgreSQL store; an assertion that signed someone in on the first is
// refused on the second, and the provider's attempts say it was a replay.
func TestSAMLReplayOnAnotherNode(t *testing.T) {
	const public = "http://gatehouse.test"
	ref := postgrestest.DSN(t)
	a := startCLIServerOn(t, ref, func(m *Main) { m.Config.PublicURL = public })
	cfg := a.m.Config
	cfg.Demo = false
	b := &Main{Config: cfg, Out: io.Discard, Log: slog.New(slog.DiscardHandler)}
	if err := b.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	bURL := "http://" + b.Addr()

	idp := ssotest.NewIdP(t)
	p := apiJSON(t, a.url, a.admin, "POST", "/v1/orgs/northwind/identity-providers", map[string]any{"type": "saml", "name": "ADFS",
		"metadata_xml": string(idp.MetadataXML()), "jit": true, "allow_idp_initiated": true}, http.StatusCreated)
	id := p["id"].(string)
	idp.AddSP(fetch(t, a.url+"/sso/"+id+"/saml/metadata"))
	idp.AddUser("nina", "nina's passphrase", "nina@northwind.example", nil)
	post, err := idp.IdPInitiated(ssotest.NewBrowser(t), p["sp_entity_id"].(string), "", "nina", "nina's passphrase")
	if err != nil {
		t.Fatal(err)
	}
	acs := strings.Replace(post.ACS, public, "", 1)
	if got := postACS(t, a.url+acs, post); got.StatusCode != http.StatusSeeOther || session(got) == "" {
		t.Fatalf("the first node answered %s without a session, want a sign-in", got.Status)
	}
	waitFor(t, "the second node to know the provider", func() bool {
		return apiStatus(t, bURL, a.admin, "/v1/orgs/northwind/identity-providers/"+id) == http.StatusOK
	})
	if got := postACS(t, bURL+acs, post); got.StatusCode != http.StatusUnauthorized || session(got) != "" {
		t.Fatalf("the replay on the second node answered %s (session %q), want 401 and none", got.Status, session(got))
	}
	attempts := apiJSON(t, a.url, a.admin, "GET", "/v1/orgs/northwind/identity-providers/"+id+"/attempts", nil, http.StatusOK)
	items, _ := attempts["items"].([]any)
	if len(items) < 2 || items[0].(map[string]any)["action"] != "login.sso_failure.replay" {
		t.Fatalf("attempts = %v, want the replay refused last", items)
	}
}

// postACS posts a SAML response to an assertion consumer service, as the
// IdP's auto-posting form does, without following the answer.
func postACS(t *testing.T, acs string, post *ssotest.SAMLPost) *http.Response {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(acs, url.Values{"SAMLResponse": {post.SAMLResponse}, "RelayState": {post.RelayState}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func session(resp *http.Response) string {
	for _, c := range resp.Cookies() {
		if c.Name == "gatehouse_session" {
			return c.Value
		}
	}
	return ""
}

func apiJSON(t *testing.T, base, key, method, path string, body any, want int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %s, want %d: %s", method, path, resp.Status, want, raw)
	}
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return out
}

func apiStatus(t *testing.T, base, key, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for range 100 {
		if ok() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waited in vain for %s", what)
}
