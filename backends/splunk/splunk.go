package splunk

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/backends/splunk/splfields"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Target is the backend's name on the command line.
const Target = "splunk"

// Backend renders rules as classic Splunk SPL. It has no state; the zero value is ready.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name returns "splunk".
func (Backend) Name() string { return Target }

// dialect is the boolean syntax shared by `search` and `where`: both accept upper-case AND,
// OR, NOT and parentheses. Their precedences differ (docs/peers.md B1), which does not matter
// because the infix renderer parenthesises every change of operator.
var dialect = infix.Dialect{And: " AND ", Or: " OR ", Not: "NOT ", Open: "(", Close: ")"}

// Convert renders one query per condition of r. It reports every construct SPL cannot
// express exactly and then returns no query.
func (Backend) Convert(r *ir.Rule) ([]backends.Query, diag.List) {
	prefix, diags := statePrefix(r)
	return backends.ConvertEach(r, diags, func(cond ir.Node) (string, bool, diag.List) {
		text, ds := renderCondition(r, cond, prefix)
		return text, false, ds
	})
}

// renderCondition renders one detection tree as `<search> [| where <expr>]`.
//
// The tree is split at its top-level conjunction. A conjunct that `search` expresses
// exactly stays in the search; any other conjunct is rendered whole (never split) in one
// trailing `| where`, and, when one exists, a search-expressible superset of it is added
// to the search to narrow the events read. A pipe is an AND, and every hoisted conjunct
// is a child of the top-level AND, so the query means exactly the tree (docs/peers.md B2).
func renderCondition(r *ir.Rule, cond ir.Node, prefix []infix.Expr) (string, diag.List) {
	t := ir.Simplify(cond)
	if m := r.Deployment.Mapping; m != nil {
		var ds diag.List
		if t, ds = resolveFields(r, t, m); len(ds) > 0 {
			return "", ds
		}
	}
	conjuncts := []ir.Node{t}
	if a, ok := t.(*ir.And); ok {
		conjuncts = a.Children
	}
	search := append([]infix.Expr(nil), prefix...)
	var where []infix.Expr
	var diags diag.List
	for _, c := range conjuncts {
		// A number on a numeric field (convert --fields) is compared in where only.
		numeric := numericLeaves(r, c)
		if e, ok := renderSearch(c); ok && !numeric {
			search = append(search, e)
			continue
		}
		if s, ok := superset(c); ok && !numeric {
			search = append(search, s)
		}
		e, ds := dialect.RenderExpr(c, func(n ir.Node) (infix.Expr, diag.List) { return whereLeaf(r, n) })
		diags = append(diags, ds...)
		where = append(where, e)
	}
	if len(diags) > 0 {
		return "", diags
	}
	var firstKeyword ir.Node
	ir.Inspect(t, func(n ir.Node) bool {
		if _, ok := n.(*ir.Keyword); ok && firstKeyword == nil {
			firstKeyword = n
		}
		return true
	})
	text := "*"
	if len(search) > 0 {
		text = dialect.Combine(infix.AndOp, search...).Text
	}
	if firstKeyword != nil {
		// One warning per condition: the assumption is about the data, not one keyword.
		d := backends.Diag(r, firstKeyword, Target, diag.KeywordScope, "%s", keywordScopeMessage)
		d.Severity = diag.Warning
		diags = append(diags, d)
		// A keyword is never searchable, so where is not empty: gather the values the
		// keywords search before it.
		text += " | " + keywordStage()
	}
	if len(where) > 0 {
		text += " | where " + dialect.Combine(infix.AndOp, where...).Text
	}
	return text, diags
}

// resolveFields renames every leaf of t to the field Splunk extracts, as the description of
// the extracted fields m lists it (convert --fields, backends/splunk/splfields), or returns
// a diagnostic for each leaf m cannot answer exactly.
func resolveFields(r *ir.Rule, t ir.Node, m *ir.IndexMapping) (ir.Node, diag.List) {
	var ds diag.List
	var walk func(n ir.Node) ir.Node
	walk = func(n ir.Node) ir.Node {
		switch x := n.(type) {
		case *ir.And:
			c := make([]ir.Node, len(x.Children))
			for i, k := range x.Children {
				c[i] = walk(k)
			}
			return &ir.And{Children: c}
		case *ir.Or:
			c := make([]ir.Node, len(x.Children))
			for i, k := range x.Children {
				c[i] = walk(k)
			}
			return &ir.Or{Children: c}
		case *ir.Not:
			return &ir.Not{Child: walk(x.Child)}
		case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Match, *ir.Null, *ir.Regex, *ir.TimePart:
			// leaves, resolved below (listed for the exhaustiveness lint, .ci/lint.sh)
		}
		out, code, msg := splfields.Resolve(n, m)
		if code != "" {
			ds = append(ds, backends.Diag(r, n, Target, code, "%s", msg))
			return n
		}
		return out
	}
	out := walk(t)
	return out, ds
}

// numericLeaves reports whether n holds a number value on a field the description of the
// extracted fields says holds numbers: whereLeaf compares it numerically, and search's
// text comparison is neither exact nor a superset there.
func numericLeaves(r *ir.Rule, n ir.Node) bool {
	m := r.Deployment.Mapping
	if m == nil {
		return false
	}
	found := false
	ir.Inspect(n, func(n ir.Node) bool {
		if x, ok := n.(*ir.Match); ok && x.Kind == ir.Number && splfields.NumberField(m, x.Field) {
			found = true
		}
		return !found
	})
	return found
}

// describeWitness quotes the non-string text a keyword matches, if one was found.
func describeWitness(text string) string {
	if text == "" {
		return "a text (the search for one was cut short)"
	}
	return strconv.Quote(text)
}

// fieldNameProblem says why a field name cannot be written in `where` (single-quoted), or
// returns "". Names that `search` accepts bare are a subset of these.
func fieldNameProblem(f string) string {
	if f == "" {
		return "is empty"
	}
	if !utf8.ValidString(f) {
		return "is not valid UTF-8"
	}
	for _, r := range f {
		switch {
		case r == '\'' || r == '"' || r == '\\' || r == '`' || r == '|':
			return fmt.Sprintf("contains %q, which an SPL field name cannot hold", r)
		case !unicode.IsPrint(r):
			return fmt.Sprintf("contains the non-printable character %U", r)
		}
	}
	return ""
}

// searchFieldName matches the field names `search` can take bare on the left of `=`;
// others (dashes, spaces, `@`...) are only written in `where`, quoted.
var searchFieldName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// searchReserved are the names, in lower case, that `search` does not read as a field on
// the left of `=` in some or all cases: the time modifiers, current and deprecated, which
// set the search's time range (earliest=-1d filters nothing by a field of that name), and
// the boolean operators and the IN, TERM and CASE operators, whose case rules differ
// between versions. A leaf on one of them is written in `where`, as 'name'.
var searchReserved = map[string]bool{
	"earliest": true, "latest": true, "_index_earliest": true, "_index_latest": true, "now": true,
	"time": true, "timeformat": true, "starttime": true, "endtime": true, "starttimeu": true,
	"endtimeu": true, "daysago": true, "hoursago": true, "minutesago": true, "monthsago": true,
	"startdaysago": true, "starthoursago": true, "startminutesago": true, "startmonthsago": true,
	"enddaysago": true, "endhoursago": true, "endminutesago": true, "endmonthsago": true,
	"searchtimespandaysago": true, "searchtimespanhoursago": true,
	"searchtimespanminutesago": true, "searchtimespanmonthsago": true,
	"and": true, "or": true, "not": true, "xor": true, "in": true, "term": true, "case": true,
	"savedsearch": true, "savedsplunk": true,
}

// searchField reports whether `search` takes the field name bare on the left of `=`.
func searchField(f string) bool {
	return searchFieldName.MatchString(f) && !searchReserved[strings.ToLower(f)]
}

// statePrefix renders the pipeline state index, sourcetype and source as search terms.
func statePrefix(r *ir.Rule) ([]infix.Expr, diag.List) {
	var out []infix.Expr
	var diags diag.List
	d := &r.Deployment
	for _, st := range []struct {
		key    string
		values []string
	}{{ir.StateIndex, d.Index}, {ir.StateSourcetype, d.Sourcetype}, {ir.StateSource, d.Source}} {
		key, values := st.key, st.values
		var terms []infix.Expr
		for _, s := range values {
			if !searchSafeText(s, true) {
				diags = append(diags, backends.Diag(r, nil, Target, diag.UnsupportedValue, "state %s: value %q holds a backtick or a control character", key, s))
				continue
			}
			// A state value is configuration, written in SPL's own terms: `*` in it is
			// a wildcard (index="win*").
			terms = append(terms, infix.AtomExpr(key+"="+quote(s)))
		}
		if len(terms) > 0 {
			out = append(out, dialect.Combine(infix.OrOp, terms...))
		}
	}
	return out, diags
}

// quote writes s as an SPL double-quoted string. SPL removes one level of backslash
// escaping from quoted arguments, so `\` is doubled and `"` escaped; nothing else is.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// searchSafeText reports whether s can stand literally inside a quoted `search` value:
// valid UTF-8 with no backtick (macro delimiter), no control or non-printable character
// and, unless starAllowed, no `*` (always a wildcard in search; it cannot be escaped).
func searchSafeText(s string, starAllowed bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !searchSafeRune(r) || r == '*' && !starAllowed {
			return false
		}
	}
	return true
}

func searchSafeRune(r rune) bool {
	return r != '`' && r != utf8.RuneError && (r == ' ' || unicode.IsPrint(r))
}

// plainNumber is the number syntax printed bare in search and eval.
var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// numberExact reports whether a number value is a plain decimal written without a wildcard,
// the one spelling SPL's text comparison and the evaluator's numeric one treat alike.
// Any other spelling (1e3, +7, 0x10, 7.) is equal, for the evaluator, to numbers Splunk
// extracts with another text (1000), and SPL cannot tell a JSON number from a string of the
// same text to compare numerically only the numbers.
// Leading zeros (07) and trailing fractional zeros (1.50) are other spellings too: the
// evaluator equates them with 7 and 1.5, which the text comparison does not.
func numberExact(p ir.Pattern) bool {
	lit := p.Literal()
	return !p.HasWildcard() && canonicalNumber.MatchString(lit) && lit != "-0"
}

// canonicalNumber is a plain decimal in its one canonical spelling.
var canonicalNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$`)

// formatNum prints a comparison bound as a plain decimal.
func formatNum(n ir.Num) string {
	if plainNumber.MatchString(n.Text) {
		return n.Text
	}
	return strconv.FormatFloat(n.Value, 'f', -1, 64)
}

// canMatchEmpty reports whether the pattern matches the empty string.
func canMatchEmpty(p ir.Pattern) bool {
	for _, s := range p {
		if s.Kind != ir.AnyString {
			return false
		}
	}
	return true
}
