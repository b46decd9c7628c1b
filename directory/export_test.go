package directory

// Queued reports how many writes wait for the next group commit, so tests
// can form a group without guessing at timing.
func (d *Directory) Queued() int {
	d.queueMu.Lock()
	defer d.queueMu.Unlock()
	return len(d.queue)
}
