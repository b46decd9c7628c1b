// Package sso signs people in through their organization's or workspace's
// identity providers. The protocols live in packages of their own (oidc,
// saml) and hand back a checked gatehouse.Assertion; this package keeps the
// providers' settings and secrets, runs the browser round trip (state,
// nonce, request ids, kept as vault ceremonies so that any node can finish
// what another began), and passes the assertion to the directory's rules
// and the sign-in service. It also proves email domains by DNS.
package sso

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

// Config is what the service needs beyond the directory and sign-in.
type Config struct {
	// PublicURL is where browsers reach Gatehouse: the base of callback and
	// ACS URLs and of SAML entity ids.
	PublicURL string
	Sealer    auth.Sealer
	// HTTPClient makes the calls to providers (discovery, keys, tokens,
	// metadata); http.DefaultClient with a timeout when nil.
	HTTPClient *http.Client
	// LookupTXT reads DNS TXT records for domain proofs; the system
	// resolver when nil.
	LookupTXT func(ctx context.Context, name string) ([]string, error)
}

// Service runs single sign-on.
type Service struct {
	dir    *directory.Directory
	signin *signin.Service
	store  gh.Store
	cfg    Config
	log    *slog.Logger

	mu     sync.Mutex
	protos map[gh.ProviderID]cached // protocol clients by provider, for its revision
}

type cached struct {
	rev   gh.Revision
	proto protocol
}

// New returns the service.
func New(dir *directory.Directory, si *signin.Service, cfg Config, log *slog.Logger) *Service {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.LookupTXT == nil {
		cfg.LookupTXT = net.DefaultResolver.LookupTXT
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Service{dir: dir, signin: si, store: dir.Store(), cfg: cfg, log: log, protos: map[gh.ProviderID]cached{}}
}

// protocol is one provider's protocol client.
type protocol interface {
	// begin returns the URL to send the browser to, and fills f with what
	// the answer must match.
	begin(ctx context.Context, f *flow) (string, error)
	// finish checks the provider's answer against f.
	finish(ctx context.Context, f *flow, a Answer) (*gh.Assertion, error)
	// bench reads a pasted answer for the mapping test bench: every check
	// but the round trip's own (request id, nonce).
	bench(ctx context.Context, in BenchInput) (*gh.Assertion, error)
}

// flow is a browser round trip under way, kept in the vault until the
// answer comes back, once.
type flow struct {
	Provider  gh.ProviderID `json:"provider"`
	Next      string        `json:"next,omitempty"`
	State     string        `json:"state,omitempty"`
	Nonce     string        `json:"nonce,omitempty"`
	Verifier  string        `json:"verifier,omitempty"`
	RequestID string        `json:"request_id,omitempty"`
	Browser   string        `json:"browser,omitempty"` // hash of the key the beginning browser's cookie holds
}

// Answer is what the provider sent back through the browser.
type Answer struct {
	Code         string // OIDC authorization code
	SAMLResponse string // SAML POST binding
}

// secrets are a provider's sealed material.
type secrets struct {
	ClientSecret string `json:"client_secret,omitempty"`
	SPKey        string `json:"sp_key,omitempty"` // PEM
}

// CallbackURL is a provider's OIDC redirect URI.
func (s *Service) CallbackURL(id gh.ProviderID) string {
	return s.cfg.PublicURL + "/sso/" + string(id) + "/oidc/callback"
}

// ACSURL is a provider's SAML assertion consumer service.
func (s *Service) ACSURL(id gh.ProviderID) string {
	return s.cfg.PublicURL + "/sso/" + string(id) + "/saml/acs"
}

// EntityID is the SAML SP's entity id for a provider: its metadata URL.
func (s *Service) EntityID(id gh.ProviderID) string {
	return s.cfg.PublicURL + "/sso/" + string(id) + "/saml/metadata"
}

// proto returns p's protocol client, made anew when p changed.
func (s *Service) proto(ctx context.Context, p *gh.IdentityProvider) (protocol, error) {
	s.mu.Lock()
	c, ok := s.protos[p.ID]
	s.mu.Unlock()
	if ok && c.rev == p.Revision {
		return c.proto, nil
	}
	sec, err := s.secrets(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	pr, err := s.makeProto(ctx, p, sec)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.protos[p.ID] = cached{rev: p.Revision, proto: pr}
	s.mu.Unlock()
	return pr, nil
}

func (s *Service) makeProto(ctx context.Context, p *gh.IdentityProvider, sec secrets) (protocol, error) {
	switch p.Type {
	case gh.ProviderOIDC:
		return s.oidcProto(ctx, p, sec)
	case gh.ProviderSAML:
		return s.samlProto(p, sec)
	}
	return nil, gh.Internal(errUnknownType(p.Type))
}

func (s *Service) secrets(ctx context.Context, id gh.ProviderID) (secrets, error) {
	var sec secrets
	sealed, err := s.store.ProviderSecret(ctx, id)
	if gh.KindOf(err) == gh.KindNotFound {
		return sec, nil
	}
	if err != nil {
		return sec, err
	}
	plain, err := s.cfg.Sealer.Open(sealed)
	if err != nil {
		return sec, err
	}
	if err := json.Unmarshal([]byte(plain), &sec); err != nil {
		return sec, gh.Internal(err)
	}
	return sec, nil
}

func (s *Service) seal(sec secrets) string {
	b, _ := json.Marshal(sec)
	return s.cfg.Sealer.Seal(string(b))
}

type errUnknownType gh.ProviderType

func (e errUnknownType) Error() string { return "unknown provider type " + string(e) }
