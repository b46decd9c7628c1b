package rules_test

import (
	"strings"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/rules"
)

func TestCompileRefusesWithAReason(t *testing.T) {
	for src, want := range map[string]string{
		"":                             "empty",
		`department ==`:                "unexpected",
		`department == 3`:              "mismatched types",
		`manager == "x"`:               "unknown name manager",
		`department`:                   "bool",
		`certified(1)`:                 "cannot use int",
		strings.Repeat("a", 1001):      "longer than",
		`now() > date("2020-01-01")`:   "unknown",
		`department == "SOC" || skill`: "unknown name skill",
	} {
		_, err := rules.Compile(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile(%.40q) = %v, want an error saying %q", src, err, want)
		}
	}
}

func TestMatchReadsTheProfileAndTheClock(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	u := &gh.User{Email: "Ana@Partner.Example", Department: "SOC", JobTitle: "Analyst", Status: gh.StatusActive,
		Certifications: []gh.Certification{{Name: "GCIH", Expires: "2026-12-31"}, {Name: "OSCP"}, {Name: "CISSP", Expires: "2025-01-01"}}}
	for src, want := range map[string]bool{
		`department == "SOC" && certified("gcih")`:               true,
		`certified("OSCP")`:                                      true,
		`certified("CISSP")`:                                     false, // expired
		`email_domain == "partner.example"`:                      true,
		`job_title in ["Analyst", "Lead"] && status == "active"`: true,
		`service_account`:                                        false,
	} {
		r, err := rules.Compile(src)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		if got := r.Match(u, now); got != want {
			t.Errorf("%q on the user = %v, want %v", src, got, want)
		}
	}
	r, _ := rules.Compile(`certified("GCIH")`)
	until := rules.Until(u, now)
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); !until.Equal(want) {
		t.Fatalf("Until = %v, want %v (the end of the expiry day)", until, want)
	}
	if !r.Match(u, until.Add(-time.Nanosecond)) || r.Match(u, until) {
		t.Error("certified(GCIH) must hold through its expiry day and end when it ends")
	}
}
