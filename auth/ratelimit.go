package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is a set of token buckets, one per key (an IP, an account, a pair
// of both), that forgets keys left idle. It is safe for concurrent use.
type Limiter struct {
	r     rate.Limit
	burst int
	idle  time.Duration

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter returns a Limiter allowing each key burst events at once and r
// per second after that. A key unused for longer than idle is forgotten, which
// keeps memory bounded by the keys seen in the last two idle periods. idle is
// raised to the time a bucket takes to refill, so forgetting a key never hands
// out tokens early; with r of 0 (no refill) forgetting does refill a key.
func NewLimiter(r rate.Limit, burst int, idle time.Duration) *Limiter {
	if r > 0 && r != rate.Inf {
		idle = max(idle, time.Duration(float64(burst)/float64(r)*float64(time.Second)))
	}
	return &Limiter{r: r, burst: burst, idle: idle, buckets: make(map[string]*bucket)}
}

// Allow takes a token from key's bucket at now and reports whether there was one.
func (l *Limiter) Allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.r, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// sweep forgets idle keys, at most once per idle period so that Allow stays
// O(1) amortised.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.idle {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if now.Sub(b.seen) > l.idle {
			delete(l.buckets, k)
		}
	}
}
