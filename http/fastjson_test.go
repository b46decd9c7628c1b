package http

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// strict decodes like decode does: one value, no unknown members.
func strict(b []byte, dst any) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if dec.Decode(dst) != nil {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF
}

var fastSeeds = []string{
	`{"user":"usr_1","workspace":"ws_1","capability":"incidents.view"}`,
	` { "org" : "acme", "user":"a@b.example", "workspace":"alpha","capability":"incidents.close","level":"limited" } `,
	`{"user":"u","workspace":"w","capability":"c","consistency":{"at_least_revision":42}}`,
	`{"user":"u","consistency":{"at_least_revision":1},"consistency":{"fully_consistent":true}}`,
	`{"checks":[{"user":"u","workspace":"w","capability":"c"},{"user":"v","workspace":"x","capability":"d"}],"consistency":{"fully_consistent":false}}`,
	`{"checks":[]}`, `{}`, `{"User":"u"}`, `{"user":"\u0041"}`, `{"user":"é"}`, `{"user":null}`,
	`{"consistency":{"at_least_revision":-1}}`, `{"consistency":{"at_least_revision":1e3}}`, `{"user":"u"} x`,
	`{"checks":[{"user":"u"},]}`, `{"user":"u",}`, `[]`, ``,
}

// FuzzFastCheckDecoding holds the fast decoders to encoding/json: whatever
// they accept, encoding/json must accept and decode to the same value.
func FuzzFastCheckDecoding(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast, slow checkRequest
		if fastCheck(b, &fast) {
			if !strict(b, &slow) {
				t.Fatalf("fastCheck accepted %q, which encoding/json refuses", b)
			}
			if d := cmp.Diff(slow, fast); d != "" {
				t.Fatalf("fastCheck(%q) differs from encoding/json (-slow +fast):\n%s", b, d)
			}
		}
		var fb, sb batchCheckRequest
		if fastBatch(b, &fb) {
			if !strict(b, &sb) {
				t.Fatalf("fastBatch accepted %q, which encoding/json refuses", b)
			}
			if sb.Checks == nil {
				sb.Checks = []checkRequest{}
			}
			if fb.Checks == nil {
				fb.Checks = []checkRequest{}
			}
			if d := cmp.Diff(sb, fb); d != "" {
				t.Fatalf("fastBatch(%q) differs from encoding/json (-slow +fast):\n%s", b, d)
			}
		}
	})
}

func TestFastDecodersTakeTheCommonForm(t *testing.T) {
	for _, s := range fastSeeds[:5] {
		var q checkRequest
		var b batchCheckRequest
		if !fastCheck([]byte(s), &q) && !fastBatch([]byte(s), &b) {
			t.Errorf("neither fast decoder took %s", s)
		}
	}
}
