package gatehouse

import (
	"encoding/json"
	"sync"
)

// A change is read by several hands inside its commit (the notices, the
// store's key columns), each once decoding the same JSON. A change made by
// NewChange keeps the first decoding of each side for the others.
type decoded struct {
	mu            sync.Mutex
	before, after any
}

// NewChange returns the change of one object from before to after (either
// nil), which remembers how its sides decode (Decoded).
func NewChange(kind ObjectKind, id string, before, after json.RawMessage) Change {
	return Change{Kind: kind, ID: id, Before: before, After: after, decoded: &decoded{}}
}

// Decoded returns c's After (after) or Before as a T, and false when that
// side is empty or is not a T's JSON. The value may be shared with other
// readers of c: read it, never change it.
func Decoded[T any](c *Change, after bool) (*T, bool) {
	raw := c.Before
	if after {
		raw = c.After
	}
	if len(raw) == 0 {
		return nil, false
	}
	if c.decoded == nil {
		return decode[T](raw)
	}
	c.decoded.mu.Lock()
	defer c.decoded.mu.Unlock()
	slot := &c.decoded.before
	if after {
		slot = &c.decoded.after
	}
	if v, ok := (*slot).(*T); ok {
		return v, true
	}
	v, ok := decode[T](raw)
	if ok && *slot == nil {
		*slot = v
	}
	return v, ok
}

func decode[T any](raw json.RawMessage) (*T, bool) {
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, false
	}
	return v, true
}
