package oidc_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The peer is zitadel/oidc's OpenID Provider with its example in-memory
// storage, wrapped to add what a real enterprise provider sends: groups in
// the ID token, a multi-factor amr, and key rotation.

const (
	peerClientID = "gatehouse"
	peerSecret   = "peer-secret"
	redirectURL  = "http://rp.gatehouse.test/callback"
	peerPassword = "verysecure" // the example storage's users' password
)

// peerKey is one RSA signing key of the peer, published in its JWKS.
type peerKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *peerKey) ID() string                                  { return k.id }
func (k *peerKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *peerKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k *peerKey) Use() string                                 { return "sig" }

// Key is the private key when signing; publicKey wraps it for the JWKS.
func (k *peerKey) Key() any { return k.key }

type publicKey struct{ *peerKey }

func (k publicKey) Key() any { return &k.key.PublicKey }

// peerStorage is the example storage with claims and keys of our choosing.
type peerStorage struct {
	*storage.Storage
	mu     sync.Mutex
	keys   []*peerKey // the last one signs; all are published
	groups []string
	amr    []string // nil keeps the storage's own ("pwd")
}

func (s *peerStorage) rotate(t *testing.T) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, &peerKey{id: rand.Text(), key: k})
}

// sends sets the groups and amr of the next ID tokens.
func (s *peerStorage) sends(groups, amr []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups, s.amr = groups, amr
}

func (s *peerStorage) signingKey() *peerKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[len(s.keys)-1]
}

func (s *peerStorage) SigningKey(context.Context) (op.SigningKey, error) {
	return s.signingKey(), nil
}

func (s *peerStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *peerStorage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []op.Key
	for _, k := range s.keys {
		keys = append(keys, publicKey{k})
	}
	return keys, nil
}

// SetUserinfoFromRequest puts email, profile and groups in the ID token, as
// Entra ID and Okta do, even though an access token is issued too.
func (s *peerStorage) SetUserinfoFromRequest(ctx context.Context, ui *zoidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	scopes = append(scopes, zoidc.ScopeEmail, zoidc.ScopeProfile)
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups != nil {
		ui.AppendClaims("groups", s.groups)
	}
	return nil
}

// amrRequest is an auth request whose person used the peer's chosen methods.
type amrRequest struct {
	*storage.AuthRequest
	amr []string
}

func (r amrRequest) GetAMR() []string { return r.amr }

func (s *peerStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	req, err := s.Storage.AuthRequestByCode(ctx, code)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || s.amr == nil {
		return req, err
	}
	return amrRequest{req.(*storage.AuthRequest), s.amr}, nil
}

// CreateAccessToken hands the storage its own request type back.
func (s *peerStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	if r, ok := req.(amrRequest); ok {
		req = r.AuthRequest
	}
	return s.Storage.CreateAccessToken(ctx, req)
}

// peer is a running provider and a browser (a client with cookies).
type peer struct {
	issuer  string
	store   *peerStorage
	browser *http.Client
	http    *http.Client
}

func startPeer(t *testing.T) *peer {
	t.Helper()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	client := storage.WebClient(peerClientID, peerSecret, redirectURL)
	st := &peerStorage{Storage: storage.NewStorageWithClients(storage.NewUserStore(srv.URL),
		map[string]*storage.Client{peerClientID: client})}
	st.rotate(t)
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("peer")), CodeMethodS256: true},
		st, op.StaticIssuer(srv.URL), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/login/username", loginHandler(st, srv.URL, op.AuthCallbackURL(provider)))
	mux.Handle("/", provider)
	handler = mux
	return &peer{issuer: srv.URL, store: st, browser: browser(t), http: srv.Client()}
}

// loginHandler is the peer's own login UI: a form, and on POST the
// storage's password check, then back to the provider to issue the code.
func loginHandler(st *peerStorage, issuer string, callback func(context.Context, string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("authRequestID")
		if r.Method != http.MethodPost {
			w.Write([]byte(`<form method="post"><input name="authRequestID" value="` + html.EscapeString(id) +
				`"><input name="username"><input name="password" type="password"></form>`))
			return
		}
		if err := st.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, callback(op.ContextWithIssuer(r.Context(), issuer), id), http.StatusFound)
	}
}

// browser follows redirects and keeps cookies, but stops at our redirect URL.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "rp.gatehouse.test" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// signIn drives the browser from authURL through the peer's login to the
// callback, and returns the callback's query.
func (p *peer) signIn(t *testing.T, authURL, username string) url.Values {
	t.Helper()
	resp, err := p.browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	login := resp.Request.URL
	if login.Path != "/login/username" {
		t.Fatalf("authorization led to %s (status %s), want the login page", login, resp.Status)
	}
	resp, err = p.browser.PostForm(login.String(), url.Values{
		"authRequestID": {login.Query().Get("authRequestID")},
		"username":      {username}, "password": {peerPassword},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("login answered %s without redirect: %v", resp.Status, err)
	}
	if loc.Host != "rp.gatehouse.test" {
		t.Fatalf("login ended at %s, want our redirect URL", loc)
	}
	return loc.Query()
}
