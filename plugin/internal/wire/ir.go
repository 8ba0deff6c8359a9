package wire

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"

	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
)

// LimitError is a rule RuleToProto refuses to encode because a condition is beyond
// ir.MaxDepth or ir.MaxNodes (a pipeline may add levels to a rule the loader accepted).
// Diagnostic names the rule and the limit; the host reports it for that rule alone and sends
// the others, so no peer ever receives a tree near protobuf's recursion limit.
type LimitError struct {
	Diagnostic diag.Diagnostic
}

func (e *LimitError) Error() string { return e.Diagnostic.String() }

// CheckRuleLimits returns the LimitError for a rule with a condition beyond ir.MaxDepth or
// ir.MaxNodes, or nil.
func CheckRuleLimits(r *ir.Rule) *LimitError {
	for i, c := range r.Conditions {
		e := ir.CheckLimits(c)
		if e == nil {
			continue
		}
		d := diag.Diagnostic{Path: r.Path, Line: r.Line, RuleID: r.ID, Code: diag.DetectionTooLarge}
		if e.Depth {
			d.Code = diag.DetectionTooDeep
		}
		d.Message = fmt.Sprintf("condition %d: %s; the rule is not sent to the plugin", i+1, e)
		return &LimitError{Diagnostic: d}
	}
	return nil
}

// RuleToProto encodes a rule. It fails on a rule beyond the IR's limits (a *LimitError,
// checked before anything is encoded) and on a malformed rule: a nil or invalid node, or a
// Custom or State value of a type YAML cannot produce.
func RuleToProto(r *ir.Rule) (*pb.Rule, error) {
	if r == nil {
		return nil, errors.New("nil rule")
	}
	if e := CheckRuleLimits(r); e != nil {
		return nil, e
	}
	out := &pb.Rule{
		Path: r.Path, Line: int32(r.Line), Doc: int32(r.Doc),
		Id: r.ID, Name: r.Name, Title: r.Title, Status: r.Status,
		Description: r.Description, Author: r.Author, Date: r.Date, Modified: r.Modified,
		Level: r.Level, References: r.References, Tags: r.Tags,
		FalsePositives: r.FalsePositives, Fields: r.Fields,
		Logsource: LogsourceToProto(r.Logsource),
	}
	for i, c := range r.Conditions {
		n, err := NodeToProto(c)
		if err != nil {
			return nil, fmt.Errorf("rule %s condition %d: %w", ruleName(r.ID, r.Path), i, err)
		}
		out.Conditions = append(out.Conditions, n)
	}
	var err error
	if out.Custom, err = valueMapToProto(r.Custom); err != nil {
		return nil, fmt.Errorf("rule %s custom attributes: %w", ruleName(r.ID, r.Path), err)
	}
	if out.State, err = valueMapToProto(r.Deployment.Map()); err != nil {
		return nil, fmt.Errorf("rule %s pipeline state: %w", ruleName(r.ID, r.Path), err)
	}
	d := &r.Deployment
	out.Deployment = &pb.Deployment{
		Index: d.Index, Sourcetype: d.Sourcetype, Source: d.Source, EventCategory: d.EventCategory,
		IpFields: d.IPFields, FlattenedFields: d.FlattenedFields, MultivaluedFields: d.MultiValuedFields,
	}
	return out, nil
}

// RuleFromProto decodes a rule.
func RuleFromProto(m *pb.Rule) (*ir.Rule, error) {
	if m == nil {
		return nil, errors.New("missing rule")
	}
	r := &ir.Rule{
		Path: m.Path, Line: int(m.Line), Doc: int(m.Doc),
		ID: m.Id, Name: m.Name, Title: m.Title, Status: m.Status,
		Description: m.Description, Author: m.Author, Date: m.Date, Modified: m.Modified,
		Level: m.Level, References: m.References, Tags: m.Tags,
		FalsePositives: m.FalsePositives, Fields: m.Fields,
		Logsource: LogsourceFromProto(m.Logsource),
	}
	for i, c := range m.Conditions {
		n, err := NodeFromProto(c)
		if err == nil {
			if e := ir.CheckLimits(n); e != nil {
				err = e
			}
		}
		if err != nil {
			return nil, fmt.Errorf("rule %s condition %d: %w", ruleName(m.Id, m.Path), i, err)
		}
		r.Conditions = append(r.Conditions, n)
	}
	var err error
	if r.Custom, err = valueMapFromProto(m.Custom); err != nil {
		return nil, fmt.Errorf("rule %s custom attributes: %w", ruleName(m.Id, m.Path), err)
	}
	if r.Deployment, err = deploymentFromProto(m); err != nil {
		return nil, fmt.Errorf("rule %s pipeline state: %w", ruleName(m.Id, m.Path), err)
	}
	return r, nil
}

// deploymentFromProto decodes a rule's pipeline state: the typed keys from the deployment
// message when the peer sent one (else from the state map, as a host before it sends
// them), the other keys of the state map into Extra. Both go through ir.Deployment.Set, so
// a peer's state is checked as a pipeline's set_state is.
func deploymentFromProto(m *pb.Rule) (ir.Deployment, error) {
	var d ir.Deployment
	state, err := valueMapFromProto(m.State)
	if err != nil {
		return d, err
	}
	typed := m.Deployment
	for k, v := range state {
		if typed != nil && ir.Typed(k) {
			continue
		}
		if err := d.Set(k, v); err != nil {
			return d, err
		}
	}
	if typed == nil {
		return d, nil
	}
	for k, list := range map[string][]string{
		ir.StateIndex: typed.Index, ir.StateSourcetype: typed.Sourcetype, ir.StateSource: typed.Source,
		ir.StateIPFields: typed.IpFields, ir.StateFlattened: typed.FlattenedFields, ir.StateMultiValued: typed.MultivaluedFields,
	} {
		if len(list) == 0 {
			continue
		}
		if err := d.Set(k, list); err != nil {
			return d, err
		}
	}
	d.EventCategory = typed.EventCategory
	return d, nil
}

func ruleName(id, path string) string {
	if id != "" {
		return id
	}
	if path != "" {
		return path
	}
	return "<unnamed>"
}

// LogsourceToProto encodes a logsource.
func LogsourceToProto(l ir.Logsource) *pb.Logsource {
	if l == (ir.Logsource{}) {
		return nil
	}
	return &pb.Logsource{Category: l.Category, Product: l.Product, Service: l.Service, Definition: l.Definition}
}

// LogsourceFromProto decodes a logsource; nil is the empty logsource.
func LogsourceFromProto(m *pb.Logsource) ir.Logsource {
	return ir.Logsource{Category: m.GetCategory(), Product: m.GetProduct(), Service: m.GetService(), Definition: m.GetDefinition()}
}

// NodeToProto encodes a detection tree.
func NodeToProto(n ir.Node) (*pb.Node, error) {
	switch n := n.(type) {
	case *ir.And:
		cs, err := nodesToProto(n.Children)
		if err != nil {
			return nil, err
		}
		return &pb.Node{Node: &pb.Node_And{And: &pb.And{Children: cs}}}, nil
	case *ir.Or:
		cs, err := nodesToProto(n.Children)
		if err != nil {
			return nil, err
		}
		return &pb.Node{Node: &pb.Node_Or{Or: &pb.Or{Children: cs}}}, nil
	case *ir.Not:
		c, err := NodeToProto(n.Child)
		if err != nil {
			return nil, err
		}
		return &pb.Node{Node: &pb.Node_Not{Not: &pb.Not{Child: c}}}, nil
	case *ir.Match:
		return &pb.Node{Node: &pb.Node_Match{Match: MatchToProto(n)}}, nil
	case *ir.Keyword:
		return &pb.Node{Node: &pb.Node_Keyword{Keyword: KeywordToProto(n)}}, nil
	case *ir.Regex:
		return &pb.Node{Node: &pb.Node_Regex{Regex: RegexToProto(n)}}, nil
	case *ir.CIDR:
		m, err := CIDRToProto(n)
		if err != nil {
			return nil, err
		}
		return &pb.Node{Node: &pb.Node_Cidr{Cidr: m}}, nil
	case *ir.Compare:
		return &pb.Node{Node: &pb.Node_Compare{Compare: CompareToProto(n)}}, nil
	case *ir.Exists:
		return &pb.Node{Node: &pb.Node_Exists{Exists: &pb.Exists{Field: n.Field, Pos: PosToProto(n.Pos)}}}, nil
	case *ir.Null:
		return &pb.Node{Node: &pb.Node_Null{Null: &pb.Null{Field: n.Field, Pos: PosToProto(n.Pos)}}}, nil
	case *ir.FieldRef:
		return &pb.Node{Node: &pb.Node_FieldRef{FieldRef: FieldRefToProto(n)}}, nil
	case *ir.TimePart:
		return &pb.Node{Node: &pb.Node_TimePart{TimePart: TimePartToProto(n)}}, nil
	case nil:
		return nil, errors.New("nil node")
	}
	return nil, fmt.Errorf("unknown node type %T", n)
}

func nodesToProto(ns []ir.Node) ([]*pb.Node, error) {
	out := make([]*pb.Node, len(ns))
	for i, n := range ns {
		m, err := NodeToProto(n)
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// NodeFromProto decodes a detection tree. A node with no member set, an empty And or Or,
// an unknown enum value, an invalid prefix or a tree deeper than ir.MaxDepth is an error.
func NodeFromProto(m *pb.Node) (ir.Node, error) {
	return nodeFromProto(m, 1)
}

func nodeFromProto(m *pb.Node, depth int) (ir.Node, error) {
	if depth > ir.MaxDepth {
		return nil, fmt.Errorf("the tree is deeper than the limit of %d levels (ir.MaxDepth)", ir.MaxDepth)
	}
	switch n := m.GetNode().(type) {
	case *pb.Node_And:
		cs, err := nodesFromProto("and", n.And.GetChildren(), depth+1)
		if err != nil {
			return nil, err
		}
		return &ir.And{Children: cs}, nil
	case *pb.Node_Or:
		cs, err := nodesFromProto("or", n.Or.GetChildren(), depth+1)
		if err != nil {
			return nil, err
		}
		return &ir.Or{Children: cs}, nil
	case *pb.Node_Not:
		c, err := nodeFromProto(n.Not.GetChild(), depth+1)
		if err != nil {
			return nil, fmt.Errorf("not: %w", err)
		}
		return &ir.Not{Child: c}, nil
	case *pb.Node_Match:
		return MatchFromProto(n.Match)
	case *pb.Node_Keyword:
		return KeywordFromProto(n.Keyword)
	case *pb.Node_Regex:
		return RegexFromProto(n.Regex), nil
	case *pb.Node_Cidr:
		return CIDRFromProto(n.Cidr)
	case *pb.Node_Compare:
		return CompareFromProto(n.Compare)
	case *pb.Node_Exists:
		return &ir.Exists{Field: n.Exists.GetField(), Pos: PosFromProto(n.Exists.GetPos())}, nil
	case *pb.Node_Null:
		return &ir.Null{Field: n.Null.GetField(), Pos: PosFromProto(n.Null.GetPos())}, nil
	case *pb.Node_FieldRef:
		return FieldRefFromProto(n.FieldRef)
	case *pb.Node_TimePart:
		return TimePartFromProto(n.TimePart)
	case nil:
		return nil, errors.New("node with no type set")
	}
	return nil, fmt.Errorf("unknown node member %T", m.GetNode())
}

func nodesFromProto(op string, ms []*pb.Node, depth int) ([]ir.Node, error) {
	if len(ms) == 0 {
		return nil, fmt.Errorf("%s with no children", op)
	}
	out := make([]ir.Node, len(ms))
	for i, m := range ms {
		n, err := nodeFromProto(m, depth)
		if err != nil {
			return nil, fmt.Errorf("%s child %d: %w", op, i, err)
		}
		out[i] = n
	}
	return out, nil
}

// PosToProto encodes a source position; the zero Pos is nil.
func PosToProto(p ir.Pos) *pb.Position {
	if p == (ir.Pos{}) {
		return nil
	}
	return &pb.Position{Line: int32(p.Line), Col: int32(p.Col)}
}

// PosFromProto decodes a source position; nil is the zero Pos.
func PosFromProto(m *pb.Position) ir.Pos {
	return ir.Pos{Line: int(m.GetLine()), Col: int(m.GetCol())}
}

var segmentKindToProto = map[ir.SegmentKind]pb.SegmentKind{
	ir.Lit:         pb.SegmentKind_SEGMENT_KIND_LITERAL,
	ir.AnyString:   pb.SegmentKind_SEGMENT_KIND_ANY_STRING,
	ir.AnyChar:     pb.SegmentKind_SEGMENT_KIND_ANY_CHAR,
	ir.Placeholder: pb.SegmentKind_SEGMENT_KIND_PLACEHOLDER,
}

var segmentKindFromProto = invert(segmentKindToProto)

// PatternToProto encodes a pattern.
func PatternToProto(p ir.Pattern) *pb.Pattern {
	out := &pb.Pattern{Segments: make([]*pb.Segment, len(p))}
	for i, s := range p {
		out.Segments[i] = &pb.Segment{Kind: segmentKindToProto[s.Kind], Text: s.Text}
	}
	return out
}

// PatternFromProto decodes a pattern. Segments are kept as sent (not normalised), so a
// pattern round-trips exactly.
func PatternFromProto(m *pb.Pattern) (ir.Pattern, error) {
	segs := m.GetSegments()
	if len(segs) == 0 {
		return ir.Pattern{}, nil
	}
	out := make(ir.Pattern, len(segs))
	for i, s := range segs {
		k, ok := segmentKindFromProto[s.GetKind()]
		if !ok {
			return nil, fmt.Errorf("pattern segment %d: invalid kind %v", i, s.GetKind())
		}
		out[i] = ir.Segment{Kind: k, Text: s.GetText()}
	}
	return out, nil
}

var valueKindToProto = map[ir.ValueKind]pb.ValueKind{
	ir.String: pb.ValueKind_VALUE_KIND_STRING,
	ir.Number: pb.ValueKind_VALUE_KIND_NUMBER,
	ir.Bool:   pb.ValueKind_VALUE_KIND_BOOL,
}

var valueKindFromProto = invert(valueKindToProto)

// MatchToProto encodes a Match node.
func MatchToProto(n *ir.Match) *pb.Match {
	return &pb.Match{Field: n.Field, Pattern: PatternToProto(n.Pattern), Kind: valueKindToProto[n.Kind],
		Cased: n.Cased, Pos: PosToProto(n.Pos)}
}

// MatchFromProto decodes a Match node.
func MatchFromProto(m *pb.Match) (*ir.Match, error) {
	p, err := PatternFromProto(m.GetPattern())
	if err != nil {
		return nil, fmt.Errorf("match %s: %w", m.GetField(), err)
	}
	k, ok := valueKindFromProto[m.GetKind()]
	if !ok {
		return nil, fmt.Errorf("match %s: invalid value kind %v", m.GetField(), m.GetKind())
	}
	return &ir.Match{Field: m.GetField(), Pattern: p, Kind: k, Cased: m.GetCased(), Pos: PosFromProto(m.GetPos())}, nil
}

// KeywordToProto encodes a Keyword node.
func KeywordToProto(n *ir.Keyword) *pb.Keyword {
	return &pb.Keyword{Pattern: PatternToProto(n.Pattern), Cased: n.Cased, Pos: PosToProto(n.Pos)}
}

// KeywordFromProto decodes a Keyword node.
func KeywordFromProto(m *pb.Keyword) (*ir.Keyword, error) {
	p, err := PatternFromProto(m.GetPattern())
	if err != nil {
		return nil, fmt.Errorf("keyword: %w", err)
	}
	return &ir.Keyword{Pattern: p, Cased: m.GetCased(), Pos: PosFromProto(m.GetPos())}, nil
}

// RegexToProto encodes a Regex node.
func RegexToProto(n *ir.Regex) *pb.Regex {
	m := &pb.Regex{Field: n.Field, Pattern: n.Pattern, Pos: PosToProto(n.Pos)}
	if n.Flags != (ir.RegexFlags{}) {
		m.Flags = &pb.RegexFlags{IgnoreCase: n.Flags.I, MultiLine: n.Flags.M, DotAll: n.Flags.S}
	}
	return m
}

// RegexFromProto decodes a Regex node. The pattern is not compiled here: whether a target
// accepts it is the receiver's decision.
func RegexFromProto(m *pb.Regex) *ir.Regex {
	f := m.GetFlags()
	return &ir.Regex{Field: m.GetField(), Pattern: m.GetPattern(),
		Flags: ir.RegexFlags{I: f.GetIgnoreCase(), M: f.GetMultiLine(), S: f.GetDotAll()},
		Pos:   PosFromProto(m.GetPos())}
}

// CIDRToProto encodes a CIDR node; the prefix must be valid.
func CIDRToProto(n *ir.CIDR) (*pb.Cidr, error) {
	if !n.Prefix.IsValid() {
		return nil, fmt.Errorf("cidr %s: invalid prefix", n.Field)
	}
	return &pb.Cidr{Field: n.Field, Prefix: n.Prefix.String(), Pos: PosToProto(n.Pos)}, nil
}

// CIDRFromProto decodes a CIDR node. The prefix keeps any host bits it was written with.
func CIDRFromProto(m *pb.Cidr) (*ir.CIDR, error) {
	p, err := netip.ParsePrefix(m.GetPrefix())
	if err != nil {
		return nil, fmt.Errorf("cidr %s: %w", m.GetField(), err)
	}
	return &ir.CIDR{Field: m.GetField(), Prefix: p, Pos: PosFromProto(m.GetPos())}, nil
}

var compareOpToProto = map[ir.CompareOp]pb.CompareOp{
	ir.LT:  pb.CompareOp_COMPARE_OP_LT,
	ir.LTE: pb.CompareOp_COMPARE_OP_LTE,
	ir.GT:  pb.CompareOp_COMPARE_OP_GT,
	ir.GTE: pb.CompareOp_COMPARE_OP_GTE,
}

var compareOpFromProto = invert(compareOpToProto)

// CompareToProto encodes a Compare node.
func CompareToProto(n *ir.Compare) *pb.Compare {
	return &pb.Compare{Field: n.Field, Op: compareOpToProto[n.Op],
		Value: &pb.Number{Text: n.Value.Text, Value: n.Value.Value}, Pos: PosToProto(n.Pos)}
}

// CompareFromProto decodes a Compare node.
func CompareFromProto(m *pb.Compare) (*ir.Compare, error) {
	op, ok := compareOpFromProto[m.GetOp()]
	if !ok {
		return nil, fmt.Errorf("compare %s: invalid operator %v", m.GetField(), m.GetOp())
	}
	if m.GetValue() == nil {
		return nil, fmt.Errorf("compare %s: missing value", m.GetField())
	}
	return &ir.Compare{Field: m.GetField(), Op: op,
		Value: ir.Num{Text: m.GetValue().GetText(), Value: m.GetValue().GetValue()}, Pos: PosFromProto(m.GetPos())}, nil
}

var shapeToProto = map[ir.Shape]pb.Shape{
	ir.ShapeExact:    pb.Shape_SHAPE_EXACT,
	ir.ShapePrefix:   pb.Shape_SHAPE_PREFIX,
	ir.ShapeSuffix:   pb.Shape_SHAPE_SUFFIX,
	ir.ShapeContains: pb.Shape_SHAPE_CONTAINS,
	ir.ShapeAny:      pb.Shape_SHAPE_ANY,
	ir.ShapeGlob:     pb.Shape_SHAPE_GLOB,
}

var shapeFromProto = invert(shapeToProto)

// FieldRefToProto encodes a FieldRef node.
func FieldRefToProto(n *ir.FieldRef) *pb.FieldRef {
	return &pb.FieldRef{Field: n.Field, Ref: n.Ref, Shape: shapeToProto[n.Shape], Cased: n.Cased, Pos: PosToProto(n.Pos)}
}

// FieldRefFromProto decodes a FieldRef node.
func FieldRefFromProto(m *pb.FieldRef) (*ir.FieldRef, error) {
	s, ok := shapeFromProto[m.GetShape()]
	if !ok {
		return nil, fmt.Errorf("fieldref %s: invalid shape %v", m.GetField(), m.GetShape())
	}
	return &ir.FieldRef{Field: m.GetField(), Ref: m.GetRef(), Shape: s, Cased: m.GetCased(), Pos: PosFromProto(m.GetPos())}, nil
}

var timeUnitToProto = map[ir.TimeUnit]pb.TimeUnit{
	ir.Minute: pb.TimeUnit_TIME_UNIT_MINUTE,
	ir.Hour:   pb.TimeUnit_TIME_UNIT_HOUR,
	ir.Day:    pb.TimeUnit_TIME_UNIT_DAY,
	ir.Week:   pb.TimeUnit_TIME_UNIT_WEEK,
	ir.Month:  pb.TimeUnit_TIME_UNIT_MONTH,
	ir.Year:   pb.TimeUnit_TIME_UNIT_YEAR,
}

var timeUnitFromProto = invert(timeUnitToProto)

// TimePartToProto encodes a TimePart node.
func TimePartToProto(n *ir.TimePart) *pb.TimePart {
	return &pb.TimePart{Field: n.Field, Part: timeUnitToProto[n.Part], Value: int64(n.Value), Pos: PosToProto(n.Pos)}
}

// TimePartFromProto decodes a TimePart node.
func TimePartFromProto(m *pb.TimePart) (*ir.TimePart, error) {
	u, ok := timeUnitFromProto[m.GetPart()]
	if !ok {
		return nil, fmt.Errorf("time part %s: invalid unit %v", m.GetField(), m.GetPart())
	}
	return &ir.TimePart{Field: m.GetField(), Part: u, Value: int(m.GetValue()), Pos: PosFromProto(m.GetPos())}, nil
}

func invert[K, V comparable](m map[K]V) map[V]K {
	out := make(map[V]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}
