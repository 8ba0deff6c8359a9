package ir

import "testing"

func TestSimplifyDoesNotModifyInput(t *testing.T) {
	inner := &And{Children: []Node{&Match{Field: "a", Pattern: LiteralPattern("v")}, &Match{Field: "b", Pattern: LiteralPattern("v")}}}
	tree := &And{Children: []Node{inner, &Not{Child: &Not{Child: &Match{Field: "c", Pattern: LiteralPattern("v")}}}}}
	before := tree.String()
	got := Simplify(tree)
	if tree.String() != before {
		t.Errorf("Simplify changed its input: %s -> %s", before, tree)
	}
	if want := `and(match(a, "v"), match(b, "v"), match(c, "v"))`; got.String() != want {
		t.Errorf("Simplify = %s, want %s", got, want)
	}
}
