// Package oidc signs people in at an OpenID Provider: it is the Relying
// Party of the Authorization Code flow with PKCE, and turns a verified ID
// token into the gatehouse.Assertion the directory judges.
package oidc

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"gatehouse.dev/gatehouse"
)

// Config is one OpenID Provider as the Relying Party sees it.
type Config struct {
	Issuer, ClientID, ClientSecret string
	// Scopes asked for; default openid email profile. "openid" is always added.
	Scopes []string
	// Claims names the claims carrying email, name and groups; empty
	// fields take "email", "name" and "groups".
	Claims      gatehouse.ClaimMap
	RedirectURL string
	// HTTPClient is used for discovery, the JWKS and the token endpoint;
	// nil means http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock ID token expiry is checked against; nil means time.Now.
	Now func() time.Time
}

// RP is a Relying Party bound to one provider, safe for concurrent use.
type RP struct {
	cfg      Config
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	keys     *oidc.RemoteKeySet
	client   *http.Client
}

// New discovers the provider at cfg.Issuer and returns its Relying Party.
// A missing setting, an unreachable issuer or a discovery document that is
// bad or names another issuer is a KindInvalid error with code
// "invalid_issuer" (or "invalid_input" for missing settings).
func New(ctx context.Context, cfg Config) (*RP, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	// The key set outlives this call (it refetches on key rotation), so it
	// keeps the client but not the caller's cancellation.
	ctx = oidc.ClientContext(context.WithoutCancel(ctx), client)
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, discoveryError(err)
	}
	jwksURL, err := checkDiscovery(provider)
	if err != nil {
		return nil, err
	}
	keys := oidc.NewRemoteKeySet(ctx, jwksURL)
	return &RP{
		cfg:    cfg,
		client: client,
		keys:   keys,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes(cfg.Scopes),
		},
		verifier: oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{
			ClientID:             cfg.ClientID,
			SupportedSigningAlgs: allowedAlgs,
			Now:                  cfg.Now,
		}),
	}, nil
}

func (c *Config) validate() error {
	f := gatehouse.Fields{}
	if strings.TrimSpace(c.Issuer) == "" {
		f.Add("issuer", "is required")
	}
	if strings.TrimSpace(c.ClientID) == "" {
		f.Add("client_id", "is required")
	}
	if strings.TrimSpace(c.RedirectURL) == "" {
		f.Add("redirect_url", "is required")
	}
	return f.Err()
}

func discoveryError(err error) error {
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		// The issuer is what every ID token is checked against: a provider
		// that names another one in its own discovery is misconfigured or
		// impersonated, either way not to be trusted.
		return invalidIssuer("discovery names another issuer: " + mismatch.Discovered)
	}
	e := invalidIssuer("discovery failed (/.well-known/openid-configuration): " + err.Error())
	e.Err = err
	return e
}

// checkDiscovery returns the JWKS URL after making sure the document names
// every endpoint the code flow needs.
func checkDiscovery(p *oidc.Provider) (string, error) {
	var doc struct {
		JWKS string `json:"jwks_uri"`
	}
	if err := p.Claims(&doc); err != nil {
		return "", invalidIssuer("discovery document unreadable: " + err.Error())
	}
	ep := p.Endpoint()
	switch {
	case ep.AuthURL == "":
		return "", invalidIssuer("discovery has no authorization_endpoint")
	case ep.TokenURL == "":
		return "", invalidIssuer("discovery has no token_endpoint")
	case doc.JWKS == "":
		return "", invalidIssuer("discovery has no jwks_uri")
	}
	return doc.JWKS, nil
}

func invalidIssuer(reason string) *gatehouse.Error {
	return gatehouse.Invalid("invalid_issuer", "issuer", reason)
}

// scopes returns the configured scopes, or the defaults, with openid first.
func scopes(s []string) []string {
	if len(s) == 0 {
		s = []string{"email", "profile"}
	}
	out := []string{oidc.ScopeOpenID}
	for _, v := range s {
		if v != oidc.ScopeOpenID && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Flow holds one sign-in's secrets: the caller keeps it (in a short-lived,
// signed cookie or server-side) between AuthURL and Exchange, and checks
// State itself against the callback's state parameter.
type Flow struct {
	State, Nonce, Verifier string
}

// NewFlow returns fresh random state, nonce and PKCE verifier.
func NewFlow() Flow {
	return Flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
}

// random returns 256 bits from crypto/rand, URL-safe.
func random() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthURL is where to send the person: the provider's authorization
// endpoint, asking for a code with the flow's state, nonce and S256 PKCE
// challenge.
func (rp *RP) AuthURL(f Flow) string {
	return rp.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
}

// Exchange redeems the callback's code with the flow's PKCE verifier and
// verifies the ID token it brings (see Verify). Refusals are
// *gatehouse.Rejection: "token_exchange" when the token endpoint refused or
// failed, "missing_id_token", or any check of Verify.
func (rp *RP) Exchange(ctx context.Context, code string, f Flow) (*gatehouse.Assertion, error) {
	ctx = oidc.ClientContext(ctx, rp.client)
	tok, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, exchangeRejection(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, gatehouse.Reject("missing_id_token", "the token response has no id_token (was the openid scope granted?)")
	}
	return rp.Verify(ctx, raw, f.Nonce)
}

// exchangeRejection names what the token endpoint said, so admins can tell
// a wrong client secret from an expired code.
func exchangeRejection(err error) *gatehouse.Rejection {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		detail := "token endpoint refused"
		if re.Response != nil {
			detail = "token endpoint answered " + re.Response.Status
		}
		if re.ErrorCode != "" {
			detail += ": " + re.ErrorCode
		}
		if re.ErrorDescription != "" {
			detail += " (" + re.ErrorDescription + ")"
		}
		return gatehouse.Reject("token_exchange", detail)
	}
	return gatehouse.Reject("token_exchange", "token endpoint unreachable or unreadable: "+err.Error())
}
