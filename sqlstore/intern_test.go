package sqlstore

import (
	"encoding/json"
	"reflect"
	"testing"
	"unsafe"

	"gatehouse.dev/gatehouse"
)

// Two rows decoded apart hold equal ids in separate copies; after interning
// they share one, and no value has changed.
func TestInternerSharesEqualStrings(t *testing.T) {
	rows := []string{
		`{"id":"asg_1","org_id":"org_a","workspace_id":"wsp_1","principal":{"type":"group","id":"grp_x"},"role_id":"role_admin"}`,
		`{"id":"asg_2","org_id":"org_a","workspace_id":"wsp_1","principal":{"type":"group","id":"grp_x"},"role_id":"role_admin"}`,
	}
	in := interner{}
	var got []*gatehouse.Assignment
	for _, r := range rows {
		a := new(gatehouse.Assignment)
		if err := json.Unmarshal([]byte(r), a); err != nil {
			t.Fatal(err)
		}
		want := *a
		in.walk(reflect.ValueOf(a))
		if !reflect.DeepEqual(*a, want) {
			t.Fatalf("interning changed %+v into %+v", want, *a)
		}
		got = append(got, a)
	}
	same := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
	if !same(string(got[0].Org), string(got[1].Org)) || !same(got[0].Principal.ID, got[1].Principal.ID) || !same(string(got[0].Role), string(got[1].Role)) {
		t.Fatal("equal ids of two rows are still separate copies")
	}
	if same(string(got[0].ID), string(got[1].ID)) {
		t.Fatal("different ids share storage")
	}
}
