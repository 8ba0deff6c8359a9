package esrender

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmapping"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmatch"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Target is what rendering one rule for one target needs: the rule, the target's name and
// the mapping the rule's deployment declares. It holds no state: its checks return the
// diagnostics a leaf reports, and a target's leaf function returns either its expression
// or those diagnostics, as infix.LeafFunc does.
type Target struct {
	Rule    *ir.Rule
	Name    string
	Mapping esmatch.Mapping
	// UnknownFieldRefused says the target refuses a query naming a field no index maps
	// (ES|QL's unknown column), so with an index mapping given such a leaf fails.
	UnknownFieldRefused bool
}

// New starts rendering r for target, reading the mapping of r's deployment.
func New(r *ir.Rule, target string) Target {
	return Target{Rule: r, Name: target, Mapping: esmatch.ReadMapping(&r.Deployment)}
}

// Fail returns the error diagnostic at n (the rule when n is nil).
func (t Target) Fail(n ir.Node, code diag.Code, format string, args ...any) diag.List {
	return diag.List{backends.Diag(t.Rule, n, t.Name, code, format, args...)}
}

// Warn returns the warning diagnostic at n.
func (t Target) Warn(n ir.Node, code diag.Code, format string, args ...any) diag.List {
	d := backends.Diag(t.Rule, n, t.Name, code, format, args...)
	d.Severity = diag.Warning
	return diag.List{d}
}

// Typed returns the leaf as the index mapping the rule's deployment gives (Deployment.Mapping)
// says to render it, a text field's comparison moved to its keyword multi-field, or the
// error saying the mapping cannot answer it exactly (esmapping.Resolve). Without a mapping it
// returns n.
func (t Target) Typed(n ir.Node) (ir.Node, diag.List) {
	m := t.Rule.Deployment.Mapping
	if m == nil {
		return n, nil
	}
	out, code, msg := esmapping.Resolve(n, m, t.Mapping.FlattenedObject)
	if code != "" {
		return nil, t.Fail(n, code, "%s", msg)
	}
	if t.UnknownFieldRefused {
		for _, f := range esmatch.LeafFields(out) {
			if _, mapped := m.Fields[f]; !mapped && t.Mapping.FlattenedObject(f) == "" {
				return nil, t.Fail(n, diag.MappingUnmappedField, "%s: no index maps field %s, and %s refuses a query naming a field it does not know (mapping %s)", n, f, t.Name, m.Source)
			}
		}
	}
	return out, nil
}

// CheckLeaf returns the error for a leaf whose field name the target cannot write, or nil.
// problem says why a (non-empty) name cannot be written, or returns "" (nil: only the
// empty name). Keywords have no field and pass. Then it returns the error for a leaf the
// declared mapping rules out: a text comparison on an ip field, and what flattened says a
// flattened field cannot answer on the target (nil: every leaf is left to the target).
func (t Target) CheckLeaf(n ir.Node, problem func(name string) string, flattened func(ir.Node, esmatch.Mapping) (diag.Code, string)) diag.List {
	if _, ok := n.(*ir.Keyword); !ok {
		f := ir.Field(n)
		why := ""
		switch {
		case f == "":
			why = "is empty"
		case problem != nil:
			why = problem(f)
		}
		if why != "" {
			return t.Fail(n, diag.UnsupportedFieldName, "field name %q %s", f, why)
		}
	}
	code, msg := esmatch.IPFieldUnsupported(n, t.Mapping.IP)
	if code == "" && flattened != nil {
		code, msg = flattened(n, t.Mapping)
	}
	if code != "" {
		return t.Fail(n, code, "%s", msg)
	}
	return nil
}

// CheckPlaceholders returns the error for a pattern holding a placeholder no pipeline
// resolved, or one whose wildcards Elasticsearch could not determinize: every target runs a
// wildcard pattern as an automaton (wildcard query, LIKE, like), under the same limit as a
// regular expression (esmatch.CheckDeterminizable), which a long run of ? after a * exceeds.
func (t Target) CheckPlaceholders(n ir.Node, p ir.Pattern) diag.List {
	names := p.Placeholders()
	if len(names) == 0 {
		if _, ok := n.(*ir.Keyword); ok {
			p = p.Wrap(true, true)
		}
		switch p.Shape() {
		case ir.ShapePrefix, ir.ShapeSuffix, ir.ShapeContains, ir.ShapeAny:
			if esmatch.LiteralRunFits(utf8.RuneCountInString(p.Literal())) {
				return nil
			}
		case ir.ShapeExact, ir.ShapeGlob:
		}
		if p.HasWildcard() {
			if err := esmatch.CheckDeterminizable(esmatch.GlobRegexp(p, esmatch.FoldNone)); err != nil {
				return t.Fail(n, diag.UnsupportedRegexComplexity, "%s: the pattern %q: %v", n, p.String(), err)
			}
		}
		return nil
	}
	if f := ir.Field(n); f != "" {
		return t.Fail(n, diag.UnresolvedPlaceholder, "field %s: placeholder %%%s%% has no value", f, names[0])
	}
	return t.Fail(n, diag.UnresolvedPlaceholder, "keyword: placeholder %%%s%% has no value", names[0])
}

// CheckNumber returns the error for a number that is not a plain decimal (the value of a
// Match of kind Number or the bound of a Compare), or nil.
func (t Target) CheckNumber(n ir.Node) diag.List {
	switch x := n.(type) {
	case *ir.Match:
		if !esmatch.CanonicalNumber(x.Pattern.Literal()) {
			return t.Fail(n, diag.UnsupportedValue, "field %s: the number %q is not a plain decimal number in its canonical spelling (no exponent, sign, leading zero or trailing fractional zero)", x.Field, x.Pattern.Literal())
		}
	case *ir.Compare:
		if !esmatch.PlainNumber(x.Value.Text) {
			return t.Fail(n, diag.UnsupportedValue, "%s: the bound %q is not a plain decimal number", n, x.Value.Text)
		}
	case *ir.And, *ir.CIDR, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Not, *ir.Null, *ir.Or, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return nil
}

// Regexps returns the regular expressions chunks gives for a leaf, or the error saying they
// do not fit Elasticsearch's length limit, or that Elasticsearch could not determinize one
// of them (esmatch.CheckDeterminizable).
func (t Target) Regexps(n ir.Node, chunks func() ([]string, error)) ([]string, diag.List) {
	res, err := chunks()
	if err != nil {
		return nil, t.Fail(n, diag.UnsupportedRegexLength, "%s: %v", n, err)
	}
	for _, re := range res {
		if err := esmatch.CheckDeterminizable(re); err != nil {
			return nil, t.Fail(n, diag.UnsupportedRegexComplexity, "%s: %v", n, err)
		}
	}
	return res, nil
}

// Regexp translates a Sigma regular expression, or returns the error saying why it has no
// Lucene form.
func (t Target) Regexp(n *ir.Regex, nativeFold bool) (esmatch.Regexp, diag.List) {
	re, err := esmatch.TranslateRegexp(n.Pattern, n.Flags, nativeFold)
	if err != nil {
		return esmatch.Regexp{}, t.Fail(n, diag.UnsupportedRegex, "field %s: %v", n.Field, err)
	}
	return re, nil
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
	var b strings.Builder
	esmatch.WritePattern(&b, p, func(text string) {
		for _, r := range text {
			if r == '*' || r == '?' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
	}, "*", "?")
	return b.String()
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
