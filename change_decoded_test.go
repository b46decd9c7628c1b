package gatehouse

import (
	"encoding/json"
	"testing"
)

func TestDecodedDecodesEachSideOnceForItsReaders(t *testing.T) {
	before := MustJSON(&Membership{Org: "org_1", Group: "grp_1", Member: UserPrincipal("usr_1")})
	c := NewChange(KindMembership, "grp_1/user/usr_1", before, nil)
	copied := c // changes travel by value; the copy shares what was decoded

	first, ok := Decoded[Membership](&c, false)
	if !ok || first.Group != "grp_1" || first.Member.ID != "usr_1" {
		t.Fatalf("Decoded before = %+v, %v; want the membership", first, ok)
	}
	if again, _ := Decoded[Membership](&copied, false); again != first {
		t.Errorf("a second reader decoded again (%p, first %p)", again, first)
	}
	type keyOnly struct {
		Group GroupID `json:"group_id"`
	}
	if k, ok := Decoded[keyOnly](&c, false); !ok || k.Group != "grp_1" {
		t.Errorf("Decoded as another type = %+v, %v; want its own decoding", k, ok)
	}
	if v, ok := Decoded[Membership](&c, true); ok || v != nil {
		t.Errorf("Decoded of the empty side = %+v, %v; want nothing", v, ok)
	}
}

func TestDecodedWithoutMemoryAndOnBadJSON(t *testing.T) {
	c := Change{Kind: KindUser, ID: "usr_1", After: json.RawMessage(`{"id":"usr_1","email":"a@b.example"}`)}
	a, ok := Decoded[User](&c, true)
	b, _ := Decoded[User](&c, true)
	if !ok || a.Email != "a@b.example" || a == b {
		t.Errorf("a change made as a literal decodes each time: %+v %v (same value twice: %v)", a, ok, a == b)
	}
	bad := NewChange(KindUser, "usr_2", nil, json.RawMessage(`{"id": 7}`))
	if v, ok := Decoded[User](&bad, true); ok || v != nil {
		t.Errorf("Decoded of JSON that is not a user = %+v, %v; want false", v, ok)
	}
}
