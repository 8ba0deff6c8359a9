package ir

import "fmt"

// The bounds every detection tree stays within (see doc.go for why these numbers).
const (
	// MaxDepth is the deepest a detection tree may be, counting every node on the longest
	// path from the root to a leaf (a lone leaf has depth 1). Same-operator chains do not
	// add depth: NewAnd and NewOr make them one n-ary node.
	MaxDepth = 64
	// MaxNodes is the most nodes a detection tree may have, counting a subtree once for
	// every place it appears (a search the condition names twice counts twice).
	MaxNodes = 200_000
)

// LimitError says which bound a tree exceeds.
type LimitError struct {
	// Depth is true for MaxDepth, false for MaxNodes.
	Depth bool
	// Limit is the bound that was exceeded.
	Limit int
}

func (e *LimitError) Error() string {
	if e.Depth {
		return fmt.Sprintf("the detection tree is deeper than the limit of %d levels (ir.MaxDepth)", e.Limit)
	}
	return fmt.Sprintf("the detection tree has more than the limit of %d nodes (ir.MaxNodes)", e.Limit)
}

// CheckLimits reports whether n is within MaxDepth and MaxNodes. It stops at the first
// bound crossed, so it costs at most O(MaxNodes) and recurses at most MaxDepth+1 deep,
// whatever the tree. A nil node is within the limits.
func CheckLimits(n Node) *LimitError {
	return checkLimits(n, MaxDepth, MaxNodes)
}

func checkLimits(n Node, maxDepth, maxNodes int) *LimitError {
	if n == nil {
		return nil
	}
	w := limitWalk{maxDepth: maxDepth, maxNodes: maxNodes, left: maxNodes}
	return w.walk(n, 1)
}

type limitWalk struct {
	maxDepth, maxNodes int
	left               int // nodes still allowed
}

func (w *limitWalk) walk(n Node, depth int) *LimitError {
	if depth > w.maxDepth {
		return &LimitError{Depth: true, Limit: w.maxDepth}
	}
	w.left--
	if w.left < 0 {
		return &LimitError{Limit: w.maxNodes}
	}
	switch n := n.(type) {
	case *And:
		for _, c := range n.Children {
			if e := w.walk(c, depth+1); e != nil {
				return e
			}
		}
	case *Or:
		for _, c := range n.Children {
			if e := w.walk(c, depth+1); e != nil {
				return e
			}
		}
	case *Not:
		return w.walk(n.Child, depth+1)
	case *CIDR, *Compare, *Exists, *FieldRef, *Keyword, *Match, *Null, *Regex, *TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return nil
}
