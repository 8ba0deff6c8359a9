package lucene

import (
	"strings"
	"unicode"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmatch"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/esrender"
	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Target is the backend's name on the command line.
const Target = "lucene"

// Backend renders rules in Elasticsearch's query_string syntax. It has no state; the zero
// value is ready.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name returns "lucene".
func (Backend) Name() string { return Target }

// dialect groups a negation under OR: the classic query parser turns `a OR NOT b` into one
// boolean query with a SHOULD and a MUST_NOT clause, which means a AND NOT b; `a OR (NOT b)`
// keeps the negation in its own boolean query, to which Elasticsearch adds the match-all
// clause a purely negative query needs.
var dialect = infix.Dialect{And: " AND ", Or: " OR ", Not: "NOT ", Open: "(", Close: ")", GroupNotInOr: true}

// Convert renders one query per condition of r, or reports every construct query_string
// cannot express exactly.
func (Backend) Convert(r *ir.Rule) ([]backends.Query, diag.List) {
	return backends.ConvertEach(r, nil, func(cond ir.Node) (string, bool, diag.List) {
		text, ds := Render(r, cond)
		return text, false, ds
	})
}

// Render renders one detection tree of r as a query_string query.
func Render(r *ir.Rule, tree ir.Node) (string, diag.List) {
	e, ds := dialect.RenderExpr(ir.Simplify(tree), renderer{esrender.New(r, Target)}.leaf)
	return e.Text, ds
}

// RenderLeaf renders one leaf as a query_string query for a target that embeds query_string
// (ES|QL's QSTR): the diagnostics name that target.
func RenderLeaf(t esrender.Target, n ir.Node) (string, diag.List) {
	e, ds := renderer{t}.leaf(n)
	return e.Text, ds
}

// renderer renders the leaves of one rule: each returns its expression or its diagnostics.
type renderer struct {
	esrender.Target
}

// flattened is what query_string cannot ask of a flattened field: it has no
// case-insensitive term there.
func flattened(n ir.Node, m esmatch.Mapping) (diag.Code, string) {
	return esmatch.FlattenedUnsupported(n, m, false)
}

func (rd renderer) leaf(n ir.Node) (infix.Expr, diag.List) {
	n, ds := rd.Typed(n)
	if ds != nil {
		return infix.Expr{}, ds
	}
	if ds := rd.CheckLeaf(n, fieldNameProblem, flattened); ds != nil {
		return infix.Expr{}, ds
	}
	switch n := n.(type) {
	case *ir.Match:
		return rd.match(n)
	case *ir.Keyword:
		term, ds := Keyword(rd.Target, n, "query_string cannot")
		return infix.AtomExpr(term), ds
	case *ir.Regex:
		re, ds := rd.Regexp(n, false)
		if ds != nil {
			return infix.Expr{}, ds
		}
		return rd.regexps(n, n.Field, re.Chunks)
	case *ir.CIDR:
		if rd.Mapping.IP[n.Field] {
			// An ip field takes the block as a quoted term.
			block, err := esmatch.IPFieldCIDR(n.Prefix)
			if err != nil {
				return infix.Expr{}, rd.Fail(n, diag.UnsupportedCIDR, "%s: %v", n, err)
			}
			return infix.AtomExpr(field(n.Field) + ":" + quoteTerm(block)), nil
		}
		// Most string fields are mapped as keyword, where a CIDR term is plain text: match
		// the spellings of the addresses in the prefix instead.
		return rd.regexps(n, n.Field, esrender.CIDRRegexps(n))
	case *ir.Compare:
		if ds := rd.CheckNumber(n); ds != nil {
			return infix.Expr{}, ds
		}
		return infix.AtomExpr(field(n.Field) + ":" + n.Op.String() + escapeTerm(n.Value.Text)), nil
	case *ir.Exists:
		return infix.AtomExpr("_exists_:" + field(n.Field)), nil
	case *ir.Null:
		return infix.Expr{Text: "NOT _exists_:" + field(n.Field), Op: infix.NotOp}, nil
	case *ir.FieldRef:
		return infix.Expr{}, rd.Fail(n, diag.UnsupportedFieldRef, "%s: query_string compares fields only with constants", n)
	case *ir.TimePart:
		return infix.Expr{}, rd.Fail(n, diag.UnsupportedTimePart, "%s: query_string cannot extract a part of a timestamp", n)
	case *ir.And, *ir.Not, *ir.Or:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return infix.Expr{}, rd.Fail(n, diag.Unsupported, "%s: no query_string form", n)
}

func (rd renderer) match(n *ir.Match) (infix.Expr, diag.List) {
	if ds := rd.CheckPlaceholders(n, n.Pattern); ds != nil {
		return infix.Expr{}, ds
	}
	f := field(n.Field)
	switch n.Kind {
	case ir.Number:
		if ds := rd.CheckNumber(n); ds != nil {
			return infix.Expr{}, ds
		}
		return infix.AtomExpr(f + ":" + escapeTerm(n.Pattern.Literal())), nil
	case ir.Bool:
		return infix.AtomExpr(f + ":" + n.Pattern.Literal()), nil
	}
	if n.Pattern.Shape() == ir.ShapeAny {
		// `*` matches any value the field has; query_string's f:* means the same.
		return infix.AtomExpr("_exists_:" + f), nil
	}
	if !n.Cased && esmatch.PatternHasCase(n.Pattern) {
		// keyword fields compare case-sensitively, and query_string has no option to
		// change that: spell each letter's case orbit out in a regular expression.
		return rd.regexps(n, n.Field, esrender.GlobRegexps(n.Pattern, esmatch.FoldAll))
	}
	if lit := n.Pattern.Literal(); !n.Pattern.HasWildcard() && (strings.HasPrefix(lit, "<") || strings.HasPrefix(lit, ">")) {
		// Elasticsearch reads an unquoted term starting with < or > as a range, escaped or
		// not; a quoted one is a term.
		return infix.AtomExpr(f + ":" + quoteTerm(n.Pattern.Literal())), nil
	}
	return infix.AtomExpr(f + ":" + globTerm(n.Pattern)), nil
}

// quoteTerm writes s as a quoted query_string term, escaping `"` and `\`.
func quoteTerm(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// regexps renders the regular expressions chunks gives for a leaf on field f: one term, or
// an OR of terms when the expression had to be split to fit Elasticsearch's length limit.
func (rd renderer) regexps(n ir.Node, f string, chunks func() ([]string, error)) (infix.Expr, diag.List) {
	res, ds := rd.Regexps(n, chunks)
	if ds != nil {
		return infix.Expr{}, ds
	}
	parts := make([]infix.Expr, len(res))
	for i, re := range res {
		slashed, err := esmatch.SlashedRegexp(re)
		if err != nil {
			return infix.Expr{}, rd.Fail(n, diag.UnsupportedRegexLength, "%s: %v", n, err)
		}
		parts[i] = infix.AtomExpr(field(f) + ":" + slashed)
	}
	return dialect.Combine(infix.OrOp, parts...), nil
}

// Keyword renders a keyword (a value with no field, found anywhere in the event) as an
// unbound query_string term, which searches the index's default fields, with the
// keyword-scope warning every keyword search carries. It fails a keyword with a placeholder,
// one that matches any string value (which none, the target's words for what lacks a test
// over all fields, can test), and one whose case-insensitive regular expression is too long
// for Elasticsearch.
func Keyword(t esrender.Target, n *ir.Keyword, none string) (string, diag.List) {
	if ds := t.CheckPlaceholders(n, n.Pattern); ds != nil {
		return "", ds
	}
	p := n.Pattern.Wrap(true, true)
	if p.Shape() == ir.ShapeAny {
		return "", t.Fail(n, diag.UnsupportedKeyword, "keyword %q matches any string value, which %s test over all fields", n.Pattern.String(), none)
	}
	var term string
	if !n.Cased && esmatch.PatternHasCase(p) {
		re, err := esmatch.FitRegexp(esmatch.GlobRegexp(p, esmatch.FoldAll))
		if err != nil {
			return "", t.Fail(n, diag.UnsupportedRegexLength, "keyword %q: %v", n.Pattern.String(), err)
		}
		if term, err = esmatch.SlashedRegexp(re[0]); err != nil {
			return "", t.Fail(n, diag.UnsupportedRegexLength, "keyword %q: %v", n.Pattern.String(), err)
		}
	} else {
		term = globTerm(p)
	}
	return term, t.Warn(n, diag.KeywordScope, "keyword %q searches the index's default fields (index.query.default_field); it is exact when those are the event's string fields, mapped as keyword", n.Pattern.String())
}

// globTerm writes a pattern as a query_string term: literal characters escaped, `*` and `?`
// bare (a wildcard query then), the empty value as "".
func globTerm(p ir.Pattern) string {
	if len(p) == 0 {
		return `""`
	}
	var b strings.Builder
	esmatch.WritePattern(&b, p, func(text string) { b.WriteString(escapeTerm(text)) }, "*", "?")
	return b.String()
}

// special holds the characters query_string reserves; each is written after a backslash.
const special = `+-=&|><!(){}[]^"~*?:\/`

// escapeTerm escapes s for query_string: reserved characters and whitespace get a
// backslash, and a term that is exactly one of the operator words AND, OR, NOT has its
// first letter escaped so it is read as a word.
func escapeTerm(s string) string {
	var b strings.Builder
	switch s {
	case "AND", "OR", "NOT":
		b.WriteByte('\\')
	}
	for _, r := range s {
		if strings.ContainsRune(special, r) || unicode.IsSpace(r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// field writes a field name for query_string: reserved characters (such as the dashes of
// x-ms-mail-application) and whitespace escaped; the parser removes the backslashes.
func field(name string) string { return escapeTerm(name) }

// fieldNameProblem says why a (non-empty) field name cannot be written, or returns "".
func fieldNameProblem(name string) string {
	switch {
	case strings.Contains(name, "*"):
		// query_string expands `*` in a field name as a pattern over the mapping, even
		// when it is escaped.
		return "contains *, which query_string reads as a field-name pattern"
	case name == "_exists_":
		return "is query_string's reserved _exists_"
	}
	return ""
}
