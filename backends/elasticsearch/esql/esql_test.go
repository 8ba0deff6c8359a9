package esql

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

// The test parser reads the ES|QL the backend writes: the FROM ... | WHERE prefix, then a
// boolean expression with ES|QL's precedence (NOT over AND over OR), NOT COALESCE(x, FALSE)
// as a negation, and comparisons, LIKE, RLIKE, IS [NOT] NULL and function calls as leaves.

type token struct {
	kind string // "ident", "string", "number", "op", or a keyword in upper case
	text string // identifier name, decoded string, number or operator
}

var esqlKeywords = map[string]bool{"AND": true, "OR": true, "NOT": true, "IS": true, "NULL": true, "LIKE": true, "RLIKE": true, "TRUE": true, "FALSE": true}

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
					e, ok := map[rune]rune{'\\': '\\', '"': '"', 'n': '\n', 'r': '\r', 't': '\t'}[rs[i]]
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
			for j < len(rs) && (rs[j] == '_' || rs[j] == '@' || rs[j] == '.' || rs[j] >= 'a' && rs[j] <= 'z' || rs[j] >= 'A' && rs[j] <= 'Z' || rs[j] >= '0' && rs[j] <= '9') {
				j++
			}
			word := string(rs[i:j])
			if esqlKeywords[strings.ToUpper(word)] {
				toks = append(toks, token{kind: strings.ToUpper(word)})
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
			for _, op := range []string{"==", "!=", "<=", ">=", "<", ">", "(", ")", ",", "|"} {
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

// leaf is a parsed comparison.
func hasPrefix(rs []rune, prefix string) bool {
	for i, r := range []rune(prefix) {
		if i >= len(rs) || rs[i] != r {
			return false
		}
	}
	return true
}

type leaf struct {
	field   string
	lower   bool   // the field is wrapped in TO_LOWER
	op      string // ==, LIKE, RLIKE, IS NULL, IS NOT NULL, <, <=, >, >=
	operand string
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
	t := p.peek()
	if t.kind == kind && (text == "" || t.text == text) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(kind, text string) error {
	if !p.accept(kind, text) {
		return fmt.Errorf("want %s %s at %d, got %v", kind, text, p.pos, p.peek())
	}
	return nil
}

// node is a parsed tree; leaves carry a parsed comparison.
type node struct {
	op       string
	children []*node
	leaf     *leaf
	coalesce bool // a NOT COALESCE(child, FALSE): null counts as false
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

func (n *node) leaves() []*leaf {
	if n.op == "" {
		return []*leaf{n.leaf}
	}
	var out []*leaf
	for _, c := range n.children {
		out = append(out, c.leaves()...)
	}
	return out
}

func parseQuery(q string) (*node, error) {
	const prefix = "FROM * METADATA _id, _index, _version | WHERE "
	if !strings.HasPrefix(q, prefix) {
		return nil, fmt.Errorf("query %q does not start with %q", q, prefix)
	}
	toks, err := tokenize(q[len(prefix):])
	if err != nil {
		return nil, fmt.Errorf("%q: %v", q, err)
	}
	p := &parser{toks: toks}
	n, err := p.or()
	if err == nil && p.pos != len(p.toks) {
		err = fmt.Errorf("trailing %v", p.peek())
	}
	if err != nil {
		return nil, fmt.Errorf("%q: %v", q, err)
	}
	return n, nil
}

func (p *parser) or() (*node, error) { return p.chain("OR", "or", p.and) }

func (p *parser) and() (*node, error) { return p.chain("AND", "and", p.not) }

func (p *parser) chain(kw, op string, next func() (*node, error)) (*node, error) {
	first, err := next()
	if err != nil {
		return nil, err
	}
	n := &node{op: op, children: []*node{first}}
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
	if !p.accept("NOT", "") {
		return p.primary()
	}
	if t := p.peek(); t.kind == "ident" && t.text == "COALESCE" {
		p.pos++
		if err := p.expect("op", "("); err != nil {
			return nil, err
		}
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if err := p.expect("op", ","); err != nil {
			return nil, err
		}
		if err := p.expect("FALSE", ""); err != nil {
			return nil, err
		}
		if err := p.expect("op", ")"); err != nil {
			return nil, err
		}
		return &node{op: "not", children: []*node{inner}, coalesce: true}, nil
	}
	c, err := p.not()
	if err != nil {
		return nil, err
	}
	return &node{op: "not", children: []*node{c}}, nil
}

func (p *parser) primary() (*node, error) {
	if p.accept("op", "(") {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		return n, p.expect("op", ")")
	}
	l := &leaf{}
	t := p.peek()
	switch {
	case t.kind == "ident" && t.text == "TO_LOWER":
		p.pos++
		if err := p.expect("op", "("); err != nil {
			return nil, err
		}
		f := p.peek()
		if err := p.expect("ident", ""); err != nil {
			return nil, err
		}
		if err := p.expect("op", ")"); err != nil {
			return nil, err
		}
		l.field, l.lower = f.text, true
	case t.kind == "ident":
		p.pos++
		l.field = t.text
	default:
		return nil, fmt.Errorf("unexpected %v", t)
	}
	switch t := p.peek(); {
	case t.kind == "IS":
		p.pos++
		l.op = "IS NULL"
		if p.accept("NOT", "") {
			l.op = "IS NOT NULL"
		}
		return &node{leaf: l}, p.expect("NULL", "")
	case t.kind == "LIKE" || t.kind == "RLIKE":
		p.pos++
		l.op = t.kind
		s := p.peek()
		if err := p.expect("string", ""); err != nil {
			return nil, err
		}
		l.operand = s.text
	case t.kind == "op" && strings.Contains("== != <= >= < >", t.text) && t.text != "(" && t.text != ")" && t.text != ",":
		p.pos++
		l.op = t.text
		o := p.peek()
		if o.kind != "string" && o.kind != "number" && o.kind != "TRUE" && o.kind != "FALSE" {
			return nil, fmt.Errorf("comparison with %v", o)
		}
		p.pos++
		l.operand = o.text
	default:
		return nil, fmt.Errorf("a field without an operator: %v", t)
	}
	return &node{leaf: l}, nil
}

// likeTokens reads an ES|QL LIKE pattern; a backslash may only escape *, ? or itself.
func likeTokens(t *testing.T, s string) []estest.Token {
	var toks []estest.Token
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\\':
			if i+1 >= len(rs) || !strings.ContainsRune(`*?\`, rs[i+1]) {
				t.Fatalf("LIKE pattern %q: a backslash before %q, which ES|QL rejects", s, rs[min(i+1, len(rs)-1)])
			}
			i++
			toks = append(toks, estest.Token{Rune: rs[i]})
		case '*':
			toks = append(toks, estest.Token{Any: true})
		case '?':
			toks = append(toks, estest.Token{One: true})
		default:
			toks = append(toks, estest.Token{Rune: rs[i]})
		}
	}
	return toks
}

// eval runs a parsed leaf on a field value with ES|QL's semantics; ok is false for null.
func (l *leaf) eval(t *testing.T, value string, present bool) (result, ok bool) {
	switch l.op {
	case "IS NULL":
		return !present, true
	case "IS NOT NULL":
		return present, true
	}
	if !present {
		return false, false
	}
	v := value
	if l.lower {
		v = estest.JavaLower(v)
	}
	switch l.op {
	case "==":
		return v == l.operand, true
	case "LIKE":
		return estest.Glob(likeTokens(t, l.operand), v, estest.Exact), true
	case "RLIKE":
		re, err := lucenetest.Compile(l.operand, nil)
		if err != nil {
			t.Fatalf("RLIKE %q: %v", l.operand, err)
		}
		return re.MatchString(v), true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return false, false // ES|QL would not compare a string with a number
	}
	b, _ := strconv.ParseFloat(l.operand, 64)
	switch l.op {
	case "<":
		return f < b, true
	case "<=":
		return f <= b, true
	case ">":
		return f > b, true
	}
	return f >= b, true
}

// eval3 evaluates a parsed tree in three-valued logic on an event (field -> value; a
// missing field is absent).
func (n *node) eval3(t *testing.T, event map[string]string) (result, ok bool) {
	switch n.op {
	case "":
		v, present := event[n.leaf.field]
		return n.leaf.eval(t, v, present)
	case "not":
		r, ok := n.children[0].eval3(t, event)
		if n.coalesce && !ok {
			r, ok = false, true
		}
		return !r, ok
	case "and":
		res, known := true, true
		for _, c := range n.children {
			r, ok := c.eval3(t, event)
			if ok && !r {
				return false, true
			}
			known = known && ok
		}
		return res, known
	}
	res, known := false, true
	for _, c := range n.children {
		r, ok := c.eval3(t, event)
		if ok && r {
			return true, true
		}
		known = known && ok
	}
	return res, known
}

// notExistsAsNull rewrites Not(Exists f) into Null f, as the renderer writes it.
func notExistsAsNull(n ir.Node) ir.Node {
	switch n := n.(type) {
	case *ir.And:
		cs := make([]ir.Node, len(n.Children))
		for i, c := range n.Children {
			cs[i] = notExistsAsNull(c)
		}
		return &ir.And{Children: cs}
	case *ir.Or:
		cs := make([]ir.Node, len(n.Children))
		for i, c := range n.Children {
			cs[i] = notExistsAsNull(c)
		}
		return &ir.Or{Children: cs}
	case *ir.Not:
		if e, ok := n.Child.(*ir.Exists); ok {
			return &ir.Null{Field: e.Field}
		}
		return &ir.Not{Child: notExistsAsNull(n.Child)}
	}
	return n
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
	for _, v := range probes {
		got, _ := parsed.leaf.eval(t, v, true)
		if want := oracle(v); got != want {
			t.Errorf("%s -> %q: value %q: query %v, Sigma %v", n, q, v, got, want)
			return
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
	probes := []string{"a/b\"c", "xa/b\"cx", "123", "12a", "k", "K", "\u212a", "x", "10.1.2.3", "11.0.0.1", "::ffff:10.0.0.1", "fc00::1", "fe00::1", "", "http://1.2.3.4", "http://1.2.3.4a", "http://1.2.3.45", "x https://10.0.0.1/", "http://1.2.3.", "http://1.2.3.4\u212a", "word", "a Word.", "swords", "WORD_", "ab d", "abd", "c.d", "c.ab.d"}
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
		checkLeaf(t, n, "f", probes)
	}
}

// TestRandomTrees renders random trees, parses them back with ES|QL's precedence, and
// evaluates them in ES|QL's three-valued logic on events where some fields are missing:
// the verdict must be the evaluator's, so grouping, negation of missing fields and every
// leaf are right.
func TestRandomTrees(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	fields := []string{"a", "x-ms-mail-application", "and", "with`tick", "a.b-c"}
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
		ps := estest.Patterns([]string{"ab", "Ks", "5", "a\\*"}[rng.Intn(4)])
		return &ir.Match{Field: f, Pattern: ps[rng.Intn(len(ps))], Cased: rng.Intn(3) == 0}
	}
	values := []string{"ab", "AB", "xabx", "5", "7", "KS", "\u212a\u017f", "a\\*", "", "x"}
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
		var a, b int
		if want, got := estest.Shape(notExistsAsNull(infix.Simplify(tree)), &a), parsed.tree().Shape(&b); got != want {
			t.Fatalf("%q:\n parsed %s\n   want %s", q, got, want)
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
			got, known := parsed.eval3(t, event)
			got = got && known // WHERE keeps only true rows
			if want := len(p.MatchEvent(goEvent)) > 0; got != want {
				t.Fatalf("%s\n-> %q\nevent %v: query %v, Sigma %v", tree, q, event, got, want)
			}
		}
	}
}

func TestSource(t *testing.T) {
	r := &ir.Rule{Conditions: []ir.Node{&ir.Exists{Field: "a"}}, State: map[string]any{"index": []any{"logs-*", "winlogbeat-*"}}}
	qs, ds := Backend{}.Convert(r)
	if len(ds) > 0 || qs[0].Text != "FROM logs-*, winlogbeat-* METADATA _id, _index, _version | WHERE a IS NOT NULL" {
		t.Errorf("got %v %v", qs, ds)
	}
	r.State["index"] = "logs | DROP x"
	if _, ds := (Backend{}).Convert(r); len(ds) != 1 || ds[0].Code != diag.UnsupportedValue {
		t.Errorf("an index with a pipe gave %v", ds)
	}
}

func TestUnsupported(t *testing.T) {
	for _, tt := range []struct {
		n    ir.Node
		code string
	}{
		{&ir.Keyword{Pattern: ir.LiteralPattern("x")}, diag.UnsupportedKeyword},
		{&ir.FieldRef{Field: "a", Ref: "b"}, diag.UnsupportedFieldRef},
		{&ir.FieldRef{Field: "a", Ref: "b", Cased: true, Shape: ir.ShapeContains}, diag.UnsupportedFieldRef},
		{&ir.TimePart{Field: "t", Part: ir.Week, Value: 3}, diag.UnsupportedTimePart},
		{&ir.Regex{Field: "a", Pattern: `(x\b)+`}, diag.UnsupportedRegex},
		{&ir.Match{Field: "a", Pattern: ir.Pattern{{Kind: ir.Placeholder, Text: "p"}}}, diag.UnresolvedPlaceholder},
	} {
		_, ds := render(t, &ir.Or{Children: []ir.Node{tt.n, &ir.Exists{Field: "x"}}})
		if len(ds.Errors()) != 1 || ds.Errors()[0].Code != tt.code {
			t.Errorf("%s: diagnostics %v, want one %s", tt.n, ds, tt.code)
		}
	}
}

func TestCasedFieldRefAndTimePart(t *testing.T) {
	for _, tt := range []struct {
		n    ir.Node
		want string
	}{
		{&ir.FieldRef{Field: "a", Ref: "b-c", Cased: true}, "a == `b-c`"},
		{&ir.FieldRef{Field: "a", Ref: "b", Cased: true, Shape: ir.ShapePrefix}, "STARTS_WITH(a, b)"},
		{&ir.TimePart{Field: "t", Part: ir.Hour, Value: 3}, `DATE_EXTRACT("hour_of_day", t) == 3`},
	} {
		q, ds := render(t, tt.n)
		if ds.HasErrors() || !strings.HasSuffix(q, "WHERE "+tt.want) {
			t.Errorf("%s: got %q %v, want ... WHERE %s", tt.n, q, ds, tt.want)
		}
	}
}

// TestCorpusParses converts the SigmaHQ corpus and parses every query back, compiling
// every regular expression and LIKE pattern in it.
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
			for _, l := range parsed.leaves() {
				l.eval(t, "x", true)
			}
			n++
		}
	}
	t.Logf("%d corpus queries parse", n)
}
