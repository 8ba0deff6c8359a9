package plugin

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// fakeDetector matches an event when it contains "hit", and fails Load on rules titled
// "bad".
// fakeDetector records the events of the last Match; Match may run concurrently (several
// batches in flight), so seen is guarded.
type fakeDetector struct {
	mu   sync.Mutex
	seen [][]byte
}

// lastSeen returns the events of the last Match.
func (f *fakeDetector) lastSeen() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen
}

func (f *fakeDetector) Describe(context.Context, *DescribeRequest) (*DetectorDescription, error) {
	return &DetectorDescription{Name: "fake", Version: "1"}, nil
}

func (f *fakeDetector) Load(_ context.Context, req *LoadRequest) (*LoadResponse, error) {
	resp := &LoadResponse{}
	for i, r := range req.Rules {
		if r.Title == "bad" {
			resp.Errors = append(resp.Errors, RuleError{RuleIndex: i, Diagnostic: diag.Diagnostic{Code: "bad-rule", Message: "bad"}})
		} else {
			resp.Loaded++
		}
	}
	return resp, nil
}

func (f *fakeDetector) Match(_ context.Context, req *MatchRequest) (*MatchResponse, error) {
	f.mu.Lock()
	f.seen = req.Events
	f.mu.Unlock()
	resp := &MatchResponse{}
	for i, ev := range req.Events {
		if bytes.Contains(ev, []byte("hit")) {
			resp.Matches = append(resp.Matches, EventMatch{Event: i, Rule: 1, RuleID: "r1", Condition: 0})
		}
		if bytes.HasPrefix(ev, []byte("{bad")) {
			resp.Errors = append(resp.Errors, EventError{Event: i, Message: "malformed"})
		}
	}
	return resp, nil
}

// connect serves b and d over a real gRPC connection in this process and returns the
// host-side views of both.
func connect(t *testing.T, b Backend, d Detector) (Backend, Detector) {
	t.Helper()
	client, _ := goplugin.TestPluginGRPCConn(t, false, servePluginSets(b, d)[ProtocolVersion])
	// Closing the client shuts the server down (go-plugin's controller); stopping the
	// server as well would race with that.
	t.Cleanup(func() { client.Close() })
	var hb Backend
	var hd Detector
	if b != nil {
		raw, err := client.Dispense(KindBackend)
		if err != nil {
			t.Fatal(err)
		}
		hb = raw.(Backend)
	}
	if d != nil {
		raw, err := client.Dispense(KindDetector)
		if err != nil {
			t.Fatal(err)
		}
		hd = raw.(Detector)
	}
	return hb, hd
}

func TestDetectorShim(t *testing.T) {
	impl := &fakeDetector{}
	_, d := connect(t, nil, impl)
	ctx := context.Background()
	desc, err := d.Describe(ctx, &DescribeRequest{})
	if err != nil || desc.Name != "fake" || desc.ProtocolVersion != ProtocolVersion {
		t.Fatalf("describe: %+v %v", desc, err)
	}
	rules := []*ir.Rule{{Title: "ok", Conditions: []ir.Node{&ir.Exists{Field: "a"}}}, {Title: "bad", Conditions: []ir.Node{&ir.Exists{Field: "b"}}}}
	lr, err := d.Load(ctx, &LoadRequest{Rules: rules})
	if err != nil || lr.Loaded != 1 || len(lr.Errors) != 1 || lr.Errors[0].RuleIndex != 1 || lr.Errors[0].Diagnostic.Code != "bad-rule" {
		t.Fatalf("load: %+v %v", lr, err)
	}
	// Events of different sizes, including an empty one, in one backing array and apart.
	arena := []byte(`{"a":"hit"}{"b":1}{bad{"c":"hit"}`)
	events := [][]byte{arena[0:11], arena[11:18], arena[18:18], arena[18:22], append([]byte(nil), arena[22:]...)}
	resp, err := d.Match(ctx, &MatchRequest{Events: events})
	if err != nil {
		t.Fatal(err)
	}
	if len(impl.lastSeen()) != len(events) {
		t.Fatalf("the plugin saw %d events, want %d", len(impl.lastSeen()), len(events))
	}
	for i := range events {
		if !bytes.Equal(impl.lastSeen()[i], events[i]) {
			t.Errorf("event %d arrived as %q, sent %q", i, impl.lastSeen()[i], events[i])
		}
	}
	if len(resp.Matches) != 2 || resp.Matches[0].Event != 0 || resp.Matches[1].Event != 4 || resp.Matches[1].RuleID != "r1" {
		t.Errorf("matches: %+v", resp.Matches)
	}
	if len(resp.Errors) != 1 || resp.Errors[0].Event != 3 {
		t.Errorf("errors: %+v", resp.Errors)
	}
}

func TestPackEvents(t *testing.T) {
	arena := []byte("aaabbbbc")
	together := [][]byte{arena[0:3], arena[3:7], arena[7:7], arena[7:8]}
	m := packEvents(together)
	if &m.Events[0] != &arena[0] {
		t.Error("contiguous events were copied")
	}
	apart := [][]byte{[]byte("x"), []byte("yz")}
	m = packEvents(apart)
	if string(m.Events) != "xyz" || len(m.EventLengths) != 2 {
		t.Errorf("packed %q %v", m.Events, m.EventLengths)
	}
	back, err := unpackEvents(m)
	if err != nil || len(back) != 2 || string(back[0]) != "x" || string(back[1]) != "yz" {
		t.Errorf("unpacked %q %v", back, err)
	}
	for _, bad := range []*pb.MatchRequest{
		{Events: []byte("abc"), EventLengths: []uint32{2}},
		{Events: []byte("abc"), EventLengths: []uint32{2, 5}},
		{Events: []byte("abc"), EventLengths: []uint32{4294967295, 4294967295}},
	} {
		if _, err := unpackEvents(bad); status.Code(err) != codes.InvalidArgument {
			t.Errorf("unpacking %v: %v, want InvalidArgument", bad, err)
		}
	}
}

func TestRuleBackend(t *testing.T) {
	rb := &RuleBackend{
		Description: BackendDescription{Name: "rb", Targets: []string{"t1", "t2"}},
		ConvertRule: func(target, format string, r *ir.Rule) ([]Query, Diagnostics) {
			if r.Title == "slow" {
				time.Sleep(50 * time.Millisecond)
			}
			return []Query{{Text: target + ":" + format + ":" + r.Title}}, nil
		},
	}
	b, _ := connect(t, rb, nil)
	ctx := context.Background()
	desc, err := b.Describe(ctx, &DescribeRequest{})
	if err != nil || strings.Join(desc.Formats, ",") != "default" || len(desc.Targets) != 2 {
		t.Fatalf("describe: %+v %v", desc, err)
	}
	var rules []*ir.Rule
	for i := range 50 {
		rules = append(rules, &ir.Rule{Title: string(rune('a' + i%26)), Conditions: []ir.Node{&ir.Exists{Field: "f"}}})
	}
	resp, err := b.Convert(ctx, &ConvertRequest{Target: "t2", Format: "default", Rules: rules})
	if err != nil || len(resp.Results) != 50 {
		t.Fatalf("convert: %v %v", resp, err)
	}
	for i, r := range resp.Results {
		if want := "t2:default:" + rules[i].Title; len(r.Queries) != 1 || r.Queries[0].Text != want {
			t.Errorf("rule %d: %+v, want %q", i, r, want)
		}
	}
	if _, err := b.Convert(ctx, &ConvertRequest{Target: "t3", Rules: rules}); err == nil || !strings.Contains(err.Error(), `unknown target "t3"`) {
		t.Errorf("unknown target: %v", err)
	}
	if _, err := b.Convert(ctx, &ConvertRequest{Target: "t1", Format: "xml", Rules: rules}); err == nil || !strings.Contains(err.Error(), `unknown format "xml"`) {
		t.Errorf("unknown format: %v", err)
	}
	// Cancellation stops a long batch early and reads as a cancellation.
	slow := make([]*ir.Rule, 100)
	for i := range slow {
		slow[i] = &ir.Rule{Title: "slow", Conditions: []ir.Node{&ir.Exists{Field: "f"}}}
	}
	cctx, cancel := context.WithTimeout(ctx, 120*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = b.Convert(cctx, &ConvertRequest{Target: "t1", Rules: slow})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("cancelled convert: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("a cancelled batch ran for %s", el)
	}
}

// TestClientRejectsEncodingErrors checks that a rule the protocol cannot carry fails on the
// host side as ErrEncodeRequest, before anything is sent.
func TestClientRejectsEncodingErrors(t *testing.T) {
	b, _ := connect(t, &RuleBackend{Description: BackendDescription{Targets: []string{"t"}},
		ConvertRule: func(string, string, *ir.Rule) ([]Query, Diagnostics) { return nil, nil }}, nil)
	_, err := b.Convert(context.Background(), &ConvertRequest{Target: "t", Rules: []*ir.Rule{
		{Conditions: []ir.Node{&ir.CIDR{Field: "ip"}}}}})
	if !errors.Is(err, ErrEncodeRequest) {
		t.Fatalf("got %v, want ErrEncodeRequest", err)
	}
}

func TestConvertResponseValidation(t *testing.T) {
	ok := &pb.ConvertResult{Queries: []*pb.Query{{Text: "q"}}}
	cases := map[string]*pb.ConvertResponse{
		"too many results": {Results: []*pb.ConvertResult{ok, ok}},
		"neither query nor error": {Results: []*pb.ConvertResult{{Diagnostics: []*pb.Diagnostic{
			{Code: "w", Severity: pb.Severity_SEVERITY_WARNING}}}}},
		"diagnostic without severity": {Results: []*pb.ConvertResult{{Diagnostics: []*pb.Diagnostic{{Code: "x"}}}}},
		"negative condition":          {Results: []*pb.ConvertResult{{Queries: []*pb.Query{{Condition: -1}}}}},
	}
	for name, m := range cases {
		if _, err := convertResponseFromProto(m, 1); !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("%s: %v, want ErrMalformedResponse", name, err)
		}
	}
	if _, err := convertResponseFromProto(&pb.ConvertResponse{Results: []*pb.ConvertResult{ok}}, 1); err != nil {
		t.Errorf("a valid response: %v", err)
	}
}

func TestBufferPool(t *testing.T) {
	p := &bufferPool{}
	for _, n := range []int{0, 1, 256, 257, 4096, 600_000, 1 << 20} {
		b := p.Get(n)
		if len(*b) != n || cap(*b) < n || cap(*b)&(cap(*b)-1) != 0 {
			t.Errorf("Get(%d): len %d cap %d", n, len(*b), cap(*b))
		}
		p.Put(b)
	}
	odd := make([]byte, 10, 300)
	p.Put(&odd) // not a power of two: dropped, not reused with a wrong class
	if b := p.Get(300); cap(*b) != 512 {
		t.Errorf("Get(300) has capacity %d, want 512", cap(*b))
	}
}
