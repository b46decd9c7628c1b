package outbox

import (
	"context"
	"sync"

	gh "gatehouse.dev/gatehouse"
)

// Catcher is the mail server of a demo: it keeps the last messages it is
// sent in memory, so that someone trying Gatehouse can read an invitation
// link without running SMTP. Never use it in production: it holds
// one-time links where any Org Admin of the organization can read them.
type Catcher struct {
	mu    sync.Mutex
	max   int
	order []string
	byID  map[string]gh.Mail
}

// NewCatcher keeps up to max messages, forgetting the oldest.
func NewCatcher(max int) *Catcher {
	return &Catcher{max: max, byID: map[string]gh.Mail{}}
}

// Send implements Sender: it keeps the message.
func (c *Catcher) Send(_ context.Context, m *gh.Mail) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[m.ID]; !ok {
		c.order = append(c.order, m.ID)
	}
	kept := *m
	kept.Status = gh.MailSent // as the outbox records it once Send returns
	c.byID[m.ID] = kept
	for len(c.order) > c.max {
		delete(c.byID, c.order[0])
		c.order = c.order[1:]
	}
	return nil
}

// Caught returns a kept message of org, with its body.
func (c *Catcher) Caught(org gh.OrgID, id string) (*gh.Mail, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.byID[id]
	if !ok || m.Org != org {
		return nil, false
	}
	return &m, true
}
