package directory_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

// testPNG is a w×h PNG image.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.NRGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestProfileRules edits profiles as an admin and as the user itself:
// values are put in canonical form, bad ones are refused by field and
// change nothing, a manager must be a user of the same home (one hidden
// from the editor answers like an unknown id), and every change is audited.
func TestProfileRules(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			idx := w.d.Index()
			ann, gus := idx.UserByEmail(gh.Home{Org: w.org.ID, Workspace: w.acme.ID}, "ann@acme.example"),
				idx.UserByEmail(gh.Home{Org: w.org.ID, Workspace: w.glx.ID}, "gus@globex.example")
			nina := idx.UserByEmail(gh.Home{Org: w.org.ID, Workspace: w.acme.ID}, "nina@partner.example")
			acme, glx := w.scope(w.acme), w.scope(w.glx)

			good := directory.UserPatch{ProfilePatch: directory.ProfilePatch{
				Phones:          &[]gh.Phone{{Type: "Mobile", Number: "+44 20 7946 0958"}},
				Manager:         &nina.ID,
				Skills:          &[]string{" DFIR ", "SOC", "dfir"},
				Specializations: &[]string{"Cloud"},
				Certifications:  &[]gh.Certification{{Name: "GCIH", Issuer: "GIAC", Issued: "2024-01-31", Expires: "2028-01-31"}},
				Training:        &[]gh.Training{{Course: "SEC504", Provider: "SANS", Completed: "2023-11-02"}},
				Language:        ptr("EN-gb"), TimeZone: ptr("Europe/Paris"),
			}}
			u, _, err := w.d.UpdateUser(w.ctx, w.sys, acme, ann.ID, good, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := []any{[]gh.Phone{{Type: gh.PhoneMobile, Number: "+442079460958"}}, nina.ID, []string{"DFIR", "SOC"}, "en-GB", "Europe/Paris"}
			if diff := cmp.Diff(want, []any{u.Phones, u.Manager, u.Skills, u.Language, u.TimeZone}); diff != "" {
				t.Fatalf("saved profile (-want +got):\n%s", diff)
			}

			bad := []struct {
				name  string
				patch directory.ProfilePatch
				field string
			}{
				{"phone type", directory.ProfilePatch{Phones: &[]gh.Phone{{Type: "fax", Number: "+442079460958"}}}, "phones[0].type"},
				{"phone number", directory.ProfilePatch{Phones: &[]gh.Phone{{Type: "work", Number: "12"}}}, "phones[0].number"},
				{"language", directory.ProfilePatch{Language: ptr("not a tag!")}, "language"},
				{"time zone", directory.ProfilePatch{TimeZone: ptr("Mars/Olympus")}, "time_zone"},
				{"local zone", directory.ProfilePatch{TimeZone: ptr("Local")}, "time_zone"},
				{"expiry", directory.ProfilePatch{Certifications: &[]gh.Certification{{Name: "OSCP", Issued: "2025-01-01", Expires: "2024-01-01"}}}, "certifications[0].expires"},
				{"date", directory.ProfilePatch{Training: &[]gh.Training{{Course: "X", Completed: "31/01/2024"}}}, "training[0].completed"},
				{"long skill", directory.ProfilePatch{Skills: &[]string{strings.Repeat("s", 61)}}, "skills[0]"},
				{"many skills", directory.ProfilePatch{Skills: ptr(manyTags(51))}, "skills"},
				{"self manager", directory.ProfilePatch{Manager: &ann.ID}, "manager_id"},
				{"unknown manager", directory.ProfilePatch{Manager: ptr(gh.UserID("usr_nobody"))}, "manager_id"},
				{"hidden manager", directory.ProfilePatch{Manager: &gus.ID}, "manager_id"},
			}
			for _, c := range bad {
				before := idx.User(ann.ID).Revision
				_, _, err := w.d.UpdateUser(w.ctx, w.sys, acme, ann.ID, directory.UserPatch{ProfilePatch: c.patch}, 0)
				if e := gh.AsError(err); e == nil || e.Kind != gh.KindInvalid || e.Fields[c.field] == "" {
					t.Errorf("%s: UpdateUser = %v, want a field error on %s", c.name, err, c.field)
				}
				if idx.User(ann.ID).Revision != before {
					t.Errorf("%s: the refused change changed the user", c.name)
				}
			}
			unknown := func(id gh.UserID) string {
				_, _, err := w.d.UpdateUser(w.ctx, w.sys, acme, ann.ID, directory.UserPatch{ProfilePatch: directory.ProfilePatch{Manager: &id}}, 0)
				return gh.AsError(err).Fields["manager_id"]
			}
			if unknown("usr_nobody") != unknown(gus.ID) {
				t.Errorf("a hidden manager answers %q, an unknown one %q", unknown(gus.ID), unknown("usr_nobody"))
			}

			// Self-service: ann edits its own profile, no one else's.
			self := &directory.Actor{User: idx.User(ann.ID)}
			mine := directory.SelfProfile{JobTitle: ptr("Analyst"), ProfilePatch: directory.ProfilePatch{Skills: &[]string{"Forensics"}}}
			if u, _, err = w.d.UpdateUser(w.ctx, self, acme, ann.ID, mine.Patch(), 0); err != nil || u.Skills[0] != "Forensics" {
				t.Fatalf("own profile: %v, %v", u, err)
			}
			if _, _, err := w.d.UpdateUser(w.ctx, self, acme, nina.ID, mine.Patch(), 0); gh.KindOf(err) != gh.KindForbidden {
				t.Errorf("editing a colleague's profile = %v, want forbidden", err)
			}
			if _, _, err := w.d.UpdateUser(w.ctx, self, acme, gus.ID, mine.Patch(), 0); gh.KindOf(err) != gh.KindNotFound {
				t.Errorf("editing another workspace's user = %v, want not found", err)
			}
			if _, err := w.d.Resolve(self, string(w.org.ID), string(glx.Workspace.ID)); gh.KindOf(err) != gh.KindNotFound {
				t.Errorf("reaching another workspace = %v, want not found", err)
			}

			evs, err := store.ListEvents(w.ctx, gh.EventFilter{Org: w.org.ID, Target: string(ann.ID), Action: "user.update"})
			if err != nil || len(evs) != 2 || evs[0].Actor.User != ann.ID || !strings.Contains(string(evs[1].Changes[0].After), `"skills":["DFIR","SOC"]`) {
				t.Fatalf("audit of the profile changes: %d events, %v", len(evs), err)
			}
		})
	}
}

func manyTags(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "t" + strings.Repeat("x", i)
	}
	return out
}

// TestAvatarRules sets, reads and removes pictures: only the user and its
// admins may change one, a hidden user's answers 404, a bad picture changes
// nothing, and the event carries the hash, never the picture.
func TestAvatarRules(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			idx := w.d.Index()
			ann := idx.UserByEmail(gh.Home{Org: w.org.ID, Workspace: w.acme.ID}, "ann@acme.example")
			gus := idx.UserByEmail(gh.Home{Org: w.org.ID, Workspace: w.glx.ID}, "gus@globex.example")
			nina := idx.UserByEmail(gh.Home{Org: w.org.ID, Workspace: w.acme.ID}, "nina@partner.example")
			acme := w.scope(w.acme)
			self := &directory.Actor{User: ann}

			u, _, err := w.d.SetAvatar(w.ctx, self, acme, ann.ID, testPNG(t, 640, 480), "image/png")
			if err != nil {
				t.Fatal(err)
			}
			a, err := w.d.Avatar(w.ctx, self, acme, ann.ID)
			if err != nil || a.Hash != u.Avatar {
				t.Fatalf("Avatar = %v, %v; want the hash %s", a, err, u.Avatar)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(a.PNG))
			if err != nil || cfg.Width != directory.AvatarSide || cfg.Height != directory.AvatarSide {
				t.Fatalf("kept picture %dx%d, %v", cfg.Width, cfg.Height, err)
			}
			if _, err := w.d.Avatar(w.ctx, self, acme, gus.ID); gh.KindOf(err) != gh.KindNotFound {
				t.Errorf("another workspace's avatar = %v, want not found", err)
			}
			if _, _, err := w.d.SetAvatar(w.ctx, self, acme, nina.ID, testPNG(t, 8, 8), ""); gh.KindOf(err) != gh.KindForbidden {
				t.Errorf("setting a colleague's avatar = %v, want forbidden", err)
			}
			rev := idx.User(ann.ID).Revision
			polyglot := append(testPNG(t, 8, 8), []byte("<script>alert(1)</script>")...)
			if _, _, err := w.d.SetAvatar(w.ctx, self, acme, ann.ID, polyglot, ""); gh.KindOf(err) != gh.KindInvalid {
				t.Errorf("polyglot = %v, want invalid", err)
			}
			if idx.User(ann.ID).Revision != rev {
				t.Error("a refused picture changed the user")
			}
			evs, err := store.ListEvents(w.ctx, gh.EventFilter{Org: w.org.ID, Target: string(ann.ID), Action: "user.avatar."})
			if err != nil || len(evs) != 1 || !strings.Contains(string(evs[0].Changes[0].After), u.Avatar) {
				t.Fatalf("avatar events %v, %v", evs, err)
			}
			if _, _, err := w.d.RemoveAvatar(w.ctx, w.sys, acme, ann.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := w.d.Avatar(w.ctx, self, acme, ann.ID); gh.KindOf(err) != gh.KindNotFound {
				t.Errorf("removed avatar = %v, want not found", err)
			}
			if _, err := store.Avatar(w.ctx, ann.ID); gh.KindOf(err) != gh.KindNotFound {
				t.Errorf("removed avatar still stored: %v", err)
			}
			// A deleted user's picture goes with it.
			if _, _, err := w.d.SetAvatar(w.ctx, w.sys, acme, nina.ID, testPNG(t, 8, 8), ""); err != nil {
				t.Fatal(err)
			}
			if _, err := w.d.DeleteUser(w.ctx, w.sys, acme, nina.ID, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := store.Avatar(w.ctx, nina.ID); gh.KindOf(err) != gh.KindNotFound {
				t.Errorf("a deleted user's avatar is still stored: %v", err)
			}
		})
	}
}
