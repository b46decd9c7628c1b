package main

import (
	"strings"
	"testing"
)

func TestCLINotificationsAndAnnouncements(t *testing.T) {
	s := startCLIServer(t)
	out := s.mustRun(t, s.admin, "announcements", "publish", "--org", "northwind", "--title", "Quarterly review", "--body", "Friday <3pm>", "--ends", "2d")
	wantAll(t, "announcements publish", out, `Published "Quarterly review"`)
	out = s.mustRun(t, s.admin, "announcements", "list", "--org", "northwind")
	wantAll(t, "announcements list", out, "Quarterly review", "ann_")
	out = s.mustRun(t, s.admin, "notifications", "list")
	wantAll(t, "notifications list", out, "Announcement: Quarterly review", "Friday <3pm>", "unread")
	out = s.mustRun(t, s.admin, "notifications", "set", "announcement", "--email=true", "--console=true")
	wantAll(t, "notifications set", out, "announcement  on     on")
	out = s.mustRun(t, s.admin, "notifications", "read")
	wantAll(t, "notifications read", out, "0 unread")
	s.mustRun(t, s.admin, "tasks")
	if _, errOut, code := s.run(s.admin, "notifications", "set", "gossip"); code == 0 || !strings.Contains(errOut, "category") {
		t.Errorf("unknown category: exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code := s.run(s.admin, "announcements", "publish", "--everyone", "--title", "x", "--body", "x", "--ends", "1h"); code == 0 || !strings.Contains(errOut, "operator") {
		t.Errorf("an Org Admin announcing to everyone: exit %d, stderr %q", code, errOut)
	}
	out = s.mustRun(t, s.operator, "announcements", "publish", "--everyone", "--title", "Platform upgrade", "--body", "Sunday", "--ends", "1h")
	wantAll(t, "operator publish", out, `Published "Platform upgrade"`)
	wantAll(t, "notifications list", s.mustRun(t, s.admin, "notifications", "list"), "Announcement: Platform upgrade")
}
