package esql

import "github.com/sigmabridge/sigmabridge/backends/infix"

// ES|QL's parser refuses an expression nested deeper than 300 levels, and it reads a chain
// `a OR b OR c ...` as nested binary operators, one level per operand: a rule with a list of
// about 300 values (one OR leaf each) was refused by the node. combine therefore writes a
// long chain as a balanced tree of parenthesised groups of at most maxChain operands, which
// means the same (AND and OR are associative) and nests about maxChain + 2·log2(n/maxChain)
// levels instead of n.

// maxChain is the longest chain of one operator written flat.
const maxChain = 16

// combine joins parts with op like dialect.Combine, grouping a chain longer than maxChain.
func combine(op infix.Op, parts []infix.Expr) infix.Expr {
	if len(parts) <= maxChain {
		return dialect.Combine(op, parts...)
	}
	mid := len(parts) / 2
	return dialect.Combine(op, dialect.Group(combine(op, parts[:mid])), dialect.Group(combine(op, parts[mid:])))
}
