package http_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestSeats: the operator sets how many active users an organization may
// have and its admins share them across workspaces; past them, every way of
// making a user active is refused and invitations wait.
func TestSeats(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		p.policy(obj{"security_contacts": []string{"soc@acme.example"}})
		seatNotices := func() int {
			n := 0
			for _, m := range p.mails() {
				if m.str("to") == "soc@acme.example" && strings.Contains(m.str("subject"), "Seats") {
					n++
				}
			}
			return n
		}

		p.refused(p.admin, "PATCH", org, obj{"seats": 50}, 403, "forbidden")
		if o := p.must(p.operator, "PATCH", org, obj{"seats": 5}, 200); o.num("seats") != 5 {
			t.Fatalf("operator set seats: %v", o)
		}
		if o := p.must(p.admin, "GET", org, nil, 200); o.num("seats") != 5 || o.num("seats_used") != 1 {
			t.Fatalf("org as its admin = %v, want 1 of 5 seats", o)
		}

		// A workspace's share; the shares never exceed the organization's seats.
		p.must(p.admin, "PATCH", org+"/workspaces/alpha", obj{"seats": 2}, 200)
		p.refused(p.admin, "PATCH", org+"/workspaces/beta", obj{"seats": 4}, 400, "invalid_input")
		p.refused(p.operator, "PATCH", org, obj{"seats": 1}, 400, "invalid_input")
		p.user(p.admin, org+"/workspaces/alpha", "a1@alpha.example")
		p.user(p.admin, org+"/workspaces/alpha", "a2@alpha.example")
		before := p.head()
		p.refused(p.admin, "POST", org+"/workspaces/alpha/users", obj{"email": "a3@alpha.example", "given_name": "A3"}, 409, "seats_exhausted")
		if p.head() != before {
			t.Fatalf("a refused creation changed the directory")
		}
		if w := p.must(p.admin, "GET", org+"/workspaces/alpha", nil, 200); w.num("seats") != 2 || w.num("seats_used") != 2 {
			t.Fatalf("alpha = %v, want 2 of 2 seats used", w)
		}

		// The organization's seats: 90 % tells the security contacts once.
		p.user(p.admin, org, "u4@acme.example")
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "ivy@acme.example", "given_name": "Ivy"}, 201)
		if n := seatNotices(); n != 0 {
			t.Fatalf("%d seat notices at 4 of 5, want none", n)
		}
		u5 := p.user(p.admin, org, "u5@acme.example") // the last seat
		if n := seatNotices(); n != 1 {
			t.Fatalf("%d seat notices at 5 of 5, want 1", n)
		}
		before = p.head()
		out := p.refused(p.admin, "POST", org+"/users", obj{"email": "u6@acme.example", "given_name": "U6"}, 409, "seats_exhausted")
		if !strings.Contains(out.str("detail")+out.str("message"), "uses all its 5 seats") || p.head() != before {
			t.Fatalf("refusal = %v (head %d→%d), want a clear message and nothing changed", out, before, p.head())
		}
		if o := p.must(p.admin, "GET", org, nil, 200); !strings.Contains(fmt.Sprint(o.list("warnings")), "5 of 5 seats used") {
			t.Errorf("org warnings = %v, want 5 of 5 seats used", o.list("warnings"))
		}

		// The invitation waits for a seat.
		mb.deliver(t)
		token := mb.link(t, "ivy@acme.example", "/invitations/accept")
		p.refused("", "POST", "/v1/invitations/accept", obj{"token": token, "password": pwOne}, 409, "seats_exhausted")
		p.must(p.admin, "PATCH", org+"/users/"+u5, obj{"status": "disabled"}, 200)
		p.must("", "POST", "/v1/invitations/accept", obj{"token": token, "password": pwOne}, 200)
		if n := seatNotices(); n != 2 {
			t.Errorf("%d seat notices after crossing 90 %% twice, want 2", n)
		}

		// Enabling someone takes a seat too.
		p.refused(p.admin, "PATCH", org+"/users/"+u5, obj{"status": "active"}, 409, "seats_exhausted")
		p.must(p.operator, "PATCH", org, obj{"seats": 6}, 200)
		p.must(p.admin, "PATCH", org+"/users/"+u5, obj{"status": "active"}, 200)
		if n := seatNotices(); n != 3 {
			t.Errorf("%d seat notices after the third crossing, want 3", n)
		}
		// Fewer seats from the operator is a crossing too; the users stay.
		p.must(p.operator, "PATCH", org, obj{"seats": 20}, 200)
		p.must(p.operator, "PATCH", org, obj{"seats": 4}, 200)
		if n := seatNotices(); n != 4 {
			t.Errorf("%d seat notices after the operator lowered the seats, want 4", n)
		}
		if o := p.must(p.admin, "GET", org, nil, 200); o.num("seats_used") != 6 || !strings.Contains(fmt.Sprint(o.list("warnings")), "6 of 4 seats used") {
			t.Errorf("org after lowering = %v, want 6 of 4 seats used", o)
		}
	})
}
