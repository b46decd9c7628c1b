package http_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
)

// picture is a w×h image with a diagonal line, in format.
func picture(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.White, color.Black})
	for x := range w {
		img.SetColorIndex(x, x%h, 1)
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bomb is a small PNG whose header claims a side×side image.
func bomb(t *testing.T, side uint32) []byte {
	b := picture(t, "png", 8, 8)
	binary.BigEndian.PutUint32(b[16:], side)
	binary.BigEndian.PutUint32(b[20:], side)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// upload PUTs a picture as the raw body.
func upload(t *testing.T, e *env, key, path, contentType string, body []byte) (int, obj) {
	t.Helper()
	st, out, _ := e.call(key, "PUT", path, string(body), "Content-Type", contentType)
	return st, out
}

// TestAvatarUpload sets, serves and removes a user's picture, and refuses
// every bad picture with a 400 that changes nothing.
func TestAvatarUpload(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ws := org + "/workspaces/alpha"
		ann := p.user(p.admin, ws, "ann@alpha.example")
		annKey := e.key("acme", ann)
		bob := p.user(p.admin, org+"/workspaces/beta", "bob@beta.example")
		path := ws + "/users/" + ann + "/avatar"

		st, u := upload(t, e, annKey, "/v1/me/avatar", "image/jpeg", picture(t, "jpeg", 300, 200))
		if st != 200 || len(u.str("avatar")) != 64 {
			t.Fatalf("PUT /v1/me/avatar = %d %v", st, u)
		}
		hash := u.str("avatar")
		resp := getRaw(t, e, p.admin, path, "")
		if resp.status != 200 || resp.h.Get("Content-Type") != "image/png" || resp.h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(resp.h.Get("Content-Security-Policy"), "default-src 'none'") || resp.h.Get("ETag") != `"`+hash+`"` {
			t.Fatalf("GET avatar = %d %v", resp.status, resp.h)
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(resp.body)); err != nil || cfg.Width != 256 || cfg.Height != 256 {
			t.Fatalf("served picture %v, %v; want a 256×256 PNG", cfg, err)
		}
		if again := getRaw(t, e, annKey, "/v1/me/avatar", `"`+hash+`"`); again.status != 304 {
			t.Errorf("GET with If-None-Match = %d, want 304", again.status)
		}

		polyglot := func(b []byte, tail string) []byte { return append(b, tail...) }
		cases := []struct {
			name, ct string
			body     []byte
			status   int
			code     string
		}{
			{"oversized", "image/png", append(picture(t, "png", 8, 8), make([]byte, 2<<20)...), 400, "avatar_too_large"},
			{"bomb", "image/png", bomb(t, 60000), 400, "avatar_too_large"},
			{"too wide", "image/png", picture(t, "png", 4097, 1), 400, "avatar_too_large"},
			{"truncated", "image/png", picture(t, "png", 64, 64)[:60], 400, "avatar_malformed"},
			{"corrupt", "image/gif", corrupt(picture(t, "gif", 64, 64)), 400, "avatar_malformed"},
			{"png polyglot", "image/png", polyglot(picture(t, "png", 8, 8), "<html><script>alert(1)</script>"), 400, "avatar_malformed"},
			{"jpeg polyglot", "image/jpeg", polyglot(picture(t, "jpeg", 8, 8), "PK\x03\x04zip"), 400, "avatar_malformed"},
			{"gif polyglot", "image/gif", polyglot(picture(t, "gif", 8, 8), "/*js*/"), 400, "avatar_malformed"},
			{"not an image", "image/png", []byte("<svg onload=alert(1)>"), 400, "avatar_type"},
			{"claimed type", "image/jpeg", picture(t, "png", 8, 8), 400, "avatar_type"},
			{"media type", "text/html", picture(t, "png", 8, 8), 415, "unsupported_media_type"},
		}
		for _, c := range cases {
			before := p.head()
			st, out := upload(t, e, p.admin, path, c.ct, c.body)
			if st != c.status || out.str("code") != c.code {
				t.Errorf("%s: PUT avatar = %d %v, want %d %s", c.name, st, out, c.status, c.code)
			}
			if p.head() != before || getRaw(t, e, p.admin, path, "").h.Get("ETag") != `"`+hash+`"` {
				t.Errorf("%s: a refused picture changed something", c.name)
			}
		}

		// PNG and GIF are taken as JPEG was.
		last := hash
		for i, f := range []string{"png", "gif"} {
			st, out := upload(t, e, p.admin, path, "image/"+f, picture(t, f, 50+i*400, 500-i*400))
			if st != 200 || out.str("avatar") == last {
				t.Errorf("PUT a %s = %d %v, want a new picture", f, st, out)
			}
			last = out.str("avatar")
		}

		// Hidden users answer as if they did not exist.
		for _, hidden := range []string{ws + "/users/" + bob + "/avatar", org + "/workspaces/beta/users/" + bob + "/avatar"} {
			if r := getRaw(t, e, annKey, hidden, ""); r.status != 404 {
				t.Errorf("GET %s as a workspace user = %d, want 404", hidden, r.status)
			}
			if st, _ := upload(t, e, annKey, hidden, "image/png", picture(t, "png", 8, 8)); st != 404 {
				t.Errorf("PUT %s as a workspace user = %d, want 404", hidden, st)
			}
		}
		if r := getRaw(t, e, p.admin, org+"/workspaces/beta/users/"+bob+"/avatar", ""); r.status != 404 {
			t.Errorf("a user without a picture answers %d, want 404", r.status)
		}

		p.must(p.admin, "DELETE", path, nil, 200)
		if r := getRaw(t, e, annKey, "/v1/me/avatar", ""); r.status != 404 {
			t.Errorf("removed avatar answers %d", r.status)
		}
		events := p.must(p.admin, "GET", org+"/events?action=user.avatar.", nil, 200).list("items")
		if len(events) != 4 || obj(events[0].(map[string]any)).str("action") != "user.avatar.remove" ||
			obj(events[3].(map[string]any)).str("action") != "user.avatar.set" {
			t.Errorf("avatar events: %v", events)
		}
	})
}

// corrupt flips bytes in the middle of an image, keeping its structure.
func corrupt(b []byte) []byte {
	for i := len(b) / 2; i < len(b)/2+8; i++ {
		b[i] ^= 0xFF
	}
	return b
}

type rawAnswer struct {
	status int
	h      http.Header
	body   []byte
}

func getRaw(t *testing.T, e *env, key, path, ifNoneMatch string) rawAnswer {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return rawAnswer{resp.StatusCode, resp.Header, body}
}

// TestProfileSelfService edits one's own profile at /v1/me/profile and a
// user's through the admin path: values come back canonical, bad ones are
// field errors that change nothing, and a manager from another workspace
// answers like an unknown id.
func TestProfileSelfService(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ws := org + "/workspaces/alpha"
		ann := p.user(p.admin, ws, "ann@alpha.example")
		lead := p.user(p.admin, ws, "lead@alpha.example")
		bob := p.user(p.admin, org+"/workspaces/beta", "bob@beta.example")
		annKey := e.key("acme", ann)

		u := p.must(annKey, "PATCH", "/v1/me/profile", obj{"job_title": "Analyst", "skills": []string{"DFIR", "dfir", "Malware"},
			"phones":   []obj{{"type": "work", "number": "+1 202-555-0143"}},
			"language": "pt-br", "time_zone": "America/Sao_Paulo", "manager_id": lead,
			"certifications": []obj{{"name": "GCIH", "issuer": "GIAC", "issued": "2025-02-01", "expires": "2029-02-01"}},
			"training":       []obj{{"course": "SEC504", "completed": "2024-10-10"}}}, 200)
		if u.str("language") != "pt-BR" || len(u.list("skills")) != 2 || u.str("manager_id") != lead ||
			obj(u.list("phones")[0].(map[string]any)).str("number") != "+12025550143" {
			t.Fatalf("saved profile = %v", u)
		}
		before := p.head()
		out := p.refused(annKey, "PATCH", "/v1/me/profile", obj{"time_zone": "Europe/Nowhere", "phones": []obj{{"type": "pager", "number": "1"}}}, 400, "invalid_input")
		fields := out.get("fields").(map[string]any)
		if fields["time_zone"] == nil || fields["phones[0].type"] == nil || fields["phones[0].number"] == nil || p.head() != before {
			t.Fatalf("bad profile = %v, or it changed something", out)
		}
		p.refused(annKey, "PATCH", "/v1/me/profile", obj{"email": "new@alpha.example"}, 400, "unknown_field")
		hidden := p.refused(p.admin, "PATCH", ws+"/users/"+ann, obj{"manager_id": bob}, 400, "invalid_input")
		unknown := p.refused(p.admin, "PATCH", ws+"/users/"+ann, obj{"manager_id": "usr_nobody"}, 400, "invalid_input")
		if hidden.get("fields.manager_id") != unknown.get("fields.manager_id") {
			t.Errorf("manager from another workspace %v, unknown %v: want the same answer", hidden, unknown)
		}
		if got := p.must(p.admin, "PATCH", ws+"/users/"+ann, obj{"department": "SOC", "specializations": []string{"Cloud"}}, 200); got.str("department") != "SOC" {
			t.Errorf("admin edit = %v", got)
		}
		p.refused(annKey, "PATCH", ws+"/users/"+lead, obj{"skills": []string{"x"}}, 403, "forbidden")
	})
}
