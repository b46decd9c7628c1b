package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"gatehouse.dev/gatehouse"
)

// allowedAlgs are the asymmetric signature algorithms. HMAC is left out on
// purpose: its key would be the client secret or, in the classic
// confusion attack, the provider's public key used as a shared secret; and
// "none" is no signature at all.
var allowedAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.EdDSA,
}

// Verify checks an ID token and maps its claims: signature by a key of the
// provider's JWKS (fetched again when an unknown key id shows up, as after
// a key rotation), an asymmetric algorithm, the issuer, the client id as
// audience (and as azp when present), expiry, and nonce equal to the
// flow's. Refusals are *gatehouse.Rejection with Check "malformed",
// "algorithm", "signature", "issuer", "audience", "expired",
// "not_yet_valid" or "nonce".
func (rp *RP) Verify(ctx context.Context, rawIDToken, nonce string) (*gatehouse.Assertion, error) {
	if err := checkHeader(rawIDToken); err != nil {
		return nil, err
	}
	tok, err := rp.verifier.Verify(ctx, rawIDToken)
	if err != nil {
		return nil, rp.classify(ctx, rawIDToken, err)
	}
	if err := checkNonce(tok.Nonce, nonce); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := tok.Claims(&raw); err != nil {
		return nil, gatehouse.Reject("malformed", "id token claims unreadable: "+err.Error())
	}
	if err := rp.checkAZP(raw, tok.Audience); err != nil {
		return nil, err
	}
	return FromClaims(raw, rp.cfg.Claims)
}

// checkHeader refuses what is not a signed JWT with an allowed algorithm
// before any key is looked at, so "none" and HS256 are named for what they are.
func checkHeader(raw string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return gatehouse.Reject("malformed", fmt.Sprintf("id token is not a compact JWS (%d parts, want 3)", len(parts)))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return gatehouse.Reject("malformed", "id token header is not base64url: "+err.Error())
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return gatehouse.Reject("malformed", "id token header is not JSON: "+err.Error())
	}
	if !slices.Contains(allowedAlgs, h.Alg) {
		return gatehouse.Reject("algorithm", fmt.Sprintf("alg %q refused: only asymmetric signatures (RS, PS, ES, EdDSA) are accepted", h.Alg))
	}
	return nil
}

// classify names the check go-oidc's verifier failed. The signature is
// checked again on its own: only once it holds may the claims be read to
// tell an issuer from an audience failure.
func (rp *RP) classify(ctx context.Context, raw string, err error) error {
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return gatehouse.Reject("expired", "id token expired at "+expired.Expiry.UTC().Format(time.RFC3339))
	}
	payload, sigErr := rp.keys.VerifySignature(ctx, raw)
	if sigErr != nil {
		return gatehouse.Reject("signature", "no key of the provider's JWKS verifies the id token: "+sigErr.Error())
	}
	var c struct {
		Issuer   string          `json:"iss"`
		Audience json.RawMessage `json:"aud"`
		NotBef   *float64        `json:"nbf"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return gatehouse.Reject("malformed", "id token claims are not a JSON object")
	}
	switch {
	case c.Issuer != rp.cfg.Issuer:
		return gatehouse.Reject("issuer", fmt.Sprintf("id token issued by %q, want %q", c.Issuer, rp.cfg.Issuer))
	case !slices.Contains(audience(c.Audience), rp.cfg.ClientID):
		return gatehouse.Reject("audience", fmt.Sprintf("id token is for %s, not client %q", c.Audience, rp.cfg.ClientID))
	case c.NotBef != nil && time.Unix(int64(*c.NotBef), 0).After(rp.now().Add(nbfLeeway)):
		return gatehouse.Reject("not_yet_valid", "id token not valid before "+time.Unix(int64(*c.NotBef), 0).UTC().Format(time.RFC3339))
	}
	return gatehouse.Reject("malformed", err.Error())
}

// nbfLeeway is go-oidc's allowance for clocks running behind the provider's.
const nbfLeeway = 5 * time.Minute

func (rp *RP) now() time.Time {
	if rp.cfg.Now != nil {
		return rp.cfg.Now()
	}
	return time.Now()
}

// audience reads aud, which RFC 7519 §4.1.3 allows as a string or an array.
func audience(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	json.Unmarshal(raw, &many)
	return many
}

// checkNonce binds the token to this flow's authorization request, so a
// token stolen from another sign-in cannot be replayed here.
func checkNonce(got, want string) error {
	if want == "" {
		return gatehouse.Reject("nonce", "no nonce expected: the flow lost its nonce")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return gatehouse.Reject("nonce", "id token nonce does not match this sign-in's")
	}
	return nil
}

// checkAZP applies OpenID Connect Core §3.1.3.7 (4, 5): a token for several
// audiences must name us as its authorized party, and any azp must be us.
func (rp *RP) checkAZP(raw json.RawMessage, aud []string) error {
	var c struct {
		AZP string `json:"azp"`
	}
	json.Unmarshal(raw, &c)
	if c.AZP != "" && c.AZP != rp.cfg.ClientID {
		return gatehouse.Reject("audience", fmt.Sprintf("id token authorized party is %q, not client %q", c.AZP, rp.cfg.ClientID))
	}
	if len(aud) > 1 && c.AZP == "" {
		return gatehouse.Reject("audience", "id token has several audiences and no azp")
	}
	return nil
}
