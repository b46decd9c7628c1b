package oidc_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
	ghoidc "gatehouse.dev/gatehouse/oidc"
)

func TestFromClaimsMapping(t *testing.T) {
	entra := gatehouse.ClaimMap{Email: "preferred_username", Name: "display", Groups: "roles"}
	for _, tc := range []struct {
		name   string
		claims string
		m      gatehouse.ClaimMap
		want   gatehouse.Assertion
	}{
		{"defaults", `{"sub":"s","email":"a@x.io","email_verified":true,"name":"Ada","groups":["g1","g2"],"jti":"j","exp":1700000000}`, gatehouse.ClaimMap{},
			gatehouse.Assertion{Subject: "s", Email: "a@x.io", EmailVerified: true, Name: "Ada", Groups: []string{"g1", "g2"}, ID: "j", Expires: time.Unix(1700000000, 0).UTC()}},
		{"name from given and family", `{"sub":"s","given_name":"Ada","family_name":"Lovelace"}`, gatehouse.ClaimMap{},
			gatehouse.Assertion{Subject: "s", Name: "Ada Lovelace"}},
		{"single group string", `{"sub":"s","groups":"admins"}`, gatehouse.ClaimMap{},
			gatehouse.Assertion{Subject: "s", Groups: []string{"admins"}}},
		{"Entra object ids", `{"sub":"s","groups":["0b6c1c6a-2f1e-4c55-9d8e-7f1b3c0f1a2b"]}`, gatehouse.ClaimMap{},
			gatehouse.Assertion{Subject: "s", Groups: []string{"0b6c1c6a-2f1e-4c55-9d8e-7f1b3c0f1a2b"}}},
		{"configured claim names", `{"sub":"s","preferred_username":"a@x.io","display":"Ada","roles":["r"],"email":"other@x.io","groups":["g"]}`, entra,
			gatehouse.Assertion{Subject: "s", Email: "a@x.io", Name: "Ada", Groups: []string{"r"}}},
		{"overage wins over a groups claim", `{"sub":"s","groups":["g"],"_claim_names":{"groups":"src1"}}`, gatehouse.ClaimMap{},
			gatehouse.Assertion{Subject: "s", GroupsOverage: true}},
		{"hasgroups as string", `{"sub":"s","hasgroups":"true"}`, gatehouse.ClaimMap{},
			gatehouse.Assertion{Subject: "s", GroupsOverage: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ghoidc.FromClaims([]byte(tc.claims), tc.m)
			if err != nil {
				t.Fatalf("FromClaims: %v", err)
			}
			if d := cmp.Diff(&tc.want, got); d != "" {
				t.Errorf("FromClaims(%s) (-want +got):\n%s", tc.claims, d)
			}
		})
	}
}

func TestFromClaimsMFA(t *testing.T) {
	for _, tc := range []struct {
		claims string
		want   bool
	}{
		{`"amr":["mfa"]`, true},
		{`"amr":["pwd","otp"]`, true},
		{`"amr":["hwk","fpt"]`, true},
		{`"amr":["pwd"]`, false},
		// Two methods of one kind (both known to the person) are one factor.
		{`"amr":["pwd","kba"]`, false},
		// Risk signals are not factors.
		{`"amr":["pwd","geo","rba"]`, false},
		{`"acr":"http://schemas.openid.net/pape/policies/2007/06/multi-factor"`, true},
		{`"acr":"1"`, false},
		{`"amr":[]`, false},
	} {
		a, err := ghoidc.FromClaims([]byte(`{"sub":"s",`+tc.claims+`}`), gatehouse.ClaimMap{})
		if err != nil {
			t.Fatalf("FromClaims(%s): %v", tc.claims, err)
		}
		if a.MFA != tc.want {
			t.Errorf("FromClaims(%s).MFA = %v, want %v", tc.claims, a.MFA, tc.want)
		}
	}
}

func TestFromClaimsRefusesMalformed(t *testing.T) {
	for name, claims := range map[string]string{
		"not JSON":          `{`,
		"no sub":            `{"email":"a@x.io"}`,
		"sub not a string":  `{"sub":42}`,
		"groups of numbers": `{"sub":"s","groups":[1,2]}`,
		"groups an object":  `{"sub":"s","groups":{"a":1}}`,
		"email a number":    `{"sub":"s","email":7}`,
		"exp a string":      `{"sub":"s","exp":"soon"}`,
		"amr a string":      `{"sub":"s","amr":"mfa"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ghoidc.FromClaims([]byte(claims), gatehouse.ClaimMap{})
			wantCheck(t, err, "malformed")
		})
	}
}
