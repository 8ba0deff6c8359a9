package lucene

import (
	"fmt"
	"math/rand"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/lucenetest"
	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The test parser reads the query_string subset the backend writes. It is stricter than
// Elasticsearch where Elasticsearch would silently mean something else: AND and OR never
// share a level without parentheses, and a NOT never stands bare in an OR chain (the classic
// parser would make it a MUST_NOT of the whole chain).

type token struct {
	kind string // "(", ")", "AND", "OR", "NOT", "term"
	text string
}

func tokenize(q string) ([]token, error) {
	var toks []token
	rs := []rune(q)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r == ' ':
			i++
			continue
		case r == '(' || r == ')':
			toks = append(toks, token{kind: string(r)})
			i++
			continue
		}
		start := i
		valueStart := true // a regex or a quoted string may start here
		for i < len(rs) {
			c := rs[i]
			if c == '\\' {
				if i+1 >= len(rs) {
					return nil, fmt.Errorf("trailing backslash in %q", q)
				}
				i += 2
				valueStart = false
				continue
			}
			if c == ' ' || c == '(' || c == ')' {
				break
			}
			if unicode.IsSpace(c) {
				return nil, fmt.Errorf("unescaped whitespace %q in a term of %q", c, q)
			}
			if valueStart && (c == '/' || c == '"') {
				end := c
				i++
				for ; i < len(rs) && rs[i] != end; i++ {
					if rs[i] == '\\' {
						i++
					}
				}
				if i >= len(rs) {
					return nil, fmt.Errorf("unterminated %c in %q", end, q)
				}
				i++
				valueStart = false
				continue
			}
			if strings.ContainsRune(`"/+-=&|!(){}[]^~`, c) {
				return nil, fmt.Errorf("unescaped %q in a term of %q", c, q)
			}
			valueStart = c == ':'
			i++
			if valueStart && i < len(rs) && (rs[i] == '<' || rs[i] == '>') {
				// a range: f:>5, f:<=5
				i++
				if i < len(rs) && rs[i] == '=' {
					i++
				}
				valueStart = false
			}
		}
		text := string(rs[start:i])
		switch text {
		case "AND", "OR", "NOT":
			toks = append(toks, token{kind: text})
		default:
			toks = append(toks, token{kind: "term", text: text})
		}
	}
	return toks, nil
}

type parser struct {
	toks []token
	pos  int
}

func parse(q string) (*estest.Tree, error) {
	toks, err := tokenize(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	t, err := p.seq()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %v in %q", p.toks[p.pos], q)
	}
	return t, nil
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].kind
	}
	return ""
}

func (p *parser) seq() (*estest.Tree, error) {
	first, bareNot, err := p.unary()
	if err != nil {
		return nil, err
	}
	op := ""
	operands := []*estest.Tree{first}
	bare := []bool{bareNot}
	for p.peek() == "AND" || p.peek() == "OR" {
		k := p.toks[p.pos].kind
		if op != "" && k != op {
			return nil, fmt.Errorf("AND and OR mixed without parentheses")
		}
		op = k
		p.pos++
		t, b, err := p.unary()
		if err != nil {
			return nil, err
		}
		operands = append(operands, t)
		bare = append(bare, b)
	}
	if op == "" {
		return first, nil
	}
	if op == "OR" {
		for _, b := range bare {
			if b {
				return nil, fmt.Errorf("a bare NOT in an OR chain")
			}
		}
	}
	return &estest.Tree{Op: strings.ToLower(op), Children: operands}, nil
}

// unary returns the operand and whether it is a NOT written without parentheses.
func (p *parser) unary() (*estest.Tree, bool, error) {
	if p.peek() == "NOT" {
		p.pos++
		if p.peek() == "NOT" {
			return nil, false, fmt.Errorf("NOT NOT")
		}
		t, _, err := p.unary()
		if err != nil {
			return nil, false, err
		}
		return &estest.Tree{Op: "not", Children: []*estest.Tree{t}}, true, nil
	}
	switch p.peek() {
	case "(":
		p.pos++
		t, err := p.seq()
		if err != nil {
			return nil, false, err
		}
		if p.peek() != ")" {
			return nil, false, fmt.Errorf("missing )")
		}
		p.pos++
		return t, false, nil
	case "term":
		t := &estest.Tree{Text: p.toks[p.pos].text}
		p.pos++
		return t, false, nil
	}
	return nil, false, fmt.Errorf("unexpected %q", p.peek())
}

// unescape removes query_string escapes.
func unescape(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' && i+1 < len(rs) {
			i++
		}
		b.WriteRune(rs[i])
	}
	return b.String()
}

// hasWildcard reports whether a term has an unescaped * or ?.
func hasWildcard(term string) bool {
	rs := []rune(term)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		}
	}
	return false
}

// splitField splits a term at its first unescaped colon.
func splitField(term string) (field, value string, ok bool) {
	rs := []rune(term)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\\':
			i++
		case ':':
			return unescape(string(rs[:i])), string(rs[i+1:]), true
		}
	}
	return "", term, false
}

// leafMatcher returns what a parsed leaf matches on a keyword field holding one value, as
// Elasticsearch runs it.
func leafMatcher(t *testing.T, term string) (field string, match func(string) bool) {
	t.Helper()
	field, value, ok := splitField(term)
	if !ok {
		t.Fatalf("term %q has no field", term)
	}
	if field == "_exists_" {
		return unescape(value), func(string) bool { return true }
	}
	switch {
	case strings.HasPrefix(value, "/"):
		re, err := lucenetest.Compile(strings.TrimSuffix(strings.TrimPrefix(value, "/"), "/"), nil)
		if err != nil {
			t.Fatalf("term %q: %v", term, err)
		}
		return field, re.MatchString
	case strings.HasPrefix(value, `"`):
		want := unescape(value[1 : len(value)-1])
		return field, func(v string) bool { return v == want }
	case !hasWildcard(value) && len(unescape(value)) > 1 && strings.ContainsAny(unescape(value)[:1], "<>"):
		// Elasticsearch reads an unquoted term starting with < or > as a range, whether
		// the character was escaped or not.
		u := unescape(value)
		op := u[:1]
		if u[1] == '=' {
			op = u[:2]
		}
		bound, err := strconv.ParseFloat(u[len(op):], 64)
		if err != nil {
			t.Fatalf("term %q: bad bound: %v", term, err)
		}
		return field, func(v string) bool {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return false
			}
			switch op {
			case ">":
				return f > bound
			case ">=":
				return f >= bound
			case "<":
				return f < bound
			}
			return f <= bound
		}
	}
	var toks []estest.Token
	rs := []rune(value)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\\':
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
	return field, func(v string) bool { return estest.Glob(toks, v, estest.Exact) }
}

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
	tree, err := parse(q)
	if err != nil {
		t.Errorf("%s -> %q: %v", m, q, err)
		return
	}
	if tree.Op != "" {
		t.Errorf("%s -> %q: parsed as %s, want one term", m, q, tree.Op)
		return
	}
	field, match := leafMatcher(t, tree.Text)
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
		tree, err := parse(q)
		if err != nil || tree.Op != "" {
			t.Fatalf("%s -> %q: not one term (%v)", n, q, err)
		}
		_, match := leafMatcher(t, tree.Text)
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
		parsed, err := parse(q)
		if err != nil {
			t.Fatalf("%s -> %q: %v", tree, q, err)
		}
		var a, b int
		if want, got := estest.Shape(tree, &a), parsed.Shape(&b); got != want {
			t.Fatalf("%q:\n parsed %s\n   want %s", q, got, want)
		}
		for j, l := range parsed.Leaves() {
			field, match := leafMatcher(t, l.Text)
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
			tree, err := parse(q.Text)
			if err != nil {
				t.Errorf("%s: %v", r.Path, err)
				continue
			}
			for _, l := range tree.Leaves() {
				if _, value, ok := splitField(l.Text); ok && strings.HasPrefix(value, "/") {
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
