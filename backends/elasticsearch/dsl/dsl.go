package dsl

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmatch"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/lucene"
	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Target is the backend's name on the command line.
const Target = "dsl"

// Backend renders rules as Elasticsearch Query DSL documents. It has no state; the zero
// value is ready.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name returns "dsl".
func (Backend) Name() string { return Target }

// Convert renders one `{"query": ...}` document per condition of r, or reports every
// construct the Query DSL cannot express exactly.
func (Backend) Convert(r *ir.Rule) ([]backends.Query, diag.List) {
	var qs []backends.Query
	var diags diag.List
	for i, cond := range r.Conditions {
		q, ds := Build(r, cond)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		qs = append(qs, backends.Query{Condition: i, Text: Encode(map[string]any{"query": q}), JSON: true})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return qs, diags
}

// Query is one Query DSL clause, as encoding/json writes it.
type Query = map[string]any

// Build returns the query clause for one detection tree of r.
func Build(r *ir.Rule, tree ir.Node) (Query, diag.List) {
	b := builder{rule: r}
	m, err := esmatch.ReadMapping(r.State)
	if err != nil {
		b.fail(nil, diag.UnsupportedValue, "%v", err)
	}
	b.mapping = m
	q := b.node(infix.Simplify(tree))
	if b.diags.HasErrors() {
		return nil, b.diags
	}
	return q, b.diags
}

// Encode writes v as compact JSON with sorted keys and without HTML escaping, so `<`, `>`
// and `&` in values stay readable.
func Encode(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("dsl: " + err.Error()) // only maps, slices, strings, numbers and bools
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

type builder struct {
	rule    *ir.Rule
	mapping esmatch.Mapping // what the pipeline state says about the index mapping
	diags   diag.List
}

func (b *builder) fail(n ir.Node, code, format string, args ...any) Query {
	b.diags = append(b.diags, backends.Diag(b.rule, n, Target, code, format, args...))
	return nil
}

func (b *builder) node(n ir.Node) Query {
	switch n := n.(type) {
	case *ir.And:
		return Query{"bool": Query{"filter": b.all(n.Children)}}
	case *ir.Or:
		return anyOf(b.all(n.Children))
	case *ir.Not:
		return mustNot(b.node(n.Child))
	}
	return b.leaf(n)
}

func (b *builder) all(ns []ir.Node) []any {
	out := make([]any, len(ns))
	for i, c := range ns {
		out[i] = b.node(c)
	}
	return out
}

func mustNot(q Query) Query { return Query{"bool": Query{"must_not": []any{q}}} }

// anyOf is the disjunction of queries.
func anyOf(qs []any) Query { return Query{"bool": Query{"should": qs, "minimum_should_match": 1}} }

// fieldQuery is {kind: {field: body}}.
func fieldQuery(kind, field string, body Query) Query {
	return Query{kind: Query{field: body}}
}

func (b *builder) leaf(n ir.Node) Query {
	if _, ok := n.(*ir.Keyword); !ok {
		if reason := fieldNameProblem(ir.Field(n)); reason != "" {
			return b.fail(n, diag.UnsupportedFieldName, "field name %q %s", ir.Field(n), reason)
		}
	}
	// A term or prefix query with case_insensitive folds a flattened field's keyed values.
	if code, msg := b.mapping.Unsupported(n, true); code != "" {
		return b.fail(n, code, "%s", msg)
	}
	switch n := n.(type) {
	case *ir.Match:
		return b.match(n)
	case *ir.Keyword:
		return b.keyword(n)
	case *ir.Regex:
		re, err := esmatch.TranslateRegexp(n.Pattern, n.Flags, true)
		if err != nil {
			return b.fail(n, diag.UnsupportedRegex, "field %s: %v", n.Field, err)
		}
		return b.regexps(n, n.Field, re.Chunks, re.CaseInsensitive)
	case *ir.CIDR:
		if b.mapping.IP[n.Field] {
			// A term query on an ip field takes a CIDR block.
			block, err := esmatch.IPFieldCIDR(n.Prefix)
			if err != nil {
				return b.fail(n, diag.UnsupportedCIDR, "%s: %v", n, err)
			}
			return fieldQuery("term", n.Field, Query{"value": block})
		}
		// Most string fields are mapped as keyword, where a CIDR term is plain text: match
		// the spellings of the addresses in the prefix instead.
		return b.regexps(n, n.Field, func() ([]string, error) { return esmatch.CIDRRegexps(n.Prefix) }, false)
	case *ir.Compare:
		if !esmatch.PlainNumber(n.Value.Text) {
			return b.fail(n, diag.UnsupportedValue, "%s: the bound %q is not a plain decimal number", n, n.Value.Text)
		}
		op := map[ir.CompareOp]string{ir.LT: "lt", ir.LTE: "lte", ir.GT: "gt", ir.GTE: "gte"}[n.Op]
		return fieldQuery("range", n.Field, Query{op: json.Number(n.Value.Text)})
	case *ir.Exists:
		return Query{"exists": Query{"field": n.Field}}
	case *ir.Null:
		return mustNot(Query{"exists": Query{"field": n.Field}})
	case *ir.FieldRef:
		return b.fail(n, diag.UnsupportedFieldRef, "%s: the Query DSL compares fields only with constants (short of a script)", n)
	case *ir.TimePart:
		return b.fail(n, diag.UnsupportedTimePart, "%s: the Query DSL cannot extract a part of a timestamp (short of a script)", n)
	}
	return b.fail(n, diag.Unsupported, "%s: no Query DSL form", n)
}

func regexpQuery(field, re string, caseInsensitive bool) Query {
	body := Query{"value": re}
	if caseInsensitive {
		body["case_insensitive"] = true
	}
	return fieldQuery("regexp", field, body)
}

// regexps is the regexp query for the expressions chunks gives for a leaf on field f, or the
// disjunction of several when the expression had to be split to fit Elasticsearch's length
// limit.
func (b *builder) regexps(n ir.Node, f string, chunks func() ([]string, error), caseInsensitive bool) Query {
	res, err := chunks()
	if err != nil {
		return b.fail(n, diag.UnsupportedRegexLength, "%s: %v", n, err)
	}
	if len(res) == 1 {
		return regexpQuery(f, res[0], caseInsensitive)
	}
	qs := make([]any, len(res))
	for i, re := range res {
		qs[i] = regexpQuery(f, re, caseInsensitive)
	}
	return anyOf(qs)
}

func (b *builder) match(n *ir.Match) Query {
	if names := n.Pattern.Placeholders(); len(names) > 0 {
		return b.fail(n, diag.UnresolvedPlaceholder, "field %s: placeholder %%%s%% has no value", n.Field, names[0])
	}
	switch n.Kind {
	case ir.Number:
		if !esmatch.PlainNumber(n.Pattern.Literal()) {
			return b.fail(n, diag.UnsupportedValue, "field %s: the number %q is not a plain decimal number", n.Field, n.Pattern.Literal())
		}
		return fieldQuery("term", n.Field, Query{"value": json.Number(n.Pattern.Literal())})
	case ir.Bool:
		return fieldQuery("term", n.Field, Query{"value": n.Pattern.Literal() == "true"})
	}
	p := n.Pattern
	if p.Shape() == ir.ShapeAny {
		return Query{"exists": Query{"field": n.Field}}
	}
	ci := !n.Cased && esmatch.PatternHasCase(p)
	switch {
	case !ci || esmatch.PatternNativeFoldExact(p):
		// case_insensitive folds exactly the letters of this pattern.
		return nativeQuery(n.Field, p, ci)
	case esmatch.PatternNativeFoldSafe(p):
		// The flag folds the ASCII letters; the others are spelled out as orbit classes.
		return b.regexps(n, n.Field, func() ([]string, error) { return esmatch.FitRegexp(esmatch.GlobRegexp(p, esmatch.FoldNonNative)) }, true)
	}
	return b.regexps(n, n.Field, func() ([]string, error) { return esmatch.FitRegexp(esmatch.GlobRegexp(p, esmatch.FoldAll)) }, false)
}

// nativeQuery is the term, prefix or wildcard query for p.
func nativeQuery(field string, p ir.Pattern, caseInsensitive bool) Query {
	var kind string
	var body Query
	switch p.Shape() {
	case ir.ShapeExact:
		kind, body = "term", Query{"value": p.Literal()}
	case ir.ShapePrefix:
		kind, body = "prefix", Query{"value": p.Literal()}
	default:
		kind, body = "wildcard", Query{"value": wildcardValue(p)}
	}
	if caseInsensitive {
		body["case_insensitive"] = true
	}
	return fieldQuery(kind, field, body)
}

// wildcardValue writes p as a wildcard query pattern: `*` and `?` bare, and a backslash
// before each literal `*`, `?` and `\`.
func wildcardValue(p ir.Pattern) string {
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

// keyword falls back on query_string, the one query that searches many fields at once.
func (b *builder) keyword(n *ir.Keyword) Query {
	if names := n.Pattern.Placeholders(); len(names) > 0 {
		return b.fail(n, diag.UnresolvedPlaceholder, "keyword: placeholder %%%s%% has no value", names[0])
	}
	if n.Pattern.Wrap(true, true).Shape() == ir.ShapeAny {
		return b.fail(n, diag.UnsupportedKeyword, "keyword %q matches any string value, which no query can test over all fields", n.Pattern.String())
	}
	term, err := lucene.KeywordTerm(n)
	if err != nil {
		return b.fail(n, diag.UnsupportedRegexLength, "keyword %q: %v", n.Pattern.String(), err)
	}
	d := backends.Diag(b.rule, n, Target, diag.KeywordScope, "%s", lucene.KeywordScopeMessage(n))
	d.Severity = diag.Warning
	b.diags = append(b.diags, d)
	// lenient: the default fields may include numeric ones, on which a regexp or wildcard
	// would fail the whole query.
	return Query{"query_string": Query{"query": term, "lenient": true}}
}

// fieldNameProblem says why a field name cannot be used, or returns "".
func fieldNameProblem(name string) string {
	switch {
	case name == "":
		return "is empty"
	case strings.Contains(name, "*"):
		// exists reads `*` in a field name as a pattern over the mapping.
		return "contains *, which the exists query reads as a field-name pattern"
	}
	return ""
}
