package host

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/plugin"
)

// namesDetector is a raw detector that records how each stream batch names its events.
type namesDetector struct {
	mu    sync.Mutex
	names map[uint64]string // by sequence: "numbers PREFIX [n...]" or "whole [name...]"
}

func (f *namesDetector) Describe(context.Context, *plugin.DescribeRequest) (*plugin.DetectorDescription, error) {
	return &plugin.DetectorDescription{Name: "names"}, nil
}

func (f *namesDetector) Load(context.Context, *plugin.LoadRequest) (*plugin.LoadResponse, error) {
	return &plugin.LoadResponse{}, nil
}

func (f *namesDetector) Match(_ context.Context, req *plugin.MatchRequest) (*plugin.MatchResponse, error) {
	sb := req.Stream
	var got string
	switch {
	case sb.IDNumbers != nil:
		got = fmt.Sprintf("numbers %s %v", sb.IDPrefix, sb.IDNumbers)
	default:
		var names []string
		start := 0
		for _, n := range sb.IDLengths {
			names = append(names, string(sb.IDBytes[start:start+int(n)]))
			start += int(n)
		}
		got = fmt.Sprintf("whole %v", names)
	}
	f.mu.Lock()
	f.names[sb.Sequence] = got
	f.mu.Unlock()
	return &plugin.MatchResponse{}, nil
}

func (f *namesDetector) Advance(context.Context, *plugin.AdvanceRequest) (*plugin.AdvanceResponse, error) {
	return &plugin.AdvanceResponse{}, nil
}

// TestScanEventIDPrefixByRevision: with EventIDPrefix, a plugin of revision 3 gets a batch
// of lines as numbers and a batch with a record (named by EventID) as whole names; a plugin
// before revision 3 gets every name whole, and the same names.
func TestScanEventIDPrefixByRevision(t *testing.T) {
	lines := []int{4, 5, 7, -1, 9}
	for _, tc := range []struct {
		rev  int
		want string
	}{
		{plugin.RevisionEventNumbers, "1: numbers in.jsonl: [4 5]\n2: whole [in.jsonl:7 rec1]\n3: numbers in.jsonl: [9]\n"},
		{plugin.RevisionEventNumbers - 1, "1: whole [in.jsonl:4 in.jsonl:5]\n2: whole [in.jsonl:7 rec1]\n3: whole [in.jsonl:9]\n"},
	} {
		raw := &namesDetector{names: map[uint64]string{}}
		d := &Detector{inst: &instance{spec: Spec{Name: "names"}, callTimeout: time.Minute, released: make(chan struct{})}, raw: raw,
			desc: &plugin.DetectorDescription{Name: "names", ProtocolRevision: tc.rev}}
		d.correlations.Store(1)
		opts := ScanOptions{BatchEvents: 2, InFlight: 2, NoSharedMemory: true, Correlate: true, EventIDPrefix: "in.jsonl:",
			EventID: func(dst []byte, line int) []byte {
				if line >= 0 && tc.rev >= plugin.RevisionEventNumbers {
					t.Errorf("EventID called for line %d", line)
				}
				if line < 0 {
					return fmt.Appendf(dst, "rec%d", -line)
				}
				return fmt.Appendf(dst, "wrong:%d", line)
			}}
		err := d.ScanEvents(context.Background(), opts, func(add func(int, []byte) bool) error {
			for _, l := range lines {
				add(l, []byte(`{"x":1}`))
			}
			return nil
		}, func(*ScanBatch) error { return nil })
		close(d.inst.released)
		if err != nil {
			t.Fatalf("revision %d: %v", tc.rev, err)
		}
		var got strings.Builder
		for seq := uint64(1); seq <= uint64(len(raw.names)); seq++ {
			fmt.Fprintf(&got, "%d: %s\n", seq, raw.names[seq])
		}
		if got.String() != tc.want {
			t.Errorf("revision %d: batches named\n%s\nwant\n%s", tc.rev, got.String(), tc.want)
		}
	}
}
