package pipeline

import (
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// matchNothing stands, only while one value_placeholders item runs, for a detection item
// whose placeholder expanded to an empty value list: it matches no event. The IR has no
// constant node, and none may reach a backend, so foldConstants removes every occurrence
// before the item returns. It is never edited.
var matchNothing ir.Node = &ir.Match{Field: "\x00sigmabridge:match-nothing"}

// constant is the result of folding a subtree: a node, or a known truth value.
type constant uint8

const (
	notConstant constant = iota
	alwaysFalse
	alwaysTrue
)

// foldConstants folds matchNothing out of every condition, exactly: an And with a false child
// is false and drops its true children; an Or with a true child is true and drops its false
// children; Not flips. A condition that folds to a constant cannot be a query (always false
// would never fire; always true would match every event), so it is reported as
// constant-condition, the rule is not convertible, and the condition is removed.
func (ctx *applyCtx) foldConstants(it *Item) {
	for i, c := range ctx.rule.Conditions {
		if c == nil {
			continue
		}
		n, k := fold(c)
		switch k {
		case notConstant:
			ctx.rule.Conditions[i] = n
			continue
		case alwaysFalse:
			ctx.errorf(it, nil, diag.ConstantCondition,
				"condition %d can never match once its placeholders are expanded: an empty value list matches nothing", i+1)
		case alwaysTrue:
			ctx.errorf(it, nil, diag.ConstantCondition,
				"condition %d would match every event once its placeholders are expanded (an empty value list matches nothing, and it is negated)", i+1)
		}
		ctx.rule.Conditions[i] = nil
		if ctx.constant == nil {
			ctx.constant = map[int]bool{}
		}
		ctx.constant[i] = true
	}
}

// fold returns n without matchNothing, or the constant n is. Unchanged subtrees are returned
// as they are.
func fold(n ir.Node) (ir.Node, constant) {
	if n == matchNothing {
		return nil, alwaysFalse
	}
	switch t := n.(type) {
	case *ir.Not:
		c, k := fold(t.Child)
		switch k {
		case alwaysFalse:
			return nil, alwaysTrue
		case alwaysTrue:
			return nil, alwaysFalse
		}
		if c == t.Child {
			return n, notConstant
		}
		return &ir.Not{Child: c}, notConstant
	case *ir.And:
		return foldList(n, t.Children, alwaysFalse, func(cs []ir.Node) ir.Node { return &ir.And{Children: cs} })
	case *ir.Or:
		return foldList(n, t.Children, alwaysTrue, func(cs []ir.Node) ir.Node { return &ir.Or{Children: cs} })
	case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Match, *ir.Null, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return n, notConstant
}

// foldList folds the children of an And (absorbing alwaysFalse) or an Or (absorbing
// alwaysTrue); the other constant is the operator's identity and is dropped.
func foldList(n ir.Node, children []ir.Node, absorbing constant, mk func([]ir.Node) ir.Node) (ir.Node, constant) {
	out := make([]ir.Node, 0, len(children))
	changed := false
	for _, c := range children {
		fc, k := fold(c)
		switch {
		case k == absorbing:
			return nil, absorbing
		case k != notConstant:
			changed = true // the identity: drop it
			continue
		}
		if fc != c {
			changed = true
		}
		out = append(out, fc)
	}
	if !changed {
		return n, notConstant
	}
	switch len(out) {
	case 0:
		// Every child was the identity.
		if absorbing == alwaysFalse {
			return nil, alwaysTrue
		}
		return nil, alwaysFalse
	case 1:
		return out[0], notConstant
	}
	return mk(out), notConstant
}
