// Package growthtest holds the assertions of hostile-input tests about cost: growth that is
// linear in the input (doubling it at most triples the time, best of several runs, so the
// bound does not depend on the machine's speed) and allocation under a stated cap.
package growthtest

import (
	"runtime"
	"testing"
	"time"
)

// runs is how many times each size is timed; the best run counts, so a run slowed by
// other work on a shared machine does not.
const runs = 5

// minTime is the shortest best time the smaller size is grown to before the ratio is
// taken: below it, timer resolution and scheduling noise dominate the ratio. It chooses
// the input size, never the verdict.
const minTime = 5 * time.Millisecond

// Linear checks that run's cost grows at most linearly: run(2n) takes at most three times
// as long as run(n), best of several runs each. n starts at start and doubles (up to max)
// until run(n) takes long enough to be measured, 2n staying at most max. It returns the n
// it measured at.
func Linear(t testing.TB, start, max int, run func(n int)) int {
	t.Helper()
	n := start
	for 4*n <= max && best(n, run) < minTime {
		n *= 2
	}
	var t1, t2 time.Duration
	for attempt := 0; attempt < 3; attempt++ { // the machine is shared: retry a noisy pair
		t1, t2 = bestPair(n, run)
		if t2 <= 3*t1 {
			t.Logf("size %d: %v, size %d: %v (ratio %.2f)", n, t1, 2*n, t2, float64(t2)/float64(t1))
			return n
		}
	}
	t.Errorf("doubling the input from %d to %d took %v instead of %v: %.1fx, over the 3x of linear growth",
		n, 2*n, t2, t1, float64(t2)/float64(t1))
	return n
}

// bestPair times run(n) and run(2n) alternately, so that a change in the machine's load
// weighs on both sizes alike, and returns the best time of each.
func bestPair(n int, run func(int)) (time.Duration, time.Duration) {
	b1, b2 := time.Duration(1<<63-1), time.Duration(1<<63-1)
	for range runs {
		b1 = min(b1, timed(n, run))
		b2 = min(b2, timed(2*n, run))
	}
	return b1, b2
}

func timed(n int, run func(int)) time.Duration {
	runtime.GC() // no run pays for the garbage of the one before
	start := time.Now()
	run(n)
	return time.Since(start)
}

func best(n int, run func(int)) time.Duration {
	b := time.Duration(1<<63 - 1)
	for range runs {
		runtime.GC() // no run pays for the garbage of the one before
		start := time.Now()
		run(n)
		if d := time.Since(start); d < b {
			b = d
		}
	}
	return b
}

// LinearAlloc checks that run's allocation grows at most linearly: run(2n) allocates at
// most three times what run(n) does. Allocation counts the copying and building work
// exactly, whatever else the machine does, so it suits work whose time is too noisy to
// compare on a shared machine.
func LinearAlloc(t testing.TB, n int, run func(n int)) {
	t.Helper()
	// The least of three runs each: TotalAlloc is the whole process's, so a test running in
	// parallel (or a one-time cache filling) can only add to a run, never take from it.
	best := func(m int) uint64 {
		least := Allocated(func() { run(m) })
		for range 2 {
			least = min(least, Allocated(func() { run(m) }))
		}
		return least
	}
	a1 := best(n)
	a2 := best(2 * n)
	if a2 > 3*a1 {
		t.Errorf("doubling the input from %d to %d allocated %d bytes instead of %d: %.1fx, over the 3x of linear growth",
			n, 2*n, a2, a1, float64(a2)/float64(a1))
		return
	}
	t.Logf("size %d: %d bytes, size %d: %d bytes (ratio %.2f)", n, a1, 2*n, a2, float64(a2)/float64(a1))
}

// Allocated returns the bytes f allocates on the heap (runtime.MemStats.TotalAlloc). It
// bounds f's peak heap growth from above, whatever the garbage collector does, so a test
// asserting a cap on it asserts a cap on peak memory.
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// MaxAllocated fails the test when f allocates more than limit bytes.
func MaxAllocated(t testing.TB, limit uint64, what string, f func()) {
	t.Helper()
	if got := Allocated(f); got > limit {
		t.Errorf("%s allocated %d MiB, over the cap of %d MiB", what, got>>20, limit>>20)
	} else {
		t.Logf("%s allocated %.1f MiB (cap %d MiB)", what, float64(got)/(1<<20), limit>>20)
	}
}
