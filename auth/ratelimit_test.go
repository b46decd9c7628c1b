package auth

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestLimiterAllow(t *testing.T) {
	type call struct {
		key  string
		at   time.Duration // after t0
		want bool
	}
	tests := []struct {
		name  string
		r     rate.Limit
		burst int
		calls []call
	}{
		{"burst then refused", 1, 2, []call{{"a", 0, true}, {"a", 0, true}, {"a", 0, false}}},
		{"keys are independent", 1, 1, []call{{"a", 0, true}, {"a", 0, false}, {"b", 0, true}}},
		{"refills at the rate", 1, 2, []call{{"a", 0, true}, {"a", 0, true}, {"a", 0, false},
			{"a", time.Second, true}, {"a", time.Second, false}, {"a", 3 * time.Second, true}, {"a", 3 * time.Second, true},
			{"a", 3 * time.Second, false}}},
		{"slow rate", rate.Every(time.Minute), 1, []call{{"a", 0, true}, {"a", 59 * time.Second, false},
			{"a", time.Minute, true}}},
		{"burst 0 refuses all", 1, 0, []call{{"a", 0, false}, {"a", time.Hour, false}}},
		{"rate 0 allows burst once", 0, 1, []call{{"a", 0, true}, {"a", 5 * time.Minute, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(tt.r, tt.burst, 10*time.Minute)
			for i, c := range tt.calls {
				if got := l.Allow(c.key, t0.Add(c.at)); got != c.want {
					t.Fatalf("call %d: Allow(%q, t0+%v) = %v, want %v", i, c.key, c.at, got, c.want)
				}
			}
		})
	}
}

func TestLimiterForgetsIdleKeys(t *testing.T) {
	l := NewLimiter(1, 1, time.Minute)
	for i := range 1000 {
		l.Allow(fmt.Sprint("ip-", i), t0)
	}
	l.Allow("recent", t0.Add(30*time.Second))
	if got := len(keys(l)); got != 1001 {
		t.Fatalf("keys after 30 s = %d, want 1001 (no sweep within a minute of the last)", got)
	}
	l.Allow("late", t0.Add(70*time.Second))
	if diff := cmp.Diff([]string{"late", "recent"}, keys(l)); diff != "" {
		t.Fatalf("keys after 70 s (-want +got):\n%s", diff)
	}
	// A forgotten key starts with a full bucket; that is what it would have had.
	if !l.Allow("ip-1", t0.Add(70*time.Second)) {
		t.Fatalf("Allow(forgotten key) = false, want true")
	}
}

func keys(l *Limiter) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ks []string
	for k := range l.buckets {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestLimiterIdleCoversRefill(t *testing.T) {
	tests := []struct {
		name  string
		r     rate.Limit
		burst int
		idle  time.Duration
		want  time.Duration
	}{
		{"idle longer than refill", 1, 5, time.Minute, time.Minute},
		{"idle raised to refill", rate.Every(time.Hour), 5, time.Minute, 5 * time.Hour},
		{"infinite rate", rate.Inf, 5, time.Minute, time.Minute},
		{"zero rate", 0, 5, time.Minute, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewLimiter(tt.r, tt.burst, tt.idle).idle; got != tt.want {
				t.Fatalf("NewLimiter(%v, %d, %v).idle = %v, want %v", tt.r, tt.burst, tt.idle, got, tt.want)
			}
		})
	}
}

func TestLimiterConcurrent(t *testing.T) {
	const burst, workers, calls = 50, 8, 200
	l := NewLimiter(rate.Every(time.Hour), burst, time.Minute)
	var allowed [3]atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				k := (w + i) % len(allowed)
				// Times move forward a little, so sweeps run during the test too.
				if l.Allow(fmt.Sprint("key-", k), t0.Add(time.Duration(i)*time.Millisecond)) {
					allowed[k].Add(1)
				}
			}
		})
	}
	wg.Wait()
	for k := range allowed {
		if got := allowed[k].Load(); got != burst {
			t.Errorf("key-%d allowed %d times, want %d", k, got, burst)
		}
	}
}
