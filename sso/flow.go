package sso

import (
	"context"
	"crypto/rand"
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

// flowTTL is how long a person has at the provider before the round trip lapses.
const flowTTL = 10 * time.Minute

// errNoProvider answers a provider that does not exist, is disabled, or is
// not the one a round trip began with: all alike.
var errNoProvider = gh.NotFound("identity provider")

// Start begins a sign-in through provider id and returns where to send the
// browser. next is where to go afterwards: only a local path is kept.
func (s *Service) Start(ctx context.Context, id gh.ProviderID, next string) (string, error) {
	p := s.dir.Provider(id)
	if p == nil || p.Disabled {
		return "", errNoProvider
	}
	pr, err := s.proto(ctx, p)
	if err != nil {
		return "", err
	}
	f := &flow{Provider: p.ID, Next: LocalPath(next), State: randomID()}
	to, err := pr.begin(ctx, f)
	if err != nil {
		return "", err
	}
	data, _ := json.Marshal(f)
	err = s.store.VaultUpdate(ctx, func(v gh.VaultTx) error {
		return v.PutCeremony(&gh.Ceremony{ID: f.State, Kind: ceremonyKind, Data: data, ExpiresAt: time.Now().Add(flowTTL)}, time.Now())
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
func (s *Service) FinishOIDC(ctx context.Context, id gh.ProviderID, q url.Values, c signin.Client) (*Finished, error) {
	p := s.dir.Provider(id)
	if p == nil || p.Type != gh.ProviderOIDC {
		return nil, errNoProvider
	}
	f, err := s.takeFlow(ctx, p, q.Get("state"))
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
// never used as a destination.
func (s *Service) FinishSAML(ctx context.Context, id gh.ProviderID, response, relay string, c signin.Client) (*Finished, error) {
	p := s.dir.Provider(id)
	if p == nil || p.Type != gh.ProviderSAML {
		return nil, errNoProvider
	}
	f, err := s.takeFlow(ctx, p, relay)
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

// takeFlow takes the round trip a state or relay value names, once.
func (s *Service) takeFlow(ctx context.Context, p *gh.IdentityProvider, state string) (*flow, error) {
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
	return f, nil
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
