package plugin

import (
	"context"
	"errors"
	"fmt"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sigmabridge/sigmabridge/plugin/internal/wire"
	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// backendPlugin binds Backend to go-plugin: on the plugin side it registers the gRPC
// server, on the host side it builds the client.
type backendPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	impl Backend
}

var _ goplugin.GRPCPlugin = (*backendPlugin)(nil)

func (p *backendPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterBackendServiceServer(s, &backendServer{impl: p.impl})
	return nil
}

func (p *backendPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &backendClient{rpc: pb.NewBackendServiceClient(c)}, nil
}

// backendClient is the host's view of a backend plugin.
type backendClient struct {
	rpc pb.BackendServiceClient
}

var _ Backend = (*backendClient)(nil)

func (c *backendClient) Describe(ctx context.Context, _ *DescribeRequest) (*BackendDescription, error) {
	resp, err := c.rpc.Describe(ctx, &pb.BackendServiceDescribeRequest{})
	if err != nil {
		return nil, err
	}
	if resp.GetProtocolVersion() != ProtocolVersion {
		return nil, fmt.Errorf("%w from Describe: protocol version %d on a version %d connection",
			ErrMalformedResponse, resp.GetProtocolVersion(), ProtocolVersion)
	}
	return &BackendDescription{
		Name: resp.GetName(), Version: resp.GetVersion(), ProtocolVersion: int(resp.GetProtocolVersion()),
		Targets: resp.GetTargets(), Formats: resp.GetFormats(), Capabilities: resp.GetCapabilities(),
		Description: resp.GetDescription(), CorrelationTypes: resp.GetCorrelationTypes(),
	}, nil
}

// ConvertCorrelations sends the correlations with the rules they name. A reference to a
// rule refused for its size is sent as -1/-1; the backend names it in its diagnostics.
func (c *backendClient) ConvertCorrelations(ctx context.Context, req *ConvertCorrelationsRequest) (*ConvertResponse, error) {
	enc, err := encodeRules(req.Rules)
	if err != nil {
		return nil, err
	}
	corrs, err := encodeCorrelations(req.Correlations, enc)
	if err != nil {
		return nil, err
	}
	if len(corrs) == 0 {
		return &ConvertResponse{}, nil
	}
	resp, err := c.rpc.ConvertCorrelations(ctx, &pb.ConvertCorrelationsRequest{Target: req.Target, Format: req.Format, Rules: enc.sent, Correlations: corrs})
	if err != nil {
		return nil, err
	}
	return convertResponseFromProto(resp, len(corrs))
}

func (c *backendClient) Convert(ctx context.Context, req *ConvertRequest) (*ConvertResponse, error) {
	enc, err := encodeRules(req.Rules)
	if err != nil {
		return nil, err
	}
	out := &ConvertResponse{Results: make([]ConvertResult, len(req.Rules))}
	for i, d := range enc.refused {
		out.Results[i] = ConvertResult{Diagnostics: Diagnostics{d}}
	}
	if len(enc.sent) == 0 {
		return out, nil
	}
	resp, err := c.rpc.Convert(ctx, &pb.ConvertRequest{Target: req.Target, Format: req.Format, Rules: enc.sent})
	if err != nil {
		return nil, err
	}
	got, err := convertResponseFromProto(resp, len(enc.sent))
	if err != nil {
		return nil, err
	}
	for j, res := range got.Results {
		out.Results[enc.index[j]] = res
	}
	return out, nil
}

// encoded is a batch of rules as sent: the rules within the IR's limits, encoded, and the
// diagnostic of each rule refused for its size or depth (wire.LimitError).
type encoded struct {
	sent []*pb.Rule
	// index maps a position in sent to the rule's position in the request.
	index   []int
	refused map[int]Diagnostic
}

// encodeRules encodes a batch. A rule beyond ir.MaxDepth or ir.MaxNodes is refused alone,
// before anything is sent, so that one rule cannot break the protocol for the batch; any
// other encoding failure fails the batch with ErrEncodeRequest.
func encodeRules(rules []*ir.Rule) (*encoded, error) {
	enc := &encoded{sent: make([]*pb.Rule, 0, len(rules)), index: make([]int, 0, len(rules))}
	for i, r := range rules {
		m, err := wire.RuleToProto(r)
		var le *wire.LimitError
		if errors.As(err, &le) {
			if enc.refused == nil {
				enc.refused = map[int]Diagnostic{}
			}
			enc.refused[i] = le.Diagnostic
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: rule %d: %v", ErrEncodeRequest, i, err)
		}
		enc.sent = append(enc.sent, m)
		enc.index = append(enc.index, i)
	}
	return enc, nil
}

func decodeRules(ms []*pb.Rule) ([]*ir.Rule, error) {
	out := make([]*ir.Rule, len(ms))
	for i, m := range ms {
		r, err := wire.RuleFromProto(m)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "rule %d: %v", i, err)
		}
		out[i] = r
	}
	return out, nil
}

func convertResponseFromProto(m *pb.ConvertResponse, rules int) (*ConvertResponse, error) {
	if len(m.GetResults()) != rules {
		return nil, fmt.Errorf("%w from Convert: %d results for %d rules", ErrMalformedResponse, len(m.GetResults()), rules)
	}
	out := &ConvertResponse{Results: make([]ConvertResult, rules)}
	for i, r := range m.GetResults() {
		res := &out.Results[i]
		for _, q := range r.GetQueries() {
			query, err := wire.QueryFromProto(q)
			if err != nil {
				return nil, fmt.Errorf("%w from Convert: rule %d: %v", ErrMalformedResponse, i, err)
			}
			res.Queries = append(res.Queries, query)
		}
		ds, err := wire.DiagnosticsFromProto(r.GetDiagnostics())
		if err != nil {
			return nil, fmt.Errorf("%w from Convert: rule %d: %v", ErrMalformedResponse, i, err)
		}
		res.Diagnostics = ds
		if len(res.Queries) == 0 && !ds.HasErrors() {
			return nil, fmt.Errorf("%w from Convert: rule %d has neither a query nor an error diagnostic", ErrMalformedResponse, i)
		}
	}
	return out, nil
}

func convertResponseToProto(r *ConvertResponse) *pb.ConvertResponse {
	out := &pb.ConvertResponse{Results: make([]*pb.ConvertResult, len(r.Results))}
	for i, res := range r.Results {
		m := &pb.ConvertResult{Diagnostics: wire.DiagnosticsToProto(res.Diagnostics)}
		for _, q := range res.Queries {
			m.Queries = append(m.Queries, wire.QueryToProto(q))
		}
		out.Results[i] = m
	}
	return out
}

// backendServer serves a Backend implementation inside the plugin process.
type backendServer struct {
	pb.UnimplementedBackendServiceServer
	impl Backend
}

func (s *backendServer) Describe(ctx context.Context, _ *pb.BackendServiceDescribeRequest) (*pb.BackendServiceDescribeResponse, error) {
	d, err := s.impl.Describe(ctx, &DescribeRequest{})
	if err != nil {
		return nil, statusError(ctx, err)
	}
	out := &pb.BackendServiceDescribeResponse{
		Name: d.Name, Version: d.Version, ProtocolVersion: ProtocolVersion,
		Targets: d.Targets, Formats: d.Formats, Capabilities: d.Capabilities, Description: d.Description,
	}
	if _, ok := s.impl.(CorrelationBackend); ok {
		out.CorrelationTypes = d.CorrelationTypes
	}
	return out, nil
}

func (s *backendServer) ConvertCorrelations(ctx context.Context, m *pb.ConvertCorrelationsRequest) (*pb.ConvertResponse, error) {
	cb, ok := s.impl.(CorrelationBackend)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "the backend renders no correlations")
	}
	rules, err := decodeRules(m.GetRules())
	if err != nil {
		return nil, err
	}
	req := &ConvertCorrelationsRequest{Target: m.GetTarget(), Format: m.GetFormat(), Rules: rules}
	for i, cm := range m.GetCorrelations() {
		c, err := wire.CorrelationFromProto(cm, i, len(rules), len(m.GetCorrelations()))
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "%v", err)
		}
		req.Correlations = append(req.Correlations, c)
	}
	resp, err := cb.ConvertCorrelations(ctx, req)
	if err != nil {
		return nil, statusError(ctx, err)
	}
	if len(resp.Results) != len(req.Correlations) {
		return nil, status.Errorf(codes.Internal, "backend returned %d results for %d correlations", len(resp.Results), len(req.Correlations))
	}
	return convertResponseToProto(resp), nil
}

func (s *backendServer) Convert(ctx context.Context, m *pb.ConvertRequest) (*pb.ConvertResponse, error) {
	rules, err := decodeRules(m.GetRules())
	if err != nil {
		return nil, err
	}
	resp, err := s.impl.Convert(ctx, &ConvertRequest{Target: m.GetTarget(), Format: m.GetFormat(), Rules: rules})
	if err != nil {
		return nil, statusError(ctx, err)
	}
	if len(resp.Results) != len(rules) {
		return nil, status.Errorf(codes.Internal, "backend returned %d results for %d rules", len(resp.Results), len(rules))
	}
	return convertResponseToProto(resp), nil
}

// statusError turns an implementation's error into a gRPC status, keeping a status it
// already is and the meaning of context errors.
func statusError(ctx context.Context, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	return status.Error(codes.Unknown, err.Error())
}
