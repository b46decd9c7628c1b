package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIProfile sets and shows a profile, and sets and removes a picture;
// a bad value and a bad picture exit 1 naming what is wrong.
func TestCLIProfile(t *testing.T) {
	s := startCLIServer(t)
	org := []string{"--org", "northwind"}
	sam := "sam.okafor@northwind.example"
	out := s.mustRun(t, s.admin, append([]string{"users", "profile", "set", sam, "--phone", "mobile:+44 7911 123456",
		"--manager", "maria.lopez@northwind.example", "--skills", "DFIR,Malware,dfir", "--language", "en-gb",
		"--time-zone", "Europe/London", "--certification", "GCIH;GIAC;;2024-01-01;2028-01-01", "--training", "SEC504;SANS;2023-05-05"}, org...)...)
	wantAll(t, "profile set", out, "Updated the profile of "+sam)
	out = s.mustRun(t, s.admin, append([]string{"users", "profile", "show", sam}, org...)...)
	wantAll(t, "profile show", out, "mobile:+447911123456", "DFIR, Malware", "en-GB", "Europe/London", "GCIH; GIAC; ; 2024-01-01; 2028-01-01", "SEC504; SANS; 2023-05-05")
	if _, errOut, code := s.run(s.admin, append([]string{"users", "profile", "set", sam, "--time-zone", "Moon/Base"}, org...)...); code != 1 || !strings.Contains(errOut, "--time-zone: is not an IANA time zone") {
		t.Errorf("bad time zone: exit %d, stderr %q", code, errOut)
	}

	dir := t.TempDir()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 40, 30))); err != nil {
		t.Fatal(err)
	}
	pic, bad := filepath.Join(dir, "me.png"), filepath.Join(dir, "bad.png")
	os.WriteFile(pic, buf.Bytes(), 0o600)
	os.WriteFile(bad, append(buf.Bytes(), "<script>"...), 0o600)
	out = s.mustRun(t, s.admin, append([]string{"users", "avatar", "set", sam, pic}, org...)...)
	wantAll(t, "avatar set", out, "Set the picture of "+sam)
	if _, errOut, code := s.run(s.admin, append([]string{"users", "avatar", "set", sam, bad}, org...)...); code != 1 || !strings.Contains(errOut, "data after the image") {
		t.Errorf("polyglot picture: exit %d, stderr %q", code, errOut)
	}
	out = s.mustRun(t, s.admin, append([]string{"users", "avatar", "remove", sam}, org...)...)
	wantAll(t, "avatar remove", out, "has no picture now")
}
