package plugin

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sigmabridge/sigmabridge/plugin/internal/wire"
	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
)

// detectorPlugin binds Detector to go-plugin.
type detectorPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	impl Detector
}

var _ goplugin.GRPCPlugin = (*detectorPlugin)(nil)

func (p *detectorPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterDetectorServiceServer(s, &detectorServer{impl: p.impl})
	return nil
}

func (p *detectorPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	dc := &detectorClient{rpc: pb.NewDetectorServiceClient(c)}
	dc.loaded.Store(-1)
	return dc, nil
}

// detectorClient is the host's view of a detector plugin. It remembers the size of the
// loaded rule set so that a match naming a rule that was never sent is caught.
type detectorClient struct {
	rpc    pb.DetectorServiceClient
	loaded atomic.Int64 // rules sent in the last successful Load, -1 before any
	// index maps the position of a rule in the last Load as sent to its position in the
	// LoadRequest (rules beyond the IR's limits are not sent); nil when they are the same.
	index atomic.Pointer[[]int]
}

var _ Detector = (*detectorClient)(nil)

func (c *detectorClient) Describe(ctx context.Context, _ *DescribeRequest) (*DetectorDescription, error) {
	resp, err := c.rpc.Describe(ctx, &pb.DetectorServiceDescribeRequest{})
	if err != nil {
		return nil, err
	}
	if resp.GetProtocolVersion() != ProtocolVersion {
		return nil, fmt.Errorf("%w from Describe: protocol version %d on a version %d connection",
			ErrMalformedResponse, resp.GetProtocolVersion(), ProtocolVersion)
	}
	return &DetectorDescription{
		Name: resp.GetName(), Version: resp.GetVersion(), ProtocolVersion: int(resp.GetProtocolVersion()),
		Capabilities: resp.GetCapabilities(), Description: resp.GetDescription(),
	}, nil
}

func (c *detectorClient) Load(ctx context.Context, req *LoadRequest) (*LoadResponse, error) {
	enc, err := encodeRules(req.Rules)
	if err != nil {
		return nil, err
	}
	rules := enc.sent
	c.loaded.Store(-1)
	c.index.Store(nil)
	resp, err := c.rpc.Load(ctx, &pb.LoadRequest{Rules: rules})
	if err != nil {
		return nil, err
	}
	out := &LoadResponse{Loaded: int(resp.GetLoaded())}
	if out.Loaded < 0 || out.Loaded > len(rules) {
		return nil, fmt.Errorf("%w from Load: %d rules loaded of %d", ErrMalformedResponse, out.Loaded, len(rules))
	}
	for _, e := range resp.GetErrors() {
		if e.GetRuleIndex() < 0 || int(e.GetRuleIndex()) >= len(rules) {
			return nil, fmt.Errorf("%w from Load: error for rule %d of %d", ErrMalformedResponse, e.GetRuleIndex(), len(rules))
		}
		d, err := wire.DiagnosticFromProto(e.GetDiagnostic())
		if err != nil {
			return nil, fmt.Errorf("%w from Load: rule %d: %v", ErrMalformedResponse, e.GetRuleIndex(), err)
		}
		out.Errors = append(out.Errors, RuleError{RuleIndex: enc.index[e.GetRuleIndex()], Diagnostic: d})
	}
	if len(enc.refused) > 0 {
		for i := range req.Rules {
			if d, ok := enc.refused[i]; ok {
				out.Errors = append(out.Errors, RuleError{RuleIndex: i, Diagnostic: d})
			}
		}
		sort.SliceStable(out.Errors, func(i, j int) bool { return out.Errors[i].RuleIndex < out.Errors[j].RuleIndex })
		c.index.Store(&enc.index)
	}
	c.loaded.Store(int64(len(rules)))
	return out, nil
}

// toRequestIndex maps the rule index of every match from the rules as sent to the rules
// as requested.
func (c *detectorClient) toRequestIndex(resp *MatchResponse) *MatchResponse {
	if p := c.index.Load(); p != nil {
		for i := range resp.Matches {
			resp.Matches[i].Rule = (*p)[resp.Matches[i].Rule]
		}
	}
	return resp
}

func (c *detectorClient) Match(ctx context.Context, req *MatchRequest) (*MatchResponse, error) {
	resp, err := c.rpc.Match(ctx, packEvents(req.Events))
	if err != nil {
		return nil, err
	}
	out, err := matchResponseFromProto(resp, len(req.Events), int(c.loaded.Load()))
	if err != nil {
		return nil, err
	}
	return c.toRequestIndex(out), nil
}

// packEvents puts a batch's events back to back in one buffer. Events that already lie
// back to back in memory (as the host's Scan reads them) are sent without a copy.
func packEvents(events [][]byte) *pb.MatchRequest {
	total := 0
	lengths := make([]uint32, len(events))
	for i, ev := range events {
		total += len(ev)
		lengths[i] = uint32(len(ev))
	}
	if blob, ok := contiguous(events, total); ok {
		return &pb.MatchRequest{Events: blob, EventLengths: lengths}
	}
	blob := make([]byte, 0, total)
	for _, ev := range events {
		blob = append(blob, ev...)
	}
	return &pb.MatchRequest{Events: blob, EventLengths: lengths}
}

// contiguous returns the events as one slice when each starts where the previous ends in
// one backing array.
func contiguous(events [][]byte, total int) ([]byte, bool) {
	if len(events) == 0 || cap(events[0]) < total {
		return nil, false
	}
	whole := events[0][:total]
	off := 0
	for _, ev := range events {
		if len(ev) > 0 && &whole[off] != &ev[0] {
			return nil, false
		}
		off += len(ev)
	}
	return whole, true
}

// unpackEvents slices a packed batch into its events without copying them.
func unpackEvents(m *pb.MatchRequest) ([][]byte, error) {
	blob := m.GetEvents()
	events := make([][]byte, len(m.GetEventLengths()))
	off := 0
	for i, n := range m.GetEventLengths() {
		if uint64(off)+uint64(n) > uint64(len(blob)) {
			return nil, status.Errorf(codes.InvalidArgument, "event %d runs past the end of the batch", i)
		}
		events[i] = blob[off : off+int(n) : off+int(n)]
		off += int(n)
	}
	if off != len(blob) {
		return nil, status.Errorf(codes.InvalidArgument, "%d bytes of the batch belong to no event", len(blob)-off)
	}
	return events, nil
}

func matchResponseFromProto(m *pb.MatchResponse, events, rules int) (*MatchResponse, error) {
	out := &MatchResponse{}
	if n := len(m.GetMatches()); n > 0 {
		out.Matches = make([]EventMatch, n)
	}
	for i, em := range m.GetMatches() {
		ev, ri, ci := int(em.GetEventIndex()), int(em.GetRuleIndex()), int(em.GetCondition())
		switch {
		case ev < 0 || ev >= events:
			return nil, fmt.Errorf("%w from Match: a match for event %d of %d", ErrMalformedResponse, ev, events)
		case ri < 0 || (rules >= 0 && ri >= rules):
			return nil, fmt.Errorf("%w from Match: a match for rule %d of %d loaded", ErrMalformedResponse, ri, rules)
		case ci < 0:
			return nil, fmt.Errorf("%w from Match: negative condition index %d", ErrMalformedResponse, ci)
		}
		out.Matches[i] = EventMatch{Event: ev, Rule: ri, RuleID: em.GetRuleId(), Condition: ci}
	}
	for _, e := range m.GetErrors() {
		ev := int(e.GetEventIndex())
		if ev < 0 || ev >= events {
			return nil, fmt.Errorf("%w from Match: an error for event %d of %d", ErrMalformedResponse, ev, events)
		}
		out.Errors = append(out.Errors, EventError{Event: ev, Message: e.GetMessage()})
	}
	return out, nil
}

// detectorServer serves a Detector implementation inside the plugin process.
type detectorServer struct {
	pb.UnimplementedDetectorServiceServer
	impl   Detector
	shared sharedRegions
}

func (s *detectorServer) Describe(ctx context.Context, _ *pb.DetectorServiceDescribeRequest) (*pb.DetectorServiceDescribeResponse, error) {
	d, err := s.impl.Describe(ctx, &DescribeRequest{})
	if err != nil {
		return nil, statusError(ctx, err)
	}
	return &pb.DetectorServiceDescribeResponse{
		Name: d.Name, Version: d.Version, ProtocolVersion: ProtocolVersion,
		Capabilities: d.Capabilities, Description: d.Description,
	}, nil
}

func (s *detectorServer) Load(ctx context.Context, m *pb.LoadRequest) (*pb.LoadResponse, error) {
	rules, err := decodeRules(m.GetRules())
	if err != nil {
		return nil, err
	}
	resp, err := s.impl.Load(ctx, &LoadRequest{Rules: rules})
	if err != nil {
		return nil, statusError(ctx, err)
	}
	out := &pb.LoadResponse{Loaded: int32(resp.Loaded)}
	for _, e := range resp.Errors {
		out.Errors = append(out.Errors, &pb.RuleError{RuleIndex: int32(e.RuleIndex), Diagnostic: wire.DiagnosticToProto(e.Diagnostic)})
	}
	return out, nil
}

func (s *detectorServer) Match(ctx context.Context, m *pb.MatchRequest) (*pb.MatchResponse, error) {
	events, err := s.events(m)
	if err != nil {
		return nil, err
	}
	resp, err := s.impl.Match(ctx, &MatchRequest{Events: events})
	if err != nil {
		return nil, statusError(ctx, err)
	}
	out := &pb.MatchResponse{}
	if len(resp.Matches) > 0 {
		// One allocation for all match messages of the batch.
		backing := make([]pb.EventMatch, len(resp.Matches))
		out.Matches = make([]*pb.EventMatch, len(resp.Matches))
		for i, em := range resp.Matches {
			backing[i].EventIndex, backing[i].RuleIndex = int32(em.Event), int32(em.Rule)
			backing[i].RuleId, backing[i].Condition = em.RuleID, int32(em.Condition)
			out.Matches[i] = &backing[i]
		}
	}
	for _, e := range resp.Errors {
		out.Errors = append(out.Errors, &pb.EventError{EventIndex: int32(e.Event), Message: e.Message})
	}
	return out, nil
}
