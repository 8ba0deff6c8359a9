package wire

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"

	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
)

// alternatingTree is levels deep, And and Or alternating (what nested parentheses lower to).
func alternatingTree(levels int) ir.Node {
	var n ir.Node = &ir.Exists{Field: "a"}
	for i := 1; i < levels; i++ {
		if i%2 == 0 {
			n = &ir.And{Children: []ir.Node{&ir.Exists{Field: "b"}, n}}
		} else {
			n = &ir.Or{Children: []ir.Node{&ir.Exists{Field: "b"}, n}}
		}
	}
	return n
}

// pbChain is levels nested Not messages, as a peer could send them.
func pbChain(levels int) *pb.Node {
	m := &pb.Node{Node: &pb.Node_Exists{Exists: &pb.Exists{Field: "x"}}}
	for i := 1; i < levels; i++ {
		m = &pb.Node{Node: &pb.Node_Not{Not: &pb.Not{Child: m}}}
	}
	return m
}

// TestHostileEncodedDepth pins the reason for the limit: a tree of 5,000 levels, encoded,
// is past protobuf-go's recursion limit, so a peer cannot even read the batch; a tree at
// ir.MaxDepth is far from it and round-trips.
func TestHostileEncodedDepth(t *testing.T) {
	deep := &pb.Rule{Conditions: []*pb.Node{pbChain(5000)}}
	data, err := proto.Marshal(deep)
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(data, &pb.Rule{}); err == nil {
		t.Fatal("protobuf read a 10,000-message-deep rule: the limit's reason is gone, revisit ir.MaxDepth")
	}

	r := &ir.Rule{ID: "r", Path: "r.yml", Line: 3, Conditions: []ir.Node{alternatingTree(ir.MaxDepth)}}
	back := roundTrip(t, r) // through proto.Marshal and proto.Unmarshal
	if back.Conditions[0].String() != r.Conditions[0].String() {
		t.Error("a tree at ir.MaxDepth did not round-trip")
	}

	r.Conditions = append(r.Conditions, alternatingTree(ir.MaxDepth+1))
	_, err = RuleToProto(r)
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("RuleToProto of a tree over ir.MaxDepth: %v, want a *LimitError", err)
	}
	d := le.Diagnostic
	if d.Code != diag.DetectionTooDeep || d.Path != "r.yml" || d.Line != 3 || d.RuleID != "r" ||
		!strings.Contains(d.Message, "condition 2") || !strings.Contains(d.Message, "ir.MaxDepth") {
		t.Errorf("diagnostic: %s", d)
	}

	wide := &ir.Or{Children: make([]ir.Node, ir.MaxNodes)}
	for i := range wide.Children {
		wide.Children[i] = &ir.Exists{Field: "f"}
	}
	_, err = RuleToProto(&ir.Rule{Conditions: []ir.Node{wide}})
	if !errors.As(err, &le) || le.Diagnostic.Code != diag.DetectionTooLarge {
		t.Errorf("RuleToProto of a tree over ir.MaxNodes: %v", err)
	}
}

// TestHostileDecodeDepth: a peer's tree deeper than ir.MaxDepth (but within protobuf's
// limit) is an error naming the limit, not a deep recursion through every consumer.
func TestHostileDecodeDepth(t *testing.T) {
	if _, err := NodeFromProto(pbChain(ir.MaxDepth)); err != nil {
		t.Errorf("ir.MaxDepth levels: %v", err)
	}
	_, err := NodeFromProto(pbChain(ir.MaxDepth + 1))
	if err == nil || !strings.Contains(err.Error(), "ir.MaxDepth") {
		t.Errorf("ir.MaxDepth+1 levels: %v", err)
	}
	_, err = RuleFromProto(&pb.Rule{Id: "r", Conditions: []*pb.Node{pbChain(4000)}})
	if err == nil || !strings.Contains(err.Error(), "rule r condition 0") {
		t.Errorf("RuleFromProto, 4,000 levels: %v", err)
	}
}
