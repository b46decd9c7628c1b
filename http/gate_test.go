package http_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// blockingWriter is a client that takes the head of an answer and then stops
// reading, until released.
type blockingWriter struct {
	header  http.Header
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (b *blockingWriter) Header() http.Header { return b.header }
func (b *blockingWriter) WriteHeader(int)     {}
func (b *blockingWriter) Write(p []byte) (int, error) {
	b.once.Do(func() { close(b.started) })
	<-b.release
	return len(p), nil
}

// A reader slow to take its answer must not hold off the organization's
// writers: reads wait for uncommitted writes at a gate, and the answer is
// sent once the gate is left.
func TestSlowReaderDoesNotHoldOffWriters(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		bw := &blockingWriter{header: http.Header{}, started: make(chan struct{}), release: make(chan struct{})}
		defer close(bw.release)
		req := httptest.NewRequest("GET", org+"/groups", nil)
		req.Header.Set("Authorization", "Bearer "+p.admin)
		go e.server.Handler().ServeHTTP(bw, req)
		<-bw.started

		// A batch applies its writes to the index before it commits, so it
		// closes the organization's gate: it must not wait for that reader.
		status := make(chan int, 1)
		go func() {
			got, _, _ := p.call(p.admin, "POST", org+"/batch", obj{"operations": []obj{
				{"op": "create", "type": "group", "body": obj{"name": "Night shift"}},
				{"op": "create", "type": "group", "body": obj{"name": "Day shift"}},
			}})
			status <- got
		}()
		select {
		case got := <-status:
			if got != http.StatusOK {
				t.Errorf("the batch = %d, want 200", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a batch waited for a reader that was slow to take its answer")
		}
	})
}
