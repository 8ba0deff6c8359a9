package esql

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmatch"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/esrender"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/lucene"
	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Target is the backend's name on the command line.
const Target = "esql"

// Backend renders rules as ES|QL queries. It has no state; the zero value is ready.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name returns "esql".
func (Backend) Name() string { return Target }

var dialect = infix.Dialect{And: " AND ", Or: " OR ", Not: "NOT ", Open: "(", Close: ")"}

// Convert renders one `FROM ... | WHERE ...` query per condition of r, or reports every
// construct ES|QL cannot express exactly.
//
// The source is the pipeline state "index" (a string or a list, joined by commas), `*`
// when it is unset. METADATA _id, _index, _version is requested because Kibana needs it
// to deduplicate the alerts of a non-aggregating ES|QL rule.
func (Backend) Convert(r *ir.Rule) ([]backends.Query, diag.List) {
	from, fromDiags := source(r)
	return backends.ConvertEach(r, fromDiags, func(cond ir.Node) (string, bool, diag.List) {
		text, ds := Render(r, cond)
		return "FROM " + from + " METADATA _id, _index, _version | WHERE " + text, false, ds
	})
}

// indexPattern matches the index names and patterns written bare after FROM.
var indexPattern = regexp.MustCompile(`^[A-Za-z0-9_.*:+-]+$`)

func source(r *ir.Rule) (string, diag.List) {
	names := r.Deployment.Index
	if len(names) == 0 {
		return "*", nil
	}
	var diags diag.List
	for _, n := range names {
		if !indexPattern.MatchString(n) {
			diags = append(diags, backends.Diag(r, nil, Target, diag.UnsupportedValue, "state index: %q is not an index name or pattern ES|QL takes after FROM", n))
		}
	}
	return strings.Join(names, ", "), diags
}

// Render renders one detection tree of r as an ES|QL boolean expression.
func Render(r *ir.Rule, tree ir.Node) (string, diag.List) {
	rd := renderer{Target: esrender.New(r, Target)}
	rd.UnknownFieldRefused = true // Unknown column [f]
	e, _ := rd.node(ir.Simplify(tree), false)
	if rd.rlikes > MaxRLIKE && !rd.diags.HasErrors() {
		rd.diags = append(rd.diags, backends.Diag(r, nil, Target, diag.UnsupportedRegexCount,
			"the query would hold %d regular expressions (RLIKE); Elasticsearch 8.19 compiles each one on its own, and above %d a query exhausts the node's heap or runs for minutes (backends/elasticsearch/esql/doc.go)", rd.rlikes, MaxRLIKE))
	}
	if rd.diags.HasErrors() {
		return "", rd.diags
	}
	return e.Text, rd.diags
}

// MaxRLIKE is the most RLIKE expressions one query may hold. Measured on 8.19 over one
// document (a 3 GiB heap, a 2-core machine): 500 answer in 5 s, 1000 in 21 s, 2000 not in
// 200 s, and the node's heap stays full of compiled patterns; the SigmaHQ corpus's largest
// rule needs 3,175, its next largest 547.
const MaxRLIKE = 1024

// renderer renders one rule: each leaf returns its expression or its diagnostics, and the
// walk over the tree gathers them in diags.
type renderer struct {
	esrender.Target
	diags  diag.List
	rlikes int // the RLIKE expressions rendered (MaxRLIKE)
}

// node renders a simplified tree and reports whether the expression can be null.
//
// ES|QL has three-valued logic: a comparison with a missing field is null, and WHERE keeps
// only true rows. Under AND and OR a null acts as false, which is Sigma's meaning, but NOT
// null is null, while Sigma's not is true when its operand is false for any reason (a
// missing field included). A negated operand that can be null is therefore wrapped in
// COALESCE(..., FALSE) first; QSTR may not stand inside COALESCE, so an operand holding a
// QSTR leaf has each of its nullable leaves wrapped instead (twoValued), which means the
// same: a null leaf counts as false either way.
func (rd *renderer) node(n ir.Node, twoValued bool) (infix.Expr, bool) {
	switch n := n.(type) {
	case *ir.And, *ir.Or:
		op := infix.AndOp
		if _, ok := n.(*ir.Or); ok {
			op = infix.OrOp
		}
		children := ir.Children(n)
		parts := make([]infix.Expr, len(children))
		nullable := false
		for i, c := range children {
			var cn bool
			parts[i], cn = rd.node(c, twoValued)
			nullable = nullable || cn
		}
		return combine(op, parts), nullable
	case *ir.Not:
		if ex, ok := n.Child.(*ir.Exists); ok {
			return rd.node(&ir.Null{Field: ex.Field, Pos: ex.Pos}, twoValued)
		}
		if rd.hasQSTR(n.Child) {
			child, _ := rd.node(n.Child, true)
			return dialect.Negate(child), false
		}
		child, nullable := rd.node(n.Child, false)
		if nullable {
			return infix.Expr{Text: "NOT COALESCE(" + child.Text + ", FALSE)", Op: infix.NotOp}, false
		}
		return dialect.Negate(child), false
	case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Match, *ir.Null, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	e, nullable, ds := rd.leaf(n)
	rd.diags = append(rd.diags, ds...)
	if twoValued && nullable {
		return infix.AtomExpr("COALESCE(" + e.Text + ", FALSE)"), false
	}
	return e, nullable
}

// hasQSTR reports whether some leaf of n is rendered with QSTR.
func (rd *renderer) hasQSTR(n ir.Node) bool {
	found := false
	ir.Inspect(n, func(c ir.Node) bool {
		if len(ir.Children(c)) == 0 && rd.viaQSTR(c) {
			found = true
		}
		return !found
	})
	return found
}

// viaQSTR reports whether a leaf is rendered as a query_string query inside QSTR, the one
// ES|QL function that reaches what its columns cannot give exactly: a number compared with
// a field of any type (a column compares only with a value of its own type, and no
// conversion reads keyword text and numbers alike), a flattened object's keyed fields
// (unknown columns), and fields that hold several values (a comparison with a multi-valued
// column is null; a query matches when any value does). Presence tests on a multi-valued
// field stay IS [NOT] NULL, which are exact there.
func (rd *renderer) viaQSTR(n ir.Node) bool {
	switch x := n.(type) {
	case *ir.Keyword:
		// A keyword has no column: QSTR's unbound term searches the index's default fields,
		// as the lucene target's keyword does (with the same keyword-scope warning).
		return true
	case *ir.Match:
		if x.Kind == ir.Number {
			return true
		}
	case *ir.Exists, *ir.Null:
		return rd.Mapping.FlattenedObject(ir.Field(n)) != ""
	case *ir.And, *ir.CIDR, *ir.Compare, *ir.FieldRef, *ir.Not, *ir.Or, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	for _, f := range esmatch.LeafFields(n) {
		if rd.Mapping.FlattenedObject(f) != "" || rd.Mapping.IsMultiValued(f) {
			return true
		}
	}
	return false
}

// qstr renders a leaf as QSTR with the lucene target's query_string for it.
func (rd *renderer) qstr(n ir.Node) (infix.Expr, bool, diag.List) {
	if m, ok := n.(*ir.Match); ok && m.Kind == ir.Bool && rd.Mapping.FlattenedObject(m.Field) == "" {
		// query_string's term is exact on a boolean field but case-sensitive on a keyword
		// one, and TO_STRING is null on several values.
		return infix.Expr{}, false, rd.Fail(n, diag.UnsupportedMultiValued, "%s: the field may hold several values (pipeline state %s), which ES|QL compares exactly only through QSTR, and query_string has no boolean match exact on both boolean and keyword fields", n, ir.StateMultiValued)
	}
	switch n.(type) {
	case *ir.FieldRef, *ir.TimePart:
		for _, f := range esmatch.LeafFields(n) {
			if obj := rd.Mapping.FlattenedObject(f); obj != "" {
				return infix.Expr{}, false, rd.Fail(n, diag.UnsupportedFlattened, "%s: field %s is in the flattened object %s (pipeline state %s or the index mapping), which ES|QL reads only through QSTR, and query_string cannot compare fields or extract a part of a timestamp", n, f, obj, ir.StateFlattened)
			}
		}
		return infix.Expr{}, false, rd.Fail(n, diag.UnsupportedMultiValued, "%s: a field of it may hold several values (pipeline state %s), which ES|QL compares exactly only through QSTR, and query_string cannot compare fields or extract a part of a timestamp", n, ir.StateMultiValued)
	case *ir.Null:
		// NOT of the presence query: QSTR is never null.
		e, nullable, ds := rd.qstr(&ir.Exists{Field: ir.Field(n), Pos: ir.Position(n)})
		return dialect.Negate(e), nullable, ds
	case *ir.And, *ir.CIDR, *ir.Compare, *ir.Exists, *ir.Keyword, *ir.Match, *ir.Not, *ir.Or, *ir.Regex:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	// What the lucene leaf says holds for the QSTR too (keyword-scope).
	text, ds := lucene.RenderLeaf(rd.Target, n)
	if ds.HasErrors() {
		return infix.Expr{}, false, ds
	}
	return infix.AtomExpr("QSTR(" + quote(text) + ")"), false, ds
}

func (rd *renderer) leaf(n ir.Node) (infix.Expr, bool, diag.List) {
	n, ds := rd.Typed(n)
	if ds != nil {
		return infix.Expr{}, false, ds
	}
	if ds := rd.CheckLeaf(n, nil, nil); ds != nil {
		return infix.Expr{}, false, ds
	}
	if rd.viaQSTR(n) {
		return rd.qstr(n)
	}
	switch n := n.(type) {
	case *ir.Match:
		return rd.match(n)
	case *ir.Regex:
		re, ds := rd.Regexp(n, false)
		if ds != nil {
			return infix.Expr{}, false, ds
		}
		return rd.rlike(n, field(n.Field), re.Chunks)
	case *ir.CIDR:
		if rd.Mapping.IP[n.Field] {
			block, err := esmatch.IPFieldCIDR(n.Prefix)
			if err != nil {
				return infix.Expr{}, false, rd.Fail(n, diag.UnsupportedCIDR, "%s: %v", n, err)
			}
			return atom("CIDR_MATCH(" + field(n.Field) + ", " + quote(block) + ")")
		}
		// CIDR_MATCH needs an ip-typed field; most string fields are keyword, so match the
		// spellings of the addresses in the prefix instead.
		return rd.rlike(n, field(n.Field), esrender.CIDRRegexps(n))
	case *ir.Compare:
		if ds := rd.CheckNumber(n); ds != nil {
			return infix.Expr{}, false, ds
		}
		return atom(field(n.Field) + " " + n.Op.String() + " " + n.Value.Text)
	case *ir.Exists:
		return infix.AtomExpr(presence(n.Field, false)), false, nil
	case *ir.Null:
		return infix.AtomExpr(presence(n.Field, true)), false, nil
	case *ir.FieldRef:
		return rd.fieldRef(n)
	case *ir.TimePart:
		return rd.timePart(n)
	case *ir.And, *ir.Keyword, *ir.Not, *ir.Or:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return infix.Expr{}, false, rd.Fail(n, diag.Unsupported, "%s: no ES|QL form", n)
}

// atom is a leaf that is null when its field is missing.
func atom(text string) (infix.Expr, bool, diag.List) { return infix.AtomExpr(text), true, nil }

// rlike is `lhs RLIKE "re"` for the expressions chunks gives, or an OR of them when the
// expression had to be split to fit Elasticsearch's length limit.
func (rd *renderer) rlike(n ir.Node, lhs string, chunks func() ([]string, error)) (infix.Expr, bool, diag.List) {
	res, ds := rd.Regexps(n, chunks)
	if ds != nil {
		return infix.Expr{}, false, ds
	}
	parts := make([]infix.Expr, len(res))
	for i, re := range res {
		parts[i] = infix.AtomExpr(lhs + " RLIKE " + quote(re))
	}
	rd.rlikes += len(res)
	return dialect.Combine(infix.OrOp, parts...), true, nil
}

func (rd *renderer) match(n *ir.Match) (infix.Expr, bool, diag.List) {
	if ds := rd.CheckPlaceholders(n, n.Pattern); ds != nil {
		return infix.Expr{}, false, ds
	}
	f := field(n.Field)
	p := n.Pattern
	if n.Kind == ir.Bool {
		// Sigma's boolean matches JSON booleans and the strings true and false in any
		// case: the text of a boolean column and of a keyword alike, case-insensitively.
		f = "TO_STRING(" + f + ")"
	} else if p.Shape() == ir.ShapeAny {
		return infix.AtomExpr(presence(n.Field, false)), false, nil
	}
	if n.Cased && n.Kind == ir.String || !esmatch.PatternHasCase(p) {
		return atom(compare(f, p))
	}
	// ==, LIKE and RLIKE compare case-sensitively. Lower-casing the value is exact where
	// every letter's case orbit lowers to letters nothing else lowers to.
	switch esmatch.LowerFormOf(p) {
	case esmatch.LowerText:
		return atom(compare(lowered(f), esmatch.LowerPattern(p)))
	case esmatch.LowerRegexp:
		return rd.rlike(n, lowered(f), esrender.GlobRegexps(p, esmatch.FoldLower))
	}
	return rd.rlike(n, f, esrender.GlobRegexps(p, esmatch.FoldAll))
}

// compare is `lhs == "literal"` for an exact pattern and `lhs LIKE "pattern"` otherwise.
func compare(lhs string, p ir.Pattern) string {
	if !p.HasWildcard() {
		return lhs + " == " + quote(p.Literal())
	}
	return lhs + " LIKE " + quote(esrender.EscapedWildcard(p))
}

func (rd *renderer) fieldRef(n *ir.FieldRef) (infix.Expr, bool, diag.List) {
	if n.Ref == "" {
		return infix.Expr{}, false, rd.Fail(n, diag.UnsupportedFieldName, "the referenced field name is empty")
	}
	a, b := field(n.Field), field(n.Ref)
	if !n.Cased {
		// TO_LOWER alone does not compare like case folding (ſ stays apart from s, İ
		// lowers to i and U+0307): compare the fold keys instead, one rune per orbit.
		a, b = foldKey(a), foldKey(b)
	}
	switch n.Shape {
	case ir.ShapeExact:
		return atom(a + " == " + b)
	case ir.ShapePrefix:
		return atom("STARTS_WITH(" + a + ", " + b + ")")
	case ir.ShapeSuffix:
		return atom("ENDS_WITH(" + a + ", " + b + ")")
	case ir.ShapeContains:
		// LOCATE is 1-based and 0 when the substring is absent; the empty string is found
		// at 1, as Sigma's contains finds it in every value.
		return atom("LOCATE(" + a + ", " + b + ") > 0")
	}
	return infix.Expr{}, false, rd.Fail(n, diag.UnsupportedFieldRef, "%s: no ES|QL form for this comparison of two fields", n)
}

// foldKey wraps an expression in the replacements and TO_LOWER of esmatch.FoldKey, which
// give two values the same key exactly when they are equal under simple case folding.
func foldKey(expr string) string {
	plan := esmatch.FoldKey()
	replace := func(expr string, rs []esmatch.Replacement) string {
		for _, r := range rs {
			expr = "REPLACE(" + expr + ", " + quote(r.Pattern()) + ", " + quote(string(r.To)) + ")"
		}
		return expr
	}
	return replace("TO_LOWER("+replace(expr, plan.Pre)+")", plan.Post)
}

// dateParts names the DATE_EXTRACT part of each time unit; ISO week has none.
var dateParts = map[ir.TimeUnit]string{
	ir.Minute: "minute_of_hour",
	ir.Hour:   "hour_of_day",
	ir.Day:    "day_of_month",
	ir.Month:  "month_of_year",
	ir.Year:   "year",
}

func (rd *renderer) timePart(n *ir.TimePart) (infix.Expr, bool, diag.List) {
	part, ok := dateParts[n.Part]
	if !ok {
		return infix.Expr{}, false, rd.Fail(n, diag.UnsupportedTimePart, "%s: DATE_EXTRACT has no ISO week-of-year part", n)
	}
	return atom(fmt.Sprintf("DATE_EXTRACT(%s, %s) == %d", quote(part), field(n.Field), n.Value))
}

// presence is `field IS NOT NULL`, or `field IS NULL` when absent. Elasticsearch runs a
// presence test on a field as an exists query, which reads a name holding `*` as a pattern
// of field names, backticks or not (a field named a* would be present wherever ab is);
// MV_COUNT is computed on the column itself, and is null exactly when the field is.
//
// Absence is written NOT (field IS NOT NULL), never field IS NULL: 8.19's optimizer
// (PropagateNullable) takes a conjunct `field IS NULL` as leave to fold every OR beside it
// that reads the field to null, so `f IS NULL AND (x OR f == "v")` drops the rows where x
// holds (TestLiveAbsenceBesideOr).
func presence(name string, absent bool) string {
	f := field(name)
	if strings.Contains(name, "*") {
		f = "MV_COUNT(" + f + ")"
		if absent {
			return f + " IS NULL"
		}
	} else if absent {
		return "NOT (" + f + " IS NOT NULL)"
	}
	return f + " IS NOT NULL"
}

// keywords are the ES|QL words that cannot stand as a bare identifier in a WHERE
// expression, in any case (the lexer is case-insensitive): the operators and literals of
// the expression grammar, and `where`, which the 8.19 grammar reads as a nested WHERE
// there. `true`, `false` and `null` parse bare, as the literals.
var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "is": true, "null": true, "true": true, "false": true,
	"like": true, "rlike": true, "in": true, "by": true, "asc": true, "desc": true, "nulls": true,
	"first": true, "last": true, "on": true, "with": true, "metadata": true, "as": true,
	"where": true,
}

// field writes a field name, in backticks unless it is a plain dotted identifier.
func field(name string) string { return esrender.Identifier(name, keywords) }

// quote writes s as an ES|QL string literal, with the escapes ES|QL reads.
func quote(s string) string { return esrender.Quote(s, escapes) }

var escapes = map[rune]string{'\n': `\n`, '\r': `\r`, '\t': `\t`}
