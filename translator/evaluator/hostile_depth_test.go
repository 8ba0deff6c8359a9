package evaluator

import (
	"fmt"
	"testing"

	"github.com/sigmabridge/sigmabridge/bench/growthtest"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// deepWideRule is ir.MaxDepth levels alternating And and Or, width leaves at each level.
func deepWideRule(width int) *ir.Rule {
	var n ir.Node = &ir.Match{Field: "f", Pattern: ir.LiteralPattern("end")}
	for level := 1; level < ir.MaxDepth; level++ {
		cs := []ir.Node{n}
		for i := range width {
			cs = append(cs, &ir.Match{Field: fmt.Sprintf("f%d", level), Pattern: ir.LiteralPattern(fmt.Sprintf("v%d", i))})
		}
		if level%2 == 0 {
			n = &ir.And{Children: cs}
		} else {
			n = &ir.Or{Children: cs}
		}
	}
	return &ir.Rule{Path: "deep.yml", ID: "deep", Conditions: []ir.Node{n}}
}

// TestHostileDeepTreeEvaluationIsLinear: at the IR's depth limit, compiling and matching
// do work linear in the tree's size (bytes allocated, which a shared machine's load does
// not change).
func TestHostileDeepTreeEvaluationIsLinear(t *testing.T) {
	if ir.CheckLimits(deepWideRule(1).Conditions[0]) != nil {
		t.Fatal("the test tree is beyond the IR's limits")
	}
	event := []byte(`{"f":"end","f1":"v0","f63":"x"}`)
	run := func(width int) {
		prog, errs := Compile([]*ir.Rule{deepWideRule(width)})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if _, err := prog.MatchJSON(event); err != nil {
			t.Fatal(err)
		}
	}
	for _, width := range []int{16, 64, 256} {
		growthtest.LinearAlloc(t, width, run) // the work, counted exactly
	}
}
