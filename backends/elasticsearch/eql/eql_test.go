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
	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The test parser reads the EQL the backend writes: `any where`, then a boolean expression
// with EQL's precedence (not over and over or) whose leaves compare one field with a
// value or a list of values.

type token struct {
	kind string // "ident", "string", "number", "op", or a keyword
	text string
}

var eqlKeywords = map[string]bool{"and": true, "or": true, "not": true, "in": true, "like": true, "regex": true, "null": true, "true": true, "false": true, "where": true, "any": true}

func tokenize(s string) ([]token, error) {
	var toks []token
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r == ' ':
			i++
		case r == '"':
			var b strings.Builder
			i++
			for ; i < len(rs) && rs[i] != '"'; i++ {
				switch rs[i] {
				case '\\':
					if i+1 >= len(rs) {
						return nil, fmt.Errorf("unterminated string")
					}
					i++
					e, ok := map[rune]rune{'\\': '\\', '"': '"', '\'': '\'', 'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f'}[rs[i]]
					if !ok {
						return nil, fmt.Errorf("unknown escape \\%c", rs[i])
					}
					b.WriteRune(e)
				case '\n', '\r':
					return nil, fmt.Errorf("raw line break in a string")
				default:
					b.WriteRune(rs[i])
				}
			}
			if i >= len(rs) {
				return nil, fmt.Errorf("unterminated string")
			}
			i++
			toks = append(toks, token{kind: "string", text: b.String()})
		case r == '`':
			var b strings.Builder
			i++
			for {
				if i >= len(rs) {
					return nil, fmt.Errorf("unterminated backtick")
				}
				if rs[i] == '`' {
					if i+1 < len(rs) && rs[i+1] == '`' {
						b.WriteRune('`')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteRune(rs[i])
				i++
			}
			toks = append(toks, token{kind: "ident", text: b.String()})
		case r == '_' || r == '@' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			j := i
			for j < len(rs) && (rs[j] == '_' || rs[j] == '.' || rs[j] >= 'a' && rs[j] <= 'z' || rs[j] >= 'A' && rs[j] <= 'Z' || rs[j] >= '0' && rs[j] <= '9' || j == i && rs[j] == '@') {
				j++
			}
			word := string(rs[i:j])
			if j < len(rs) && rs[j] == '~' && (word == "like" || word == "regex") {
				word += "~"
				j++
			}
			if eqlKeywords[strings.TrimSuffix(word, "~")] {
				toks = append(toks, token{kind: word})
			} else {
				toks = append(toks, token{kind: "ident", text: word})
			}
			i = j
		case r == '-' || r >= '0' && r <= '9':
			j := i + 1
			for j < len(rs) && (rs[j] == '.' || rs[j] >= '0' && rs[j] <= '9') {
				j++
			}
			toks = append(toks, token{kind: "number", text: string(rs[i:j])})
			i = j
		default:
			for _, op := range []string{"==", "!=", "<=", ">=", "<", ">", ":", "(", ")", ",", "?"} {
				if hasPrefix(rs[i:], op) {
					toks = append(toks, token{kind: "op", text: op})
					i += len(op)
					goto next
				}
			}
			return nil, fmt.Errorf("unexpected %q", r)
		next:
		}
	}
	return toks, nil
}

func hasPrefix(rs []rune, prefix string) bool {
	for i, r := range []rune(prefix) {
		if i >= len(rs) || rs[i] != r {
			return false
		}
	}
	return true
}

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
	toks []token
	pos  int
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{}
}

func (p *parser) accept(kind, text string) bool {
	if t := p.peek(); t.kind == kind && (text == "" || t.text == text) {
		p.pos++
		return true
	}
	return false
}

func parseQuery(q string) (*node, error) {
	const prefix = "any where "
	if !strings.HasPrefix(q, prefix) {
		return nil, fmt.Errorf("query %q does not start with %q", q, prefix)
	}
	toks, err := tokenize(q[len(prefix):])
	if err != nil {
		return nil, fmt.Errorf("%q: %v", q, err)
	}
	p := &parser{toks: toks}
	n, err := p.chain("or", p.and)
	if err == nil && p.pos != len(p.toks) {
		err = fmt.Errorf("trailing %v", p.peek())
	}
	if err != nil {
		return nil, fmt.Errorf("%q: %v", q, err)
	}
	return n, nil
}

func (p *parser) and() (*node, error) { return p.chain("and", p.not) }

func (p *parser) chain(kw string, next func() (*node, error)) (*node, error) {
	first, err := next()
	if err != nil {
		return nil, err
	}
	n := &node{op: kw, children: []*node{first}}
	for p.accept(kw, "") {
		c, err := next()
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, c)
	}
	if len(n.children) == 1 {
		return first, nil
	}
	return n, nil
}

func (p *parser) not() (*node, error) {
	if !p.accept("not", "") {
		return p.primary()
	}
	c, err := p.not()
	if err != nil {
		return nil, err
	}
	return &node{op: "not", children: []*node{c}}, nil
}

func (p *parser) primary() (*node, error) {
	if p.accept("op", "(") {
		n, err := p.chain("or", p.and)
		if err != nil {
			return nil, err
		}
		if !p.accept("op", ")") {
			return nil, fmt.Errorf("missing )")
		}
		return n, nil
	}
	l := &leaf{optional: p.accept("op", "?")}
	f := p.peek()
	if !p.accept("ident", "") {
		return nil, fmt.Errorf("want a field, got %v", f)
	}
	l.field = f.text
	op := p.peek()
	switch {
	case op.kind == "op" && strings.Contains(": == != < <= > >=", op.text) && op.text != "(" && op.text != ")":
		l.op = op.text
	case op.kind == "in" || op.kind == "like" || op.kind == "like~" || op.kind == "regex" || op.kind == "regex~":
		l.op = op.kind
	default:
		return nil, fmt.Errorf("want an operator after %s, got %v", l.field, op)
	}
	p.pos++
	value := func() error {
		v := p.peek()
		switch v.kind {
		case "string", "number", "null", "true", "false":
			p.pos++
			l.values = append(l.values, v)
			return nil
		}
		return fmt.Errorf("want a value, got %v", v)
	}
	if p.accept("op", "(") {
		for {
			if err := value(); err != nil {
				return nil, err
			}
			if p.accept("op", ")") {
				break
			}
			if !p.accept("op", ",") {
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
	if len(l.values) == 1 && l.values[0].kind == "null" {
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
		return estest.Glob(eqlWildcard(v.text), value, model.Term)
	case "like~":
		return estest.Glob(eqlWildcard(v.text), value, model.Term)
	case "like":
		return estest.Glob(eqlWildcard(v.text), value, estest.Exact)
	case "==", "in":
		return value == v.text
	case "regex", "regex~":
		var fold lucenetest.Fold
		if l.op == "regex~" {
			fold = model.Regex
		}
		re, err := lucenetest.Compile(v.text, fold)
		if err != nil {
			t.Fatalf("regex %q: %v", v.text, err)
		}
		return re.MatchString(value)
	}
	f, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return false
	}
	b, _ := strconv.ParseFloat(v.text, 64)
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
	qs, ds := Backend{}.Convert(&ir.Rule{Path: "test.yml", ID: "t", Conditions: []ir.Node{n}})
	if ds.HasErrors() {
		return "", ds
	}
	return qs[0].Text, ds
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

func TestHostileValues(t *testing.T) {
	for _, v := range estest.HostileValues {
		for _, p := range estest.Patterns(v) {
			for _, cased := range []bool{false, true} {
				checkLeaf(t, &ir.Match{Field: "CommandLine", Pattern: p, Cased: cased}, "CommandLine", estest.Probes(v))
			}
		}
	}
	for _, f := range estest.HostileFields {
		checkLeaf(t, &ir.Match{Field: f, Pattern: ir.LiteralPattern("Power App").Wrap(true, true)}, f, estest.Probes("Power App"))
	}
}

func TestRegexAndCIDRLeaves(t *testing.T) {
	probes := []string{"a/b\"c", "xa/b\"cx", "123", "12a", "k", "K", "\u212a", "CMD.EXE", `\cmd.exe`, "x", "10.1.2.3", "11.0.0.1", "::ffff:10.0.0.1", "fc00::1", "fe00::1", "", "http://1.2.3.4", "http://1.2.3.4a", "http://1.2.3.45", "x https://10.0.0.1/", "http://1.2.3.", "http://1.2.3.4\u212a", "word", "a Word.", "swords", "WORD_", "ab d", "abd", "c.d", "c.ab.d"}
	for _, n := range []ir.Node{
		&ir.Regex{Field: "f", Pattern: `a/b"c`},
		&ir.Regex{Field: "f", Pattern: `^\d+$`},
		&ir.Regex{Field: "f", Pattern: `k`, Flags: ir.RegexFlags{I: true}},
		&ir.Regex{Field: "f", Pattern: `\\cmd\.exe$`, Flags: ir.RegexFlags{I: true}},
		&ir.Regex{Field: "f", Pattern: `https?://(?:(?:25[0-5]|(?:2[0-4]|1\d|[1-9])?\d)(?:\.|\b)){4}`},
		&ir.Regex{Field: "f", Pattern: `\bword\b`, Flags: ir.RegexFlags{I: true}},
		&ir.CIDR{Field: "f", Prefix: netip.MustParsePrefix("10.0.0.0/8")},
		&ir.CIDR{Field: "f", Prefix: netip.MustParsePrefix("fc00::/7")},
	} {
		checkLeaf(t, n, "f", probes)
	}
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
		tree := infix.Simplify(estest.RandomTree(rng, 4, leafOf))
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
	r := &ir.Rule{Conditions: []ir.Node{tree}, State: map[string]any{"event_category": "process"}}
	qs, ds := Backend{}.Convert(r)
	want := `process where a : ("x", "z*") or b : "y" or a in ("Q", "R")`
	if len(ds) > 0 || qs[0].Text != want {
		t.Errorf("got %v %v\nwant %s", qs, ds, want)
	}
	r.State["event_category"] = "my-category"
	if qs, _ := (Backend{}).Convert(r); !strings.HasPrefix(qs[0].Text, `"my-category" where `) {
		t.Errorf("a category with a dash is not quoted: %s", qs[0].Text)
	}
}

func TestUnsupported(t *testing.T) {
	for _, tt := range []struct {
		n    ir.Node
		code string
	}{
		{&ir.Keyword{Pattern: ir.LiteralPattern("x")}, diag.UnsupportedKeyword},
		{&ir.FieldRef{Field: "a", Ref: "b"}, diag.UnsupportedFieldRef},
		{&ir.TimePart{Field: "t", Part: ir.Hour, Value: 3}, diag.UnsupportedTimePart},
		{&ir.Regex{Field: "a", Pattern: `(x\b)+`}, diag.UnsupportedRegex},
		{&ir.Regex{Field: "a", Pattern: `(?:ab|c.)+\bd`}, diag.UnsupportedRegex},
		{&ir.Match{Field: "a", Pattern: ir.Pattern{{Kind: ir.Placeholder, Text: "p"}}}, diag.UnresolvedPlaceholder},
	} {
		_, ds := render(t, &ir.Or{Children: []ir.Node{tt.n, &ir.Exists{Field: "x"}}})
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
			parsed, err := parseQuery(q.Text)
			if err != nil {
				t.Errorf("%s: %v", r.Path, err)
				continue
			}
			parsed.eval(t, map[string]string{}, estest.FoldModels[0])
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
		{&ir.CIDR{Field: "source.ip", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, `cidrMatch(source.ip, "10.0.0.0/8")`},
		{&ir.CIDR{Field: "client.ip", Prefix: netip.MustParsePrefix("fc00::/7")}, `cidrMatch(client.ip, "fc00::/7")`},
		{&ir.CIDR{Field: "source.address", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, `source.address regex ("10\\.`},
		{&ir.CIDR{Field: "source.ip", Prefix: netip.MustParsePrefix("::/0")}, diag.UnsupportedCIDR},
		{&ir.Match{Field: "source.ip", Pattern: ir.LiteralPattern("10.1.2.3")}, diag.UnsupportedValue},
		{&ir.Regex{Field: "source.ip", Pattern: "^10"}, diag.UnsupportedRegex},
		{&ir.FieldRef{Field: "source.ip", Ref: "client.ip", Cased: true}, diag.UnsupportedFieldRef},
		{&ir.Exists{Field: "source.ip"}, `?source.ip != null`},
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
