package auth

import (
	"errors"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
)

func TestCheckPassword(t *testing.T) {
	old1, _ := FastParams.Hash("Old-password-1")
	old2, _ := FastParams.Hash("Old-password-2")
	alice := PasswordContext{Email: "alice.smith@example.com", Names: []string{"Alice Smith", "Zoë Åkesson"}, HasMFA: true}
	ana := PasswordContext{Email: "ana@example.com", Names: []string{"Ana", "Alves"}, OrgNames: []string{"Acme Security", "acme-sec"}}
	withHistory := PasswordContext{HasMFA: true, PreviousHashes: []string{old1, old2}}
	tests := []struct {
		name   string
		pw     string
		policy PasswordPolicy
		ctx    PasswordContext
		want   string // "" for accepted, else a part of Fields["password"]
	}{
		{"empty", "", PasswordPolicy{}, alice, "at least 8 characters"},
		{"seven characters", "gq7#Lm2", PasswordPolicy{}, alice, "at least 8 characters"},
		{"eight characters", "gq7#Lm2x", PasswordPolicy{}, alice, ""},
		{"runes are counted, not bytes", "ĉĝĥĵŝŭ€", PasswordPolicy{}, alice, "at least 8 characters"},
		{"length counted after NFKC", "\ufb03\ufb03ab", PasswordPolicy{}, alice, ""}, // ﬃﬃab is ffiffiab
		{"policy minimum", "gq7#Lm2x9k", PasswordPolicy{MinLength: 12}, alice, "at least 12 characters"},
		{"minimum below baseline ignored", "gq7#Lm2x", PasswordPolicy{MinLength: 4}, alice, ""},
		{"longer without MFA", "gq7#Lm2x9kzw", PasswordPolicy{MinLength: 12, MinLengthWithoutMFA: 15},
			PasswordContext{HasMFA: false}, "at least 15 characters"},
		{"MFA lifts the longer minimum", "gq7#Lm2x9kzw", PasswordPolicy{MinLength: 12, MinLengthWithoutMFA: 15},
			PasswordContext{HasMFA: true}, ""},
		{"64 characters", strings.Repeat("gq7#Lm2x", 8), PasswordPolicy{}, alice, ""},
		{"256 characters", strings.Repeat("gq7#Lm2x", 32), PasswordPolicy{}, alice, ""},
		{"257 characters", strings.Repeat("gq7#Lm2x", 32) + "!", PasswordPolicy{}, alice, "at most 256 characters"},
		{"any Unicode", "🔑 café ☕ naïve 密码", PasswordPolicy{}, alice, ""},
		{"spaces allowed", "four random words here", PasswordPolicy{}, alice, ""},
		{"common", "password", PasswordPolicy{}, alice, "most common passwords"},
		{"common, other case", "PassWord", PasswordPolicy{}, alice, "most common passwords"},
		{"common digits", "12345678", PasswordPolicy{}, alice, "most common passwords"},
		{"common, full width", "ｉｌｏｖｅｙｏｕ", PasswordPolicy{}, alice, "most common passwords"},
		{"email local part", "xx-alice.smith-xx", PasswordPolicy{}, alice, "your name or email"},
		{"word of the email", "Smith-rocks-42", PasswordPolicy{}, alice, "your name or email"},
		{"name, other case", "ALICE-in-wonderland", PasswordPolicy{}, alice, "your name or email"},
		{"non-ASCII name, other case", "ÅKESSON-forever-9", PasswordPolicy{}, alice, "your name or email"},
		{"short names are not refused", "bo-gq7#Lm2x", PasswordPolicy{},
			PasswordContext{Email: "bo@example.com", Names: []string{"Bo Li"}}, ""},
		{"short names as the dominant part", "bo-bo-bo-bo-9", PasswordPolicy{},
			PasswordContext{Email: "bo@example.com", Names: []string{"Bo Li"}}, "mostly your name"},
		{"the email", "ana@example.com", PasswordPolicy{}, ana, "your name or email"},
		{"the email with other punctuation", "ana.example.com-ana", PasswordPolicy{}, ana, "your name or email"},
		{"the email inside", "My:Ana@Example.com!", PasswordPolicy{}, ana, "your name or email"},
		{"a short local part as the dominant part", "Ana-2024-Ana!", PasswordPolicy{}, ana, "mostly your name"},
		{"a short local part and more", "Ana-gq7#Lm2x-9", PasswordPolicy{}, ana, ""},
		{"the domain alone is fine", "example-gq7#Lm2x", PasswordPolicy{}, ana, ""},
		{"the email's domain as the dominant part", "example.com-2024", PasswordPolicy{}, ana, "mostly"},
		{"the organization's name", "Acme Security 2024", PasswordPolicy{}, ana, "name of your organization"},
		{"the organization's name without spaces", "acmesecurity!", PasswordPolicy{}, ana, "name of your organization"},
		{"the organization's slug", "acme-sec-2024-xyz", PasswordPolicy{}, ana, "name of your organization"},
		{"a word of the organization's name alone is fine", "security-gq7#Lm2x", PasswordPolicy{}, ana, ""},
		{"a word of the organization's name as the dominant part", "Security2024", PasswordPolicy{}, ana, "mostly"},
		{"no email or names", "gq7#Lm2x", PasswordPolicy{}, PasswordContext{}, ""},
		{"complexity: one class", "correcthorsebatterystaple", PasswordPolicy{Complexity: true}, alice, "at least three of"},
		{"complexity: two classes", "Correcthorsebatterystaple", PasswordPolicy{Complexity: true}, alice, "at least three of"},
		{"complexity: three classes", "Correct-horse-battery", PasswordPolicy{Complexity: true}, alice, ""},
		{"complexity off", "correcthorsebatterystaple", PasswordPolicy{}, alice, ""},
		{"reuse of the newest", "Old-password-1", PasswordPolicy{History: 5}, withHistory, "used recently"},
		{"reuse of an older one", "Old-password-2", PasswordPolicy{History: 2}, withHistory, "used recently"},
		{"older than History", "Old-password-2", PasswordPolicy{History: 1}, withHistory, ""},
		{"History 0 allows reuse", "Old-password-1", PasswordPolicy{}, withHistory, ""},
		{"new password", "New-password-3", PasswordPolicy{History: 5}, withHistory, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.pw, tt.policy, tt.ctx, FastParams)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckPassword(%q) = %v, want nil", tt.pw, err)
				}
				return
			}
			var e *gh.Error
			if !errors.As(err, &e) || e.Kind != gh.KindInvalid || e.Code != "weak_password" {
				t.Fatalf("CheckPassword(%q) = %#v, want a KindInvalid weak_password error", tt.pw, err)
			}
			if got := e.Fields["password"]; !strings.Contains(got, tt.want) {
				t.Fatalf("CheckPassword(%q) Fields[password] = %q, want it to contain %q", tt.pw, got, tt.want)
			}
		})
	}
}

func TestCheckPasswordBadHistory(t *testing.T) {
	c := PasswordContext{PreviousHashes: []string{"not a hash"}}
	err := CheckPassword("gq7#Lm2x9kzw", PasswordPolicy{History: 3}, c, FastParams)
	if gh.KindOf(err) != gh.KindInternal || err == nil {
		t.Fatalf("CheckPassword with a malformed previous hash = %v, want a KindInternal error", err)
	}
}

func TestIsCommon(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"top of the list", "password", true},
		{"other case", "PASSWORD", true},
		{"digits", "123456", true},
		{"full width, after NFKC", "ｑｗｅｒｔｙ", true},
		{"uncommon", "gq7#Lm2x9kzw", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsCommon(tt.pw); got != tt.want {
				t.Fatalf("IsCommon(%q) = %v, want %v", tt.pw, got, tt.want)
			}
		})
	}
}
