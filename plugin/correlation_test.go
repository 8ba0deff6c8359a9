package plugin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// orderDetector is fakeDetector evaluating correlations: every stream records the first
// event id of each batch it observes, in the order observed, and raises one alert per
// batch (of correlation badIndex when set, to test the host's checks).
type orderDetector struct {
	fakeDetector
	mu       sync.Mutex
	observed map[uint64][]string // by the stream's first batch's first id
	badIndex int
}

func (d *orderDetector) Describe(context.Context, *DescribeRequest) (*DetectorDescription, error) {
	return &DetectorDescription{Name: "order", CorrelationTypes: []string{"temporal"}}, nil
}

func (d *orderDetector) OpenStream(context.Context) (CorrelationStream, error) {
	return &orderStream{d: d}, nil
}

type orderStream struct {
	d   *orderDetector
	ids []string
}

func (s *orderStream) Observe(_ context.Context, req *ObserveRequest) (*ObserveResponse, error) {
	s.ids = append(s.ids, req.ID(0))
	return &ObserveResponse{Alerts: []Alert{{Correlation: s.d.badIndex, Value: float64(len(s.ids)),
		Events: []AlertEvent{{ID: req.ID(0), Time: time.Unix(0, 5).UTC()}}, Event: 0}}}, nil
}

func (s *orderStream) Advance(_ context.Context, _ time.Time, end bool) (*AdvanceResponse, error) {
	if end {
		s.d.mu.Lock()
		s.d.observed[uint64(len(s.d.observed))] = s.ids
		s.d.mu.Unlock()
	}
	return &AdvanceResponse{Late: 2}, nil
}

func loadCorrelated(t *testing.T, hd Detector) {
	t.Helper()
	rules := []*ir.Rule{{ID: "r0", Title: "r0", Conditions: []ir.Node{&ir.Exists{Field: "x"}}}}
	corrs := []*ir.Correlation{{ID: "c0", Title: "c0", Type: ir.Temporal, Timespan: time.Minute,
		Refs: []ir.CorrelationRef{{Name: "r0", Rule: 0, Correlation: -1}, {Name: "gone", Rule: -1, Correlation: -1}}}}
	if _, err := hd.Load(context.Background(), &LoadRequest{Rules: rules, Correlations: corrs}); err != nil {
		t.Fatal(err)
	}
}

// Batches of a stream sent in reverse order, concurrently, are observed in sequence order;
// the alerts come back with their batches, and Advance ends the stream.
func TestStreamBatchesAppliedInSequenceOrder(t *testing.T) {
	d := &orderDetector{observed: map[uint64][]string{}}
	_, hd := connect(t, nil, d)
	desc, err := hd.Describe(context.Background(), &DescribeRequest{})
	if err != nil || desc.ProtocolRevision != ProtocolRevision || len(desc.CorrelationTypes) != 1 {
		t.Fatalf("Describe: %+v, %v", desc, err)
	}
	loadCorrelated(t, hd)
	ctx := context.Background()
	const n = 8
	var wg sync.WaitGroup
	values := make([]float64, n+1)
	for seq := n; seq >= 1; seq-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := hd.Match(ctx, &MatchRequest{Events: [][]byte{[]byte(`{"x":1}`)},
				Stream: &StreamBatch{ID: 42, Sequence: uint64(seq), EventIDs: []string{fmt.Sprint(seq)}}})
			if err != nil {
				t.Error(err)
				return
			}
			if len(resp.Alerts) != 1 || resp.Alerts[0].Events[0].ID != fmt.Sprint(seq) || resp.Alerts[0].Event != 0 {
				t.Errorf("batch %d: alerts %+v", seq, resp.Alerts)
				return
			}
			values[seq] = resp.Alerts[0].Value
		}()
		time.Sleep(5 * time.Millisecond) // let the later batches arrive first
	}
	wg.Wait()
	for seq := 1; seq <= n; seq++ {
		if values[seq] != float64(seq) {
			t.Errorf("batch %d was observed as number %g", seq, values[seq])
		}
	}
	adv, err := hd.(*detectorClient).Advance(ctx, &AdvanceRequest{Stream: 42, Sequence: n, End: true})
	if err != nil || adv.Late != 2 {
		t.Fatalf("Advance: %+v, %v", adv, err)
	}
	if got := fmt.Sprint(d.observed[0]); got != "[1 2 3 4 5 6 7 8]" {
		t.Errorf("observed %s", got)
	}
	if _, err := hd.(*detectorClient).Advance(ctx, &AdvanceRequest{Stream: 42, Sequence: n, End: true}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("Advance of an ended stream: %v", err)
	}
}

// TestHostileStreamRequests sends the detector server stream requests no host should:
// each is refused with a named error, and nothing breaks for the next stream.
func TestHostileStreamRequests(t *testing.T) {
	d := &orderDetector{observed: map[uint64][]string{}}
	_, hd := connect(t, nil, d)
	loadCorrelated(t, hd)
	rpc := hd.(*detectorClient).rpc
	ctx := context.Background()
	ev := packEvents([][]byte{[]byte(`{"x":1}`)})
	with := func(f func(m *pb.MatchRequest)) *pb.MatchRequest {
		m := &pb.MatchRequest{Events: ev.Events, EventLengths: ev.EventLengths}
		f(m)
		return m
	}
	for name, tc := range map[string]struct {
		m    *pb.MatchRequest
		code codes.Code
	}{
		"sequence 0": {with(func(m *pb.MatchRequest) { m.Stream = 1 }), codes.InvalidArgument},
		"ids without events": {with(func(m *pb.MatchRequest) {
			m.Stream, m.Sequence, m.EventIds, m.EventIdLengths = 2, 1, []byte("ab"), []uint32{1, 1}
		}), codes.InvalidArgument},
		"ids cut wrong": {with(func(m *pb.MatchRequest) {
			m.Stream, m.Sequence, m.EventIds, m.EventIdLengths = 7, 1, []byte("ab"), []uint32{5}
		}), codes.InvalidArgument},
		"numbers without events": {with(func(m *pb.MatchRequest) {
			m.Stream, m.Sequence, m.EventIdPrefix, m.EventIdNumbers = 8, 1, "f:", []int64{1, 2}
		}), codes.InvalidArgument},
		"named twice": {with(func(m *pb.MatchRequest) {
			m.Stream, m.Sequence, m.EventIds, m.EventIdLengths, m.EventIdNumbers = 9, 1, []byte("a"), []uint32{1}, []int64{1}
		}), codes.InvalidArgument},
		"prefix without numbers": {with(func(m *pb.MatchRequest) { m.Stream, m.Sequence, m.EventIdPrefix = 10, 1, "f:" }), codes.InvalidArgument},
		"numbers, no stream":     {with(func(m *pb.MatchRequest) { m.EventIdNumbers = []int64{1} }), codes.InvalidArgument},
		"times without event":    {with(func(m *pb.MatchRequest) { m.Stream, m.Sequence, m.EventTimes = 3, 1, []int64{1, 2} }), codes.InvalidArgument},
		"negative rule":          {with(func(m *pb.MatchRequest) { m.Stream, m.Sequence, m.ObserveRules = 4, 1, []int32{-3} }), codes.InvalidArgument},
		"fields, no stream":      {with(func(m *pb.MatchRequest) { m.Sequence = 3 }), codes.InvalidArgument},
	} {
		if _, err := rpc.Match(ctx, tc.m); status.Code(err) != tc.code {
			t.Errorf("%s: %v, want %v", name, err, tc.code)
		}
	}
	// A batch applied twice.
	if _, err := rpc.Match(ctx, with(func(m *pb.MatchRequest) { m.Stream, m.Sequence = 5, 1 })); err != nil {
		t.Fatal(err)
	}
	if _, err := rpc.Match(ctx, with(func(m *pb.MatchRequest) { m.Stream, m.Sequence = 5, 1 })); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a batch sent twice: %v", err)
	}
	// A batch whose predecessor never comes waits until its deadline, and breaks the
	// stream: later calls fail at once, and End releases it.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := rpc.Match(short, with(func(m *pb.MatchRequest) { m.Stream, m.Sequence = 6, 2 }))
	cancel()
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("a batch without its predecessor: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // the server sees the deadline a moment after the client
	if _, err := rpc.Match(ctx, with(func(m *pb.MatchRequest) { m.Stream, m.Sequence = 6, 1 })); status.Code(err) != codes.Aborted {
		t.Errorf("a batch of a broken stream: %v", err)
	}
	if _, err := rpc.Advance(ctx, &pb.AdvanceRequest{Stream: 6, Sequence: 2, End: true}); status.Code(err) != codes.Aborted {
		t.Errorf("ending a broken stream: %v", err)
	}
	if _, err := rpc.Advance(ctx, &pb.AdvanceRequest{Stream: 6, Sequence: 2, End: true}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("the broken stream was not released: %v", err)
	}
	// Streams beyond MaxStreams are refused; ending one makes room.
	for id := uint64(100); ; id++ {
		_, err := rpc.Match(ctx, with(func(m *pb.MatchRequest) { m.Stream, m.Sequence = id, 1 }))
		if err != nil {
			if status.Code(err) != codes.ResourceExhausted || id < 100+MaxStreams-10 {
				t.Fatalf("stream %d: %v", id, err)
			}
			if _, err := rpc.Advance(ctx, &pb.AdvanceRequest{Stream: 100, Sequence: 1, End: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := rpc.Match(ctx, with(func(m *pb.MatchRequest) { m.Stream, m.Sequence = id, 1 })); err != nil {
				t.Errorf("after ending a stream: %v", err)
			}
			break
		}
	}
}

// An alert naming a correlation that was not loaded is a malformed response.
func TestHostileAlertOutOfRange(t *testing.T) {
	d := &orderDetector{observed: map[uint64][]string{}, badIndex: 3}
	_, hd := connect(t, nil, d)
	loadCorrelated(t, hd)
	_, err := hd.Match(context.Background(), &MatchRequest{Events: [][]byte{[]byte(`{"x":1}`)}, Stream: &StreamBatch{ID: 1, Sequence: 1}})
	if !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("an alert of correlation 3 of 1: %v", err)
	}
}

// A detector that does not evaluate correlations lists no type, and refuses a Load with
// correlations and a stream batch as Unimplemented.
func TestPlainDetectorRefusesCorrelations(t *testing.T) {
	_, hd := connect(t, nil, &fakeDetector{})
	desc, err := hd.Describe(context.Background(), &DescribeRequest{})
	if err != nil || desc.ProtocolRevision != ProtocolRevision || len(desc.CorrelationTypes) != 0 {
		t.Fatalf("Describe: %+v, %v", desc, err)
	}
	rules := []*ir.Rule{{ID: "r0", Title: "r0", Conditions: []ir.Node{&ir.Exists{Field: "x"}}}}
	corrs := []*ir.Correlation{{ID: "c0", Type: ir.EventCount, Timespan: time.Minute, Refs: []ir.CorrelationRef{{Name: "r0", Rule: 0, Correlation: -1}}}}
	if _, err := hd.Load(context.Background(), &LoadRequest{Rules: rules, Correlations: corrs}); status.Code(err) != codes.Unimplemented {
		t.Errorf("Load with a correlation: %v", err)
	}
	_, err = hd.Match(context.Background(), &MatchRequest{Events: [][]byte{[]byte(`{}`)}, Stream: &StreamBatch{ID: 1, Sequence: 1}})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("a stream batch: %v", err)
	}
}

// Events named by number come back in alerts as the prefix and the number.
func TestStreamEventNumbersNameEvents(t *testing.T) {
	d := &orderDetector{observed: map[uint64][]string{}}
	_, hd := connect(t, nil, d)
	loadCorrelated(t, hd)
	ctx := context.Background()
	resp, err := hd.Match(ctx, &MatchRequest{Events: [][]byte{[]byte(`{"x":1}`), []byte(`{"x":2}`)},
		Stream: &StreamBatch{ID: 77, Sequence: 1, IDPrefix: "logs/a.jsonl:", IDNumbers: []int64{41, 43}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Alerts) != 1 || resp.Alerts[0].Events[0].ID != "logs/a.jsonl:41" {
		t.Errorf("alerts %+v, want the first event named logs/a.jsonl:41", resp.Alerts)
	}
	if _, err := hd.Match(ctx, &MatchRequest{Events: [][]byte{[]byte(`{"x":1}`)},
		Stream: &StreamBatch{ID: 78, Sequence: 1, IDPrefix: "f:", IDNumbers: []int64{1, 2}}}); !errors.Is(err, ErrEncodeRequest) {
		t.Errorf("two numbers for one event: %v, want ErrEncodeRequest", err)
	}
	if _, err := hd.(*detectorClient).Advance(ctx, &AdvanceRequest{Stream: 77, Sequence: 1, End: true}); err != nil {
		t.Fatal(err)
	}
}
