package oidc_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	ghoidc "gatehouse.dev/gatehouse/oidc"
)

// hostile is an OpenID Provider under the attacker's control, or a broken
// one: it serves discovery, a JWKS with one honest key and, at its token
// endpoint, whatever ID token (or error) the test chose.
type hostile struct {
	srv *httptest.Server
	key *rsa.PrivateKey
	kid string

	mu              sync.Mutex
	discoveryIssuer string // "" serves the true issuer
	tokenStatus     int    // 0 is 200
	tokenBody       map[string]any
}

func startHostile(t *testing.T) *hostile {
	t.Helper()
	h := &hostile{key: testKey(t), kid: "honest"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", h.discovery)
	mux.HandleFunc("GET /jwks", h.jwks)
	mux.HandleFunc("POST /token", h.token)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

func testKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (h *hostile) discovery(w http.ResponseWriter, _ *http.Request) {
	h.mu.Lock()
	iss := h.discoveryIssuer
	h.mu.Unlock()
	if iss == "" {
		iss = h.srv.URL
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                h.srv.URL + "/authorize",
		"token_endpoint":                        h.srv.URL + "/token",
		"jwks_uri":                              h.srv.URL + "/jwks",
		"id_token_signing_alg_values_supported": []string{"RS256", "HS256", "none"},
	})
}

func (h *hostile) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &h.key.PublicKey, KeyID: h.kid, Algorithm: "RS256", Use: "sig"},
	}})
}

func (h *hostile) token(w http.ResponseWriter, _ *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	status := h.tokenStatus
	if status == 0 {
		status = http.StatusOK
	}
	writeJSON(w, status, h.tokenBody)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// respond makes the token endpoint answer with this status and body.
func (h *hostile) respond(status int, body map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tokenStatus, h.tokenBody = status, body
}

// answer makes the token endpoint return this raw ID token.
func (h *hostile) answer(idToken string) {
	h.respond(http.StatusOK, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}

// claims are an honest ID token's claims for flow f.
func (h *hostile) claims(f ghoidc.Flow) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": h.srv.URL, "aud": peerClientID, "sub": "user-1", "nonce": f.Nonce,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": "token-1",
		"email": "ada@example.com", "email_verified": true, "name": "Ada Lovelace",
		"groups": []string{"engineering"},
	}
}

// sign signs claims with key under kid and alg.
func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// honest signs claims with the key the JWKS publishes.
func (h *hostile) honest(t *testing.T, claims map[string]any) string {
	return sign(t, jose.RS256, h.key, h.kid, claims)
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (h *hostile) rp(t *testing.T) *ghoidc.RP {
	t.Helper()
	rp, err := ghoidc.New(context.Background(), ghoidc.Config{
		Issuer: h.srv.URL, ClientID: peerClientID, ClientSecret: peerSecret,
		RedirectURL: redirectURL, HTTPClient: h.srv.Client(),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return rp
}

// exchange runs the token exchange of flow f against the hostile provider.
func (h *hostile) exchange(t *testing.T, f ghoidc.Flow) error {
	t.Helper()
	_, err := h.rp(t).Exchange(context.Background(), "any-code", f)
	return err
}
