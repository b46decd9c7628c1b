package gatehouse

import (
	"fmt"
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	cases := []struct {
		name, value string
		want        string // a word of the message; "" for accepted
	}{
		{"plain", "SOC Tier 1", ""},
		{"accents", "Zoë Ångström", ""},
		{"Cyrillic", "Дежурная смена", ""},
		{"Persian with a zero-width non-joiner", "می\u200cخواهم", ""},
		{"emoji sequence", "Dev \U0001F469\u200d\U0001F4BB", ""},
		{"emoji with a variation selector", "We \u2764\ufe0f SOC", ""},
		{"fullwidth", "ＳＯＣ", ""},
		{"right-to-left override", "Admins\u202e", "bidirectional"},
		{"left-to-right isolate", "\u2066Admins", "bidirectional"},
		{"C1 control", "Ana\u0085", "control"},
		{"C0 control", "Ana\x07", "control"},
		{"line separator", "Ana\u2028Alves", "control"},
		{"zero-width space", "Ad\u200bmins", "invisible"},
		{"zero-width joiner in a Latin word", "Ad\u200dmins", "invisible"},
		{"byte-order mark", "\ufeffAdmins", "invisible"},
		{"Hangul filler", "Ana\u3164", "invisible"},
		{"blank", "  ", "required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := Fields{}
			checkName(f, "name", c.value, 100)
			wantMessage(t, fmt.Sprintf("checkName(%q)", c.value), f["name"], c.want)
		})
	}
}

// wantMessage fails unless got is empty when want is, or else contains want.
func wantMessage(t *testing.T, call, got, want string) {
	t.Helper()
	if (want == "") != (got == "") || !strings.Contains(got, want) {
		t.Errorf("%s = %q, want a message with %q", call, got, want)
	}
}

func TestCleanName(t *testing.T) {
	if got, want := CleanName(" Zoe\u0308 "), "Zo\u00eb"; got != want {
		t.Errorf("CleanName = %q, want %q (trimmed, NFC)", got, want)
	}
}

func TestAPIKeyNameRules(t *testing.T) {
	k := &APIKey{Name: "deploy\u202ebot"}
	if err := k.Validate(); err == nil || !strings.Contains(AsError(err).Fields["name"], "bidirectional") {
		t.Errorf("Validate(key named with a bidi override) = %v, want a name field error", err)
	}
}
