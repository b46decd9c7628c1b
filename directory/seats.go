package directory

import (
	"encoding/json"
	"fmt"

	gh "gatehouse.dev/gatehouse"
)

// Seats (DESIGN §2). One rule, run at the end of every write, whatever made
// a user active: its user changes are counted against the organization's
// seats and the workspace's share, with the index as the writes before it
// left it.

// SeatsHighAction is the event recorded when an organization crosses 90 % of its seats.
const SeatsHighAction = "org.seats.high"

// userSide is what the seat rule reads of a user change.
type userSide struct {
	gh.Home
	Status gh.Status `json:"status"`
}

// checkSeats refuses a write that makes more users active than the seats of
// their organization or workspace allow, and records org.seats.high when it
// takes an organization to 90 % of its seats or past.
func (d *Directory) checkSeats(w *writer) error {
	type key struct {
		org gh.OrgID
		ws  gh.WorkspaceID
	}
	var delta map[key]int // per home; the organization's total under ws "*"
	count := func(raw json.RawMessage, n int) {
		var u userSide
		if len(raw) == 0 || json.Unmarshal(raw, &u) != nil || u.Status != gh.StatusActive {
			return
		}
		if delta == nil {
			delta = map[key]int{}
		}
		delta[key{u.Org, u.Workspace}] += n
		delta[key{u.Org, "*"}] += n
	}
	limited := map[gh.OrgID]bool{} // most organizations have no seats: their writes decode nothing
	for _, ev := range w.events {
		l, ok := limited[ev.Org]
		if !ok {
			l = d.seatsLimited(ev.Org)
			limited[ev.Org] = l
		}
		if !l {
			continue
		}
		for _, c := range ev.Changes {
			if c.Kind == gh.KindUser {
				count(c.Before, -1)
				count(c.After, 1)
			}
		}
	}
	for k, n := range delta {
		if n <= 0 || k.ws == "*" {
			continue
		}
		if k.ws != "" {
			if ws := d.idx.Workspace(k.ws); ws != nil && ws.Seats > 0 {
				if used := d.idx.ActiveUsers(k.org, k.ws, false); used+n > ws.Seats {
					return seatsExhausted(fmt.Sprintf("the workspace %s uses all its %d seats; ask an Organization Admin for a larger share, or disable someone", ws.Name, ws.Seats))
				}
			}
		}
	}
	for k, n := range delta {
		if n <= 0 || k.ws != "*" {
			continue
		}
		o := d.idx.Org(k.org)
		if o == nil || o.Seats == 0 {
			continue
		}
		used := d.idx.ActiveUsers(k.org, "", true)
		if used+n > o.Seats {
			return seatsExhausted(fmt.Sprintf("the organization uses all its %d seats; ask the platform operator for more, or disable someone", o.Seats))
		}
		if !seatsHigh(used, o.Seats) && seatsHigh(used+n, o.Seats) {
			ev := w.event(o.ID, "", SeatsHighAction, gh.KindOrg, string(o.ID))
			ev.Detail = SeatsUsed(used+n, o.Seats)
		}
	}
	return nil
}

// seatsLimited reports whether the organization or one of its workspaces has seats.
func (d *Directory) seatsLimited(org gh.OrgID) bool {
	if o := d.idx.Org(org); o == nil || o.Seats > 0 {
		return o != nil
	}
	return len(d.idx.Workspaces(org, func(ws *gh.Workspace) bool { return ws.Seats > 0 })) > 0
}

// seatsHigh reports whether used is 90 % of seats or more.
func seatsHigh(used, seats int) bool { return seats > 0 && used*10 >= seats*9 }

// SeatsUsed says how many of the seats are used: "9 of 10 seats used".
func SeatsUsed(used, seats int) string { return fmt.Sprintf("%d of %d seats used", used, seats) }

func seatsExhausted(msg string) error {
	return &gh.Error{Kind: gh.KindConflict, Code: "seats_exhausted", Message: msg}
}

// SeatUse is how many seats are used and how many there are (0: unlimited).
type SeatUse struct {
	Used  int `json:"used"`
	Seats int `json:"seats"`
}

// OrgSeats returns the organization's seat use.
func (d *Directory) OrgSeats(o *gh.Org) SeatUse {
	return SeatUse{Used: d.idx.ActiveUsers(o.ID, "", true), Seats: o.Seats}
}

// WorkspaceSeats returns the workspace's seat use against its share.
func (d *Directory) WorkspaceSeats(ws *gh.Workspace) SeatUse {
	return SeatUse{Used: d.idx.ActiveUsers(ws.Org, ws.ID, false), Seats: ws.Seats}
}

// checkShares refuses workspace shares that add up to more than the
// organization's seats; next is the workspace being changed.
func (d *Directory) checkShares(o *gh.Org, next *gh.Workspace) error {
	if o.Seats == 0 || next.Seats == 0 {
		return nil
	}
	total := next.Seats
	for _, ws := range d.idx.Workspaces(o.ID, func(w *gh.Workspace) bool { return w.ID != next.ID }) {
		total += ws.Seats
	}
	if total > o.Seats {
		return gh.Invalid("invalid_input", "seats",
			fmt.Sprintf("the workspaces' shares would add up to %d, more than the organization's %d seats", total, o.Seats))
	}
	return nil
}

// checkSharesFit refuses seats for o fewer than its workspaces' shares.
func (d *Directory) checkSharesFit(o *gh.Org) error {
	total := 0
	for _, ws := range d.idx.Workspaces(o.ID, func(*gh.Workspace) bool { return true }) {
		total += ws.Seats
	}
	if total > o.Seats {
		return gh.Invalid("invalid_input", "seats",
			fmt.Sprintf("the workspaces' shares add up to %d; lower them first", total))
	}
	return nil
}
