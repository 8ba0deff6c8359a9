package ir

import (
	"strings"
	"testing"
)

func leaf() Node { return &Exists{Field: "x"} }

func notChain(levels int) Node {
	n := leaf()
	for i := 1; i < levels; i++ {
		n = &Not{Child: n}
	}
	return n
}

func TestCheckLimitsDepth(t *testing.T) {
	if e := CheckLimits(notChain(MaxDepth)); e != nil {
		t.Errorf("a tree of exactly MaxDepth levels: %v", e)
	}
	e := CheckLimits(notChain(MaxDepth + 1))
	if e == nil || !e.Depth || e.Limit != MaxDepth {
		t.Fatalf("MaxDepth+1 levels: %+v", e)
	}
	if !strings.Contains(e.Error(), "ir.MaxDepth") || !strings.Contains(e.Error(), "64") {
		t.Errorf("the message does not name the limit: %s", e)
	}
	if e := CheckLimits(nil); e != nil {
		t.Errorf("nil: %v", e)
	}
}

// TestHostileCheckLimitsOnHugeShared checks that a tree whose subtrees are shared (a
// search named many times) is counted as every walker sees it, and that checking it costs
// no more than MaxNodes however large it is: here 2^40 nodes as a tree.
func TestHostileCheckLimitsOnHugeShared(t *testing.T) {
	n := leaf()
	for range 39 {
		n = &And{Children: []Node{n, n}} // 40 levels, every level shared twice
	}
	e := CheckLimits(n)
	if e == nil || e.Depth || e.Limit != MaxNodes {
		t.Fatalf("2^40 nodes as a tree: %+v", e)
	}
	if !strings.Contains(e.Error(), "ir.MaxNodes") {
		t.Errorf("the message does not name the limit: %s", e)
	}
	// Just within: a shared subtree counts each time.
	wide := &Or{Children: make([]Node, MaxNodes-1)}
	for i := range wide.Children {
		wide.Children[i] = n.(*And).Children[0].(*And).Children[0] // shared, deep
	}
	if e := checkLimits(wide, MaxDepth, MaxNodes); e == nil {
		t.Errorf("a wide Or of shared subtrees is counted once per use: got no error")
	}
	small := &Or{Children: []Node{leaf(), leaf()}}
	if e := checkLimits(small, 2, 3); e != nil {
		t.Errorf("3 nodes in 2 levels against (2, 3): %v", e)
	}
	if e := checkLimits(small, 2, 2); e == nil || e.Depth {
		t.Errorf("3 nodes against a cap of 2: %+v", e)
	}
	if e := checkLimits(small, 1, 3); e == nil || !e.Depth {
		t.Errorf("2 levels against a cap of 1: %+v", e)
	}
}
