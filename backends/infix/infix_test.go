package infix

import (
	"fmt"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

var testDialect = Dialect{And: " AND ", Or: " OR ", Not: "NOT ", Open: "(", Close: ")"}

func m(f string) ir.Node { return &ir.Match{Field: f, Pattern: ir.LiteralPattern("v")} }

func leafByField(n ir.Node) (Expr, diag.List) {
	switch n := n.(type) {
	case *ir.Match:
		return AtomExpr(n.Field), nil
	case *ir.Exists:
		return AtomExpr("exists:" + n.Field), nil
	case *ir.Null:
		return Expr{Text: "NOT exists:" + n.Field, Op: NotOp}, nil
	case *ir.Keyword:
		return Expr{Text: "k1 OR k2", Op: OrOp}, nil
	}
	return Expr{}, diag.List{{Code: diag.Unsupported, Message: n.String()}}
}

func TestRenderGrouping(t *testing.T) {
	tests := []struct {
		tree ir.Node
		want string
	}{
		{m("a"), "a"},
		{&ir.And{Children: []ir.Node{m("a"), &ir.Or{Children: []ir.Node{m("b"), m("c")}}}}, "a AND (b OR c)"},
		{&ir.Or{Children: []ir.Node{&ir.And{Children: []ir.Node{m("a"), m("b")}}, m("c")}}, "(a AND b) OR c"},
		{&ir.And{Children: []ir.Node{m("a"), &ir.And{Children: []ir.Node{m("b"), m("c")}}}}, "a AND b AND c"},
		{&ir.Not{Child: &ir.Or{Children: []ir.Node{m("a"), m("b")}}}, "NOT (a OR b)"},
		{&ir.And{Children: []ir.Node{m("a"), &ir.Not{Child: m("b")}}}, "a AND NOT b"},
		{&ir.Not{Child: &ir.Not{Child: m("a")}}, "a"},
		{&ir.Not{Child: &ir.Not{Child: &ir.Not{Child: m("a")}}}, "NOT a"},
		{&ir.Not{Child: &ir.Null{Field: "f"}}, "exists:f"},
		{&ir.Null{Field: "f"}, "NOT exists:f"},
		// A compound leaf is grouped under an operator that differs from its own.
		{&ir.And{Children: []ir.Node{m("a"), &ir.Keyword{}}}, "a AND (k1 OR k2)"},
		{&ir.Or{Children: []ir.Node{m("a"), &ir.Keyword{}}}, "a OR k1 OR k2"},
		{&ir.Not{Child: &ir.Keyword{}}, "NOT (k1 OR k2)"},
		{&ir.Not{Child: &ir.And{Children: []ir.Node{&ir.Null{Field: "f"}, m("a")}}}, "NOT (NOT exists:f AND a)"},
	}
	for _, tt := range tests {
		e, diags := testDialect.RenderExpr(ir.Simplify(tt.tree), leafByField)
		got := e.Text
		if len(diags) > 0 {
			t.Errorf("%s: unexpected diagnostics %v", tt.tree, diags)
			continue
		}
		if got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.tree, got, tt.want)
		}
	}
}

func TestRenderCollectsAllDiagnostics(t *testing.T) {
	tree := &ir.Or{Children: []ir.Node{
		&ir.Regex{Field: "a"},
		&ir.And{Children: []ir.Node{m("b"), &ir.CIDR{Field: "c"}}},
		&ir.Not{Child: &ir.TimePart{Field: "d"}},
	}}
	got, diags := testDialect.RenderExpr(tree, leafByField)
	if got.Text != "" {
		t.Errorf("text %q returned with diagnostics", got.Text)
	}
	if len(diags) != 3 {
		t.Fatalf("got %d diagnostics, want 3: %v", len(diags), diags)
	}
	for i, want := range []string{"re(a, \"\")", "cidr(c, invalid Prefix)", "time(d.minute == 0)"} {
		if diags[i].Message != want {
			t.Errorf("diagnostic %d = %q, want %q", i, diags[i].Message, want)
		}
	}
}

func ExampleDialect_RenderExpr() {
	spl := Dialect{And: " AND ", Or: " OR ", Not: "NOT ", Open: "(", Close: ")"}
	tree := &ir.And{Children: []ir.Node{
		&ir.Match{Field: "CommandLine", Pattern: ir.ParseSigmaString("* localgroup*")},
		&ir.Or{Children: []ir.Node{
			&ir.Match{Field: "Image", Pattern: ir.ParseSigmaString(`*\net.exe`)},
			&ir.Match{Field: "OriginalFileName", Pattern: ir.LiteralPattern("net.exe")},
		}},
	}}
	e, _ := spl.RenderExpr(ir.Simplify(tree), func(n ir.Node) (Expr, diag.List) {
		mt := n.(*ir.Match)
		return AtomExpr(fmt.Sprintf("%s=\"%s\"", mt.Field, mt.Pattern)), nil
	})
	fmt.Println(e.Text)
	// Output: CommandLine="* localgroup*" AND (Image="*\\net.exe" OR OriginalFileName="net.exe")
}
