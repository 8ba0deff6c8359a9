package plugin

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sigmabridge/sigmabridge/plugin/internal/wire"
	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
	"github.com/sigmabridge/sigmabridge/translator/ir"
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
	// correlations is the number of correlations sent in the last successful Load.
	correlations atomic.Int64
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
		ProtocolRevision: int(resp.GetProtocolRevision()),
		Capabilities:     resp.GetCapabilities(), Description: resp.GetDescription(),
		CorrelationTypes: resp.GetCorrelationTypes(),
	}, nil
}

func (c *detectorClient) Load(ctx context.Context, req *LoadRequest) (*LoadResponse, error) {
	enc, err := encodeRules(req.Rules)
	if err != nil {
		return nil, err
	}
	rules := enc.sent
	corrs, err := encodeCorrelations(req.Correlations, enc)
	if err != nil {
		return nil, err
	}
	c.loaded.Store(-1)
	c.index.Store(nil)
	c.correlations.Store(0)
	lr := &pb.LoadRequest{Rules: rules, Correlations: corrs}
	if len(corrs) > 0 {
		o := req.CorrelationOptions
		lr.CorrelationOptions = &pb.CorrelationOptions{TimeFields: o.TimeFields, MaxLatenessNanos: int64(o.MaxLateness), MaxGroups: int32(o.MaxGroups)}
	}
	resp, err := c.rpc.Load(ctx, lr)
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
	c.correlations.Store(int64(len(corrs)))
	return out, nil
}

// encodeCorrelations encodes correlations over the rules of enc: a reference to a rule
// that was not sent (refused for its size) becomes -1/-1, a rule that never matches.
func encodeCorrelations(cs []*ir.Correlation, enc *encoded) ([]*pb.Correlation, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	sent := make(map[int]int32, len(enc.index))
	for s, r := range enc.index {
		sent[r] = int32(s)
	}
	out := make([]*pb.Correlation, len(cs))
	for i, c := range cs {
		if c == nil {
			return nil, fmt.Errorf("%w: correlation %d is nil", ErrEncodeRequest, i)
		}
		m := wire.CorrelationToProto(c)
		for _, r := range m.Refs {
			if r.Rule >= 0 {
				if s, ok := sent[int(r.Rule)]; ok {
					r.Rule = s
				} else {
					r.Rule, r.Correlation = -1, -1
				}
			}
		}
		out[i] = m
	}
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
	m := packEvents(req.Events)
	if err := c.setStream(m, req.Stream, len(req.Events)); err != nil {
		return nil, err
	}
	resp, err := c.rpc.Match(ctx, m)
	if err != nil {
		return nil, err
	}
	return c.matchResponse(resp, len(req.Events))
}

// matchResponse checks and converts the answer to a batch of events.
func (c *detectorClient) matchResponse(resp *pb.MatchResponse, events int) (*MatchResponse, error) {
	out, err := matchResponseFromProto(resp, events, int(c.loaded.Load()))
	if err != nil {
		return nil, err
	}
	if out.Alerts, err = alertsFromProto(resp.GetAlerts(), int(c.correlations.Load()), events, "Match"); err != nil {
		return nil, err
	}
	for _, e := range resp.GetCorrelationErrors() {
		ev := int(e.GetEventIndex())
		if ev < 0 || ev >= events {
			return nil, fmt.Errorf("%w from Match: a correlation error for event %d of %d", ErrMalformedResponse, ev, events)
		}
		out.CorrelationErrors = append(out.CorrelationErrors, EventError{Event: ev, Message: e.GetMessage()})
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
	impl    Detector
	shared  sharedRegions
	streams streams
}

func (s *detectorServer) Describe(ctx context.Context, _ *pb.DetectorServiceDescribeRequest) (*pb.DetectorServiceDescribeResponse, error) {
	d, err := s.impl.Describe(ctx, &DescribeRequest{})
	if err != nil {
		return nil, statusError(ctx, err)
	}
	out := &pb.DetectorServiceDescribeResponse{
		Name: d.Name, Version: d.Version, ProtocolVersion: ProtocolVersion, ProtocolRevision: ProtocolRevision,
		Capabilities: d.Capabilities, Description: d.Description,
	}
	if _, ok := s.impl.(CorrelatingDetector); ok {
		out.CorrelationTypes = d.CorrelationTypes
	}
	return out, nil
}

func (s *detectorServer) Load(ctx context.Context, m *pb.LoadRequest) (*pb.LoadResponse, error) {
	rules, err := decodeRules(m.GetRules())
	if err != nil {
		return nil, err
	}
	req := &LoadRequest{Rules: rules}
	if len(m.GetCorrelations()) > 0 {
		if _, ok := s.impl.(CorrelatingDetector); !ok {
			return nil, status.Error(codes.Unimplemented, "the detector evaluates no correlations")
		}
		for i, cm := range m.GetCorrelations() {
			c, err := wire.CorrelationFromProto(cm, i, len(rules), len(m.GetCorrelations()))
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "%v", err)
			}
			req.Correlations = append(req.Correlations, c)
		}
		o := m.GetCorrelationOptions()
		if o.GetMaxLatenessNanos() < 0 || o.GetMaxGroups() < 0 {
			return nil, status.Error(codes.InvalidArgument, "negative max_lateness or max_groups")
		}
		req.CorrelationOptions = CorrelationOptions{TimeFields: o.GetTimeFields(), MaxLateness: time.Duration(o.GetMaxLatenessNanos()), MaxGroups: int(o.GetMaxGroups())}
	}
	resp, err := s.impl.Load(ctx, req)
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
	sb, err := streamBatch(m, len(events))
	if err != nil {
		return nil, err
	}
	resp, err := s.impl.Match(ctx, &MatchRequest{Events: events})
	if sb != nil {
		if err = s.observe(ctx, sb, events, resp, err); err != nil {
			return nil, statusError(ctx, err)
		}
	}
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
	out.Alerts = alertsToProto(resp.Alerts, true)
	for _, e := range resp.CorrelationErrors {
		out.CorrelationErrors = append(out.CorrelationErrors, &pb.EventError{EventIndex: int32(e.Event), Message: e.Message})
	}
	return out, nil
}
