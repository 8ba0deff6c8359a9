package wire

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"

	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
)

// roundTrip sends r through the encoder, the protobuf wire format and the decoder.
func roundTrip(t *testing.T, r *ir.Rule) *ir.Rule {
	t.Helper()
	m, err := RuleToProto(r)
	if err != nil {
		t.Fatalf("RuleToProto: %v", err)
	}
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("proto.Marshal: %v", err)
	}
	var back pb.Rule
	if err := proto.Unmarshal(data, &back); err != nil {
		t.Fatalf("proto.Unmarshal: %v", err)
	}
	out, err := RuleFromProto(&back)
	if err != nil {
		t.Fatalf("RuleFromProto: %v", err)
	}
	return out
}

// positions lists the source position of every node of n, in walk order.
func positions(n ir.Node) []ir.Pos {
	var ps []ir.Pos
	ir.Inspect(n, func(c ir.Node) bool {
		ps = append(ps, ir.Position(c))
		return true
	})
	return ps
}

// assertSameRule compares everything a rule carries: the canonical String of every
// condition, the source positions, metadata, custom attributes and state.
func assertSameRule(t *testing.T, want, got *ir.Rule) {
	t.Helper()
	if len(got.Conditions) != len(want.Conditions) {
		t.Fatalf("%s: %d conditions after the round trip, want %d", want.ID, len(got.Conditions), len(want.Conditions))
	}
	for i := range want.Conditions {
		if w, g := want.Conditions[i].String(), got.Conditions[i].String(); w != g {
			t.Errorf("%s condition %d:\n got %s\nwant %s", want.ID, i, g, w)
		}
		if w, g := positions(want.Conditions[i]), positions(got.Conditions[i]); !slices.Equal(w, g) {
			t.Errorf("%s condition %d positions: got %v, want %v", want.ID, i, g, w)
		}
	}
	type meta struct {
		Path                                                                       string
		Line, Doc                                                                  int
		ID, Name, Title, Status, Description, Author, Date, Modified, Level, Lists string
		Logsource                                                                  ir.Logsource
	}
	lists := func(r *ir.Rule) string {
		return strings.Join(r.References, "\x00") + "\x01" + strings.Join(r.Tags, "\x00") + "\x01" +
			strings.Join(r.FalsePositives, "\x00") + "\x01" + strings.Join(r.Fields, "\x00")
	}
	mw := meta{want.Path, want.Line, want.Doc, want.ID, want.Name, want.Title, want.Status, want.Description,
		want.Author, want.Date, want.Modified, want.Level, lists(want), want.Logsource}
	mg := meta{got.Path, got.Line, got.Doc, got.ID, got.Name, got.Title, got.Status, got.Description,
		got.Author, got.Date, got.Modified, got.Level, lists(got), got.Logsource}
	if mw != mg {
		t.Errorf("metadata:\n got %+v\nwant %+v", mg, mw)
	}
	if !reflect.DeepEqual(want.Custom, got.Custom) {
		t.Errorf("custom: got %#v, want %#v", got.Custom, want.Custom)
	}
	if !reflect.DeepEqual(want.Deployment, got.Deployment) {
		t.Errorf("deployment: got %#v, want %#v", got.Deployment, want.Deployment)
	}
}

func pos(l, c int) ir.Pos { return ir.Pos{Line: l, Col: c} }

// everyNode builds one tree holding every node type and every value of every enum.
func everyNode() []ir.Node {
	var leaves []ir.Node
	pattern := ir.Pattern{
		{Kind: ir.Lit, Text: `a*b?c\%`}, {Kind: ir.AnyString}, {Kind: ir.AnyChar},
		{Kind: ir.Placeholder, Text: "admins"}, {Kind: ir.Lit, Text: "日本"},
	}
	for i, k := range []ir.ValueKind{ir.String, ir.Number, ir.Bool} {
		for _, cased := range []bool{false, true} {
			leaves = append(leaves, &ir.Match{Field: "a.b-c", Pattern: pattern, Kind: k, Cased: cased, Pos: pos(i+1, 2)})
		}
	}
	leaves = append(leaves,
		&ir.Match{Field: "empty", Pattern: ir.Pattern{}, Pos: pos(3, 4)},
		&ir.Keyword{Pattern: ir.ParseSigmaString("*evil*"), Pos: pos(5, 6)},
		&ir.Keyword{Pattern: ir.ParseSigmaString("Evil"), Cased: true},
		&ir.Regex{Field: "cmd", Pattern: `^a.*\d+$`, Pos: pos(7, 1)},
		&ir.Regex{Field: "cmd", Pattern: `x`, Flags: ir.RegexFlags{I: true, M: true, S: true}},
		&ir.Regex{Field: "cmd", Pattern: `y`, Flags: ir.RegexFlags{M: true}},
		&ir.CIDR{Field: "ip", Prefix: netip.MustParsePrefix("10.0.0.0/8"), Pos: pos(8, 3)},
		&ir.CIDR{Field: "ip", Prefix: netip.MustParsePrefix("10.1.2.3/8")},
		&ir.CIDR{Field: "ip", Prefix: netip.MustParsePrefix("2001:db8::/32")},
		&ir.CIDR{Field: "ip", Prefix: netip.MustParsePrefix("::ffff:10.0.0.1/128")},
		&ir.Exists{Field: "e", Pos: pos(9, 9)},
		&ir.Null{Field: "n", Pos: pos(10, 1)},
		&ir.TimePart{Field: "ts", Part: ir.Year, Value: -3},
	)
	for i, op := range []ir.CompareOp{ir.LT, ir.LTE, ir.GT, ir.GTE} {
		leaves = append(leaves, &ir.Compare{Field: "n", Op: op, Value: ir.Num{Text: "1e3", Value: 1000}, Pos: pos(11, i)})
	}
	leaves = append(leaves, &ir.Compare{Field: "n", Op: ir.LT, Value: ir.Num{Text: "-0.5", Value: -0.5}})
	for i, s := range []ir.Shape{ir.ShapeExact, ir.ShapePrefix, ir.ShapeSuffix, ir.ShapeContains, ir.ShapeAny, ir.ShapeGlob} {
		leaves = append(leaves, &ir.FieldRef{Field: "f", Ref: "g.h", Shape: s, Cased: i%2 == 0, Pos: pos(12, i)})
	}
	for i, u := range []ir.TimeUnit{ir.Minute, ir.Hour, ir.Day, ir.Week, ir.Month, ir.Year} {
		leaves = append(leaves, &ir.TimePart{Field: "ts", Part: u, Value: i * 7, Pos: pos(13, i)})
	}
	tree := &ir.And{Children: []ir.Node{
		&ir.Or{Children: leaves[:len(leaves)/2]},
		&ir.Not{Child: &ir.Or{Children: leaves[len(leaves)/2:]}},
		&ir.Not{Child: &ir.Not{Child: leaves[0]}},
	}}
	return []ir.Node{tree, leaves[1], &ir.Or{Children: []ir.Node{leaves[2]}}}
}

func TestRoundTripEveryNodeType(t *testing.T) {
	r := &ir.Rule{
		Path: "rules/x.yml", Line: 3, Doc: 1, ID: "id-1", Name: "n", Title: "T", Status: "test",
		Description: "d\nmultiline", Author: "a", Date: "2024-01-02", Modified: "2024-02-03", Level: "high",
		References: []string{"https://r"}, Tags: []string{"attack.t1648", "attack.execution"},
		FalsePositives: []string{"fp"}, Fields: []string{"f1", "f2"},
		Logsource:  ir.Logsource{Category: "c", Product: "p", Service: "s", Definition: "def"},
		Conditions: everyNode(),
		Custom: map[string]any{
			"int": 42, "neg": -7, "float": 1.5, "str": "s", "bool": true, "nil": nil,
			"big":  uint64(1 << 63),
			"list": []any{"a", 1, 2.5, false, nil, []any{"nested"}},
			"map":  map[string]any{"k": "v", "n": map[string]any{"deep": 1}},
			"when": time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC),
			"raw":  []byte{0, 1, 2},
		},
		Deployment: ir.Deployment{
			Index: []string{"logs-*", "cloud"}, Sourcetype: []string{"aws:cloudtrail"}, Source: []string{"s"},
			EventCategory: "process", IPFields: []string{"ip"}, FlattenedFields: []string{"o"},
			MultiValuedFields: []string{"tags"}, Extra: map[string]any{"table": "T"},
		},
	}
	seen := map[string]bool{}
	for _, c := range r.Conditions {
		ir.Inspect(c, func(n ir.Node) bool {
			seen[reflect.TypeOf(n).Elem().Name()] = true
			return true
		})
	}
	for _, name := range []string{"And", "Or", "Not", "Match", "Keyword", "Regex", "CIDR", "Compare", "Exists", "Null", "FieldRef", "TimePart"} {
		if !seen[name] {
			t.Fatalf("the test tree has no %s node", name)
		}
	}
	assertSameRule(t, r, roundTrip(t, r))
}

func TestRoundTripSpecialValues(t *testing.T) {
	// []string and map[any]any come back in their generic form; the content is kept.
	r := &ir.Rule{ID: "x", Conditions: []ir.Node{&ir.Exists{Field: "a"}},
		Deployment: ir.Deployment{Extra: map[string]any{"s": []string{"a", "b"}, "m": map[any]any{1: "one", "two": 2}}}}
	got := roundTrip(t, r)
	want := map[string]any{"s": []any{"a", "b"}, "m": map[string]any{"1": "one", "two": 2}}
	if !reflect.DeepEqual(got.Deployment.Extra, want) {
		t.Fatalf("state: got %#v, want %#v", got.Deployment.Extra, want)
	}
	if _, err := RuleToProto(&ir.Rule{Custom: map[string]any{"c": make(chan int)}}); err == nil {
		t.Fatal("a channel in Custom encoded without error")
	}
}

func TestRoundTripGoldenRules(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "golden", "rules", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden rules found (%v)", err)
	}
	total := 0
	for _, f := range files {
		rules, diags := translator.LoadFile(f)
		if len(rules) == 0 {
			t.Errorf("%s: no rules loaded (%v)", f, diags)
		}
		for _, r := range rules {
			assertSameRule(t, r, roundTrip(t, r))
			total++
		}
	}
	t.Logf("%d golden rules from %d files round-tripped", total, len(files))
}

// TestRoundTripCorpus round-trips every rule of the SigmaHQ corpus that loads, and the
// T1648 pack.
func TestRoundTripCorpus(t *testing.T) {
	files, err := ruleset.DiscoverFS(rules.FS, "rules")
	if err != nil {
		t.Fatal(err)
	}
	corpus := os.Getenv("SIGMABRIDGE_CORPUS")
	if corpus != "" {
		found, _ := ruleset.Discover([]string{corpus})
		files = append(files, found...)
	}
	loaded, _ := ruleset.Load(files)
	for _, r := range loaded {
		assertSameRule(t, r, roundTrip(t, r))
	}
	if len(loaded) < 30 {
		t.Fatalf("only %d rules loaded", len(loaded))
	}
	t.Logf("%d rules from %d files round-tripped", len(loaded), len(files))
	if corpus == "" {
		t.Skip("SIGMABRIDGE_CORPUS is not set: the SigmaHQ corpus was not round-tripped (the T1648 pack was)")
	}
}

func TestDecodeRejectsMalformedNodes(t *testing.T) {
	lit := &pb.Pattern{Segments: []*pb.Segment{{Kind: pb.SegmentKind_SEGMENT_KIND_LITERAL, Text: "x"}}}
	cases := map[string]*pb.Node{
		"no member":         {},
		"empty and":         {Node: &pb.Node_And{And: &pb.And{}}},
		"or with bad child": {Node: &pb.Node_Or{Or: &pb.Or{Children: []*pb.Node{{}}}}},
		"not without child": {Node: &pb.Node_Not{Not: &pb.Not{}}},
		"match kind unset":  {Node: &pb.Node_Match{Match: &pb.Match{Field: "f", Pattern: lit}}},
		"segment kind unset": {Node: &pb.Node_Keyword{Keyword: &pb.Keyword{Pattern: &pb.Pattern{
			Segments: []*pb.Segment{{Text: "x"}}}}}},
		"segment kind unknown": {Node: &pb.Node_Keyword{Keyword: &pb.Keyword{Pattern: &pb.Pattern{
			Segments: []*pb.Segment{{Kind: 99}}}}}},
		"bad prefix":         {Node: &pb.Node_Cidr{Cidr: &pb.Cidr{Field: "ip", Prefix: "10.0.0.0/33"}}},
		"empty prefix":       {Node: &pb.Node_Cidr{Cidr: &pb.Cidr{Field: "ip"}}},
		"compare op unset":   {Node: &pb.Node_Compare{Compare: &pb.Compare{Field: "n", Value: &pb.Number{Text: "1", Value: 1}}}},
		"compare no value":   {Node: &pb.Node_Compare{Compare: &pb.Compare{Field: "n", Op: pb.CompareOp_COMPARE_OP_GT}}},
		"fieldref shape":     {Node: &pb.Node_FieldRef{FieldRef: &pb.FieldRef{Field: "a", Ref: "b"}}},
		"timepart unit":      {Node: &pb.Node_TimePart{TimePart: &pb.TimePart{Field: "t", Value: 3}}},
		"nil match member":   {Node: &pb.Node_Match{}},
		"nil and member":     {Node: &pb.Node_And{}},
		"nil compare member": {Node: &pb.Node_Compare{}},
	}
	for name, m := range cases {
		n, err := NodeFromProto(m)
		if err == nil {
			t.Errorf("%s: decoded without error as %v", name, n)
		}
	}
	if _, err := RuleFromProto(&pb.Rule{Custom: map[string]*pb.Value{"x": {}}}); err == nil {
		t.Error("a Value with no kind decoded without error")
	}
	if _, err := RuleFromProto(nil); err == nil {
		t.Error("a nil rule decoded without error")
	}
	if _, err := NodeToProto(&ir.CIDR{Field: "ip"}); err == nil {
		t.Error("an invalid prefix encoded without error")
	}
	if _, err := NodeToProto(nil); err == nil {
		t.Error("a nil node encoded without error")
	}
}

func TestDiagnosticsAndQueries(t *testing.T) {
	ds := diag.List{
		{Path: "p.yml", Line: 3, Col: 5, RuleID: "r", Target: "kql", Code: diag.UnsupportedRegex, Message: "m"},
		{Code: "custom-code", Message: "w", Severity: diag.Warning},
	}
	back, err := DiagnosticsFromProto(DiagnosticsToProto(ds))
	if err != nil || !reflect.DeepEqual(back, ds) {
		t.Errorf("diagnostics round trip: got %#v (%v), want %#v", back, err, ds)
	}
	q := backends.Query{Condition: 2, Text: `{"a":1}`, JSON: true}
	if got, err := QueryFromProto(QueryToProto(q)); err != nil || got != q {
		t.Errorf("query round trip: got %#v (%v), want %#v", got, err, q)
	}
	if _, err := DiagnosticFromProto(&pb.Diagnostic{Code: "x"}); err == nil {
		t.Error("a diagnostic without severity decoded without error")
	}
	if _, err := DiagnosticFromProto(&pb.Diagnostic{Severity: pb.Severity_SEVERITY_ERROR}); err == nil {
		t.Error("a diagnostic without code decoded without error")
	}
	if _, err := QueryFromProto(&pb.Query{Condition: -1}); err == nil {
		t.Error("a query with a negative condition decoded without error")
	}
}

// TestDeploymentFromOlderHost checks that a rule from a host that sends the pipeline state
// only as the state map (before the deployment field) decodes to the same Deployment, and
// that a malformed state value from a peer is refused as set_state refuses it.
func TestDeploymentFromOlderHost(t *testing.T) {
	r := &ir.Rule{ID: "x", Conditions: []ir.Node{&ir.Exists{Field: "a"}}, Deployment: ir.Deployment{
		Index: []string{"logs-*", "cloud"}, EventCategory: "process", IPFields: []string{"ip"},
		Extra: map[string]any{"table": "T"},
	}}
	m, err := RuleToProto(r)
	if err != nil {
		t.Fatal(err)
	}
	// A plugin built before the deployment field reads every key from the state map.
	for _, k := range []string{"index", "event_category", "ip_fields", "table"} {
		if m.State[k] == nil {
			t.Errorf("the state map lacks %s: %v", k, m.State)
		}
	}
	m.Deployment = nil
	got, err := RuleFromProto(m)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Deployment, r.Deployment) {
		t.Errorf("from the state map: got %#v, want %#v", got.Deployment, r.Deployment)
	}
	m.State["ip_fields"] = &pb.Value{Kind: &pb.Value_IntValue{IntValue: 5}}
	if _, err := RuleFromProto(m); err == nil || !strings.Contains(err.Error(), "ip_fields") {
		t.Errorf("a malformed ip_fields from a peer: %v", err)
	}
}
