package splunk

import (
	"fmt"

	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// renderWhere renders a subtree as one `where` (eval) expression. checkLeaf has accepted
// every leaf, so whereLeaf reports no diagnostic.
func renderWhere(n ir.Node) infix.Expr {
	e, _ := dialect.RenderExpr(n, func(leaf ir.Node) (infix.Expr, diag.List) {
		return whereLeaf(leaf), nil
	})
	return e
}

// whereLeaf renders a leaf as an eval expression. String tests go through
// mvfind(field, regex), which is true when ANY value of a multivalue field matches and null
// (so false under isnotnull) when the field is missing; patterns become anchored PCRE.
//
//   - match:   isnotnull(mvfind('f', "(?i)\A...\z"))
//   - regex:   isnotnull(mvfind('f', "<regex reprinted as PCRE>"))
//   - exists:  isnotnull('f') ; null: isnull('f')
//   - cidr:    isnotnull(mvfilter(cidrmatch("10.0.0.0/8", 'f')))
//   - compare: isnotnull(mvfilter(tonumber('f')>10)) (tonumber is null, so the test
//     false, for a value that is not numeric)
//   - fieldref: lower('a')==lower('b'), 'a'=='b' when cased; prefix and suffix compare
//     substr() of the length of the reference.
//   - keyword: isnotnull(mvfind('_sb_kw_values', "(?i)text")), unanchored, on the values
//     keywordStage gathered before the where (keyword.go).
//
// mvfilter keeps the values of the one field its predicate reads for which it is true and
// is null when none is, so cidr and compare, like mvfind, test every value.
func whereLeaf(n ir.Node) infix.Expr {
	f := fieldRef(ir.Field(n))
	switch n := n.(type) {
	case *ir.Match:
		cased := n.Cased || n.Kind == ir.Number
		return infix.AtomExpr(mvMatch(f, pcreFromPattern(n.Pattern, cased)))
	case *ir.Regex:
		re, err := pcreFromRegex(n.Pattern, n.Flags)
		if err != nil {
			panic("splunk: regex accepted by checkLeaf does not parse: " + err.Error())
		}
		return infix.AtomExpr(mvMatch(f, re))
	case *ir.Exists:
		return infix.AtomExpr("isnotnull(" + f + ")")
	case *ir.Null:
		return infix.AtomExpr("isnull(" + f + ")")
	case *ir.CIDR:
		return infix.AtomExpr(mvAny(fmt.Sprintf("cidrmatch(%s, %s)", quote(n.Prefix.Masked().String()), f)))
	case *ir.Compare:
		return infix.AtomExpr(mvAny(fmt.Sprintf("tonumber(%s)%s%s", f, n.Op, formatNum(n.Value))))
	case *ir.FieldRef:
		return fieldRefExpr(n)
	case *ir.Keyword:
		return keywordLeaf(n)
	case *ir.And, *ir.Not, *ir.Or, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	panic("splunk: no where form for " + n.String())
}

// fieldRef writes a field name as an eval field reference (single-quoted, which eval
// requires for dotted names and names with dashes such as x-ms-mail-application).
func fieldRef(f string) string { return "'" + f + "'" }

func mvAny(predicate string) string { return "isnotnull(mvfilter(" + predicate + "))" }

func mvMatch(field, pcre string) string {
	return fmt.Sprintf("isnotnull(mvfind(%s, %s))", field, quote(pcre))
}

// fieldRefExpr compares two fields of the same event. A missing side makes every form
// null, so false.
func fieldRefExpr(n *ir.FieldRef) infix.Expr {
	field := fieldRef(n.Field)
	a, b := field, fieldRef(n.Ref)
	if !n.Cased {
		a, b = "lower("+a+")", "lower("+b+")"
	}
	switch n.Shape {
	case ir.ShapePrefix:
		return emptyRefOr(field, b, fmt.Sprintf("substr(%s, 1, len(%s))==%s", a, b, b))
	case ir.ShapeSuffix:
		return emptyRefOr(field, b, fmt.Sprintf("substr(%s, -len(%s))==%s", a, b, b))
	}
	return infix.AtomExpr(a + "==" + b)
}

// emptyRefOr guards substr() against a zero length, whose result SPL does not define:
// an empty reference is a prefix and a suffix of every present value.
func emptyRefOr(field, ref, cmp string) infix.Expr {
	empty := dialect.Combine(infix.AndOp,
		infix.AtomExpr(fmt.Sprintf("len(%s)==0", ref)), infix.AtomExpr(fmt.Sprintf("isnotnull(%s)", field)))
	return dialect.Combine(infix.OrOp, empty, infix.AtomExpr(cmp))
}
