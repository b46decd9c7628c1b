package oidc

import "slices"

// factorKind sorts the RFC 8176 authentication methods into the three kinds
// of factor. Multi-factor means two different kinds: a password and a
// security question are two methods but one kind (things known), and
// prove no more than a password alone. Methods that are not factors of
// their own (geo, rba: risk signals; wia, user, mca) are left out.
var factorKind = map[string]string{
	"pwd": "knowledge", "pin": "knowledge", "kba": "knowledge",
	"otp": "possession", "sms": "possession", "tel": "possession",
	"hwk": "possession", "swk": "possession", "sc": "possession", "pop": "possession",
	"fpt": "inherence", "face": "inherence", "iris": "inherence",
	"retina": "inherence", "vbm": "inherence",
}

// multiFactorACR are acr values whose definition requires several factors.
// Provider-specific levels ("1", "urn:…:loa:2") are not listed: their
// meaning is each provider's, and trusting a guess would skip our own
// second factor.
var multiFactorACR = []string{
	"http://schemas.openid.net/pape/policies/2007/06/multi-factor",
	"http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical",
}

// multiFactor reports whether amr or acr say the person used more than one
// factor: amr "mfa" (RFC 8176 §2), two kinds of factor among the methods,
// or a multi-factor acr.
func multiFactor(amr []string, acr string) bool {
	if slices.Contains(amr, "mfa") || slices.Contains(multiFactorACR, acr) {
		return true
	}
	kinds := map[string]bool{}
	for _, m := range amr {
		if k, ok := factorKind[m]; ok {
			kinds[k] = true
		}
	}
	return len(kinds) >= 2
}
