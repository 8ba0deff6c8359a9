package input

import (
	"bytes"
	"compress/gzip"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The hostile-input suite: each test asserts a bound that does not depend on the
// machine's speed. Growth: doubling the input at most triples the CPU time (best of five
// runs). Memory: the peak of the live heap while reading, sampled every millisecond,
// stays under heapCap, whatever the size of the input, which is generated as it is read so
// that it takes no memory itself.

// heapCap is the most heap one reader may use here: its buffer, one record and the
// garbage the collector has not reclaimed yet. The inputs are several times larger.
const heapCap = 32 << 20

// genReader produces its input piece by piece.
type genReader struct {
	next func() (string, bool) // false at the end
	cur  string
}

func (g *genReader) Read(p []byte) (int, error) {
	for len(g.cur) == 0 {
		var ok bool
		if g.cur, ok = g.next(); !ok {
			return 0, io.EOF
		}
	}
	n := copy(p, g.cur)
	g.cur = g.cur[n:]
	return n, nil
}

// pieces returns a generator of head, n pieces made by piece, and tail.
func pieces(head string, n int, piece func(i int) string, tail string) func() io.Reader {
	return func() io.Reader {
		i := -1
		return &genReader{next: func() (string, bool) {
			i++
			switch {
			case i == 0:
				return head + " ", true
			case i <= n:
				return piece(i - 1), true
			case i == n+1:
				return tail + " ", true
			}
			return "", false
		}}
	}
}

// recordsDoc generates a CloudTrail log file of n records, one record a line.
func recordsDoc(n int) func() io.Reader {
	return pieces("{\"Records\": [", n, func(i int) string {
		sep := ",\n"
		if i == 0 {
			sep = "\n"
		}
		return sep + benchRecord(i)
	}, "\n]}")
}

// countRecords reads r in format and returns the records and the error.
func countRecords(t testing.TB, format string, r io.Reader) (int, error) {
	n := 0
	err := Read(format, "hostile", r, func(Record) error { n++; return nil })
	return n, err
}

// cpuTime is the CPU time (user and system) this process has used: unlike the time on the
// clock, other processes competing for the CPU do not inflate it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timed returns the CPU time f takes, after a collection.
func timed(f func()) time.Duration {
	runtime.GC()
	start := cpuTime()
	f()
	return cpuTime() - start
}

// assertLinear fails unless reading the input made for 2n takes at most three times as
// long as for n: the best of five runs each, taken in turns so that a busy spell weighs on
// both sizes alike, in CPU time.
func assertLinear(t *testing.T, what string, read func(n int)) {
	t.Helper()
	small, large := time.Duration(1<<63-1), time.Duration(1<<63-1)
	for range 5 {
		small = min(small, timed(func() { read(1) }))
		large = min(large, timed(func() { read(2) }))
	}
	t.Logf("%s: %v for n, %v for 2n (CPU time)", what, small, large)
	if large > 3*small {
		t.Errorf("%s: doubling the input took %.1f times as long (%v, then %v): not linear", what, float64(large)/float64(small), small, large)
	}
}

// peakHeap runs f and returns the peak of the live heap above what it was before.
func peakHeap(f func()) uint64 {
	// Garbage waits for the next collection, and on a loaded machine the collector falls
	// behind and lets the heap overshoot. A low GC target during the measurement keeps what
	// the heap holds close to what the reader retains, which is what the cap is about: a
	// reader that held the document would keep it live whatever the target.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	base := s[0].Value.Uint64()
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak {
					peak = v
				}
			}
		}
	}()
	f()
	close(stop)
	peak := <-done
	if peak < base {
		return 0
	}
	return peak - base
}

func TestHostileHugeRecordsDocument(t *testing.T) {
	const unit = 20000 // records in n
	assertLinear(t, "CloudTrail Records document", func(k int) {
		n, err := countRecords(t, JSONL, recordsDoc(k*unit)())
		if err != nil || n != k*unit {
			t.Fatalf("%d records, error %v", n, err)
		}
	})
	// One line too: the S3 object as CloudTrail writes it.
	oneLine := pieces(`{"Records":[`, unit, func(i int) string {
		if i == 0 {
			return benchRecord(i)
		}
		return "," + benchRecord(i)
	}, "]}")
	assertLinear(t, "one-line Records document", func(k int) {
		r := oneLine
		if k == 2 {
			r = pieces(`{"Records":[`, 2*unit, func(i int) string {
				if i == 0 {
					return benchRecord(i)
				}
				return "," + benchRecord(i)
			}, "]}")
		}
		n, err := countRecords(t, CloudTrail, r())
		if err != nil || n != k*unit {
			t.Fatalf("%d records, error %v", n, err)
		}
	})
	const big = 100000 // about 100 MB
	var n int
	var err error
	peak := peakHeap(func() { n, err = countRecords(t, JSONL, recordsDoc(big)()) })
	t.Logf("%d records (about %d MB): peak heap %d KiB", n, big*1000>>20, peak>>10)
	if err != nil || n != big {
		t.Fatalf("%d records, error %v", n, err)
	}
	if peak > heapCap {
		t.Errorf("reading a %d-record document used %d MiB of heap, more than %d MiB: the document is held, not streamed", big, peak>>20, heapCap>>20)
	}
}

func TestHostileFoldedMailHeaders(t *testing.T) {
	const unit = 200000 // continuation lines in n
	folded := func(k int) io.Reader {
		return pieces("From: a@contoso.example\nTo: b@contoso.example\nReceived: from x", k*unit,
			func(int) string { return "\n\tby relay.example.net" }, "\nSubject: s\n\nbody\n")()
	}
	assertLinear(t, "folded header", func(k int) {
		var got Record
		err := Read(EML, "folded.eml", folded(k), func(r Record) error { got = r; return nil })
		if err != nil || !bytes.Contains(got.JSON, []byte(`"subject":"s"`)) {
			t.Fatalf("error %v, record %.200s", err, got.JSON)
		}
		if c := bytes.Count(got.JSON, []byte("by relay.example.net")); c != k*unit {
			t.Fatalf("the unfolded header holds %d continuation lines, want %d", c, k*unit)
		}
	})
}

// badFirstLine generates a bad first line followed by n JSON lines.
func badFirstLine(n int) func() io.Reader {
	return pieces("{\"eventName\": \"cut off here", n, func(i int) string { return "\n" + benchRecord(i) }, "\n")
}

func TestHostileBadFirstLineThenLargeInput(t *testing.T) {
	const n = 80000 // about 80 MB
	check := func(what string, r io.Reader) {
		var got int
		var err error
		peak := peakHeap(func() { got, err = countRecords(t, JSONL, r) })
		t.Logf("%s: %d records, peak heap %d KiB", what, got, peak>>10)
		p := problems(t, err)
		if got != n || len(p) != 1 || !strings.Contains(p[1], "not valid JSON") {
			t.Errorf("%s: %d records, problems %v; want %d and line 1 named", what, got, p, n)
		}
		if peak > heapCap {
			t.Errorf("%s: %d MiB of heap, more than %d MiB: the input is buffered", what, peak>>20, heapCap>>20)
		}
	}
	check("plain", badFirstLine(n)())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := io.Copy(zw, badFirstLine(n)()); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	t.Logf("gzip: %d KiB", gz.Len()>>10)
	check("gzip", bytes.NewReader(gz.Bytes()))
	assertLinear(t, "bad first line", func(k int) {
		if got, _ := countRecords(t, JSONL, badFirstLine(k*n/4)()); got != k*n/4 {
			t.Fatalf("%d records", got)
		}
	})
}

// TestHostileMailLongLines: a body line of 80 MB without a newline is skipped without being
// held, and a header line longer than 64 KiB is cut and named.
func TestHostileMailLongLines(t *testing.T) {
	longHeader, bodyPiece := strings.Repeat("h", 100<<10), strings.Repeat("b", 1<<10)
	long := pieces("From: a@contoso.example\nTo: b@contoso.example\nX-Long: ", 1, func(int) string { return longHeader },
		"\nSubject: s\n\n")
	body := func() io.Reader {
		return io.MultiReader(long(), pieces("", 80<<10, func(int) string { return bodyPiece }, "")())
	}
	var recs []Record
	var err error
	peak := peakHeap(func() {
		err = Read(EML, "long.eml", body(), func(r Record) error {
			recs = append(recs, Record{Line: r.Line, JSON: bytes.Clone(r.JSON)})
			return nil
		})
	})
	t.Logf("peak heap %d KiB", peak>>10)
	p := problems(t, err)
	if len(recs) != 1 || !bytes.Contains(recs[0].JSON, []byte(`"subject":"s"`)) || len(p) != 1 || !strings.Contains(p[3], "longer than 65536 bytes") {
		t.Errorf("%d records, problems %v", len(recs), p)
	}
	if peak > heapCap {
		t.Errorf("%d MiB of heap for an 80 MB body line: the line is held", peak>>20)
	}
}
