package gatehouse

import "testing"

// A catalogue with custom capabilities is a new value: the built-in one that
// every index starts from stays as it was.
func TestCatalogueWithCustomCapabilities(t *testing.T) {
	base := DefaultCatalogue
	nBase := len(base.Capabilities())
	cat := base.With([]*CustomCapability{
		{ID: "vulns.triage", Description: "Triage", BuiltinGrants: map[RoleID]Level{RoleIncidentAnalyst: LevelLimited}},
		{ID: "assets.view", Description: "See assets"},
	})
	if len(base.Capabilities()) != nBase || base.BuiltinRoles()[0].Grants["vulns.triage"] != LevelNone {
		t.Fatalf("With changed the catalogue it was called on")
	}
	caps := cat.Capabilities()
	if len(caps) != nBase+2 {
		t.Fatalf("%d capabilities, want %d", len(caps), nBase+2)
	}
	// Custom ones sit after the built-in workspace capabilities, in id order, before the organization's.
	ws := 0
	for _, c := range base.Capabilities() {
		if c.Scope == ScopeWorkspace {
			ws++
		}
	}
	if caps[ws].ID != "assets.view" || caps[ws+1].ID != "vulns.triage" || !caps[ws].Custom || caps[ws+2].Scope != ScopeOrganization {
		t.Errorf("order around the custom capabilities: %v %v %v", caps[ws-1], caps[ws], caps[ws+2])
	}
	want := map[RoleID][2]Level{ // vulns.triage, assets.view
		RoleAdmin: {LevelFull, LevelFull}, RoleIncidentAnalyst: {LevelLimited, LevelNone}, RoleIncidentResponder: {LevelNone, LevelNone},
	}
	for _, r := range cat.BuiltinRoles() {
		if w, ok := want[r.ID]; ok && (r.Level("vulns.triage") != w[0] || r.Level("assets.view") != w[1]) {
			t.Errorf("%s holds %s and %s, want %s and %s", r.ID, r.Level("vulns.triage"), r.Level("assets.view"), w[0], w[1])
		}
	}
}

func TestCustomCapabilityValidate(t *testing.T) {
	for _, c := range []struct {
		cc    CustomCapability
		field string
	}{
		{CustomCapability{ID: "vulns.triage", Description: "ok"}, ""},
		{CustomCapability{ID: "vulns", Description: "ok"}, "id"},
		{CustomCapability{ID: "Vulns.triage", Description: "ok"}, "id"},
		{CustomCapability{ID: "org.billing.export", Description: "ok"}, "id"},
		{CustomCapability{ID: "vulns.triage"}, "description"},
		{CustomCapability{ID: "vulns.triage", Description: "ok", BuiltinGrants: map[RoleID]Level{RoleAdmin: LevelFull}}, "builtin_grants.admin"},
		{CustomCapability{ID: "vulns.triage", Description: "ok", BuiltinGrants: map[RoleID]Level{"auditor": LevelFull}}, "builtin_grants.auditor"},
	} {
		err := c.cc.Validate()
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%+v: %v, want valid", c.cc, err)
		case c.field != "" && (err == nil || AsError(err).Fields[c.field] == ""):
			t.Errorf("%+v: %v, want a message for %s", c.cc, err, c.field)
		}
	}
}
