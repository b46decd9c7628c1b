package notify

import (
	"testing"
	"time"
)

func TestBurstsTellOncePerWindow(t *testing.T) {
	b := newBursts(3, 5*time.Minute)
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	var told []int
	for i, at := range []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute, 20 * time.Minute, 21 * time.Minute, 22 * time.Minute} {
		if b.add("org/user/usr_a", t0.Add(at)) {
			told = append(told, i)
		}
	}
	if len(told) != 2 || told[0] != 2 || told[1] != 6 {
		t.Errorf("told at events %v, want [2 6]: the third of a window, once, then again in a later window", told)
	}
	if b.add("org/user/usr_b", t0.Add(22*time.Minute)) {
		t.Errorf("another actor's first event completed a burst")
	}
	// Spread out: never three within five minutes.
	c := newBursts(3, 5*time.Minute)
	for i := range 10 {
		if c.add("k", t0.Add(time.Duration(i)*3*time.Minute)) {
			t.Fatalf("events three minutes apart made a burst at %d", i)
		}
	}
}

func TestNetwork(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":        "203.0.113.0/24",
		"::ffff:203.0.113.9": "203.0.113.0/24",
		"2001:db8:1:2::5":    "2001:db8:1::/48",
		"not an address":     "not an address",
	} {
		if got := Network(in); got != want {
			t.Errorf("Network(%q) = %q, want %q", in, got, want)
		}
	}
}
