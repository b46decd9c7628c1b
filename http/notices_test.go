package http_test

import (
	"strings"
	"testing"
)

// TestNoticesNameWhatTheyAreAbout: the security contacts' notice of Admin
// granted in a workspace names the workspace and the group or user, not
// their ids, also when the workspace is made in the same change.
func TestNoticesNameWhatTheyAreAbout(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		p.policy(obj{"security_contacts": []string{"soc@acme.example"}})
		p.create(p.admin, org+"/templates", obj{"name": "Standard", "auto_apply": true, "entries": []obj{{"group_id": p.managers, "role": "admin"}}})
		p.create(p.admin, org+"/workspaces", obj{"name": "Delta Dental"})
		p.assign(p.admin, "acme", "alpha", "user", p.adminID, "admin")
		mb.deliver(t)
		var got []string
		for _, m := range mb.to("soc@acme.example") {
			got = append(got, m.Subject+"\n"+m.Body)
		}
		all := strings.Join(got, "\n---\n")
		for _, want := range []string{"Admin granted in Delta Dental", "group Managers now has the Admin role in workspace Delta Dental",
			"Admin granted in Alpha", "user admin@acme.example now has the Admin role in workspace Alpha"} {
			if !strings.Contains(all, want) {
				t.Errorf("notices to the security contact do not say %q:\n%s", want, all)
			}
		}
		for _, id := range []string{"ws_", "grp_", "usr_"} {
			if strings.Contains(all, id) {
				t.Errorf("a notice names an object by its id (%s…):\n%s", id, all)
			}
		}
	})
}
