package parallel

import (
	"context"
	"sync/atomic"
	"testing"
)

func TestForVisitsEachIndexOnce(t *testing.T) {
	seen := make([]atomic.Int32, 1000)
	if err := For(context.Background(), len(seen), func(i int) { seen[i].Add(1) }); err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("item %d visited %d times", i, n)
		}
	}
}

func TestForStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var done atomic.Int32
	err := For(ctx, 1_000_000, func(i int) {
		if done.Add(1) == 10 {
			cancel()
		}
	})
	if err != context.Canceled || done.Load() >= 1_000_000 {
		t.Fatalf("err %v after %d items", err, done.Load())
	}
}
