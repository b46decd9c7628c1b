package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	gh "gatehouse.dev/gatehouse"
)

// TestConsoleProfiles: an Organization Admin fills in an analyst's profile
// and picture on the analyst's page; a bad time zone and a picture with a
// script after its end are refused and change nothing; the analyst then
// edits its own profile and picture on My account.
func TestConsoleProfiles(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			x := s.m.Directory().Index()
			org := x.OrgBySlug(demoSlug)
			sam := x.UserByEmail(gh.Home{Org: org.ID}, "sam.okafor@northwind.example")
			dir := t.TempDir()
			pic, bad := filepath.Join(dir, "sam.png"), filepath.Join(dir, "bad.png")
			os.WriteFile(pic, squarePicture(t), 0o600)
			os.WriteFile(bad, append(squarePicture(t), "<script>alert(1)</script>"...), 0o600)

			b := newBrowser(t, s.url, 1280)
			b.signIn("admin@northwind.example", s.adminPassword)
			page := "/settings/users/" + string(sam.ID)
			b.visit(page)
			b.want("the user's page", "Profile", "No picture")
			b.run(chromedp.Click(`#profile-edit-box summary`, chromedp.ByQuery))
			b.fill(`#profile-edit input[name=department]`, "SOC")
			b.fill(`#profile-edit input[name=manager]`, "maria.lopez@northwind.example")
			b.fill(`#profile-edit textarea[name=phones]`, "mobile:+44 7911 123456\nwork:+1 202-555-0143")
			b.fill(`#profile-edit input[name=skills]`, "DFIR; Malware; dfir")
			b.fill(`#profile-edit textarea[name=certifications]`, "GCIH; GIAC; ; 2024-01-01; 2028-01-01")
			b.fill(`#profile-edit input[name=language]`, "en-gb")
			b.fill(`#profile-edit input[name=time_zone]`, "Europe/London")
			b.press(`#profile-edit button[type=submit]`)
			b.want("the saved profile", "The profile of sam.okafor@northwind.example is saved.", "SOC", "maria.lopez@northwind.example",
				"mobile: +447911123456", "work: +12025550143", "DFIR, Malware", "GCIH, GIAC (expires 2028-01-01)", "en-GB", "Europe/London")

			rev := x.User(sam.ID).Revision
			b.run(chromedp.Click(`#profile-edit-box summary`, chromedp.ByQuery))
			b.fill(`#profile-edit input[name=time_zone]`, "Moon/Base")
			b.press(`#profile-edit button[type=submit]`)
			b.want("a bad time zone", "Time zone is not an IANA time zone")
			if x.User(sam.ID).Revision != rev {
				t.Error("a refused profile changed the user")
			}

			b.visit(page)
			b.run(chromedp.SetUploadFiles(`#avatar-set input[name=avatar]`, []string{pic}, chromedp.ByQuery))
			b.press(`#avatar-set button[type=submit]`)
			b.want("the picture saved", "The picture of sam.okafor@northwind.example is saved.")
			if n := b.count(`.avatar img`); n != 1 {
				t.Errorf("%d pictures shown, want 1", n)
			}
			if f := b.fetch(page + "/avatar.png"); f.status != 200 || f.contentType != "image/png" {
				t.Errorf("GET avatar.png = %+v", f)
			}
			hash := x.User(sam.ID).Avatar
			b.run(chromedp.SetUploadFiles(`#avatar-set input[name=avatar]`, []string{bad}, chromedp.ByQuery))
			b.press(`#avatar-set button[type=submit]`)
			b.want("a polyglot refused", "data after the image's end")
			if x.User(sam.ID).Avatar != hash {
				t.Error("a refused picture changed the user's")
			}

			// Sam edits its own profile and picture.
			pw := s.givePassword(t, "sam.okafor@northwind.example", "")
			me := newBrowser(t, s.url, 768)
			me.signIn("sam.okafor@northwind.example", pw)
			me.visit("/account")
			me.want("My account", "DFIR, Malware", "Europe/London")
			me.run(chromedp.Click(`#profile-edit-box summary`, chromedp.ByQuery))
			me.fill(`#profile-edit input[name=skills]`, "Threat hunting")
			me.press(`#profile-edit button[type=submit]`)
			me.want("own profile saved", "Your profile is saved.", "Threat hunting")
			me.press(`#avatar-remove button[type=submit]`)
			me.want("own picture removed", "Your picture is removed.", "No picture")
			me.wantFetch("/account/avatar.png", 404)
			if u := x.User(sam.ID); u.Avatar != "" || u.Skills[0] != "Threat hunting" || u.Department != "SOC" {
				t.Errorf("after sam's own edits: %+v", u)
			}
		})
	}
}

// squarePicture is a small PNG, as a person might upload.
func squarePicture(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 120, 90))
	for x := range 120 {
		for y := range 90 {
			img.Set(x, y, color.NRGBA{R: uint8(x * 2), G: uint8(y * 2), B: 160, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
