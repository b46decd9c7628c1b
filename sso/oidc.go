package sso

import (
	"context"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/oidc"
)

// oidcProto is an OpenID Provider's relying party.
type oidcProto struct {
	rp     *oidc.RP
	claims gh.ClaimMap
}

func (s *Service) oidcConfig(p *gh.IdentityProvider, sec secrets) oidc.Config {
	return oidc.Config{Issuer: p.OIDC.Issuer, ClientID: p.OIDC.ClientID, ClientSecret: sec.ClientSecret,
		Scopes: p.OIDC.Scopes, Claims: p.OIDC.Claims, RedirectURL: s.CallbackURL(p.ID), HTTPClient: s.cfg.HTTPClient}
}

func (s *Service) oidcProto(ctx context.Context, p *gh.IdentityProvider, sec secrets) (protocol, error) {
	rp, err := oidc.New(ctx, s.oidcConfig(p, sec))
	if err != nil {
		return nil, err
	}
	return &oidcProto{rp: rp, claims: p.OIDC.Claims}, nil
}

// proveOIDC runs discovery once, so a wrong issuer is refused when it is
// entered rather than at the first sign-in.
func (s *Service) proveOIDC(ctx context.Context, p *gh.IdentityProvider, sec secrets) error {
	_, err := oidc.New(ctx, s.oidcConfig(p, sec))
	return err
}

func (o *oidcProto) begin(_ context.Context, f *flow) (string, error) {
	fl := oidc.NewFlow()
	fl.State = f.State
	f.Nonce, f.Verifier = fl.Nonce, fl.Verifier
	return o.rp.AuthURL(fl), nil
}

func (o *oidcProto) finish(ctx context.Context, f *flow, a Answer) (*gh.Assertion, error) {
	if a.Code == "" {
		return nil, gh.Reject("malformed", "the callback carries no code")
	}
	return o.rp.Exchange(ctx, a.Code, oidc.Flow{State: f.State, Nonce: f.Nonce, Verifier: f.Verifier})
}

func (o *oidcProto) bench(_ context.Context, in BenchInput) (*gh.Assertion, error) {
	if len(in.Claims) == 0 {
		return nil, gh.Reject("malformed", "an OIDC provider is tested with an ID token's claims as JSON")
	}
	return oidc.FromClaims(in.Claims, o.claims)
}
