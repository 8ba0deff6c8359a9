package lucene

import (
	"math/rand"
	"net/netip"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/lucenetest"
	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

var rule = &ir.Rule{Path: "test.yml", ID: "t"}

// checkLeaf renders one Match and checks that the query is one well-formed term on the
// right field that matches exactly what Sigma matches on the probes.
func checkLeaf(t *testing.T, m *ir.Match) {
	t.Helper()
	q, ds := Render(rule, m)
	if ds.HasErrors() {
		t.Errorf("%s: %v", m, ds)
		return
	}
	tree, err := estest.ParseQueryString(q)
	if err != nil {
		t.Errorf("%s -> %q: %v", m, q, err)
		return
	}
	if tree.Op != "" {
		t.Errorf("%s -> %q: parsed as %s, want one term", m, q, tree.Op)
		return
	}
	field, match := estest.QueryStringTerm(t, tree.Text)
	if field != m.Field {
		t.Errorf("%s -> %q: field %q, want %q", m, q, field, m.Field)
	}
	oracle := estest.Oracle(t, m, m.Field)
	for _, v := range estest.Probes(m.Pattern.Literal()) {
		if got, want := match(v), oracle(v); got != want {
			t.Errorf("%s -> %q: value %q: query %v, Sigma %v", m, q, v, got, want)
			return
		}
	}
}

func TestHostileValues(t *testing.T) {
	for _, v := range estest.HostileValues {
		for _, p := range estest.Patterns(v) {
			for _, cased := range []bool{false, true} {
				checkLeaf(t, &ir.Match{Field: "CommandLine", Pattern: p, Cased: cased})
			}
		}
	}
	for _, f := range estest.HostileFields {
		checkLeaf(t, &ir.Match{Field: f, Pattern: ir.LiteralPattern("v")})
		checkLeaf(t, &ir.Match{Field: f, Pattern: ir.LiteralPattern("Power App").Wrap(true, true)})
	}
}

func TestRegexAndCIDRLeaves(t *testing.T) {
	for _, n := range []ir.Node{
		&ir.Regex{Field: "f", Pattern: `a/b"c`},
		&ir.Regex{Field: "f", Pattern: `^\d+$`},
		&ir.Regex{Field: "f", Pattern: `k`, Flags: ir.RegexFlags{I: true}},
		&ir.Regex{Field: "f", Pattern: `https?://(?:(?:25[0-5]|(?:2[0-4]|1\d|[1-9])?\d)(?:\.|\b)){4}`},
		&ir.Regex{Field: "f", Pattern: `\bword\b`, Flags: ir.RegexFlags{I: true}},
		&ir.Regex{Field: "f", Pattern: `(?:ab|c.)+\bd`},
		&ir.CIDR{Field: "f", Prefix: netip.MustParsePrefix("10.0.0.0/8")},
		&ir.CIDR{Field: "f", Prefix: netip.MustParsePrefix("fc00::/7")},
	} {
		q, ds := Render(rule, n)
		if ds.HasErrors() {
			t.Fatalf("%s: %v", n, ds)
		}
		tree, err := estest.ParseQueryString(q)
		if err != nil || tree.Alternatives() == nil {
			t.Fatalf("%s -> %q: not one term or an OR of terms (%v)", n, q, err)
		}
		var ms []func(string) bool
		for _, l := range tree.Alternatives() {
			field, m := estest.QueryStringTerm(t, l.Text)
			if field != "f" {
				t.Fatalf("%s -> %q: a term on %s", n, q, field)
			}
			ms = append(ms, m)
		}
		match := estest.AnyOf(ms)
		oracle := estest.Oracle(t, n, "f")
		for _, v := range []string{"a/b\"c", "xa/b\"cx", "123", "12a", "k", "K", "\u212a", "x", "10.1.2.3", "11.0.0.1", "::ffff:10.0.0.1", "fc00::1", "fe00::1", "", "http://1.2.3.4", "http://1.2.3.4a", "http://1.2.3.45", "x https://10.0.0.1/", "http://1.2.3.", "http://1.2.3.4\u212a", "word", "a Word.", "swords", "WORD_", "ab d", "abd", "c.d", "c.ab.d"} {
			if got, want := match(v), oracle(v); got != want {
				t.Errorf("%s -> %q: value %q: query %v, Sigma %v", n, q, v, got, want)
			}
		}
	}
}

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
		tree := infix.Simplify(estest.RandomTree(rng, 4, leaf))
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
		for j, l := range parsed.Leaves() {
			field, match := estest.QueryStringTerm(t, l.Text)
			if field != ir.Field(leaves[j]) {
				t.Fatalf("%q: leaf %d is on %q, want %q", q, j, field, ir.Field(leaves[j]))
			}
			if m, ok := leaves[j].(*ir.Match); ok {
				oracle := estest.Oracle(t, m, m.Field)
				for _, v := range estest.Probes(m.Pattern.Literal()) {
					if match(v) != oracle(v) {
						t.Fatalf("%q: leaf %d (%s) on %q disagrees with Sigma", q, j, m, v)
					}
				}
			}
		}
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
	tests := []struct {
		n    ir.Node
		code string
	}{
		{&ir.FieldRef{Field: "a", Ref: "b"}, diag.UnsupportedFieldRef},
		{&ir.TimePart{Field: "t", Part: ir.Hour, Value: 3}, diag.UnsupportedTimePart},
		{&ir.Regex{Field: "a", Pattern: `(\bx)+`}, diag.UnsupportedRegex},
		{&ir.Match{Field: "a*", Pattern: ir.LiteralPattern("x")}, diag.UnsupportedFieldName},
		{&ir.Match{Field: "a", Pattern: ir.Pattern{{Kind: ir.Placeholder, Text: "p"}}}, diag.UnresolvedPlaceholder},
		{&ir.Match{Field: "a", Pattern: ir.LiteralPattern("0x1F"), Kind: ir.Number}, diag.UnsupportedValue},
		{&ir.Keyword{Pattern: ir.Pattern{{Kind: ir.AnyString}}}, diag.UnsupportedKeyword},
	}
	for _, tt := range tests {
		_, ds := Render(rule, &ir.And{Children: []ir.Node{tt.n, &ir.Exists{Field: "x"}}})
		if len(ds.Errors()) != 1 || ds.Errors()[0].Code != tt.code {
			t.Errorf("%s: diagnostics %v, want one %s", tt.n, ds, tt.code)
		}
	}
}

// TestCorpusParses converts the SigmaHQ corpus and parses every query back, compiling
// every regular expression in it.
func TestCorpusParses(t *testing.T) {
	n := 0
	for _, r := range estest.CorpusRules(t) {
		qs, ds := Backend{}.Convert(r)
		if ds.HasErrors() {
			continue
		}
		for _, q := range qs {
			tree, err := estest.ParseQueryString(q.Text)
			if err != nil {
				t.Errorf("%s: %v", r.Path, err)
				continue
			}
			for _, l := range tree.Leaves() {
				if _, value, ok := estest.SplitField(l.Text); ok && strings.HasPrefix(value, "/") {
					if _, err := lucenetest.Compile(strings.TrimSuffix(value[1:], "/"), nil); err != nil {
						t.Errorf("%s: %v", r.Path, err)
					}
				}
			}
			n++
		}
	}
	t.Logf("%d corpus queries parse", n)
}

// TestIPFields checks the pipeline state ip_fields: the native CIDR form on an ip field,
// the keyword form elsewhere, and a named failure for what an ip field cannot express.
func TestIPFields(t *testing.T) {
	state := map[string]any{"ip_fields": []any{"source.ip", "client.ip"}}
	for _, tt := range []struct {
		n    ir.Node
		want string // the text the query must contain, or the diagnostic code
	}{
		{&ir.CIDR{Field: "source.ip", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, `source.ip:"10.0.0.0/8"`},
		{&ir.CIDR{Field: "client.ip", Prefix: netip.MustParsePrefix("fc00::/7")}, `client.ip:"fc00::/7"`},
		{&ir.CIDR{Field: "source.address", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, `source.address:/10\.`},
		{&ir.CIDR{Field: "source.ip", Prefix: netip.MustParsePrefix("::/0")}, diag.UnsupportedCIDR},
		{&ir.Match{Field: "source.ip", Pattern: ir.LiteralPattern("10.1.2.3")}, diag.UnsupportedValue},
		{&ir.Regex{Field: "source.ip", Pattern: "^10"}, diag.UnsupportedRegex},
		{&ir.FieldRef{Field: "source.ip", Ref: "client.ip", Cased: true}, diag.UnsupportedFieldRef},
		{&ir.Exists{Field: "source.ip"}, `_exists_:source.ip`},
	} {
		r := &ir.Rule{Path: "test.yml", ID: "t", State: state, Conditions: []ir.Node{tt.n}}
		qs, ds := Backend{}.Convert(r)
		if strings.Contains(tt.want, "-") && !strings.ContainsAny(tt.want, " :({\"") {
			if len(ds.Errors()) != 1 || ds.Errors()[0].Code != tt.want {
				t.Errorf("%s: diagnostics %v, want one %s", tt.n, ds, tt.want)
			}
			continue
		}
		if ds.HasErrors() || !strings.Contains(qs[0].Text, tt.want) {
			t.Errorf("%s: got %v %v, want a query containing %s", tt.n, qs, ds, tt.want)
		}
	}
	for _, bad := range []any{5, []any{"a", 1}} {
		r := &ir.Rule{Path: "test.yml", ID: "t", State: map[string]any{"ip_fields": bad}, Conditions: []ir.Node{&ir.Exists{Field: "a"}}}
		if _, ds := (Backend{}).Convert(r); !ds.HasErrors() || ds.Errors()[0].Code != diag.UnsupportedValue {
			t.Errorf("ip_fields %v: diagnostics %v, want unsupported-value", bad, ds)
		}
	}
}
