package dsl

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmatch"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/esrender"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/lucene"
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
	return backends.ConvertEach(r, nil, func(cond ir.Node) (string, bool, diag.List) {
		q, ds := Build(r, cond)
		if ds.HasErrors() {
			return "", true, ds
		}
		return Encode(map[string]any{"query": q}), true, ds
	})
}

// Query is one Query DSL clause, as encoding/json writes it.
type Query = map[string]any

// Build returns the query clause for one detection tree of r.
func Build(r *ir.Rule, tree ir.Node) (Query, diag.List) {
	return backends.Fold(ir.Simplify(tree), builder{esrender.New(r, Target)}.leaf, allOf, anyOf, mustNot)
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

// builder builds the leaves of one rule's query: each returns its query or its diagnostics,
// as infix.LeafFunc does.
type builder struct {
	esrender.Target
}

func mustNot(q Query) Query { return Query{"bool": Query{"must_not": []any{q}}} }

// allOf is the conjunction of queries.
func allOf(qs []Query) Query { return Query{"bool": Query{"filter": clauses(qs)}} }

// anyOf is the disjunction of queries.
func anyOf(qs []Query) Query {
	return Query{"bool": Query{"should": clauses(qs), "minimum_should_match": 1}}
}

// clauses lists queries as a bool query's clause.
func clauses(qs []Query) []any {
	out := make([]any, len(qs))
	for i, q := range qs {
		out[i] = q
	}
	return out
}

// fieldQuery is {kind: {field: body}}.
func fieldQuery(kind, field string, body Query) Query {
	return Query{kind: Query{field: body}}
}

// flattened is what the Query DSL cannot ask of a flattened field: a term or prefix query
// with case_insensitive folds its keyed values.
func flattened(n ir.Node, m esmatch.Mapping) (diag.Code, string) {
	return esmatch.FlattenedUnsupported(n, m, true)
}

func (b builder) leaf(n ir.Node) (Query, diag.List) {
	n, ds := b.Typed(n)
	if ds != nil {
		return nil, ds
	}
	if ds := b.CheckLeaf(n, fieldNameProblem, flattened); ds != nil {
		return nil, ds
	}
	switch n := n.(type) {
	case *ir.Match:
		return b.match(n)
	case *ir.Keyword:
		// The one query that searches many fields at once; lenient: the default fields may
		// include numeric ones, on which a regexp or wildcard would fail the whole query.
		term, ds := lucene.Keyword(b.Target, n, "no query can")
		if ds.HasErrors() {
			return nil, ds
		}
		return Query{"query_string": Query{"query": term, "lenient": true}}, ds
	case *ir.Regex:
		re, ds := b.Regexp(n, true)
		if ds != nil {
			return nil, ds
		}
		return b.regexps(n, n.Field, re.Chunks, re.CaseInsensitive)
	case *ir.CIDR:
		if b.Mapping.IP[n.Field] {
			// A term query on an ip field takes a CIDR block.
			block, err := esmatch.IPFieldCIDR(n.Prefix)
			if err != nil {
				return nil, b.Fail(n, diag.UnsupportedCIDR, "%s: %v", n, err)
			}
			return fieldQuery("term", n.Field, Query{"value": block}), nil
		}
		// Most string fields are mapped as keyword, where a CIDR term is plain text: match
		// the spellings of the addresses in the prefix instead.
		return b.regexps(n, n.Field, esrender.CIDRRegexps(n), false)
	case *ir.Compare:
		if ds := b.CheckNumber(n); ds != nil {
			return nil, ds
		}
		op := map[ir.CompareOp]string{ir.LT: "lt", ir.LTE: "lte", ir.GT: "gt", ir.GTE: "gte"}[n.Op]
		return fieldQuery("range", n.Field, Query{op: json.Number(n.Value.Text)}), nil
	case *ir.Exists:
		return Query{"exists": Query{"field": n.Field}}, nil
	case *ir.Null:
		return mustNot(Query{"exists": Query{"field": n.Field}}), nil
	case *ir.FieldRef:
		return nil, b.Fail(n, diag.UnsupportedFieldRef, "%s: the Query DSL compares fields only with constants (short of a script)", n)
	case *ir.TimePart:
		return nil, b.Fail(n, diag.UnsupportedTimePart, "%s: the Query DSL cannot extract a part of a timestamp (short of a script)", n)
	case *ir.And, *ir.Not, *ir.Or:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return nil, b.Fail(n, diag.Unsupported, "%s: no Query DSL form", n)
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
func (b builder) regexps(n ir.Node, f string, chunks func() ([]string, error), caseInsensitive bool) (Query, diag.List) {
	res, ds := b.Regexps(n, chunks)
	switch {
	case ds != nil:
		return nil, ds
	case len(res) == 1:
		return regexpQuery(f, res[0], caseInsensitive), nil
	}
	qs := make([]Query, len(res))
	for i, re := range res {
		qs[i] = regexpQuery(f, re, caseInsensitive)
	}
	return anyOf(qs), nil
}

func (b builder) match(n *ir.Match) (Query, diag.List) {
	if ds := b.CheckPlaceholders(n, n.Pattern); ds != nil {
		return nil, ds
	}
	switch n.Kind {
	case ir.Number:
		if ds := b.CheckNumber(n); ds != nil {
			return nil, ds
		}
		return fieldQuery("term", n.Field, Query{"value": json.Number(n.Pattern.Literal())}), nil
	case ir.Bool:
		return fieldQuery("term", n.Field, Query{"value": n.Pattern.Literal() == "true"}), nil
	}
	p := n.Pattern
	if p.Shape() == ir.ShapeAny {
		return Query{"exists": Query{"field": n.Field}}, nil
	}
	ci := !n.Cased && esmatch.PatternHasCase(p)
	switch {
	case !ci || esmatch.PatternNativeFoldExact(p):
		// case_insensitive folds exactly the letters of this pattern.
		return nativeQuery(n.Field, p, ci), nil
	case esmatch.PatternNativeFoldSafe(p):
		// The flag folds the ASCII letters; the others are spelled out as orbit classes.
		return b.regexps(n, n.Field, esrender.GlobRegexps(p, esmatch.FoldNonNative), true)
	}
	return b.regexps(n, n.Field, esrender.GlobRegexps(p, esmatch.FoldAll), false)
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
		kind, body = "wildcard", Query{"value": esrender.EscapedWildcard(p)}
	}
	if caseInsensitive {
		body["case_insensitive"] = true
	}
	return fieldQuery(kind, field, body)
}

// fieldNameProblem says why a (non-empty) field name cannot be used, or returns "".
func fieldNameProblem(name string) string {
	if strings.Contains(name, "*") {
		// exists reads `*` in a field name as a pattern over the mapping.
		return "contains *, which the exists query reads as a field-name pattern"
	}
	return ""
}
