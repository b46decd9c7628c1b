package scim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	filter "github.com/scim2/filter-parser/v2"
)

// TestCompileLookup: the lookups read without the parser give the
// parser's expression; other filters go to the parser.
func TestCompileLookup(t *testing.T) {
	for _, raw := range []string{
		`userName eq "ann@example.com"`,
		`displayName eq "Sales EMEA"`,
		`externalId eq "0a1b-2c"`,
		`userName eq "ann.o'neil+é@example.com"`,
		`displayName eq ""`,
		`userName eq "ann@x" and active eq true`,
		`emails.value eq "ann@x"`,
		`userName EQ "ann@x"`,
		`userName eq 12`,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann@x"`,
	} {
		t.Run(raw, func(t *testing.T) {
			got, err := compile(raw)
			if err != nil {
				t.Fatalf("compile(%s): %v", raw, err)
			}
			want, err := filter.ParseFilter([]byte(raw))
			if err != nil {
				t.Fatalf("ParseFilter(%s): %v", raw, err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("compile(%s) differs from the parser (-want +got):\n%s", raw, d)
			}
		})
	}
	for _, raw := range []string{`userName eq "unterminated`, `userName eq "a" "b"`, `1userName eq "a"`} {
		if _, err := compile(raw); err == nil {
			t.Errorf("compile(%s) accepted, want invalidFilter", raw)
		}
	}
}
