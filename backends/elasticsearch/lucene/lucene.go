package lucene

import (
	"fmt"
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

var dialect = infix.Dialect{And: " AND ", Or: " OR ", Not: "NOT ", Open: "(", Close: ")"}

// Convert renders one query per condition of r, or reports every construct query_string
// cannot express exactly.
func (Backend) Convert(r *ir.Rule) ([]backends.Query, diag.List) {
	return esrender.ConvertEach(r, func(cond ir.Node) (string, bool, diag.List) {
		text, ds := Render(r, cond)
		return text, false, ds
	})
}

// Render renders one detection tree of r as a query_string query.
func Render(r *ir.Rule, tree ir.Node) (string, diag.List) {
	rd := renderer{esrender.New(r, Target)}
	e := rd.node(ir.Simplify(tree))
	if rd.Failed() {
		return "", rd.Diags
	}
	return e.Text, rd.Diags
}

// RenderLeaf renders one leaf of r as a query_string query for a target that embeds
// query_string (ES|QL's QSTR): the diagnostics name that target.
func RenderLeaf(r *ir.Rule, n ir.Node, target string) (string, diag.List) {
	rd := renderer{esrender.New(r, target)}
	e := rd.leaf(n)
	if rd.Failed() {
		return "", rd.Diags
	}
	return e.Text, rd.Diags
}

type renderer struct {
	esrender.Renderer
}

// fail records an error and returns a placeholder expression.
func (rd *renderer) fail(n ir.Node, code diag.Code, format string, args ...any) infix.Expr {
	rd.Fail(n, code, format, args...)
	return infix.AtomExpr("")
}

// node renders a simplified tree. A negation under OR is grouped: the classic query parser
// turns `a OR NOT b` into one boolean query with a SHOULD and a MUST_NOT clause, which
// means a AND NOT b; `a OR (NOT b)` keeps the negation in its own boolean query, to which
// Elasticsearch adds the match-all clause a purely negative query needs.
func (rd *renderer) node(n ir.Node) infix.Expr {
	switch n := n.(type) {
	case *ir.And:
		parts := make([]infix.Expr, len(n.Children))
		for i, c := range n.Children {
			parts[i] = rd.node(c)
		}
		return dialect.Combine(infix.AndOp, parts...)
	case *ir.Or:
		parts := make([]infix.Expr, len(n.Children))
		for i, c := range n.Children {
			parts[i] = rd.node(c)
			if parts[i].Op == infix.NotOp {
				parts[i] = dialect.Group(parts[i])
			}
		}
		return dialect.Combine(infix.OrOp, parts...)
	case *ir.Not:
		return dialect.Negate(rd.node(n.Child))
	case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Match, *ir.Null, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return rd.leaf(n)
}

func (rd *renderer) leaf(n ir.Node) infix.Expr {
	// query_string has no case-insensitive term for a flattened field.
	if !rd.CheckField(n, fieldNameProblem) || !rd.CheckMapping(n, false) {
		return infix.AtomExpr("")
	}
	switch n := n.(type) {
	case *ir.Match:
		return rd.match(n)
	case *ir.Keyword:
		return rd.keyword(n)
	case *ir.Regex:
		re, ok := rd.Regexp(n, false)
		if !ok {
			return infix.AtomExpr("")
		}
		return rd.regexps(n, n.Field, re.Chunks)
	case *ir.CIDR:
		if rd.Mapping.IP[n.Field] {
			// An ip field takes the block as a quoted term.
			block, err := esmatch.IPFieldCIDR(n.Prefix)
			if err != nil {
				return rd.fail(n, diag.UnsupportedCIDR, "%s: %v", n, err)
			}
			return infix.AtomExpr(field(n.Field) + ":" + quoteTerm(block))
		}
		// Most string fields are mapped as keyword, where a CIDR term is plain text: match
		// the spellings of the addresses in the prefix instead.
		return rd.regexps(n, n.Field, esrender.CIDRRegexps(n))
	case *ir.Compare:
		if !rd.CheckNumber(n) {
			return infix.AtomExpr("")
		}
		return infix.AtomExpr(field(n.Field) + ":" + n.Op.String() + escapeTerm(n.Value.Text))
	case *ir.Exists:
		return infix.AtomExpr("_exists_:" + field(n.Field))
	case *ir.Null:
		return infix.Expr{Text: "NOT _exists_:" + field(n.Field), Op: infix.NotOp}
	case *ir.FieldRef:
		return rd.fail(n, diag.UnsupportedFieldRef, "%s: query_string compares fields only with constants", n)
	case *ir.TimePart:
		return rd.fail(n, diag.UnsupportedTimePart, "%s: query_string cannot extract a part of a timestamp", n)
	case *ir.And, *ir.Not, *ir.Or:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return rd.fail(n, diag.Unsupported, "%s: no query_string form", n)
}

func (rd *renderer) match(n *ir.Match) infix.Expr {
	if !rd.CheckPlaceholders(n, n.Pattern) {
		return infix.AtomExpr("")
	}
	f := field(n.Field)
	switch n.Kind {
	case ir.Number:
		if !rd.CheckNumber(n) {
			return infix.AtomExpr("")
		}
		return infix.AtomExpr(f + ":" + escapeTerm(n.Pattern.Literal()))
	case ir.Bool:
		return infix.AtomExpr(f + ":" + n.Pattern.Literal())
	}
	if n.Pattern.Shape() == ir.ShapeAny {
		// `*` matches any value the field has; query_string's f:* means the same.
		return infix.AtomExpr("_exists_:" + f)
	}
	if !n.Cased && esmatch.PatternHasCase(n.Pattern) {
		// keyword fields compare case-sensitively, and query_string has no option to
		// change that: spell each letter's case orbit out in a regular expression.
		return rd.regexps(n, n.Field, esrender.GlobRegexps(n.Pattern, esmatch.FoldAll))
	}
	if lit := n.Pattern.Literal(); !n.Pattern.HasWildcard() && (strings.HasPrefix(lit, "<") || strings.HasPrefix(lit, ">")) {
		// Elasticsearch reads an unquoted term starting with < or > as a range, escaped or
		// not; a quoted one is a term.
		return infix.AtomExpr(f + ":" + quoteTerm(n.Pattern.Literal()))
	}
	return infix.AtomExpr(f + ":" + globTerm(n.Pattern))
}

// quoteTerm writes s as a quoted query_string term, escaping `"` and `\`.
func quoteTerm(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (rd *renderer) keyword(n *ir.Keyword) infix.Expr {
	if !rd.CheckPlaceholders(n, n.Pattern) {
		return infix.AtomExpr("")
	}
	p := n.Pattern.Wrap(true, true)
	if p.Shape() == ir.ShapeAny {
		return rd.fail(n, diag.UnsupportedKeyword, "keyword %q matches any string value, which query_string cannot test over all fields", n.Pattern.String())
	}
	term, err := KeywordTerm(n)
	if err != nil {
		return rd.fail(n, diag.UnsupportedRegexLength, "keyword %q: %v", n.Pattern.String(), err)
	}
	rd.Warn(n, diag.KeywordScope, "%s", KeywordScopeMessage(n))
	return infix.AtomExpr(term)
}

// regexps renders the regular expressions chunks gives for a leaf on field f: one term, or
// an OR of terms when the expression had to be split to fit Elasticsearch's length limit.
func (rd *renderer) regexps(n ir.Node, f string, chunks func() ([]string, error)) infix.Expr {
	res := rd.Regexps(n, chunks)
	if res == nil {
		return infix.AtomExpr("")
	}
	parts := make([]infix.Expr, len(res))
	for i, re := range res {
		slashed, err := esmatch.SlashedRegexp(re)
		if err != nil {
			return rd.fail(n, diag.UnsupportedRegexLength, "%s: %v", n, err)
		}
		parts[i] = infix.AtomExpr(field(f) + ":" + slashed)
	}
	return dialect.Combine(infix.OrOp, parts...)
}

// KeywordScopeMessage explains the keyword-scope warning a keyword search carries.
func KeywordScopeMessage(n *ir.Keyword) string {
	return fmt.Sprintf("keyword %q searches the index's default fields (index.query.default_field); it is exact when those are the event's string fields, mapped as keyword", n.Pattern.String())
}

// KeywordTerm renders a keyword (a value with no field, found anywhere in the event) as an
// unbound query_string term, which searches the index's default fields. The pattern must
// hold no placeholder and must not be empty. It fails when the regular expression a
// case-insensitive keyword needs is too long for Elasticsearch.
func KeywordTerm(n *ir.Keyword) (string, error) {
	p := n.Pattern.Wrap(true, true)
	if !n.Cased && esmatch.PatternHasCase(p) {
		re, err := esmatch.FitRegexp(esmatch.GlobRegexp(p, esmatch.FoldAll))
		if err != nil {
			return "", err
		}
		return esmatch.SlashedRegexp(re[0])
	}
	return globTerm(p), nil
}

// globTerm writes a pattern as a query_string term: literal characters escaped, `*` and `?`
// bare (a wildcard query then), the empty value as "".
func globTerm(p ir.Pattern) string {
	if len(p) == 0 {
		return `""`
	}
	var b strings.Builder
	for _, s := range p {
		switch s.Kind {
		case ir.Lit:
			b.WriteString(escapeTerm(s.Text))
		case ir.AnyString:
			b.WriteByte('*')
		case ir.AnyChar:
			b.WriteByte('?')
		}
	}
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
