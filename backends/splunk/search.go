package splunk

import (
	"math"
	"strings"

	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// renderSearch renders the (simplified) subtree n in `search` syntax, or reports false when
// `search` cannot express one of its leaves exactly.
func renderSearch(n ir.Node) (infix.Expr, bool) {
	ok := true
	e, _ := dialect.RenderExpr(n, func(leaf ir.Node) (infix.Expr, diag.List) {
		e, leafOK := searchLeaf(leaf)
		ok = ok && leafOK
		return e, nil
	})
	return e, ok
}

// searchLeaf renders a leaf in `search` syntax, or reports false when `search` cannot
// express it exactly (the leaf then goes to `| where`).
//
//   - string match: field="value", case-insensitive, whole value, `*` wildcard, any value
//     of a multivalue field. Not for cased values, `?` (a literal in search, docs/peers.md B3),
//     a literal `*` (unescapable), backticks, control characters or the empty string;
//   - numbers and booleans bare: EventID=4624, Flag=true;
//   - exists: field=* ; null: NOT field=* ;
//   - cidr: field="10.0.0.0/8" (search matches IPv4 and IPv6 CIDR values);
//   - compare: field>10.
func searchLeaf(n ir.Node) (infix.Expr, bool) {
	f := ir.Field(n)
	if !searchField(f) {
		return infix.Expr{}, false
	}
	switch n := n.(type) {
	case *ir.Match:
		if len(n.Pattern.Placeholders()) > 0 {
			return infix.Expr{}, false
		}
		switch n.Kind {
		case ir.Number:
			if numberExact(n.Pattern) {
				return infix.AtomExpr(f + "=" + n.Pattern.Literal()), true
			}
			// where reports the spelling no text test matches exactly.
			return infix.Expr{}, false
		case ir.Bool:
			if lit := n.Pattern.Literal(); (lit == "true" || lit == "false") && !n.Pattern.HasWildcard() {
				return infix.AtomExpr(f + "=" + lit), true
			}
		}
		if n.Cased || len(n.Pattern) == 0 {
			return infix.Expr{}, false
		}
		if v, ok := searchValue(n.Pattern); ok {
			return infix.AtomExpr(f + "=" + v), true
		}
	case *ir.Exists:
		return infix.AtomExpr(f + "=*"), true
	case *ir.Null:
		return infix.Expr{Text: "NOT " + f + "=*", Op: infix.NotOp}, true
	case *ir.CIDR:
		return infix.AtomExpr(f + "=" + quote(n.Prefix.Masked().String())), true
	case *ir.Compare:
		if !math.IsInf(n.Value.Value, 0) && !math.IsNaN(n.Value.Value) {
			return infix.AtomExpr(f + n.Op.String() + formatNum(n.Value)), true
		}
	case *ir.And, *ir.FieldRef, *ir.Keyword, *ir.Not, *ir.Or, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return infix.Expr{}, false
}

// searchValue renders a pattern as a search value: `*` for AnyString, literal text quoted
// and escaped segment by segment, after the modifiers added their wildcards (docs/peers.md
// B8), so a trailing backslash never escapes the wildcard that follows it. A lone `*`
// stays bare (field=* means "has a value").
func searchValue(p ir.Pattern) (string, bool) {
	if p.Shape() == ir.ShapeAny {
		return "*", true
	}
	var b strings.Builder
	for _, s := range p {
		switch s.Kind {
		case ir.Lit:
			if !searchSafeText(s.Text, false) {
				return "", false
			}
			b.WriteString(s.Text)
		case ir.AnyString:
			b.WriteByte('*')
		default:
			return "", false
		}
	}
	return quote(b.String()), true
}

// superset returns a search expression that every event matching n also matches, for a
// subtree that `search` cannot express exactly; false when there is none worth having.
// It is built only from exact search leaves and from widened string matches, so it is a
// superset by construction: And keeps the conjuncts that have one, Or needs one for
// every child, Not never has one.
func superset(n ir.Node) (infix.Expr, bool) {
	if e, ok := renderSearch(n); ok {
		return e, true
	}
	switch n := n.(type) {
	case *ir.And:
		var parts []infix.Expr
		for _, c := range n.Children {
			if e, ok := superset(c); ok {
				parts = append(parts, e)
			}
		}
		if len(parts) == 0 {
			return infix.Expr{}, false
		}
		return dialect.Combine(infix.AndOp, parts...), true
	case *ir.Or:
		parts := make([]infix.Expr, len(n.Children))
		for i, c := range n.Children {
			e, ok := superset(c)
			if !ok {
				return infix.Expr{}, false
			}
			parts[i] = e
		}
		return dialect.Combine(infix.OrOp, parts...), true
	case *ir.Match:
		return widenedMatch(n)
	case *ir.Keyword:
		return keywordSuperset(n)
	case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Not, *ir.Null, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return infix.Expr{}, false
}

// widenedMatch turns a string match search cannot express into a case-insensitive search
// term that matches at least the same values: `?`, a literal `*` and characters search
// cannot hold become `*`. A pattern that matches the empty string gets none, because
// whether field=* holds for an empty value is not something this backend relies on.
func widenedMatch(n *ir.Match) (infix.Expr, bool) {
	if n.Kind != ir.String || !searchField(n.Field) || canMatchEmpty(n.Pattern) || len(n.Pattern.Placeholders()) > 0 {
		return infix.Expr{}, false
	}
	var wide ir.Pattern
	for _, s := range n.Pattern {
		switch s.Kind {
		case ir.Lit:
			var lit strings.Builder
			for _, r := range s.Text {
				if searchSafeRune(r) && r != '*' {
					lit.WriteRune(r)
					continue
				}
				wide = append(wide, ir.Segment{Kind: ir.Lit, Text: lit.String()}, ir.Segment{Kind: ir.AnyString})
				lit.Reset()
			}
			wide = append(wide, ir.Segment{Kind: ir.Lit, Text: lit.String()})
		default:
			wide = append(wide, ir.Segment{Kind: ir.AnyString})
		}
	}
	v, ok := searchValue(wide.Normalize())
	if !ok {
		return infix.Expr{}, false
	}
	return infix.AtomExpr(n.Field + "=" + v), true
}
