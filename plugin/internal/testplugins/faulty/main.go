// Command faulty is a sigmabridge plugin that misbehaves in the way its file name says:
// sigmabridge-plugin-MODE, where MODE is one of
//
//	crash     Describe works; Convert and Match panic
//	hang      Describe works; Convert and Match block forever, ignoring cancellation
//	junk      prints text instead of the go-plugin handshake, then sleeps
//	exit      exits with status 3 before the handshake
//	slowstart sleeps 30 s before serving
//	badresp   raw gRPC servers: Convert returns too few results, Match names an event
//	          that was not sent, Load names a rule that was not sent; no orphan watchdog
//	badnode   a detector whose Load is fine but whose Describe claims protocol 7
//	v99       speaks only protocol version 99
//	good      a well-behaved backend (target "good") and detector: a rule converts to
//	          its title; an event matches rule 0 when it contains "hit"
//	detonly   the detector of good alone, serving no backend
//	old       a raw backend as built before protocol revision 2 (target "old"): Describe
//	          reports no revision and no formats, Convert works (a rule converts to its
//	          title), Render is not implemented
//	badrender a backend (target "badrender") that describes format "evil" and renders a
//	          file named ../escape
//	corrcrash a detector that evaluates correlations (an event_count of the events
//	          matching rule 0, named "<rule index>:<event index>") and panics while
//	          observing an event that contains "die"
//	corrhang  the same, but blocks forever on such an event
//
// The tests build it once and copy it under several names.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/sigmabridge/sigmabridge/plugin"
	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
)

func main() {
	mode := strings.TrimPrefix(filepath.Base(os.Args[0]), plugin.BinaryPrefix)
	switch mode {
	case "junk":
		fmt.Println("hello, I am not a plugin")
		time.Sleep(time.Minute)
	case "exit":
		fmt.Fprintln(os.Stderr, "fatal: cannot start")
		os.Exit(3)
	case "slowstart":
		time.Sleep(30 * time.Second)
		serve(&behaviour{})
	case "crash":
		serve(&behaviour{onCall: func() { panic("faulty plugin: boom") }})
	case "hang":
		serve(&behaviour{onCall: func() { select {} }})
	case "good":
		serve(&behaviour{})
	case "detonly":
		if err := plugin.Serve(&plugin.ServeOpts{Detector: detectorSide{&behaviour{}}}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "corrcrash":
		serveCorr(func() { panic("faulty plugin: boom mid-stream") })
	case "corrhang":
		serveCorr(func() { select {} })
	case "badresp":
		serveRaw(1, rawBackend{}, rawDetector{})
	case "badnode":
		serveRaw(1, nil, rawDetector{badDescribe: true})
	case "v99":
		serveRaw(99, rawBackend{}, nil)
	case "old":
		serveRaw(1, oldBackend{}, nil)
	case "badrender":
		if err := plugin.Serve(&plugin.ServeOpts{Backend: badRender{}}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	default:
		fmt.Fprintf(os.Stderr, "faulty: unknown mode %q\n", mode)
		os.Exit(2)
	}
}

func serve(b *behaviour) {
	if err := plugin.Serve(&plugin.ServeOpts{Backend: b, Detector: detectorSide{b}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// behaviour is a backend and detector that runs onCall (if set) in Convert and Match.
type behaviour struct {
	onCall func()
}

func (b *behaviour) Describe(context.Context, *plugin.DescribeRequest) (*plugin.BackendDescription, error) {
	return &plugin.BackendDescription{Name: "faulty", Version: "0.0.1", Targets: []string{"good"}}, nil
}

func (b *behaviour) Convert(_ context.Context, req *plugin.ConvertRequest) (*plugin.ConvertResponse, error) {
	if b.onCall != nil {
		b.onCall()
	}
	resp := &plugin.ConvertResponse{}
	for _, r := range req.Rules {
		resp.Results = append(resp.Results, plugin.ConvertResult{Queries: []plugin.Query{{Text: "title=" + r.Title}}})
	}
	return resp, nil
}

func (b *behaviour) Load(_ context.Context, req *plugin.LoadRequest) (*plugin.LoadResponse, error) {
	return &plugin.LoadResponse{Loaded: len(req.Rules)}, nil
}

func (b *behaviour) Match(_ context.Context, req *plugin.MatchRequest) (*plugin.MatchResponse, error) {
	if b.onCall != nil {
		b.onCall()
	}
	resp := &plugin.MatchResponse{}
	for i, ev := range req.Events {
		if bytes.Contains(ev, []byte("hit")) {
			resp.Matches = append(resp.Matches, plugin.EventMatch{Event: i, Rule: 0, RuleID: "r0"})
		}
	}
	return resp, nil
}

var _ plugin.Backend = (*behaviour)(nil)

// detectorSide is the detector view of a behaviour: the detector's Describe has another
// result type than the backend's.
type detectorSide struct{ *behaviour }

func (d detectorSide) Describe(context.Context, *plugin.DescribeRequest) (*plugin.DetectorDescription, error) {
	return &plugin.DetectorDescription{Name: "faulty", Version: "0.0.1"}, nil
}

var _ plugin.Detector = detectorSide{}

// rawPlugin registers hand-written gRPC servers, bypassing the plugin package's shims.
type rawPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	backend  pb.BackendServiceServer
	detector pb.DetectorServiceServer
}

func (p rawPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.backend != nil {
		pb.RegisterBackendServiceServer(s, p.backend)
	}
	if p.detector != nil {
		pb.RegisterDetectorServiceServer(s, p.detector)
	}
	return nil
}

func (rawPlugin) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("server only")
}

func serveRaw(version int, b pb.BackendServiceServer, d pb.DetectorServiceServer) {
	hs := plugin.Handshake()
	hs.ProtocolVersion = uint(version)
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  hs,
		VersionedPlugins: map[int]goplugin.PluginSet{version: {"raw": rawPlugin{backend: b, detector: d}}},
		GRPCServer:       goplugin.DefaultGRPCServer,
		Logger:           plugin.NewLogger("faulty"),
	})
}

type rawBackend struct {
	pb.UnimplementedBackendServiceServer
}

func (rawBackend) Describe(context.Context, *pb.BackendServiceDescribeRequest) (*pb.BackendServiceDescribeResponse, error) {
	return &pb.BackendServiceDescribeResponse{Name: "raw", Version: "0", ProtocolVersion: 1, Targets: []string{"raw"}}, nil
}

func (rawBackend) Convert(_ context.Context, req *pb.ConvertRequest) (*pb.ConvertResponse, error) {
	// One result too few.
	resp := &pb.ConvertResponse{}
	for range len(req.Rules) - 1 {
		resp.Results = append(resp.Results, &pb.ConvertResult{Queries: []*pb.Query{{Text: "x"}}})
	}
	return resp, nil
}

type rawDetector struct {
	pb.UnimplementedDetectorServiceServer
	badDescribe bool
}

func (d rawDetector) Describe(context.Context, *pb.DetectorServiceDescribeRequest) (*pb.DetectorServiceDescribeResponse, error) {
	v := int32(1)
	if d.badDescribe {
		v = 7
	}
	return &pb.DetectorServiceDescribeResponse{Name: "raw", ProtocolVersion: v}, nil
}

func (rawDetector) Load(_ context.Context, req *pb.LoadRequest) (*pb.LoadResponse, error) {
	return &pb.LoadResponse{Loaded: int32(len(req.Rules)), Errors: []*pb.RuleError{{RuleIndex: int32(len(req.Rules) + 5),
		Diagnostic: &pb.Diagnostic{Code: "x", Severity: pb.Severity_SEVERITY_ERROR}}}}, nil
}

func (rawDetector) Match(_ context.Context, req *pb.MatchRequest) (*pb.MatchResponse, error) {
	return &pb.MatchResponse{Matches: []*pb.EventMatch{{EventIndex: int32(len(req.EventLengths)), RuleIndex: 0}}}, nil
}

func serveCorr(onDie func()) {
	if err := plugin.Serve(&plugin.ServeOpts{Detector: &corrDetector{detectorSide{&behaviour{}}, onDie}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// corrDetector is the detector of good that also evaluates correlations: each stream
// counts the events matching rule 0 and raises an alert for every third one.
type corrDetector struct {
	detectorSide
	onDie func()
}

var _ plugin.CorrelatingDetector = (*corrDetector)(nil)

func (d *corrDetector) Describe(context.Context, *plugin.DescribeRequest) (*plugin.DetectorDescription, error) {
	return &plugin.DetectorDescription{Name: "faulty", Version: "0.0.1", CorrelationTypes: []string{"event_count"}}, nil
}

func (d *corrDetector) OpenStream(context.Context) (plugin.CorrelationStream, error) {
	return &corrStream{onDie: d.onDie}, nil
}

type corrStream struct {
	onDie func()
	seen  []plugin.AlertEvent
}

func (s *corrStream) Observe(_ context.Context, req *plugin.ObserveRequest) (*plugin.ObserveResponse, error) {
	resp := &plugin.ObserveResponse{}
	for _, m := range req.Matches {
		if bytes.Contains(req.Events[m.Event], []byte("die")) {
			s.onDie()
		}
		s.seen = append(s.seen, plugin.AlertEvent{ID: req.ID(m.Event)})
		if len(s.seen) == 3 {
			resp.Alerts = append(resp.Alerts, plugin.Alert{Correlation: 0, Value: 3, Events: s.seen, Event: m.Event})
			s.seen = nil
		}
	}
	return resp, nil
}

func (s *corrStream) Advance(context.Context, time.Time, bool) (*plugin.AdvanceResponse, error) {
	return &plugin.AdvanceResponse{}, nil
}

// oldBackend is a backend of protocol 1 as first released: no protocol_revision, no format
// descriptions, no Render.
type oldBackend struct {
	pb.UnimplementedBackendServiceServer
}

func (oldBackend) Describe(context.Context, *pb.BackendServiceDescribeRequest) (*pb.BackendServiceDescribeResponse, error) {
	return &pb.BackendServiceDescribeResponse{Name: "old", Version: "0.9", ProtocolVersion: 1, Targets: []string{"old"}, Formats: []string{"default"}}, nil
}

func (oldBackend) Convert(_ context.Context, req *pb.ConvertRequest) (*pb.ConvertResponse, error) {
	resp := &pb.ConvertResponse{}
	for _, r := range req.GetRules() {
		resp.Results = append(resp.Results, &pb.ConvertResult{Queries: []*pb.Query{{Text: r.GetTitle()}}})
	}
	return resp, nil
}

// badRender describes a format and renders a file outside the output directory.
type badRender struct{}

func (badRender) Describe(context.Context, *plugin.DescribeRequest) (*plugin.BackendDescription, error) {
	return &plugin.BackendDescription{Name: "badrender", Version: "0.0.1", Targets: []string{"badrender"},
		FormatDescriptions: []plugin.FormatDescription{{Name: "evil", Extension: ".txt", PerRule: true}}}, nil
}

func (badRender) Convert(_ context.Context, req *plugin.ConvertRequest) (*plugin.ConvertResponse, error) {
	resp := &plugin.ConvertResponse{Results: make([]plugin.ConvertResult, len(req.Rules))}
	for i, r := range req.Rules {
		resp.Results[i].Queries = []plugin.Query{{Text: r.Title}}
	}
	return resp, nil
}

func (badRender) Render(_ context.Context, req *plugin.RenderRequest) (*plugin.RenderResponse, error) {
	return &plugin.RenderResponse{Files: []plugin.File{{Name: "../escape", Data: []byte("x")}},
		Results: make([]plugin.RenderResult, len(req.Rules))}, nil
}
