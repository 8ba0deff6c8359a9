package dsl

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/lucenetest"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// decode parses a query document back into a boolean tree whose leaves hold their clause
// as JSON text. It accepts only the clauses the backend writes, in the shapes it writes.
func decode(doc string) (*estest.Tree, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON document")
	}
	if len(top) != 1 || top["query"] == nil {
		return nil, fmt.Errorf("document is not {\"query\": ...}: %s", doc)
	}
	return clause(top["query"])
}

func clause(v any) (*estest.Tree, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("a clause must be an object with one key: %v", v)
	}
	for kind, body := range m {
		if kind != "bool" {
			text, _ := json.Marshal(m)
			return &estest.Tree{Text: string(text)}, nil
		}
		b, ok := body.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("bool body %v", body)
		}
		switch {
		case b["filter"] != nil && len(b) == 1:
			return boolTree("and", b["filter"], 2)
		case b["should"] != nil && len(b) == 2 && fmt.Sprint(b["minimum_should_match"]) == "1":
			return boolTree("or", b["should"], 2)
		case b["must_not"] != nil && len(b) == 1:
			return boolTree("not", b["must_not"], 1)
		}
		return nil, fmt.Errorf("unexpected bool %v", b)
	}
	panic("unreachable")
}

func boolTree(op string, v any, min int) (*estest.Tree, error) {
	list, ok := v.([]any)
	if !ok || len(list) < min || op == "not" && len(list) != 1 {
		return nil, fmt.Errorf("%s clause list %v", op, v)
	}
	t := &estest.Tree{Op: op}
	for _, c := range list {
		ct, err := clause(c)
		if err != nil {
			return nil, err
		}
		t.Children = append(t.Children, ct)
	}
	return t, nil
}

// leafMatcher returns the field of a leaf clause and what it matches on a keyword field
// holding one value, under a model of Elasticsearch's case-insensitive folding.
func leafMatcher(t *testing.T, text string, model estest.FoldModel) (string, func(string) bool) {
	t.Helper()
	var m map[string]map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("leaf %s: %v", text, err)
	}
	for kind, body := range m {
		if kind == "exists" {
			return body["field"].(string), func(string) bool { return true }
		}
		if kind == "query_string" {
			return "", nil
		}
		if len(body) != 1 {
			t.Fatalf("leaf %s: more than one field", text)
		}
		for field, spec := range body {
			s := spec.(map[string]any)
			ci := s["case_insensitive"] == true
			eq := estest.Exact
			var regexFold lucenetest.Fold
			if ci {
				eq, regexFold = model.Term, model.Regex
			}
			switch kind {
			case "range":
				return field, rangeMatcher(t, s)
			case "regexp":
				re, err := lucenetest.Compile(s["value"].(string), regexFold)
				if err != nil {
					t.Fatalf("leaf %s: %v", text, err)
				}
				return field, re.MatchString
			}
			value, isString := s["value"].(string)
			if !isString {
				want := fmt.Sprint(s["value"])
				return field, func(v string) bool { return v == want }
			}
			var toks []estest.Token
			rs := []rune(value)
			for i := 0; i < len(rs); i++ {
				switch {
				case kind == "wildcard" && rs[i] == '\\' && i+1 < len(rs):
					i++
					toks = append(toks, estest.Token{Rune: rs[i]})
				case kind == "wildcard" && rs[i] == '*':
					toks = append(toks, estest.Token{Any: true})
				case kind == "wildcard" && rs[i] == '?':
					toks = append(toks, estest.Token{One: true})
				default:
					toks = append(toks, estest.Token{Rune: rs[i]})
				}
			}
			switch kind {
			case "prefix":
				toks = append(toks, estest.Token{Any: true})
			case "term", "wildcard":
			default:
				t.Fatalf("leaf %s: unknown query %s", text, kind)
			}
			return field, func(v string) bool { return estest.Glob(toks, v, eq) }
		}
	}
	t.Fatalf("empty leaf %s", text)
	return "", nil
}

func rangeMatcher(t *testing.T, s map[string]any) func(string) bool {
	for op, b := range s {
		bound, err := strconv.ParseFloat(fmt.Sprint(b), 64)
		if err != nil {
			t.Fatalf("range bound %v", b)
		}
		return func(v string) bool {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return false
			}
			switch op {
			case "gt":
				return f > bound
			case "gte":
				return f >= bound
			case "lt":
				return f < bound
			}
			return f <= bound
		}
	}
	t.Fatal("empty range")
	return nil
}

func convert(t *testing.T, n ir.Node) (string, diag.List) {
	t.Helper()
	return estest.ConvertOne(t, Backend{}.Convert, n, nil)
}

func checkLeaf(t *testing.T, n ir.Node, field string, probes []string) {
	t.Helper()
	doc, ds := convert(t, n)
	if ds.HasErrors() {
		t.Errorf("%s: %v", n, ds)
		return
	}
	tree, err := decode(doc)
	if err != nil {
		t.Errorf("%s -> %s: %v", n, doc, err)
		return
	}
	if tree.Alternatives() == nil {
		t.Errorf("%s -> %s: a %s, want one clause or a should of clauses", n, doc, tree.Op)
		return
	}
	oracle := estest.Oracle(t, n, field)
	for _, model := range estest.FoldModels {
		var ms []func(string) bool
		for _, l := range tree.Alternatives() {
			f, m := leafMatcher(t, l.Text, model)
			if f != field {
				t.Errorf("%s -> %s: field %q, want %q", n, doc, f, field)
			}
			ms = append(ms, m)
		}
		match := estest.AnyOf(ms)
		for _, v := range probes {
			if got, want := match(v), oracle(v); got != want {
				t.Errorf("%s -> %s: value %q (%s fold): query %v, Sigma %v", n, doc, v, model.Name, got, want)
				return
			}
		}
	}
}

func TestHostileValues(t *testing.T) { estest.CheckHostileLeaves(t, checkLeaf) }

func TestRegexAndCIDRLeaves(t *testing.T) { estest.CheckRegexAndCIDRLeaves(t, checkLeaf) }

func TestRandomTrees(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	leaf := func(rng *rand.Rand, i int) ir.Node {
		f := estest.HostileFields[rng.Intn(len(estest.HostileFields))]
		switch rng.Intn(5) {
		case 0:
			return &ir.Exists{Field: f}
		case 1:
			return &ir.Compare{Field: f, Op: ir.CompareOp(rng.Intn(4)), Value: ir.Num{Text: "-5.5", Value: -5.5}}
		}
		ps := estest.Patterns(estest.HostileValues[rng.Intn(len(estest.HostileValues))])
		return &ir.Match{Field: f, Pattern: ps[rng.Intn(len(ps))], Cased: rng.Intn(3) == 0}
	}
	for i := 0; i < 300; i++ {
		tree := ir.Simplify(estest.RandomTree(rng, 4, leaf))
		var leaves []ir.Node
		ir.Inspect(tree, func(n ir.Node) bool {
			if len(ir.Children(n)) == 0 {
				leaves = append(leaves, n)
			}
			return true
		})
		doc, ds := convert(t, tree)
		if ds.HasErrors() {
			t.Fatalf("%s: %v", tree, ds)
		}
		parsed, err := decode(doc)
		if err != nil {
			t.Fatalf("%s -> %s: %v", tree, doc, err)
		}
		var a, b int
		if want, got := estest.Shape(tree, &a), parsed.Shape(&b); got != want {
			t.Fatalf("%s:\n decoded %s\n    want %s", doc, got, want)
		}
		estest.CheckParsedLeaves(t, doc, parsed, leaves, func(text string) (string, func(string) bool) {
			return leafMatcher(t, text, estest.FoldModels[0])
		})
	}
}

func TestKeywordFallsBackOnQueryStringWithAWarning(t *testing.T) {
	doc, ds := convert(t, &ir.Keyword{Pattern: ir.LiteralPattern(`a "b" \c`)})
	if len(ds) != 1 || ds[0].Severity != diag.Warning || ds[0].Code != diag.KeywordScope {
		t.Fatalf("diagnostics %v, want one keyword-scope warning", ds)
	}
	want := `{"query":{"query_string":{"lenient":true,"query":"/.*[aA]\\ \\\"[bB]\\\"\\ \\\\[cC].*/"}}}`
	if doc != want {
		t.Errorf("got  %s\nwant %s", doc, want)
	}
}

func TestUnsupported(t *testing.T) {
	estest.CheckFailures(t, Backend{}.Convert, nil, []estest.Failure{
		{Node: &ir.FieldRef{Field: "a", Ref: "b"}, Code: diag.UnsupportedFieldRef},
		{Node: &ir.TimePart{Field: "t", Part: ir.Hour, Value: 3}, Code: diag.UnsupportedTimePart},
		{Node: &ir.Regex{Field: "a", Pattern: `(x\b)+`}, Code: diag.UnsupportedRegex},
		{Node: &ir.Exists{Field: "a*"}, Code: diag.UnsupportedFieldName},
		{Node: &ir.Match{Field: "a", Pattern: ir.Pattern{{Kind: ir.Placeholder, Text: "p"}}}, Code: diag.UnresolvedPlaceholder},
		{Node: &ir.Match{Field: "a", Pattern: ir.LiteralPattern(strings.Repeat("k", 400))}, Code: diag.UnsupportedRegexLength},
	})
}

// TestCorpusParses converts the SigmaHQ corpus and decodes every document back, compiling
// every regular expression in it.
func TestCorpusParses(t *testing.T) {
	estest.CheckCorpusParses(t, Backend{}.Convert, func(t *testing.T, q string) error {
		tree, err := decode(q)
		if err != nil {
			return err
		}
		for _, l := range tree.Leaves() {
			leafMatcher(t, l.Text, estest.FoldModels[0])
		}
		return nil
	})
}

// TestIPFields checks the pipeline state ip_fields: the native CIDR form on an ip field,
// the keyword form elsewhere, and a named failure for what an ip field cannot express.
func TestIPFields(t *testing.T) {
	estest.CheckConversions(t, Backend{}.Convert, estest.IPFieldsState, []estest.Conversion{
		{Node: &ir.CIDR{Field: "source.ip", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, Want: `{"term":{"source.ip":{"value":"10.0.0.0/8"}}}`},
		{Node: &ir.CIDR{Field: "client.ip", Prefix: netip.MustParsePrefix("fc00::/7")}, Want: `{"term":{"client.ip":{"value":"fc00::/7"}}}`},
		{Node: &ir.CIDR{Field: "source.address", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, Want: `{"regexp":{"source.address":{"value":"10\\.`},
		{Node: &ir.Exists{Field: "source.ip"}, Want: `{"exists":{"field":"source.ip"}}`},
	})
	estest.CheckFailures(t, Backend{}.Convert, estest.IPFieldsState, estest.IPFieldFailures)
}

// TestFlattenedFields checks the pipeline state flattened_fields: term, prefix and exists
// queries on a keyed sub-field, with case_insensitive where Elasticsearch folds every letter
// as Sigma does, and unsupported-flattened for the rest.
func TestFlattenedFields(t *testing.T) {
	var wants []estest.Conversion
	for i, w := range []string{`{"term":{"requestParameters.principal":{"value":"*"}}}`, `{"term":{"requestParameters.principal":{"value":"123-456"}}}`,
		`{"term":{"requestParameters.role":{"value":"arn:aws:iam::1:role/Admin"}}}`, `{"prefix":{"requestParameters.role":{"value":"arn:aws:iam::1"}}}`,
		`{"exists":{"field":"requestParameters.role"}}`, `{"term":{"requestParameters.memorySize":{"value":10240}}}`,
		`{"exists":{"field":"requestParameters.sourceArn"}}`, `{"must_not":[{"exists":{"field":"requestParameters.sourceArn"}}]}`,
		`{"exists":{"field":"requestParameters"}}`} {
		wants = append(wants, estest.Conversion{Node: estest.FlattenedExact[i], Want: w})
	}
	wants = append(wants, estest.Conversion{Node: estest.FlattenedCaseInsensitive[0],
		Want: `{"prefix":{"requestParameters.action":{"case_insensitive":true,"value":"lambda:Update"}}}`})
	estest.CheckConversions(t, Backend{}.Convert, estest.FlattenedState, wants)
	refused := append(append([]ir.Node{}, estest.FlattenedRefused...), estest.FlattenedCaseInsensitive[1])
	estest.CheckFailures(t, Backend{}.Convert, estest.FlattenedState, estest.Failures(diag.UnsupportedFlattened, refused...))
}

// TestECSPipelineIPFields converts Azure Activity Log rules through the built-in ecs_t1648
// pipeline, which maps callerIpAddress to source.ip and lists source.ip in ip_fields: a cidr
// becomes a term query with the block, an equality fails by name.
func TestECSPipelineIPFields(t *testing.T) {
	p, err := pipeline.LoadChain("ecs_t1648")
	if err != nil {
		t.Fatal(err)
	}
	convert := func(detection string) ([]backends.Query, diag.List) {
		src := "title: t\nid: 6f1c3d2e-0000-4000-8000-000000000001\nstatus: test\nlogsource: {product: azure, service: activitylogs}\ndetection:\n" + detection + "\n  condition: sel\n"
		rules, ds := translator.LoadBytes("ip.yml", []byte(src))
		if ds.HasErrors() || len(rules) != 1 {
			t.Fatalf("%v", ds)
		}
		r, ds := p.Apply(rules[0])
		if ds.HasErrors() {
			t.Fatalf("%v", ds)
		}
		return Backend{}.Convert(r)
	}
	qs, ds := convert("  sel: {callerIpAddress|cidr: 10.0.0.0/8}")
	if ds.HasErrors() || len(qs) != 1 || qs[0].Text != `{"query":{"term":{"source.ip":{"value":"10.0.0.0/8"}}}}` {
		t.Errorf("cidr on source.ip: %v %v", qs, ds)
	}
	if _, ds := convert("  sel: {callerIpAddress: 10.1.2.3}"); len(ds.Errors()) != 1 || ds.Errors()[0].Code != diag.UnsupportedValue {
		t.Errorf("equality on source.ip: %v, want unsupported-value", ds)
	}
}
