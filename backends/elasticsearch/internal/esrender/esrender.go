package esrender

import (
	"regexp"
	"strings"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmatch"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// ConvertEach renders every condition of r with render, which returns the query's text
// (and whether it is JSON). It returns every diagnostic, and no query when one is an error.
func ConvertEach(r *ir.Rule, render func(cond ir.Node) (text string, json bool, ds diag.List)) ([]backends.Query, diag.List) {
	var qs []backends.Query
	var diags diag.List
	for i, cond := range r.Conditions {
		text, isJSON, ds := render(cond)
		diags = append(diags, ds...)
		qs = append(qs, backends.Query{Condition: i, Text: text, JSON: isJSON})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return qs, diags
}

// Renderer is the state of rendering one rule for one target: the rule, the mapping its
// pipeline state declares, and the diagnostics so far.
type Renderer struct {
	Rule    *ir.Rule
	Target  string
	Mapping esmatch.Mapping
	Diags   diag.List
}

// New starts rendering r for target, reading the mapping of r's pipeline state (a malformed
// key is an error diagnostic).
func New(r *ir.Rule, target string) Renderer {
	return Renderer{Rule: r, Target: target, Mapping: esmatch.ReadMapping(&r.Deployment)}
}

// Fail records an error diagnostic at n (the rule when n is nil).
func (rd *Renderer) Fail(n ir.Node, code diag.Code, format string, args ...any) {
	rd.Diags = append(rd.Diags, backends.Diag(rd.Rule, n, rd.Target, code, format, args...))
}

// Warn records a warning diagnostic at n.
func (rd *Renderer) Warn(n ir.Node, code diag.Code, format string, args ...any) {
	d := backends.Diag(rd.Rule, n, rd.Target, code, format, args...)
	d.Severity = diag.Warning
	rd.Diags = append(rd.Diags, d)
}

// Failed reports whether an error has been recorded.
func (rd *Renderer) Failed() bool { return rd.Diags.HasErrors() }

// CheckField reports (and returns false for) a leaf whose field name the target cannot
// write: problem says why a name cannot be written, or returns "" (nil: only the empty
// name). Keywords have no field and pass.
func (rd *Renderer) CheckField(n ir.Node, problem func(name string) string) bool {
	if _, ok := n.(*ir.Keyword); ok {
		return true
	}
	f := ir.Field(n)
	why := ""
	switch {
	case f == "":
		why = "is empty"
	case problem != nil:
		why = problem(f)
	}
	if why != "" {
		rd.Fail(n, diag.UnsupportedFieldName, "field name %q %s", f, why)
		return false
	}
	return true
}

// CheckMapping reports (and returns false for) a leaf the declared mapping rules out on the
// target: a text comparison on an ip field, or what a flattened field cannot answer, given
// whether the target has a case-insensitive term and prefix there (esmatch.Mapping.Unsupported).
func (rd *Renderer) CheckMapping(n ir.Node, nativeFold bool) bool {
	if code, msg := rd.Mapping.Unsupported(n, nativeFold); code != "" {
		rd.Fail(n, code, "%s", msg)
		return false
	}
	return true
}

// CheckPlaceholders reports (and returns false for) a pattern holding a placeholder no
// pipeline resolved, or one whose wildcards Elasticsearch could not determinize: every
// target runs a wildcard pattern as an automaton (wildcard query, LIKE, like), under the
// same limit as a regular expression (esmatch.CheckDeterminizable), which a long run of ?
// after a * exceeds.
func (rd *Renderer) CheckPlaceholders(n ir.Node, p ir.Pattern) bool {
	names := p.Placeholders()
	if len(names) == 0 {
		if _, ok := n.(*ir.Keyword); ok {
			p = p.Wrap(true, true)
		}
		if p.HasWildcard() {
			if err := esmatch.CheckDeterminizable(esmatch.GlobRegexp(p, esmatch.FoldNone)); err != nil {
				rd.Fail(n, diag.UnsupportedRegexComplexity, "%s: the pattern %q: %v", n, p.String(), err)
				return false
			}
		}
		return true
	}
	if f := ir.Field(n); f != "" {
		rd.Fail(n, diag.UnresolvedPlaceholder, "field %s: placeholder %%%s%% has no value", f, names[0])
	} else {
		rd.Fail(n, diag.UnresolvedPlaceholder, "keyword: placeholder %%%s%% has no value", names[0])
	}
	return false
}

// CheckNumber reports (and returns false for) a number that is not a plain decimal: the
// value of a Match of kind Number or the bound of a Compare.
func (rd *Renderer) CheckNumber(n ir.Node) bool {
	switch x := n.(type) {
	case *ir.Match:
		if !esmatch.CanonicalNumber(x.Pattern.Literal()) {
			rd.Fail(n, diag.UnsupportedValue, "field %s: the number %q is not a plain decimal number in its canonical spelling (no exponent, sign, leading zero or trailing fractional zero)", x.Field, x.Pattern.Literal())
			return false
		}
	case *ir.Compare:
		if !esmatch.PlainNumber(x.Value.Text) {
			rd.Fail(n, diag.UnsupportedValue, "%s: the bound %q is not a plain decimal number", n, x.Value.Text)
			return false
		}
	case *ir.And, *ir.CIDR, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Not, *ir.Null, *ir.Or, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return true
}

// Regexps returns the regular expressions chunks gives for a leaf, or reports that they do
// not fit Elasticsearch's length limit, or that Elasticsearch could not determinize one of
// them (esmatch.CheckDeterminizable), and returns nil.
func (rd *Renderer) Regexps(n ir.Node, chunks func() ([]string, error)) []string {
	res, err := chunks()
	if err != nil {
		rd.Fail(n, diag.UnsupportedRegexLength, "%s: %v", n, err)
		return nil
	}
	for _, re := range res {
		if err := esmatch.CheckDeterminizable(re); err != nil {
			rd.Fail(n, diag.UnsupportedRegexComplexity, "%s: %v", n, err)
			return nil
		}
	}
	return res
}

// Regexp translates a Sigma regular expression, or reports why it has no Lucene form.
func (rd *Renderer) Regexp(n *ir.Regex, nativeFold bool) (esmatch.Regexp, bool) {
	re, err := esmatch.TranslateRegexp(n.Pattern, n.Flags, nativeFold)
	if err != nil {
		rd.Fail(n, diag.UnsupportedRegex, "field %s: %v", n.Field, err)
		return esmatch.Regexp{}, false
	}
	return re, true
}

// GlobRegexps is the regular expression of a glob pattern, which cannot be split.
func GlobRegexps(p ir.Pattern, fold esmatch.Fold) func() ([]string, error) {
	return func() ([]string, error) { return esmatch.FitRegexp(esmatch.GlobRegexp(p, fold)) }
}

// CIDRRegexps are the regular expressions of the spellings of a CIDR block's addresses.
func CIDRRegexps(n *ir.CIDR) func() ([]string, error) {
	return func() ([]string, error) { return esmatch.CIDRRegexps(n.Prefix) }
}

// EscapedWildcard writes p as a wildcard pattern in which a backslash escapes: `*` and `?`
// bare, and a backslash before each literal `*`, `?` and `\` (the Query DSL's wildcard
// query, ES|QL's LIKE, which rejects a backslash before anything else).
func EscapedWildcard(p ir.Pattern) string {
	var s strings.Builder
	for _, seg := range p {
		switch seg.Kind {
		case ir.Lit:
			for _, r := range seg.Text {
				if r == '*' || r == '?' || r == '\\' {
					s.WriteByte('\\')
				}
				s.WriteRune(r)
			}
		case ir.AnyString:
			s.WriteByte('*')
		case ir.AnyChar:
			s.WriteByte('?')
		}
	}
	return s.String()
}

// simpleName matches a field name ES|QL and EQL take without backticks: dot-separated
// identifiers.
var simpleName = regexp.MustCompile(`^[A-Za-z_@][A-Za-z0-9_]*(\.[A-Za-z_@][A-Za-z0-9_]*)*$`)

// Identifier writes a field name for ES|QL or EQL: bare when it is a plain dotted identifier
// none of whose parts is one of the language's keywords (lower case) or only `_` and `@`,
// in backticks with inner backticks doubled otherwise.
func Identifier(name string, keywords map[string]bool) string {
	if simpleName.MatchString(name) {
		plain := true
		for _, part := range strings.Split(name, ".") {
			if keywords[strings.ToLower(part)] || strings.Trim(part, "_@") == "" {
				plain = false
			}
		}
		if plain {
			return name
		}
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// Quote writes s as an ES|QL or EQL string literal: `"` and `\` escaped, and each control
// character of escapes written as its escape; every other character as it is.
func Quote(s string, escapes map[rune]string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if e, ok := escapes[r]; ok {
				b.WriteString(e)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
