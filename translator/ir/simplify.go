package ir

// Simplify returns an equivalent tree with negations simplified and nested operators
// flattened: Not(Not(x)) becomes x, Not(Null{f}) becomes Exists{f}, And inside And and Or
// inside Or are merged, and an And or Or with one child becomes that child. It builds new
// inner nodes and never modifies tree. Renderers call it first, so none of them sees a
// double negation.
func Simplify(tree Node) Node {
	switch n := tree.(type) {
	case *And:
		cs := make([]Node, len(n.Children))
		for i, c := range n.Children {
			cs[i] = Simplify(c)
		}
		return NewAnd(cs...)
	case *Or:
		cs := make([]Node, len(n.Children))
		for i, c := range n.Children {
			cs[i] = Simplify(c)
		}
		return NewOr(cs...)
	case *Not:
		switch c := Simplify(n.Child).(type) {
		case *Not:
			return c.Child
		case *Null:
			return &Exists{Field: c.Field, Pos: c.Pos}
		case *And, *CIDR, *Compare, *Exists, *FieldRef, *Keyword, *Match, *Or, *Regex, *TimePart:
			return &Not{Child: c}
		}
	case *CIDR, *Compare, *Exists, *FieldRef, *Keyword, *Match, *Null, *Regex, *TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return tree
}
