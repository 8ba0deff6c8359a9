package plugin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

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
	d := &BackendDescription{
		Name: resp.GetName(), Version: resp.GetVersion(), ProtocolVersion: int(resp.GetProtocolVersion()),
		Targets: resp.GetTargets(), Formats: resp.GetFormats(), Capabilities: resp.GetCapabilities(),
		Description: resp.GetDescription(), ProtocolRevision: int(resp.GetProtocolRevision()),
		CorrelationTypes: resp.GetCorrelationTypes(),
	}
	for _, f := range resp.GetFormatDescriptions() {
		d.FormatDescriptions = append(d.FormatDescriptions, FormatDescription{Name: f.GetName(), Description: f.GetDescription(),
			Extension: f.GetExtension(), PerRule: f.GetPerRule(), Targets: f.GetTargets()})
	}
	if err := CheckFormatDescriptions(d); err != nil {
		return nil, fmt.Errorf("%w from Describe: %v", ErrMalformedResponse, err)
	}
	return d, nil
}

// formatName is what a format's name may hold; extension is a file extension.
var (
	formatName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	extension  = regexp.MustCompile(`^(\.[A-Za-z0-9][A-Za-z0-9_-]{0,15}){0,2}$`)
)

// CheckFormatDescriptions says what is wrong with d's format descriptions: a name that is
// not a plain word or is given twice, an extension that is not ".ext", a target d does not
// serve, or formats described below RevisionFormats.
func CheckFormatDescriptions(d *BackendDescription) error {
	if len(d.FormatDescriptions) > 0 && d.ProtocolRevision < RevisionFormats {
		return fmt.Errorf("format descriptions at protocol revision %d (formats need %d)", d.ProtocolRevision, RevisionFormats)
	}
	seen := map[string]bool{}
	for _, f := range d.FormatDescriptions {
		if !formatName.MatchString(f.Name) {
			return fmt.Errorf("format name %q: want letters, digits, '.', '_' or '-'", f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("format %s described twice", f.Name)
		}
		seen[f.Name] = true
		if !extension.MatchString(f.Extension) {
			return fmt.Errorf("format %s: extension %q: want a dot and letters or digits (\".yaml\")", f.Name, f.Extension)
		}
		for _, t := range f.Targets {
			if !slices.Contains(d.Targets, t) {
				return fmt.Errorf("format %s takes target %q, which the backend does not serve", f.Name, t)
			}
		}
	}
	return nil
}

// Format returns d's format description named name.
func (d BackendDescription) Format(name string) (FormatDescription, bool) {
	i := slices.IndexFunc(d.FormatDescriptions, func(f FormatDescription) bool { return f.Name == name })
	if i < 0 {
		return FormatDescription{}, false
	}
	return d.FormatDescriptions[i], true
}

// TakesTarget reports whether the format takes target.
func (f FormatDescription) TakesTarget(target string) bool {
	return len(f.Targets) == 0 || slices.Contains(f.Targets, target)
}

func (c *backendClient) Render(ctx context.Context, req *RenderRequest) (*RenderResponse, error) {
	if len(req.Sources) != 0 && len(req.Sources) != len(req.Rules) {
		return nil, fmt.Errorf("%w: %d sources for %d rules", ErrEncodeRequest, len(req.Sources), len(req.Rules))
	}
	enc, err := encodeRules(req.Rules)
	if err != nil {
		return nil, err
	}
	out := &RenderResponse{Results: make([]RenderResult, len(req.Rules))}
	for i, d := range enc.refused {
		out.Results[i] = RenderResult{Diagnostics: Diagnostics{d}}
	}
	m := &pb.RenderRequest{Target: req.Target, Format: req.Format, Rules: enc.sent}
	if len(req.Sources) > 0 {
		for _, i := range enc.index {
			m.Sources = append(m.Sources, req.Sources[i])
		}
	}
	resp, err := c.rpc.Render(ctx, m)
	if err != nil {
		if status.Code(err) == codes.Unimplemented {
			return nil, fmt.Errorf("%w: %v", ErrNoFormats, status.Convert(err).Message())
		}
		return nil, err
	}
	if len(resp.GetResults()) != len(enc.sent) {
		return nil, fmt.Errorf("%w from Render: %d results for %d rules", ErrMalformedResponse, len(resp.GetResults()), len(enc.sent))
	}
	for j, r := range resp.GetResults() {
		ds, err := wire.DiagnosticsFromProto(r.GetDiagnostics())
		if err != nil {
			return nil, fmt.Errorf("%w from Render: rule %d: %v", ErrMalformedResponse, j, err)
		}
		out.Results[enc.index[j]] = RenderResult{Data: r.GetData(), Diagnostics: ds}
	}
	names := map[string]bool{}
	for _, f := range resp.GetFiles() {
		if err := checkFileName(f.GetName()); err != nil {
			return nil, fmt.Errorf("%w from Render: %v", ErrMalformedResponse, err)
		}
		if names[f.GetName()] {
			return nil, fmt.Errorf("%w from Render: file %q twice", ErrMalformedResponse, f.GetName())
		}
		names[f.GetName()] = true
		out.Files = append(out.Files, File{Name: f.GetName(), Data: f.GetData()})
	}
	if len(out.Files) == 0 {
		return nil, fmt.Errorf("%w from Render: no file", ErrMalformedResponse)
	}
	return out, nil
}

// checkFileName refuses a rendered file's name that is not a plain relative path inside
// the output directory: empty, absolute, with a ".." or "." element, a backslash or a
// control character.
func checkFileName(name string) error {
	if name == "" || name == "." || !fs.ValidPath(name) || strings.ContainsAny(name, "\\:") ||
		strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return fmt.Errorf("file name %q: want a relative slash-separated path inside the output directory", name)
	}
	return nil
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
	m := &pb.BackendServiceDescribeResponse{
		Name: d.Name, Version: d.Version, ProtocolVersion: ProtocolVersion, ProtocolRevision: ProtocolRevision,
		Targets: d.Targets, Formats: d.Formats, Capabilities: d.Capabilities, Description: d.Description,
	}
	if _, ok := s.impl.(Renderer); ok {
		for _, f := range d.FormatDescriptions {
			m.FormatDescriptions = append(m.FormatDescriptions, &pb.FormatDescription{Name: f.Name, Description: f.Description,
				Extension: f.Extension, PerRule: f.PerRule, Targets: f.Targets})
		}
	}
	if _, ok := s.impl.(CorrelationBackend); ok {
		m.CorrelationTypes = d.CorrelationTypes
	}
	return m, nil
}

func (s *backendServer) Render(ctx context.Context, m *pb.RenderRequest) (*pb.RenderResponse, error) {
	r, ok := s.impl.(Renderer)
	if !ok {
		return nil, status.Error(codes.Unimplemented, ErrNoFormats.Error())
	}
	rules, err := decodeRules(m.GetRules())
	if err != nil {
		return nil, err
	}
	if n := len(m.GetSources()); n != 0 && n != len(rules) {
		return nil, status.Errorf(codes.InvalidArgument, "%d sources for %d rules", n, len(rules))
	}
	resp, err := r.Render(ctx, &RenderRequest{Target: m.GetTarget(), Format: m.GetFormat(), Rules: rules, Sources: m.GetSources()})
	if errors.Is(err, ErrNoFormats) {
		return nil, status.Error(codes.Unimplemented, err.Error())
	}
	if err != nil {
		return nil, statusError(ctx, err)
	}
	if len(resp.Results) != len(rules) {
		return nil, status.Errorf(codes.Internal, "backend returned %d results for %d rules", len(resp.Results), len(rules))
	}
	out := &pb.RenderResponse{}
	for _, f := range resp.Files {
		out.Files = append(out.Files, &pb.RenderFile{Name: f.Name, Data: f.Data})
	}
	for _, res := range resp.Results {
		out.Results = append(out.Results, &pb.RenderResult{Data: res.Data, Diagnostics: wire.DiagnosticsToProto(res.Diagnostics)})
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
