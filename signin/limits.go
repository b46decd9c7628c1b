package signin

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
)

// limit is a token bucket per key that every node shares through the store:
// behind a load balancer, N nodes allow what one node would. When the store
// cannot answer, the node limits on its own until it can again, rather than
// letting everything through or refusing everyone.
type limit struct {
	name      string
	perSecond float64
	burst     int
	vault     gh.Vault
	local     *auth.Limiter
	log       *slog.Logger

	mu        sync.Mutex
	lastSweep time.Time
}

// sweepEvery is how often a node deletes the buckets that are full again.
const sweepEvery = 10 * time.Minute

func newLimit(name string, every time.Duration, burst int, vault gh.Vault, log *slog.Logger) *limit {
	return &limit{name: name, perSecond: 1 / every.Seconds(), burst: burst, vault: vault, log: log,
		local: auth.NewLimiter(rate.Every(every), burst, time.Hour)}
}

// allow takes a token from key's bucket at now and reports whether there was one.
func (l *limit) allow(ctx context.Context, key string, now time.Time) bool {
	l.sweep(ctx, now)
	ok, err := l.vault.TakeToken(ctx, l.name+":"+key, now, l.perSecond, l.burst)
	if err != nil {
		l.log.Warn("shared rate limit unavailable; limiting on this node alone", "limit", l.name, "err", err)
		return l.local.Allow(key, now)
	}
	return ok
}

func (l *limit) sweep(ctx context.Context, now time.Time) {
	l.mu.Lock()
	due := now.Sub(l.lastSweep) >= sweepEvery
	if due {
		l.lastSweep = now
	}
	l.mu.Unlock()
	if due {
		if err := l.vault.SweepTokens(ctx, now); err != nil {
			l.log.Warn("sweep rate-limit buckets", "err", err)
		}
	}
}
