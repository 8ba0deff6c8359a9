// Package parallel is the module's one worker pool for independent work items.
package parallel

import (
	"context"
	"runtime"
	"sync"
)

// For calls fn(i) for every i in [0, n), GOMAXPROCS calls at a time, and returns when all
// have returned. It stops handing out items when ctx is done and returns ctx's error then.
// fn must be safe for concurrent use; each i is given once.
func For(ctx context.Context, n int, fn func(i int)) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	return err
}
