package signin

import (
	"context"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
)

func TestHashSlotsBoundConcurrentHashing(t *testing.T) {
	s := &Service{hashing: make(chan struct{}, 2)}
	r1, err1 := s.hashSlot(context.Background())
	_, err2 := s.hashSlot(context.Background())
	if err1 != nil || err2 != nil {
		t.Fatalf("the first two slots: %v, %v", err1, err2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.hashSlot(ctx); gh.KindOf(err) != gh.KindUnavailable {
		t.Fatalf("a third caller while two hash = %v, want it to wait and give up as busy", err)
	}
	r1()
	if _, err := s.hashSlot(context.Background()); err != nil {
		t.Errorf("after a release: %v, want a slot", err)
	}
}
