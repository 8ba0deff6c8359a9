package splunk

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/backends/splunk/splfields"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// whereLeaf renders a leaf as an eval expression, or returns the diagnostics of what in it
// SPL cannot express. String tests go through
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
func whereLeaf(r *ir.Rule, n ir.Node) (infix.Expr, diag.List) {
	var ds diag.List
	fail := func(code diag.Code, format string, args ...any) (infix.Expr, diag.List) {
		ds = append(ds, backends.Diag(r, n, Target, code, format, args...))
		return infix.Expr{}, ds
	}
	f := ir.Field(n)
	if _, keyword := n.(*ir.Keyword); !keyword && fieldNameProblem(f) != "" {
		fail(diag.UnsupportedFieldName, "field name %q %s", f, fieldNameProblem(f))
	}
	f = fieldRef(f)
	var e infix.Expr
	switch n := n.(type) {
	case *ir.Match:
		if names := n.Pattern.Placeholders(); len(names) > 0 {
			return fail(diag.UnresolvedPlaceholder, "field %s: placeholder %%%s%% has no value", n.Field, names[0])
		}
		if n.Kind == ir.Number && splfields.NumberField(r.Deployment.Mapping, n.Field) {
			// The description of the extracted fields says every value is a number:
			// compare numerically, as the evaluator does (10 equals 10.0 and 1e1).
			v, err := strconv.ParseFloat(n.Pattern.Literal(), 64)
			if n.Pattern.HasWildcard() || err != nil || math.IsInf(v, 0) {
				return fail(diag.UnsupportedValue, "field %s: %q is not a finite number to compare numerically", n.Field, n.Pattern.String())
			}
			e = infix.AtomExpr(mvAny(fmt.Sprintf("tonumber(%s)==%s", f, formatNum(ir.Num{Text: n.Pattern.Literal(), Value: v}))))
			break
		}
		if n.Kind == ir.Number && !numberExact(n.Pattern) {
			return fail(diag.UnsupportedValue, "field %s: the number %q is not a plain decimal number: SPL compares the text of a value, and no text test finds exactly the values equal to it (the Elasticsearch targets refuse it too)", n.Field, n.Pattern.String())
		}
		cased := n.Cased || n.Kind == ir.Number
		e = infix.AtomExpr(mvMatch(f, pcreFromPattern(n.Pattern, cased)))
	case *ir.Regex:
		re, err := pcreFromRegex(n.Pattern, n.Flags)
		if err != nil {
			return fail(diag.UnsupportedRegex, "field %s: %v", n.Field, err)
		}
		e = infix.AtomExpr(mvMatch(f, re))
	case *ir.Exists:
		e = infix.AtomExpr("isnotnull(" + f + ")")
	case *ir.Null:
		e = infix.AtomExpr("isnull(" + f + ")")
	case *ir.CIDR:
		e = infix.AtomExpr(mvAny(fmt.Sprintf("cidrmatch(%s, %s)", quote(n.Prefix.Masked().String()), f)))
	case *ir.Compare:
		if math.IsInf(n.Value.Value, 0) || math.IsNaN(n.Value.Value) {
			return fail(diag.UnsupportedValue, "%s: the bound is not a finite number", n)
		}
		e = infix.AtomExpr(mvAny(fmt.Sprintf("tonumber(%s)%s%s", f, n.Op, formatNum(n.Value))))
	case *ir.FieldRef:
		if reason := fieldNameProblem(n.Ref); reason != "" {
			fail(diag.UnsupportedFieldName, "field name %q %s", n.Ref, reason)
		}
		if n.Shape != ir.ShapeExact && n.Shape != ir.ShapePrefix && n.Shape != ir.ShapeSuffix {
			return fail(diag.UnsupportedFieldRef, "%s: SPL eval has no literal substring test of one field in another", n)
		}
		for _, g := range []string{n.Field, n.Ref} {
			if sigma := strings.ReplaceAll(g, "{}", ""); sigma != g || r.Deployment.IsMultiValued(sigma) {
				return fail(diag.UnsupportedMultiValued, "%s: field %s may hold several values (%s), and eval compares a multivalue field as one value, not each of its values with the other field's", n, g, multiValuedWhy(sigma != g))
			}
		}
		e = fieldRefExpr(n)
	case *ir.Keyword:
		if names := n.Pattern.Placeholders(); len(names) > 0 {
			return fail(diag.UnresolvedPlaceholder, "keyword: placeholder %%%s%% has no value", names[0])
		} else if text, ok := scalarTextWitness(n.Pattern, n.Cased); ok {
			return fail(diag.UnsupportedKeyword, "keyword %q can match %s, the text of a JSON number, boolean or null, which Splunk extracts like a string: no SPL test tells it from a string value, and only strings are searched",
				n.Pattern.String(), describeWitness(text))
		}
		e = keywordLeaf(n)
	case *ir.TimePart:
		return fail(diag.UnsupportedTimePart, "%s: SPL has no UTC time-part extraction for RFC 3339 and epoch fields", n)
	case *ir.And, *ir.Not, *ir.Or:
		// not leaves (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	if len(ds) > 0 {
		return infix.Expr{}, ds
	}
	return e, nil
}

// multiValuedWhy says how a field came to be known to hold several values.
func multiValuedWhy(braced bool) string {
	if braced {
		return "its extracted name steps through an array, {}, in the fields description"
	}
	return "pipeline state " + ir.StateMultiValued
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
