package splunk

import (
	"math/rand"
	"net/netip"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// treeGen builds random detection trees from a fixed seed.
type treeGen struct {
	rng *rand.Rand
	// whereLeaves adds leaves that `search` cannot express.
	whereLeaves bool
}

func (g *treeGen) tree(depth int) ir.Node {
	if depth == 0 || g.rng.Intn(4) == 0 {
		return g.leaf()
	}
	switch g.rng.Intn(5) {
	case 0:
		return &ir.Not{Child: g.tree(depth - 1)}
	case 1, 2:
		return &ir.And{Children: g.children(depth)}
	default:
		return &ir.Or{Children: g.children(depth)}
	}
}

func (g *treeGen) children(depth int) []ir.Node {
	cs := make([]ir.Node, 2+g.rng.Intn(3))
	for i := range cs {
		cs[i] = g.tree(depth - 1)
	}
	return cs
}

var genFields = []string{"a", "Image", "requestParameters.functionName", "_b2"}

// value builds a pattern from segments: literal runs over characters that need escaping
// in SPL (a literal `*` only with whereLeaves) and `*` wildcards.
func (g *treeGen) value() ir.Pattern {
	alphabet := `ab Z\"|()=[]:-'$?`
	if g.whereLeaves {
		alphabet += "*`\n"
	}
	var p ir.Pattern
	for i := g.rng.Intn(4); i >= 0; i-- {
		if g.rng.Intn(3) == 0 {
			p = append(p, ir.Segment{Kind: ir.AnyString})
			continue
		}
		var b strings.Builder
		for j := g.rng.Intn(4); j >= 0; j-- {
			b.WriteByte(alphabet[g.rng.Intn(len(alphabet))])
		}
		p = append(p, ir.Segment{Kind: ir.Lit, Text: b.String()})
	}
	return p.Normalize()
}

func (g *treeGen) leaf() ir.Node {
	f := genFields[g.rng.Intn(len(genFields))]
	n := 7
	if g.whereLeaves {
		n = 14
	}
	switch g.rng.Intn(n) {
	case 0, 1:
		p := g.value()
		if len(p) == 0 {
			p = ir.LiteralPattern("x")
		}
		return &ir.Match{Field: f, Pattern: p}
	case 2:
		return &ir.Match{Field: f, Pattern: ir.LiteralPattern("4624"), Kind: ir.Number}
	case 3:
		return &ir.Exists{Field: f}
	case 4:
		return &ir.Null{Field: f}
	case 5:
		return &ir.Compare{Field: f, Op: ir.CompareOp(g.rng.Intn(4)), Value: ir.Num{Text: "10", Value: 10}}
	case 6:
		prefixes := []string{"10.0.0.0/8", "fc00::/7"}
		return &ir.CIDR{Field: f, Prefix: netip.MustParsePrefix(prefixes[g.rng.Intn(2)])}
	case 7:
		return &ir.Regex{Field: f, Pattern: `a.*b|c\d`}
	case 8:
		return &ir.Match{Field: f, Pattern: g.value(), Cased: true}
	case 9:
		return &ir.Match{Field: f, Pattern: ir.ParseSigmaString("cm?.exe")}
	case 10:
		return &ir.Match{Field: "x-ms-mail-application", Pattern: ir.ParseSigmaString("*Power App*")}
	case 12, 13:
		return g.keyword()
	default:
		return &ir.FieldRef{Field: f, Ref: "Image", Shape: ir.ShapeExact}
	}
}

// expected builds the boolean skeleton the query must have for t: operators from the
// tree, leaves parsed from the text the leaf renderer gives for them.
func expected(t *testing.T, n ir.Node, leafText func(ir.Node) infix.Expr) *splNode {
	t.Helper()
	switch n := n.(type) {
	case *ir.And, *ir.Or:
		op := "and"
		if _, ok := n.(*ir.Or); ok {
			op = "or"
		}
		var kids []*splNode
		for _, c := range ir.Children(n) {
			kids = append(kids, expected(t, c, leafText))
		}
		return flatten(&splNode{op: op, kids: kids})
	case *ir.Not:
		return &splNode{op: "not", kids: []*splNode{expected(t, n.Child, leafText)}}
	}
	leaf, err := parseBothWays(leafText(n).Text)
	if err != nil {
		t.Fatalf("leaf %s: %v", n, err)
	}
	return leaf
}

func andOf(nodes []*splNode) *splNode {
	if len(nodes) == 1 {
		return nodes[0]
	}
	return flatten(&splNode{op: "and", kids: nodes})
}

func searchText(n ir.Node) infix.Expr {
	e, ok := searchLeaf(n)
	if !ok {
		panic("not a search leaf: " + n.String())
	}
	return e
}

func convertOne(t *testing.T, tree ir.Node) string {
	t.Helper()
	qs, diags := Backend{}.Convert(&ir.Rule{Conditions: []ir.Node{tree}})
	if diags.HasErrors() || len(qs) != 1 {
		t.Fatalf("%s: %d queries, diagnostics %v", tree, len(qs), diags)
	}
	// The only warning: the scope of keywords, once per condition that has some.
	if want := 0; hasKeyword(tree) {
		want = 1
		if len(diags) != want || diags[0].Code != diag.KeywordScope {
			t.Fatalf("%s: diagnostics %v, want one keyword-scope warning", tree, diags)
		}
	} else if len(diags) != want {
		t.Fatalf("%s: diagnostics %v", tree, diags)
	}
	return qs[0].Text
}

// TestPropertySearchStructure renders thousands of random trees of search leaves and
// parses the SPL back under both AND/OR precedences: the parsed tree must be the input's.
func TestPropertySearchStructure(t *testing.T) {
	g := &treeGen{rng: rand.New(rand.NewSource(1648))}
	for i := 0; i < 4000; i++ {
		tree := g.tree(4)
		q := convertOne(t, tree)
		stages, err := splitPipes(q)
		if err != nil || len(stages) != 1 {
			t.Fatalf("%s -> %q: stages %q, %v", tree, q, stages, err)
		}
		got, err := parseBothWays(q)
		if err != nil {
			t.Fatalf("%s -> %q: %v", tree, q, err)
		}
		want := expected(t, ir.Simplify(tree), searchText)
		if got.String() != want.String() {
			t.Fatalf("%s -> %q\n parsed %s\n want   %s", tree, q, got, want)
		}
	}
}

// TestPropertyWhereStructure mixes in leaves `search` cannot express. The query must be a
// search holding the exact search conjuncts (plus supersets) and at most one `| where`
// holding every other conjunct whole, each with the input's boolean structure.
func TestPropertyWhereStructure(t *testing.T) {
	g := &treeGen{rng: rand.New(rand.NewSource(2025)), whereLeaves: true}
	sawWhere, sawSuperset, sawKeywords := 0, 0, 0
	for i := 0; i < 4000; i++ {
		tree := g.tree(4)
		q := convertOne(t, tree)
		stages, err := splitPipes(q)
		if err != nil || len(stages) > 4 {
			t.Fatalf("%s -> %q: stages %q, %v", tree, q, stages, err)
		}
		// A condition with keywords has the keyword stage, exactly, before the where.
		if hasKeyword(tree) {
			sawKeywords++
			if len(stages) != 4 || stages[1]+" | "+stages[2] != keywordStage() {
				t.Fatalf("%s -> %q: want the keyword stage before one where", tree, q)
			}
			stages = []string{stages[0], stages[3]}
		}
		simple := ir.Simplify(tree)
		conjuncts := []ir.Node{simple}
		if a, ok := simple.(*ir.And); ok {
			conjuncts = a.Children
		}
		var wantSearch, wantWhere []*splNode
		for _, c := range conjuncts {
			if _, ok := renderSearch(c); ok {
				wantSearch = append(wantSearch, expected(t, c, searchText))
				continue
			}
			if s, ok := superset(c); ok {
				sawSuperset++
				n, err := parseBothWays(s.Text)
				if err != nil {
					t.Fatalf("superset of %s: %v", c, err)
				}
				wantSearch = append(wantSearch, n)
			}
			wantWhere = append(wantWhere, expected(t, c, func(n ir.Node) infix.Expr { e, _ := whereLeaf(&ir.Rule{}, n); return e }))
		}
		if len(wantSearch) == 0 {
			if stages[0] != "*" {
				t.Fatalf("%s -> %q: base search %q, want *", tree, q, stages[0])
			}
		} else {
			got, err := parseBothWays(stages[0])
			if err != nil {
				t.Fatalf("%s -> %q: %v", tree, q, err)
			}
			if want := andOf(wantSearch); got.String() != want.String() {
				t.Fatalf("%s -> %q\n search %s\n want   %s", tree, q, got, want)
			}
		}
		if len(wantWhere) == 0 {
			if len(stages) != 1 {
				t.Fatalf("%s -> %q: unexpected pipe", tree, q)
			}
			continue
		}
		sawWhere++
		if len(stages) != 2 || !strings.HasPrefix(stages[1], "where ") {
			t.Fatalf("%s -> %q: want one | where stage", tree, q)
		}
		got, err := parseBothWays(strings.TrimPrefix(stages[1], "where "))
		if err != nil {
			t.Fatalf("%s -> %q: %v", tree, q, err)
		}
		if want := andOf(wantWhere); got.String() != want.String() {
			t.Fatalf("%s -> %q\n where %s\n want  %s", tree, q, got, want)
		}
	}
	if sawWhere < 1000 || sawSuperset < 100 || sawKeywords < 500 {
		t.Errorf("generator too weak: %d trees with a where stage, %d supersets, %d with keywords", sawWhere, sawSuperset, sawKeywords)
	}
}

// TestParserRejectsPrecedenceDependentText makes sure the property tests can fail: text
// that mixes AND and OR without parentheses parses differently under the two precedences.
func TestParserRejectsPrecedenceDependentText(t *testing.T) {
	for _, s := range []string{`a=1 AND b=2 OR c=3`, `a=1 OR b=2 AND c=3`, `NOT a=1 OR b=2 AND c=3`} {
		if n, err := parseBothWays(s); err == nil {
			t.Errorf("%q parsed the same both ways: %s", s, n)
		}
	}
	for _, s := range []string{`(a=1 AND b=2) OR c=3`, `a=1 AND (b=2 OR c=3)`, `NOT (a=1 OR b=2)`} {
		if _, err := parseBothWays(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
}
