package infix

import (
	"strings"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Op is the top-level operator of a rendered expression; it decides whether the expression
// must be parenthesised when it becomes the operand of another operator.
type Op uint8

const (
	// Atom is an expression that never needs grouping: a single comparison, a function call,
	// or text already wrapped in the dialect's group tokens.
	Atom Op = iota
	// AndOp is a conjunction at the top level.
	AndOp
	// OrOp is a disjunction at the top level.
	OrOp
	// NotOp is a negation at the top level (NOT followed by an atom or a group).
	NotOp
)

// Expr is rendered text together with its top-level operator.
type Expr struct {
	Text string
	Op   Op
}

// AtomExpr returns text as an expression that needs no grouping.
func AtomExpr(text string) Expr { return Expr{Text: text, Op: Atom} }

// Dialect is the boolean syntax of one infix query language. It is an immutable value: it
// holds no render state, so one Dialect can be shared by concurrent renders.
type Dialect struct {
	// And joins the operands of a conjunction, including surrounding spaces, e.g. " AND ".
	And string
	// Or joins the operands of a disjunction, e.g. " OR ".
	Or string
	// Not is the prefix negating its operand, e.g. "NOT " or "not ".
	Not string
	// Open and Close wrap a grouped expression, e.g. "(" and ")".
	Open, Close string
	// GroupNotInOr groups a negation that is an operand of a disjunction, for a language
	// whose parser reads `a OR NOT b` otherwise than `a OR (NOT b)`.
	GroupNotInOr bool
}

// LeafFunc renders one leaf node (any node other than And, Or and Not). It returns the
// leaf's expression, or the error diagnostics explaining why the leaf cannot be expressed
// (and may return warnings with an expression). A leaf
// may render to a compound expression (say an OR over several fields) by returning the
// matching Op; the renderer then groups it as needed.
type LeafFunc func(n ir.Node) (Expr, diag.List)

// Group wraps e in the dialect's group tokens unless it is already an atom.
func (d Dialect) Group(e Expr) Expr {
	if e.Op == Atom {
		return e
	}
	return Expr{Text: d.Open + e.Text + d.Close, Op: Atom}
}

// operand prepares child to be an operand of parent: it is grouped when its operator
// differs from parent's. A negation of an atom is left bare under AND and OR because a
// prefix NOT binds tighter than any binary operator in every supported dialect (unless
// GroupNotInOr says otherwise under OR).
func (d Dialect) operand(parent Op, child Expr) Expr {
	if child.Op == Atom || child.Op == parent {
		return child
	}
	if child.Op == NotOp && (parent == AndOp || parent == OrOp && !d.GroupNotInOr) {
		return child
	}
	return d.Group(child)
}

// Combine joins parts with op (AndOp or OrOp), grouping every part whose operator differs.
// One part is returned unchanged; Combine panics on zero parts or another Op.
func (d Dialect) Combine(op Op, parts ...Expr) Expr {
	if op != AndOp && op != OrOp {
		panic("infix: Combine needs AndOp or OrOp")
	}
	if len(parts) == 0 {
		panic("infix: Combine of no parts")
	}
	if len(parts) == 1 {
		return parts[0]
	}
	sep := d.And
	if op == OrOp {
		sep = d.Or
	}
	texts := make([]string, len(parts))
	for i, p := range parts {
		texts[i] = d.operand(op, p).Text
	}
	return Expr{Text: strings.Join(texts, sep), Op: op}
}

// Negate returns NOT e, grouping e unless it is an atom. A negation is grouped before it
// is negated again, though a renderer never meets one (ir.Simplify removes double negations).
func (d Dialect) Negate(e Expr) Expr {
	return Expr{Text: d.Not + d.operand(NotOp, e).Text, Op: NotOp}
}

// RenderExpr renders tree in dialect d, calling leaf for every leaf, and returns the
// expression with its top-level operator, for callers that embed it in a larger one. It
// visits the whole tree and returns every diagnostic the leaves report; when one is an
// error, the expression is empty. The tree is rendered as given: callers pass it through
// ir.Simplify first.
func (d Dialect) RenderExpr(tree ir.Node, leaf LeafFunc) (Expr, diag.List) {
	return backends.Fold(tree, leaf, d.all(AndOp), d.all(OrOp), d.Negate)
}

// all joins its parts with op.
func (d Dialect) all(op Op) func([]Expr) Expr {
	return func(parts []Expr) Expr { return d.Combine(op, parts...) }
}
