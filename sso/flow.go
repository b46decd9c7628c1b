package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

// ceremonyKind marks single sign-on round trips among the vault's ceremonies.
const ceremonyKind = "sso.flow"

// FlowTTL is how long a person has at the provider before the round trip lapses.
const FlowTTL = 10 * time.Minute

// errNoProvider answers a provider that does not exist, is disabled, or is
// not the one a round trip began with: all alike.
var errNoProvider = gh.NotFound("identity provider")

// Start begins a sign-in through provider id and returns where to send the
// browser. next is where to go afterwards: only a local path is kept.
// browser is the secret the browser holds in a cookie (see NewBrowserKey):
// only a browser that holds it finishes the round trip, so that nobody can
// hand a victim an answer of the provider about themselves (login CSRF).
func (s *Service) Start(ctx context.Context, id gh.ProviderID, next, browser string) (string, error) {
	if browser == "" {
		return "", gh.Internal(errors.New("a round trip needs the browser's key"))
	}
	p := s.dir.Provider(id)
	if p == nil || p.Disabled {
		return "", errNoProvider
	}
	pr, err := s.proto(ctx, p)
	if err != nil {
		return "", err
	}
	f := &flow{Provider: p.ID, Next: LocalPath(next), State: randomID(), Browser: browserHash(browser)}
	to, err := pr.begin(ctx, f)
	if err != nil {
		return "", err
	}
	data, _ := json.Marshal(f)
	err = s.store.VaultUpdate(ctx, func(v gh.VaultTx) error {
		return v.PutCeremony(&gh.Ceremony{ID: f.State, Kind: ceremonyKind, Data: data, ExpiresAt: time.Now().Add(FlowTTL)}, time.Now())
	})
	if err != nil {
		return "", err
	}
	return to, nil
}

// Finished is a completed sign-in: the session and where to go next.
type Finished struct {
	*signin.Started
	Federation *directory.Federation
	Next       string
}

// FinishOIDC completes an OIDC round trip from its callback's query.
// browser is the key the browser's cookie holds.
func (s *Service) FinishOIDC(ctx context.Context, id gh.ProviderID, q url.Values, browser string, c signin.Client) (*Finished, error) {
	p := s.dir.Provider(id)
	if p == nil || p.Type != gh.ProviderOIDC {
		return nil, errNoProvider
	}
	if err := s.signin.AllowAnswer(ctx, c); err != nil {
		return nil, err
	}
	f, err := s.takeFlow(ctx, p, q.Get("state"), browser)
	if err != nil {
		return nil, s.refused(ctx, p, nil, err, c)
	}
	if e := q.Get("error"); e != "" {
		return nil, s.refused(ctx, p, nil, gh.Reject("provider_error", trim(e+": "+q.Get("error_description"), 300)), c)
	}
	return s.finish(ctx, p, f, Answer{Code: q.Get("code")}, c)
}

// FinishSAML completes a SAML round trip from the ACS's form. Without a
// round trip of ours (RelayState names none), the response is IdP-initiated
// and admitted only where the provider allows that; its RelayState is then
// never used as a destination. A round trip of ours finishes only in the
// browser that began it (browser is the key its cookie holds); another
// browser's is read as IdP-initiated, which an answer to a request of
// ours never passes.
func (s *Service) FinishSAML(ctx context.Context, id gh.ProviderID, response, relay, browser string, c signin.Client) (*Finished, error) {
	p := s.dir.Provider(id)
	if p == nil || p.Type != gh.ProviderSAML {
		return nil, errNoProvider
	}
	if err := s.signin.AllowAnswer(ctx, c); err != nil {
		return nil, err
	}
	f, err := s.takeFlow(ctx, p, relay, browser)
	if err != nil {
		f = &flow{Provider: p.ID} // IdP-initiated: the parser decides whether that is allowed
	}
	return s.finish(ctx, p, f, Answer{SAMLResponse: response}, c)
}

func (s *Service) finish(ctx context.Context, p *gh.IdentityProvider, f *flow, a Answer, c signin.Client) (*Finished, error) {
	pr, err := s.proto(ctx, p)
	if err != nil {
		return nil, err
	}
	as, err := pr.finish(ctx, f, a)
	if err != nil {
		return nil, s.refused(ctx, p, as, err, c)
	}
	st, fed, err := s.signin.SignInFederated(ctx, p, as, c)
	if err != nil {
		return nil, err
	}
	return &Finished{Started: st, Federation: fed, Next: f.Next}, nil
}

// takeFlow takes the round trip a state or relay value names, once, when
// browser is the key of the browser that began it.
func (s *Service) takeFlow(ctx context.Context, p *gh.IdentityProvider, state, browser string) (*flow, error) {
	if state == "" || len(state) > 200 {
		return nil, gh.Reject("state", "the answer carries no round trip of ours")
	}
	var cer *gh.Ceremony
	err := s.store.VaultUpdate(ctx, func(v gh.VaultTx) error {
		var err error
		cer, err = v.TakeCeremony(state, ceremonyKind, time.Now())
		return err
	})
	if err != nil {
		return nil, gh.Reject("state", "the round trip is unknown, used or expired")
	}
	f := &flow{}
	if err := json.Unmarshal(cer.Data, f); err != nil || f.Provider != p.ID {
		return nil, gh.Reject("state", "the round trip began at another provider")
	}
	if browser == "" || subtle.ConstantTimeCompare([]byte(f.Browser), []byte(browserHash(browser))) != 1 {
		return nil, gh.Reject("state", "the answer came back to another browser than the one that began the round trip")
	}
	return f, nil
}

// NewBrowserKey returns a new secret for a browser's cookie, which binds
// the round trips it begins to it.
func NewBrowserKey() string { return randomID() }

// ValidBrowserKey reports whether a cookie's value can be a browser key.
func ValidBrowserKey(k string) bool {
	b, err := base64.RawURLEncoding.DecodeString(k)
	return err == nil && len(b) == 24
}

// browserHash is what a round trip keeps of its browser's key.
func browserHash(k string) string {
	h := sha256.Sum256([]byte("gatehouse sso browser\x00" + k))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// refused records a refused answer and answers it as a failed sign-in.
func (s *Service) refused(ctx context.Context, p *gh.IdentityProvider, as *gh.Assertion, err error, c signin.Client) error {
	var rj *gh.Rejection
	if !errors.As(err, &rj) {
		return err // ours, not the provider's: a store or network failure
	}
	subject := ""
	if as != nil {
		subject = as.Subject + ": "
	}
	s.signin.RecordFederationFailure(ctx, p, subject, rj, c)
	return signin.ErrSignIn
}

// LocalPath keeps next only when it is a path of this site: never a scheme,
// a host, or a path a browser would read as one ("//evil", "/\evil").
func LocalPath(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}

func randomID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
