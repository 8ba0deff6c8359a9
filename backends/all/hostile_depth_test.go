package all_test

import (
	"fmt"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	_ "github.com/sigmabridge/sigmabridge/backends/all"
	"github.com/sigmabridge/sigmabridge/bench/growthtest"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// deepWideRule is a condition at the depth limit: ir.MaxDepth-1 levels alternating And and
// Or, each with width leaves besides the next level (what nested parentheses over long
// searches lower to).
func deepWideRule(width int) *ir.Rule {
	var n ir.Node = &ir.Match{Field: "f", Pattern: ir.LiteralPattern("end")}
	for level := 1; level < ir.MaxDepth-1; level++ {
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

// TestHostileDeepTreeRenderingIsLinear: at the deepest tree the IR allows, every backend's
// work grows linearly with the tree's size (each level's text is copied once per level
// above it, so depth, which the IR bounds, is the constant). Work is measured as bytes
// allocated, which counts those copies exactly; their time is too noisy on a shared
// machine to compare at the sizes a test can afford.
func TestHostileDeepTreeRenderingIsLinear(t *testing.T) {
	if ir.CheckLimits(deepWideRule(1).Conditions[0]) != nil {
		t.Fatal("the test tree is beyond the IR's limits")
	}
	for _, name := range backends.Names() {
		b, err := backends.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			if qs, ds := b.Convert(deepWideRule(2)); len(qs) == 0 && !ds.HasErrors() {
				t.Fatalf("no query and no error: %v", ds)
			}
			for _, width := range []int{16, 64, 256} {
				growthtest.LinearAlloc(t, width, func(width int) {
					b.Convert(deepWideRule(width))
				})
			}
		})
	}
}
