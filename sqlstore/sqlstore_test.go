package sqlstore

import "testing"

func TestRebind(t *testing.T) {
	for _, tc := range []struct {
		numbered bool
		q, want  string
	}{
		{false, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = ? AND c = ?"},
		{true, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{true, "SELECT 1", "SELECT 1"},
		{true, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			"INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"},
	} {
		d := Dialect{Numbered: tc.numbered}
		if got := d.rebind(tc.q); got != tc.want {
			t.Errorf("rebind(%q) with Numbered=%v = %q, want %q", tc.q, tc.numbered, got, tc.want)
		}
	}
}
