// Package ssotest runs real identity providers in-process for tests: an
// OpenID Provider (zitadel/oidc's op) and a SAML IdP (crewjam/saml's
// samlidp), each on its own loopback HTTP server, and a cookie-keeping
// Browser that walks a person through a sign-in at them. It is imported by
// tests only.
package ssotest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// OPLoginPath is where the OP shows its login form.
const OPLoginPath = "/login/username"

// OP is a running OpenID Provider: zitadel/oidc's op with the example
// in-memory storage, wrapped so that tests choose its users, clients,
// groups, amr and signing keys.
type OP struct {
	srv   *httptest.Server
	store *opStorage
	t     testing.TB
}

// opUser is a person at the OP, with what it says about them.
type opUser struct {
	storage.User
	groups []string
	amr    []string // nil: the storage's own ("pwd")
}

type opClient struct {
	client *storage.Client
	secret string
}

// opStorage is the example storage with users, clients, claims and keys
// of the test's choosing.
type opStorage struct {
	*storage.Storage
	mu      sync.Mutex
	users   map[string]*opUser // by id
	clients map[string]opClient
	keys    []*signingKey // the last one signs; all are published
}

// users is the storage's user store: the test's users, under the OP's lock.
type users struct{ s *opStorage }

func (u users) GetUserByID(id string) *storage.User {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	if p := u.s.users[id]; p != nil {
		c := p.User
		return &c
	}
	return nil
}

func (u users) GetUserByUsername(name string) *storage.User {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	for _, p := range u.s.users {
		if p.Username == name {
			c := p.User
			return &c
		}
	}
	return nil
}

func (users) ExampleClientID() string { return storage.ServiceUserID }

// NewOP starts an OpenID Provider on a loopback http server, with one
// signing key and no users or clients.
func NewOP(t testing.TB) *OP {
	t.Helper()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	st := &opStorage{users: map[string]*opUser{}, clients: map[string]opClient{}}
	st.Storage = storage.NewStorageWithClients(users{st}, map[string]*storage.Client{})
	o := &OP{srv: srv, store: st, t: t}
	o.RotateKey()
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("ssotest")), CodeMethodS256: true},
		st, op.StaticIssuer(srv.URL), op.WithAllowInsecure())
	if err != nil {
		t.Fatalf("ssotest: start the OP: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(OPLoginPath, opLogin(st, srv.URL, op.AuthCallbackURL(provider)))
	mux.Handle("/", provider)
	handler = mux
	return o
}

// Issuer is the OP's issuer URL.
func (o *OP) Issuer() string { return o.srv.URL }

// Client is an HTTP client for calls to the OP.
func (o *OP) Client() *http.Client { return o.srv.Client() }

// SigningKeyID is the id of the key the OP signs with now.
func (o *OP) SigningKeyID() string {
	o.store.mu.Lock()
	defer o.store.mu.Unlock()
	return o.store.keys[len(o.store.keys)-1].id
}

// AddClient registers a confidential web client whose one redirect URI is
// redirectURI, and returns its id and secret.
func (o *OP) AddClient(redirectURI string) (id, secret string) {
	id, secret = "client-"+rand.Text()[:10], rand.Text()
	o.store.mu.Lock()
	defer o.store.mu.Unlock()
	o.store.clients[id] = opClient{client: storage.WebClient(id, secret, redirectURI), secret: secret}
	return id, secret
}

// AddUser adds a person who signs in with username and password; their
// ID token carries email, email_verified, name and groups. The subject
// is returned.
func (o *OP) AddUser(username, password, email string, emailVerified bool, name string, groups []string) string {
	given, family := name, ""
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == ' ' {
			given, family = name[:i], name[i+1:]
			break
		}
	}
	id := "sub-" + rand.Text()[:12]
	o.store.mu.Lock()
	defer o.store.mu.Unlock()
	o.store.users[id] = &opUser{User: storage.User{ID: id, Username: username, Password: password, FirstName: given,
		LastName: family, Email: email, EmailVerified: emailVerified, PreferredLanguage: language.English}, groups: slices.Clone(groups)}
	return id
}

// SetGroups changes the groups the OP says username is in.
func (o *OP) SetGroups(username string, groups []string) {
	o.user(username, func(u *opUser) { u.groups = slices.Clone(groups) })
}

// SetAMR sets the authentication methods the OP says username used (RFC
// 8176: "pwd", "otp", "mfa"…); nil goes back to the storage's own.
func (o *OP) SetAMR(username string, amr []string) {
	o.user(username, func(u *opUser) { u.amr = slices.Clone(amr) })
}

func (o *OP) user(username string, edit func(*opUser)) {
	o.t.Helper()
	o.store.mu.Lock()
	defer o.store.mu.Unlock()
	for _, u := range o.store.users {
		if u.Username == username {
			edit(u)
			return
		}
	}
	o.t.Fatalf("ssotest: the OP has no user %q", username)
}

// RotateKey adds a new signing key; the old ones stay published.
func (o *OP) RotateKey() {
	o.t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		o.t.Fatal(err)
	}
	o.store.mu.Lock()
	defer o.store.mu.Unlock()
	o.store.keys = append(o.store.keys, &signingKey{id: rand.Text(), key: k})
}

// signingKey is one RSA key of the OP.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *signingKey) ID() string                                  { return k.id }
func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k *signingKey) Use() string                                 { return "sig" }
func (k *signingKey) Key() any                                    { return k.key }

// publishedKey is a key as the JWKS shows it: its public half.
type publishedKey struct{ *signingKey }

func (k publishedKey) Key() any { return &k.key.PublicKey }

func (s *opStorage) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[len(s.keys)-1], nil
}

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *opStorage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]op.Key, 0, len(s.keys))
	for _, k := range s.keys {
		keys = append(keys, publishedKey{k})
	}
	return keys, nil
}

func (s *opStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, fmt.Errorf("client not found")
	}
	return c.client, nil
}

func (s *opStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; !ok || c.secret != secret {
		return fmt.Errorf("invalid client")
	}
	return nil
}

// SetUserinfoFromRequest puts email, profile and groups in the ID token,
// as enterprise providers do.
func (s *opStorage) SetUserinfoFromRequest(ctx context.Context, ui *zoidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	scopes = append(slices.Clone(scopes), zoidc.ScopeEmail, zoidc.ScopeProfile)
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[req.GetSubject()]; u != nil && u.groups != nil {
		ui.AppendClaims("groups", slices.Clone(u.groups))
	}
	return nil
}

// amrRequest is an auth request whose person used the methods of the test's choosing.
type amrRequest struct {
	*storage.AuthRequest
	amr []string
}

func (r amrRequest) GetAMR() []string { return r.amr }

func (s *opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	req, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return req, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[req.GetSubject()]; u != nil && u.amr != nil {
		return amrRequest{req.(*storage.AuthRequest), slices.Clone(u.amr)}, nil
	}
	return req, nil
}

// CreateAccessToken hands the storage its own request type back.
func (s *opStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	if r, ok := req.(amrRequest); ok {
		req = r.AuthRequest
	}
	return s.Storage.CreateAccessToken(ctx, req)
}

// opLogin is the OP's login UI: a form, and on POST the password check,
// then back to the OP to issue the code.
func opLogin(st *opStorage, issuer string, callback func(context.Context, string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("authRequestID")
		if r.Method != http.MethodPost {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(`<form method="post" action="` + OPLoginPath + `"><input type="hidden" name="authRequestID" value="` +
				html.EscapeString(id) + `"><input name="username" value=""><input name="password" type="password" value=""></form>`))
			return
		}
		if err := st.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, callback(op.ContextWithIssuer(r.Context(), issuer), id), http.StatusFound)
	}
}
