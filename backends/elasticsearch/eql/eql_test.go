package eql

import (
	"fmt"
	"math/rand"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/lucenetest"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The test parser reads the EQL the backend writes: `any where`, then a boolean expression
// with EQL's precedence (not over and over or) whose leaves compare one field with a
// value or a list of values.

type token = estest.Lexeme

type leaf struct {
	field    string
	optional bool
	op       string
	values   []token
}

type node struct {
	op       string
	children []*node
	leaf     *leaf
}

func (n *node) tree() *estest.Tree {
	if n.op == "" {
		return &estest.Tree{}
	}
	t := &estest.Tree{Op: n.op}
	for _, c := range n.children {
		t.Children = append(t.Children, c.tree())
	}
	return t
}

type parser struct {
	estest.Lexemes
}

// syntax is EQL's: lower-case keywords, like~ and regex~, and the escapes of its strings.
var syntax = estest.Syntax{
	Escapes:   map[rune]rune{'\\': '\\', '"': '"', '\'': '\'', 'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f'},
	Operators: []string{"==", "!=", "<=", ">=", "<", ">", ":", "(", ")", ",", "?"},
	Keyword: func(word string, next rune) (string, bool) {
		switch word {
		case "like", "regex":
			if next == '~' {
				return word + "~", true
			}
			return word, false
		case "and", "or", "not", "in", "null", "true", "false", "where", "any":
			return word, false
		}
		return "", false
	},
}

func parseQuery(q string) (*node, error) {
	const prefix = "any where "
	if !strings.HasPrefix(q, prefix) {
		return nil, fmt.Errorf("query %q does not start with %q", q, prefix)
	}
	toks, err := estest.Tokenize(q[len(prefix):], syntax)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", q, err)
	}
	p := &parser{estest.Lexemes{Toks: toks}}
	n, err := p.chain("or", p.and)
	if err == nil && p.Pos != len(p.Toks) {
		err = fmt.Errorf("trailing %v", p.Peek())
	}
	if err != nil {
		return nil, fmt.Errorf("%q: %v", q, err)
	}
	return n, nil
}

func (p *parser) and() (*node, error) { return p.chain("and", p.not) }

func (p *parser) chain(kw string, next func() (*node, error)) (*node, error) {
	ns, err := estest.Chain(&p.Lexemes, kw, next)
	switch {
	case err != nil:
		return nil, err
	case len(ns) == 1:
		return ns[0], nil
	}
	return &node{op: kw, children: ns}, nil
}

func (p *parser) not() (*node, error) {
	if !p.Accept("not", "") {
		return p.primary()
	}
	c, err := p.not()
	if err != nil {
		return nil, err
	}
	return &node{op: "not", children: []*node{c}}, nil
}

func (p *parser) primary() (*node, error) {
	if p.Accept("op", "(") {
		n, err := p.chain("or", p.and)
		if err != nil {
			return nil, err
		}
		if !p.Accept("op", ")") {
			return nil, fmt.Errorf("missing )")
		}
		return n, nil
	}
	l := &leaf{optional: p.Accept("op", "?")}
	f := p.Peek()
	if !p.Accept("ident", "") {
		return nil, fmt.Errorf("want a field, got %v", f)
	}
	l.field = f.Text
	op := p.Peek()
	switch {
	case op.Kind == "op" && strings.Contains(": == != < <= > >=", op.Text) && op.Text != "(" && op.Text != ")":
		l.op = op.Text
	case op.Kind == "in" || op.Kind == "like" || op.Kind == "like~" || op.Kind == "regex" || op.Kind == "regex~":
		l.op = op.Kind
	default:
		return nil, fmt.Errorf("want an operator after %s, got %v", l.field, op)
	}
	p.Pos++
	value := func() error {
		v := p.Peek()
		switch v.Kind {
		case "string", "number", "null", "true", "false":
			p.Pos++
			l.values = append(l.values, v)
			return nil
		}
		return fmt.Errorf("want a value, got %v", v)
	}
	if p.Accept("op", "(") {
		for {
			if err := value(); err != nil {
				return nil, err
			}
			if p.Accept("op", ")") {
				break
			}
			if !p.Accept("op", ",") {
				return nil, fmt.Errorf("want , or ) in a list")
			}
		}
		if len(l.values) < 2 {
			return nil, fmt.Errorf("a list of one")
		}
	} else if err := value(); err != nil {
		return nil, err
	}
	if l.op == "in" && len(l.values) < 2 {
		return nil, fmt.Errorf("in without a list")
	}
	return &node{leaf: l}, nil
}

// eqlWildcard reads an EQL wildcard pattern: * and ? are wildcards, and nothing escapes.
func eqlWildcard(s string) []estest.Token {
	var toks []estest.Token
	for _, r := range s {
		switch r {
		case '*':
			toks = append(toks, estest.Token{Any: true})
		case '?':
			toks = append(toks, estest.Token{One: true})
		default:
			toks = append(toks, estest.Token{Rune: r})
		}
	}
	return toks
}

// eval runs a leaf on one field value; a missing field makes every comparison false, as
// the Elasticsearch query EQL pushes down does, and only `?f == null` true.
func (l *leaf) eval(t *testing.T, value string, present bool, model estest.FoldModel) bool {
	if len(l.values) == 1 && l.values[0].Kind == "null" {
		if !l.optional {
			t.Fatalf("null comparison without ? on %s", l.field)
		}
		return present == (l.op == "!=")
	}
	if !present {
		return false
	}
	for _, v := range l.values {
		if l.evalOne(t, value, v, model) {
			return true
		}
	}
	return false
}

func (l *leaf) evalOne(t *testing.T, value string, v token, model estest.FoldModel) bool {
	switch l.op {
	case ":":
		return estest.Glob(eqlWildcard(v.Text), value, model.Term)
	case "like~":
		return estest.Glob(eqlWildcard(v.Text), value, model.Term)
	case "like":
		return estest.Glob(eqlWildcard(v.Text), value, estest.Exact)
	case "==", "in":
		return value == v.Text
	case "regex", "regex~":
		var fold lucenetest.Fold
		if l.op == "regex~" {
			fold = model.Regex
		}
		re, err := lucenetest.Compile(v.Text, fold)
		if err != nil {
			t.Fatalf("regex %q: %v", v.Text, err)
		}
		return re.MatchString(value)
	}
	f, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return false
	}
	b, _ := strconv.ParseFloat(v.Text, 64)
	switch l.op {
	case "<":
		return f < b
	case "<=":
		return f <= b
	case ">":
		return f > b
	}
	return f >= b
}

func (n *node) eval(t *testing.T, event map[string]string, model estest.FoldModel) bool {
	switch n.op {
	case "":
		v, present := event[n.leaf.field]
		return n.leaf.eval(t, v, present, model)
	case "not":
		return !n.children[0].eval(t, event, model)
	case "and":
		for _, c := range n.children {
			if !c.eval(t, event, model) {
				return false
			}
		}
		return true
	}
	for _, c := range n.children {
		if c.eval(t, event, model) {
			return true
		}
	}
	return false
}

func render(t *testing.T, n ir.Node) (string, diag.List) {
	t.Helper()
	return estest.ConvertOne(t, Backend{}.Convert, n, nil)
}

func checkLeaf(t *testing.T, n ir.Node, field string, probes []string) {
	t.Helper()
	q, ds := render(t, n)
	if ds.HasErrors() {
		t.Errorf("%s: %v", n, ds)
		return
	}
	parsed, err := parseQuery(q)
	if err != nil {
		t.Error(err)
		return
	}
	if parsed.op != "" {
		t.Errorf("%s -> %q: a %s, want one comparison", n, q, parsed.op)
		return
	}
	if parsed.leaf.field != field {
		t.Errorf("%s -> %q: field %q, want %q", n, q, parsed.leaf.field, field)
	}
	oracle := estest.Oracle(t, n, field)
	for _, model := range estest.FoldModels {
		for _, v := range probes {
			if got, want := parsed.leaf.eval(t, v, true, model), oracle(v); got != want {
				t.Errorf("%s -> %q: value %q (%s fold): query %v, Sigma %v", n, q, v, model.Name, got, want)
				return
			}
		}
	}
}

func TestHostileValues(t *testing.T) { estest.CheckHostileLeaves(t, checkLeaf) }

// TestRegexAndCIDRLeaves checks the regular expressions and CIDR blocks EQL can express;
// the word boundary that needs Lucene's & is refused (TestUnsupported).
func TestRegexAndCIDRLeaves(t *testing.T) {
	estest.CheckRegexAndCIDRLeaves(t, checkLeaf, estest.RegexAndCIDRLeaves[6])
}

// TestRandomTreesShape gives every leaf its own field, so no comparisons merge into a
// list, and checks that the parsed structure is the input's.
func TestRandomTreesShape(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	leafOf := func(rng *rand.Rand, i int) ir.Node {
		f := fmt.Sprintf("%s%d", estest.HostileFields[rng.Intn(len(estest.HostileFields))], i)
		ps := estest.Patterns(estest.HostileValues[rng.Intn(len(estest.HostileValues))])
		return &ir.Match{Field: f, Pattern: ps[rng.Intn(len(ps))], Cased: rng.Intn(3) == 0}
	}
	for i := 0; i < 300; i++ {
		tree := ir.Simplify(estest.RandomTree(rng, 4, leafOf))
		q, ds := render(t, tree)
		if ds.HasErrors() {
			t.Fatalf("%s: %v", tree, ds)
		}
		parsed, err := parseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		var a, b int
		if want, got := estest.Shape(tree, &a), parsed.tree().Shape(&b); got != want {
			t.Fatalf("%q:\n parsed %s\n   want %s", q, got, want)
		}
	}
}

// TestRandomTreesVerdict uses few fields, so comparisons under one OR merge into lists,
// and compares the parsed query's verdict with the evaluator's on random events.
func TestRandomTreesVerdict(t *testing.T) {
	rng := rand.New(rand.NewSource(17))
	fields := []string{"a", "x-ms-mail-application", "and"}
	leafOf := func(rng *rand.Rand, i int) ir.Node {
		f := fields[rng.Intn(len(fields))]
		switch rng.Intn(6) {
		case 0:
			return &ir.Exists{Field: f}
		case 1:
			return &ir.Null{Field: f}
		case 2:
			return &ir.Compare{Field: f, Op: ir.CompareOp(rng.Intn(4)), Value: ir.Num{Text: "5", Value: 5}}
		}
		ps := estest.Patterns([]string{"ab", "Ks", "5", "a*b"}[rng.Intn(4)])
		return &ir.Match{Field: f, Pattern: ps[rng.Intn(len(ps))], Cased: rng.Intn(3) == 0}
	}
	values := []string{"ab", "AB", "xabx", "5", "7", "KS", "\u212a\u017f", "a*b", "axb", "", "x"}
	for i := 0; i < 300; i++ {
		tree := estest.RandomTree(rng, 4, leafOf)
		q, ds := render(t, tree)
		if ds.HasErrors() {
			t.Fatalf("%s: %v", tree, ds)
		}
		parsed, err := parseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		p, errs := evaluator.Compile([]*ir.Rule{{ID: "r", Conditions: []ir.Node{tree}}})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		for j := 0; j < 30; j++ {
			event := map[string]string{}
			goEvent := map[string]any{}
			for _, f := range fields {
				if rng.Intn(3) > 0 {
					v := values[rng.Intn(len(values))]
					event[f] = v
					goEvent[f] = v
				}
			}
			want := len(p.MatchEvent(goEvent)) > 0
			for _, model := range estest.FoldModels {
				if got := parsed.eval(t, event, model); got != want {
					t.Fatalf("%s\n-> %q\nevent %v (%s fold): query %v, Sigma %v", tree, q, event, model.Name, got, want)
				}
			}
		}
	}
}

func TestListsAndCategory(t *testing.T) {
	tree := &ir.Or{Children: []ir.Node{
		&ir.Match{Field: "a", Pattern: ir.LiteralPattern("x")},
		&ir.Match{Field: "b", Pattern: ir.LiteralPattern("y")},
		&ir.Match{Field: "a", Pattern: ir.LiteralPattern("z").Wrap(false, true)},
		&ir.Match{Field: "a", Pattern: ir.LiteralPattern("Q"), Cased: true},
		&ir.Match{Field: "a", Pattern: ir.LiteralPattern("R"), Cased: true},
	}}
	r := &ir.Rule{Conditions: []ir.Node{tree}, Deployment: ir.Deployment{EventCategory: "process"}}
	qs, ds := Backend{}.Convert(r)
	want := `process where a : ("x", "z*") or b : "y" or a in ("Q", "R")`
	if len(ds) > 0 || qs[0].Text != want {
		t.Errorf("got %v %v\nwant %s", qs, ds, want)
	}
	r.Deployment.EventCategory = "my-category"
	if qs, _ := (Backend{}).Convert(r); !strings.HasPrefix(qs[0].Text, `"my-category" where `) {
		t.Errorf("a category with a dash is not quoted: %s", qs[0].Text)
	}
}

func TestUnsupported(t *testing.T) {
	estest.CheckFailures(t, Backend{}.Convert, nil, []estest.Failure{
		{Node: &ir.Keyword{Pattern: ir.LiteralPattern("x")}, Code: diag.UnsupportedKeyword},
		{Node: &ir.FieldRef{Field: "a", Ref: "b"}, Code: diag.UnsupportedFieldRef},
		{Node: &ir.TimePart{Field: "t", Part: ir.Hour, Value: 3}, Code: diag.UnsupportedTimePart},
		{Node: &ir.Regex{Field: "a", Pattern: `(x\b)+`}, Code: diag.UnsupportedRegex},
		{Node: estest.RegexAndCIDRLeaves[6], Code: diag.UnsupportedRegex},
		{Node: &ir.Match{Field: "a", Pattern: ir.Pattern{{Kind: ir.Placeholder, Text: "p"}}}, Code: diag.UnresolvedPlaceholder},
		{Node: &ir.Match{Field: "a", Pattern: ir.LiteralPattern(strings.Repeat("k", 400))}, Code: diag.UnsupportedRegexLength},
	})
}

// TestCorpusParses converts the SigmaHQ corpus and parses every query back, compiling
// every regular expression in it.
func TestCorpusParses(t *testing.T) {
	estest.CheckCorpusParses(t, Backend{}.Convert, func(t *testing.T, q string) error {
		parsed, err := parseQuery(q)
		if err != nil {
			return err
		}
		parsed.eval(t, map[string]string{}, estest.FoldModels[0])
		return nil
	})
}

// TestIPFields checks the pipeline state ip_fields: the native CIDR form on an ip field,
// the keyword form elsewhere, and a named failure for what an ip field cannot express.
func TestIPFields(t *testing.T) {
	estest.CheckConversions(t, Backend{}.Convert, estest.IPFieldsState, []estest.Conversion{
		{Node: &ir.CIDR{Field: "source.ip", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, Want: `cidrMatch(source.ip, "10.0.0.0/8")`},
		{Node: &ir.CIDR{Field: "client.ip", Prefix: netip.MustParsePrefix("fc00::/7")}, Want: `cidrMatch(client.ip, "fc00::/7")`},
		{Node: &ir.CIDR{Field: "source.address", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, Want: `source.address regex ("10\\.`},
		{Node: &ir.Exists{Field: "source.ip"}, Want: `?source.ip != null`},
	})
	estest.CheckFailures(t, Backend{}.Convert, estest.IPFieldsState, estest.IPFieldFailures)
}

// TestFlattenedFields checks that every leaf on a flattened object fails with
// unsupported-flattened: no EQL form on a flattened field could be checked on a live node.
func TestFlattenedFields(t *testing.T) {
	all := append(append(append([]ir.Node{}, estest.FlattenedExact...), estest.FlattenedRefused...), estest.FlattenedCaseInsensitive...)
	estest.CheckFailures(t, Backend{}.Convert, estest.FlattenedState, estest.Failures(diag.UnsupportedFlattened, all...))
}

// TestHostileIdentifiers: every word of EQL's grammar (EqlBase.g4's keywords), in any
// case, is written in backticks, as is a name that is not a plain dotted identifier.
func TestHostileIdentifiers(t *testing.T) {
	for _, f := range []string{"and", "any", "by", "false", "fork", "in", "join", "maxspan", "not", "null", "of", "or",
		"sequence", "true", "until", "where", "with", "Where", "FORK", "a.where", "1st", "a b", "a*"} {
		q, ds := render(t, &ir.Exists{Field: f})
		if ds.HasErrors() {
			t.Errorf("%s: %v", f, ds)
			continue
		}
		if want := "any where ?`" + f + "` != null"; q != want {
			t.Errorf("%s: got %q want %q", f, q, want)
		}
	}
}
