package lucene

import (
	"math/rand"
	"net/netip"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/lucenetest"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

var rule = &ir.Rule{Path: "test.yml", ID: "t"}

// checkLeaf renders one leaf and checks that the query is one well-formed term on the right
// field (or an OR of them, for a split regular expression) that matches exactly what Sigma
// matches on the probes.
func checkLeaf(t *testing.T, n ir.Node, field string, probes []string) {
	t.Helper()
	q, ds := Render(rule, n)
	if ds.HasErrors() {
		t.Errorf("%s: %v", n, ds)
		return
	}
	tree, err := estest.ParseQueryString(q)
	if err != nil || tree.Alternatives() == nil {
		t.Errorf("%s -> %q: not one term or an OR of terms (%v)", n, q, err)
		return
	}
	var ms []func(string) bool
	for _, l := range tree.Alternatives() {
		f, m := estest.QueryStringTerm(t, l.Text)
		if f != field {
			t.Errorf("%s -> %q: field %q, want %q", n, q, f, field)
		}
		ms = append(ms, m)
	}
	match, oracle := estest.AnyOf(ms), estest.Oracle(t, n, field)
	for _, v := range probes {
		if got, want := match(v), oracle(v); got != want {
			t.Errorf("%s -> %q: value %q: query %v, Sigma %v", n, q, v, got, want)
			return
		}
	}
}

func TestHostileValues(t *testing.T) { estest.CheckHostileLeaves(t, checkLeaf) }

func TestRegexAndCIDRLeaves(t *testing.T) { estest.CheckRegexAndCIDRLeaves(t, checkLeaf) }

// TestRandomTrees renders random trees and parses them back: the boolean structure must be
// the input's, and each leaf must still match what its predicate matches.
func TestRandomTrees(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var leaves []ir.Node
	leaf := func(rng *rand.Rand, i int) ir.Node {
		f := estest.HostileFields[rng.Intn(len(estest.HostileFields))]
		var n ir.Node
		switch rng.Intn(5) {
		case 0:
			n = &ir.Exists{Field: f}
		case 1:
			n = &ir.Compare{Field: f, Op: ir.CompareOp(rng.Intn(4)), Value: ir.Num{Text: "-5", Value: -5}}
		default:
			ps := estest.Patterns(estest.HostileValues[rng.Intn(len(estest.HostileValues))])
			n = &ir.Match{Field: f, Pattern: ps[rng.Intn(len(ps))], Cased: rng.Intn(3) == 0}
		}
		return n
	}
	for i := 0; i < 300; i++ {
		tree := ir.Simplify(estest.RandomTree(rng, 4, leaf))
		leaves = leaves[:0]
		ir.Inspect(tree, func(n ir.Node) bool {
			if len(ir.Children(n)) == 0 {
				leaves = append(leaves, n)
			}
			return true
		})
		q, ds := Render(rule, tree)
		if ds.HasErrors() {
			t.Fatalf("%s: %v", tree, ds)
		}
		parsed, err := estest.ParseQueryString(q)
		if err != nil {
			t.Fatalf("%s -> %q: %v", tree, q, err)
		}
		var a, b int
		if want, got := estest.Shape(tree, &a), parsed.Shape(&b); got != want {
			t.Fatalf("%q:\n parsed %s\n   want %s", q, got, want)
		}
		estest.CheckParsedLeaves(t, q, parsed, leaves, func(text string) (string, func(string) bool) {
			return estest.QueryStringTerm(t, text)
		})
	}
}

func TestNegationUnderOrIsGrouped(t *testing.T) {
	tree := &ir.Or{Children: []ir.Node{
		&ir.Match{Field: "a", Pattern: ir.LiteralPattern("1")},
		&ir.Not{Child: &ir.Match{Field: "b", Pattern: ir.LiteralPattern("2")}},
		&ir.Null{Field: "c"},
	}}
	got, _ := Render(rule, tree)
	if want := `a:1 OR (NOT b:2) OR (NOT _exists_:c)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUnsupported(t *testing.T) {
	estest.CheckFailures(t, Backend{}.Convert, nil, []estest.Failure{
		{Node: &ir.FieldRef{Field: "a", Ref: "b"}, Code: diag.UnsupportedFieldRef},
		{Node: &ir.TimePart{Field: "t", Part: ir.Hour, Value: 3}, Code: diag.UnsupportedTimePart},
		{Node: &ir.Regex{Field: "a", Pattern: `(\bx)+`}, Code: diag.UnsupportedRegex},
		{Node: &ir.Match{Field: "a*", Pattern: ir.LiteralPattern("x")}, Code: diag.UnsupportedFieldName},
		{Node: &ir.Match{Field: "a", Pattern: ir.Pattern{{Kind: ir.Placeholder, Text: "p"}}}, Code: diag.UnresolvedPlaceholder},
		{Node: &ir.Match{Field: "a", Pattern: ir.LiteralPattern("0x1F"), Kind: ir.Number}, Code: diag.UnsupportedValue},
		{Node: &ir.Keyword{Pattern: ir.Pattern{{Kind: ir.AnyString}}}, Code: diag.UnsupportedKeyword},
		{Node: &ir.Match{Field: "a", Pattern: ir.LiteralPattern(strings.Repeat("Ab", 200))}, Code: diag.UnsupportedRegexLength},
	})
}

// TestCorpusParses converts the SigmaHQ corpus and parses every query back, compiling
// every regular expression in it.
func TestCorpusParses(t *testing.T) {
	estest.CheckCorpusParses(t, Backend{}.Convert, func(t *testing.T, q string) error {
		tree, err := estest.ParseQueryString(q)
		if err != nil {
			return err
		}
		for _, l := range tree.Leaves() {
			if _, value, ok := estest.SplitField(l.Text); ok && strings.HasPrefix(value, "/") {
				if _, err := lucenetest.Compile(strings.TrimSuffix(value[1:], "/"), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// TestIPFields checks the pipeline state ip_fields: the native CIDR form on an ip field,
// the keyword form elsewhere, and a named failure for what an ip field cannot express.
func TestIPFields(t *testing.T) {
	estest.CheckConversions(t, Backend{}.Convert, estest.IPFieldsState, []estest.Conversion{
		{Node: &ir.CIDR{Field: "source.ip", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, Want: `source.ip:"10.0.0.0/8"`},
		{Node: &ir.CIDR{Field: "client.ip", Prefix: netip.MustParsePrefix("fc00::/7")}, Want: `client.ip:"fc00::/7"`},
		{Node: &ir.CIDR{Field: "source.address", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, Want: `source.address:/10\.`},
		{Node: &ir.Exists{Field: "source.ip"}, Want: `_exists_:source.ip`},
	})
	estest.CheckFailures(t, Backend{}.Convert, estest.IPFieldsState, estest.IPFieldFailures)
}

// TestFlattenedFields checks the pipeline state flattened_fields: terms, prefixes and
// presence tests on a keyed sub-field, and unsupported-flattened for the rest, including
// case-insensitive matches of letters, which query_string can only spell as a regular
// expression.
func TestFlattenedFields(t *testing.T) {
	var wants []estest.Conversion
	for i, w := range []string{`requestParameters.principal:\*`, `requestParameters.principal:123\-456`,
		`requestParameters.role:arn\:aws\:iam\:\:1\:role\/Admin`, `requestParameters.role:arn\:aws\:iam\:\:1*`,
		`_exists_:requestParameters.role`, `requestParameters.memorySize:10240`, `_exists_:requestParameters.sourceArn`,
		`NOT _exists_:requestParameters.sourceArn`, `_exists_:requestParameters`} {
		wants = append(wants, estest.Conversion{Node: estest.FlattenedExact[i], Want: w})
	}
	estest.CheckConversions(t, Backend{}.Convert, estest.FlattenedState, wants)
	refused := append(append([]ir.Node{}, estest.FlattenedRefused...), estest.FlattenedCaseInsensitive...)
	estest.CheckFailures(t, Backend{}.Convert, estest.FlattenedState, estest.Failures(diag.UnsupportedFlattened, refused...))
}
