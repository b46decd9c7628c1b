package http_test

import "testing"

// TestMailTextIsNotKeptOutsideADemo: a server that is not a demo keeps no
// copy of what it mails (the messages hold one-time links), and says so.
func TestMailTextIsNotKeptOutsideADemo(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "ivy@acme.example", "given_name": "Ivy"}, 201)
		id := p.mailTo("ivy@acme.example", "invitation").str("id")
		p.refused(p.admin, "GET", org+"/mail/"+id, nil, 404, "mail_not_kept")
		if _, out, _ := p.call(p.admin, "GET", org+"/mail/"+id, nil); out.str("body") != "" {
			t.Errorf("GET mail/%s answered a body outside a demo", id)
		}
	})
}
