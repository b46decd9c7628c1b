package storetest

import (
	"context"
	"testing"
	"time"

	"gatehouse.dev/gatehouse"
)

// testNotes: notifications are per person and newest first, read marks
// only the person's own, preferences are replaced per category, devices are
// new once, and announcements are listed for their organization and the
// deployment's, ended ones only when asked for.
func testNotes(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	note := func(id, user string, at time.Time) *gatehouse.Notification {
		return &gatehouse.Notification{ID: id, Org: "org_a", User: gatehouse.UserID(user), Category: gatehouse.NoteAccount,
			Title: "t " + id, Body: "b", CreatedAt: at}
	}
	vaultWrite(t, s, func(v gatehouse.VaultTx) error {
		if err := v.PutNotifications(nil); err != nil { // nothing to keep writes nothing
			return err
		}
		return v.PutNotifications([]*gatehouse.Notification{note("n1", "usr_a", vt0), note("n2", "usr_a", vt0.Add(time.Second)), note("n3", "usr_b", vt0)})
	})
	var marked int
	vaultWrite(t, s, func(v gatehouse.VaultTx) (err error) {
		marked, err = v.MarkNotesRead("usr_b", []string{"n1"}, vt0)
		return err
	})
	if marked != 0 {
		t.Errorf("usr_b marked %d of usr_a's notifications", marked)
	}
	vaultWrite(t, s, func(v gatehouse.VaultTx) (err error) {
		marked, err = v.MarkNotesRead("usr_a", []string{"n1"}, vt0)
		return err
	})
	list, unread, err := s.Notifications(ctx, "usr_a", 10)
	if err != nil || marked != 1 || unread != 1 || len(list) != 2 || list[0].ID != "n2" || list[1].ReadAt == nil || !list[1].ReadAt.Equal(vt0) {
		t.Fatalf("after marking n1: marked %d, list %+v, unread %d, %v; want n2 unread then n1 read", marked, list, unread, err)
	}

	vaultWrite(t, s, func(v gatehouse.VaultTx) error {
		if err := v.PutNotePref("org_a", "usr_a", gatehouse.NotePref{Category: gatehouse.NoteSignIn, Email: true, Console: true}); err != nil {
			return err
		}
		return v.PutNotePref("org_a", "usr_a", gatehouse.NotePref{Category: gatehouse.NoteSignIn, Email: false, Console: true})
	})
	if prefs, err := s.NotePrefs(ctx, "usr_a"); err != nil || len(prefs) != 1 || prefs[0].Email || !prefs[0].Console {
		t.Errorf("preferences = %+v, %v; want sign_in by console only", prefs, err)
	}
	vaultWrite(t, s, func(v gatehouse.VaultTx) error {
		prefs, err := v.NotePrefs("usr_a")
		if len(prefs) != 1 || prefs[0].Category != gatehouse.NoteSignIn {
			t.Errorf("preferences in a transaction = %+v, want sign_in's", prefs)
		}
		return err
	})
	vaultWrite(t, s, func(v gatehouse.VaultTx) error {
		if err := v.PutNotePref("org_a", "usr_b", gatehouse.NotePref{Category: gatehouse.NoteAccess, Email: true}); err != nil {
			return err
		}
		many, err := v.NotePrefsOf([]gatehouse.UserID{"usr_a", "usr_b", "usr_none"})
		if len(many) != 2 || len(many["usr_a"]) != 1 || many["usr_a"][0].Email || len(many["usr_b"]) != 1 ||
			!many["usr_b"][0].Email || many["usr_b"][0].Console || many["usr_none"] != nil {
			t.Errorf("preferences of three users = %+v, want usr_a's sign_in, usr_b's access by email only, none for usr_none", many)
		}
		return err
	})

	for i, want := range [][2]bool{{true, false}, {false, false}} {
		var isNew, others bool
		vaultWrite(t, s, func(v gatehouse.VaultTx) (err error) {
			isNew, others, err = v.SeeDevice("org_a", "usr_a", "d1", vt0)
			return err
		})
		if [2]bool{isNew, others} != want {
			t.Errorf("device d1, sign-in %d: new %v, others %v; want %v", i, isNew, others, want)
		}
	}
	vaultWrite(t, s, func(v gatehouse.VaultTx) error {
		isNew, others, err := v.SeeDevice("org_a", "usr_a", "d2", vt0)
		if !isNew || !others {
			t.Errorf("device d2: new %v, others %v; want both", isNew, others)
		}
		return err
	})

	ann := func(id, org string, ends time.Time) *gatehouse.Announcement {
		return &gatehouse.Announcement{ID: id, Org: gatehouse.OrgID(org), Title: id, Body: "b", StartsAt: vt0, EndsAt: ends, CreatedAt: vt0, CreatedBy: "x"}
	}
	vaultWrite(t, s, func(v gatehouse.VaultTx) error {
		for _, a := range []*gatehouse.Announcement{ann("a1", "org_a", vt0.Add(time.Hour)), ann("a2", "org_b", vt0.Add(time.Hour)),
			ann("a3", "", vt0.Add(time.Hour)), ann("a4", "org_a", vt0.Add(time.Minute))} {
			if err := v.PutAnnouncement(a); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(live bool) map[string]bool {
		l, err := s.Announcements(ctx, "org_a", vt0.Add(30*time.Minute), live)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, a := range l {
			out[a.ID] = true
		}
		return out
	}
	if got := ids(true); len(got) != 2 || !got["a1"] || !got["a3"] {
		t.Errorf("live announcements of org_a = %v, want a1 and the deployment's a3", got)
	}
	if got := ids(false); len(got) != 3 || !got["a4"] {
		t.Errorf("all announcements of org_a = %v, want a1, a3, a4", got)
	}
	err = s.VaultUpdate(ctx, func(v gatehouse.VaultTx) error { return v.DeleteAnnouncement("org_b", "a1") })
	if gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("deleting org_a's announcement as org_b = %v, want not found", err)
	}
}
