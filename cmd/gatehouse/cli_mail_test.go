package main

import (
	"net"
	"regexp"
	"testing"
	"time"
)

// TestCLIDemoMailCanBeRead: serve --demo without SMTP keeps its mail, so the
// invitation link can be read with gatehouse mail show.
func TestCLIDemoMailCanBeRead(t *testing.T) {
	s := startCLIServer(t)
	org := []string{"--org", "northwind"}
	s.mustRun(t, s.admin, append([]string{"users", "invite", "kim@northwind.example", "--given-name", "Kim"}, org...)...)
	var id string
	for deadline := time.Now().Add(10 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out := s.mustRun(t, s.admin, append([]string{"mail", "list"}, org...)...)
		if m := regexp.MustCompile(`sent\s+invitation\s+kim@northwind.example.*(mail_\S+)`).FindStringSubmatch(out); m != nil {
			id = m[1]
		}
	}
	if id == "" {
		t.Fatalf("the invitation was never delivered to the demo's catcher")
	}
	_, port, _ := net.SplitHostPort(s.m.Addr())
	out := s.mustRun(t, s.admin, append([]string{"mail", "show", id}, org...)...)
	wantAll(t, "mail show", out, "To: kim@northwind.example", "Subject: You are invited", "Status: sent", "expires in 7 days", "http://localhost:"+port+"/invitations/accept?token=")
}
