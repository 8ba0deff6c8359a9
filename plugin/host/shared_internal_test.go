//go:build linux

package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/internal/wire"
)

// sharingDetector is a raw detector with the shared-batch methods of the protocol client:
// it maps the regions it is given, as a plugin does, and matches events containing "hit".
type sharingDetector struct {
	mu          sync.Mutex
	shareErr    error
	regions     map[uint32][]byte
	shares      int
	inlineCalls int
	sharedCalls int
	longest     int // longest event matched inline
}

func (f *sharingDetector) Describe(context.Context, *plugin.DescribeRequest) (*plugin.DetectorDescription, error) {
	return &plugin.DetectorDescription{Name: "sharing"}, nil
}

func (f *sharingDetector) Load(context.Context, *plugin.LoadRequest) (*plugin.LoadResponse, error) {
	return &plugin.LoadResponse{}, nil
}

func match(events [][]byte) *plugin.MatchResponse {
	resp := &plugin.MatchResponse{}
	for i, ev := range events {
		if bytes.Contains(ev, []byte("hit")) {
			resp.Matches = append(resp.Matches, plugin.EventMatch{Event: i})
		}
	}
	return resp
}

func (f *sharingDetector) Match(_ context.Context, req *plugin.MatchRequest) (*plugin.MatchResponse, error) {
	f.mu.Lock()
	f.inlineCalls++
	for _, ev := range req.Events {
		f.longest = max(f.longest, len(ev))
	}
	f.mu.Unlock()
	return match(req.Events), nil
}

func (f *sharingDetector) ShareMemory(_ context.Context, region uint32, path string, size int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shares++
	if f.shareErr != nil {
		return f.shareErr
	}
	data, err := wire.MapSharedRegion(path, size)
	if err != nil {
		return err
	}
	if f.regions == nil {
		f.regions = map[uint32][]byte{}
	}
	f.regions[region] = data
	return nil
}

// MatchShared reads the events from its own mapping of the region, as the plugin does, and
// checks them against the host's view.
func (f *sharingDetector) MatchShared(_ context.Context, region uint32, offset int, events [][]byte, _ *plugin.StreamBatch) (*plugin.MatchResponse, error) {
	f.mu.Lock()
	f.sharedCalls++
	data := f.regions[region]
	f.mu.Unlock()
	seen := make([][]byte, len(events))
	off := offset
	for i, ev := range events {
		seen[i] = data[off : off+len(ev)]
		if !bytes.Equal(seen[i], ev) {
			return nil, fmt.Errorf("event %d at offset %d of region %d reads %q, the host sent %q", i, off, region, seen[i], ev)
		}
		off += len(ev)
	}
	return match(seen), nil
}

// fakeDetector wraps raw as a running plugin. At the end of the test the "plugin" dies,
// which unmaps the host's regions, and raw's own mappings are removed.
func fakeDetector(t *testing.T, raw *sharingDetector) *Detector {
	d := &Detector{inst: &instance{spec: Spec{Name: "sharing"}, callTimeout: time.Minute, released: make(chan struct{})}, raw: raw}
	t.Cleanup(func() {
		select {
		case <-d.inst.released:
		default:
			close(d.inst.released)
		}
		raw.mu.Lock()
		defer raw.mu.Unlock()
		for _, data := range raw.regions {
			syscall.Munmap(data)
		}
		raw.regions = nil
	})
	return d
}

// scanInput scans lines of text with d and returns what came back: every event with
// "+" when it matched.
func scanInput(t *testing.T, d *Detector, input string, opts ScanOptions) string {
	t.Helper()
	var out strings.Builder
	err := d.Scan(context.Background(), strings.NewReader(input), opts, func(b *ScanBatch) error {
		hit := map[int]bool{}
		for _, m := range b.Matches {
			hit[m.Event] = true
		}
		for i, ev := range b.Events {
			fmt.Fprintf(&out, "%d:%s", b.Lines[i], ev)
			if hit[i] {
				out.WriteString("+")
			}
			out.WriteString("\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func testInput() (input, want string) {
	var in, w strings.Builder
	for i := 1; i <= 300; i++ {
		ev := fmt.Sprintf(`{"n":%d,"v":"%s"}`, i, strings.Repeat("x", i%17))
		if i%7 == 0 {
			ev = fmt.Sprintf(`{"n":%d,"v":"hit"}`, i)
		}
		if i%50 == 0 {
			ev = fmt.Sprintf(`{"n":%d,"long":"%s hit"}`, i, strings.Repeat("y", 3000)) // longer than a batch
		}
		in.WriteString(ev + "\n")
		w.WriteString(fmt.Sprintf("%d:%s", i, ev))
		if strings.Contains(ev, "hit") {
			w.WriteString("+")
		}
		w.WriteString("\n")
	}
	return in.String(), w.String()
}

func TestScanSharesMemoryAndReusesIt(t *testing.T) {
	raw := &sharingDetector{}
	d := fakeDetector(t, raw)
	input, want := testInput()
	opts := ScanOptions{BatchEvents: 9, BatchBytes: 1024, InFlight: 3}
	for i := range 3 {
		if got := scanInput(t, d, input, opts); got != want {
			t.Fatalf("scan %d:\n%s\nwant\n%s", i, got, want)
		}
	}
	if raw.shares != 1 || raw.sharedCalls < 30 {
		t.Errorf("%d regions shared, %d shared batches: want one region used by every batch", raw.shares, raw.sharedCalls)
	}
	// Only the first batch of a scan (before it shares memory) and the events longer than
	// a batch travel inline: 1 + 6 per scan.
	if raw.inlineCalls != 21 || raw.longest < 3000 {
		t.Errorf("%d inline calls (longest event %d bytes), want the first batch and the 6 long events of each scan", raw.inlineCalls, raw.longest)
	}
	// Another batch size needs another region.
	opts.BatchBytes = 2048
	if got := scanInput(t, d, input, opts); got != want {
		t.Fatalf("larger batches:\n%s", got)
	}
	if raw.shares != 2 {
		t.Errorf("%d regions shared, want a second one for the new size", raw.shares)
	}
	// NoSharedMemory sends everything inline.
	before := raw.sharedCalls
	opts.NoSharedMemory = true
	if got := scanInput(t, d, input, opts); got != want || raw.sharedCalls != before {
		t.Errorf("NoSharedMemory: %d shared calls", raw.sharedCalls-before)
	}
	// Another Detector of the same plugin uses the same regions.
	other := &Detector{inst: d.inst, raw: raw}
	if got := scanInput(t, other, input, ScanOptions{BatchEvents: 9, BatchBytes: 1024, InFlight: 3}); got != want || raw.shares != 2 {
		t.Errorf("a second Detector of the plugin: %d regions shared, want the 2 of the first", raw.shares)
	}
	// Once the plugin is gone, the idle regions are unmapped.
	sp := d.sharedPool()
	if len(sp.idle) != 2 {
		t.Fatalf("%d idle regions after the scans, want 2", len(sp.idle))
	}
	idle := append([]*sharedRegion(nil), sp.idle...)
	close(d.inst.released)
	waitFor(t, func() bool { sp.mu.Lock(); defer sp.mu.Unlock(); return sp.gone })
	for _, r := range idle {
		if r.region.Data != nil {
			t.Errorf("region %d still mapped after the plugin died", r.id)
		}
	}
}

func TestScanFallsBackWhenThePluginCannotShare(t *testing.T) {
	for _, shareErr := range []error{status.Error(codes.Unimplemented, "unknown method ShareMemory"),
		status.Error(codes.FailedPrecondition, "mapping: permission denied")} {
		raw := &sharingDetector{shareErr: shareErr}
		d := fakeDetector(t, raw)
		input, want := testInput()
		for range 2 {
			if got := scanInput(t, d, input, ScanOptions{BatchEvents: 9, BatchBytes: 1024}); got != want {
				t.Fatalf("%v: scan:\n%s", shareErr, got)
			}
		}
		if raw.shares != 1 || raw.sharedCalls != 0 || raw.inlineCalls < 30 {
			t.Errorf("%v: %d share attempts, %d shared and %d inline batches: want one attempt, then inline", shareErr, raw.shares, raw.sharedCalls, raw.inlineCalls)
		}
	}
}

// TestRegionWaitsForAnOutlivingReader stops a scan while its producer is still running:
// the region must not go to another scan before the producer is done writing into it.
// stoppedScan runs a scan whose first emitted batch stops it while its reader blocks on
// its input; closing release lets the reader go on, and produced is closed once it has
// returned.
func stoppedScan(t *testing.T, d *Detector, opts ScanOptions) (release, produced chan struct{}) {
	t.Helper()
	release, produced = make(chan struct{}), make(chan struct{})
	stop := errors.New("stop")
	err := d.ScanEvents(context.Background(), opts, func(add func(int, []byte) bool) error {
		defer close(produced)
		for i := 1; add(i, []byte(`{"a":"hit"}`)); i++ {
			if i == 3 {
				// Adding event 3 sent the first batch, whose emit stops the scan;
				// meanwhile this reader blocks on its input.
				<-release
			}
		}
		return nil
	}, func(*ScanBatch) error { return stop })
	if err != stop {
		t.Fatalf("scan: %v", err)
	}
	return release, produced
}

func TestRegionWaitsForAnOutlivingReader(t *testing.T) {
	raw := &sharingDetector{}
	d := fakeDetector(t, raw)
	opts := ScanOptions{BatchEvents: 2, BatchBytes: 256, InFlight: 1}
	release, produced := stoppedScan(t, d, opts)
	input, want := testInput()
	if got := scanInput(t, d, input, opts); got != want {
		t.Fatalf("second scan:\n%s", got)
	}
	if raw.shares != 2 {
		t.Fatalf("%d regions shared, want a second one while the first scan's reader runs", raw.shares)
	}
	close(release)
	<-produced
	waitFor(t, func() bool {
		d.sharedPool().mu.Lock()
		defer d.sharedPool().mu.Unlock()
		return len(d.sharedPool().idle) == 2
	})
	if got := scanInput(t, d, input, opts); got != want || raw.shares != 2 {
		t.Errorf("third scan: %d regions shared, want the first two reused", raw.shares)
	}
}

// TestRegionOfAReaderThatOutlivesThePlugin: a scan stopped early gives its region back only
// when its reader returns, which may be after the plugin is gone and its pool is dropped.
// The region must then be unmapped, not kept in a pool nothing watches.
func TestRegionOfAReaderThatOutlivesThePlugin(t *testing.T) {
	raw := &sharingDetector{}
	d := fakeDetector(t, raw)
	release, produced := stoppedScan(t, d, ScanOptions{BatchEvents: 2, BatchBytes: 256, InFlight: 1})
	if raw.shares != 1 {
		t.Fatalf("%d regions shared, want 1", raw.shares)
	}
	sp := d.sharedPool()
	close(d.inst.released) // the plugin is gone while the reader still runs
	waitFor(t, func() bool { sp.mu.Lock(); defer sp.mu.Unlock(); return sp.gone })
	if _, ok := sharedPools.Load(d.inst); ok {
		t.Fatal("the pool of a gone plugin is still registered")
	}
	// The fake plugin maps the region too, in this process, and keeps its mapping (as do
	// the fakes of earlier tests): the host's is the one that must go.
	mapped := hostMappings(t)
	close(release)
	<-produced
	waitFor(t, func() bool { return hostMappings(t) == mapped-1 })
	if _, ok := sharedPools.Load(d.inst); ok {
		t.Error("giving the region back registered a new pool for the gone plugin")
	}
}

// hostMappings counts the shared batch regions mapped into this process.
func hostMappings(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "sigmabridge-batches-")
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSmallScanSharesNothing: an input smaller than a batch is not worth a region.
func TestSmallScanSharesNothing(t *testing.T) {
	raw := &sharingDetector{}
	d := fakeDetector(t, raw)
	if got := scanInput(t, d, "{\"a\":\"hit\"}\n{\"b\":1}\n", ScanOptions{}); got != "1:{\"a\":\"hit\"}+\n2:{\"b\":1}\n" {
		t.Fatalf("scan: %q", got)
	}
	if raw.shares != 0 || raw.inlineCalls != 1 {
		t.Errorf("%d regions shared, %d inline calls: want none and one", raw.shares, raw.inlineCalls)
	}
}
