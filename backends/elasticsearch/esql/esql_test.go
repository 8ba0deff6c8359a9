package esql

import (
	"fmt"
	"math/rand"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/lucenetest"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The test parser reads the ES|QL the backend writes: the FROM ... | WHERE prefix, then a
// boolean expression with ES|QL's precedence (NOT over AND over OR), NOT COALESCE(x, FALSE)
// as a negation and COALESCE(leaf, FALSE) as a two-valued leaf, and comparisons, LIKE, RLIKE,
// IS [NOT] NULL, function calls and QSTR (read with the query_string parser) as leaves.

// leaf is a parsed comparison.
type leaf struct {
	field    string
	lower    bool   // the field is wrapped in TO_LOWER
	toString bool   // the field is wrapped in TO_STRING
	op       string // ==, LIKE, RLIKE, IS NULL, IS NOT NULL, <, <=, >, >=, QSTR
	operand  string
	ref      *refLeaf // a comparison of two expressions (fieldref) instead
	// qstr holds the terms of a QSTR query (one, or an OR of terms on field); exists that
	// it is a presence test.
	qstr   []func(string) bool
	exists bool
	// keyword: the QSTR terms have no field, and search every field (a Sigma keyword).
	keyword bool
}

// refLeaf compares two value expressions: left == right, STARTS_WITH, ENDS_WITH, or
// LOCATE(left, right) > 0.
type refLeaf struct {
	kind        string
	left, right *vexpr
}

// vexpr is a string-valued expression: a field, a string, or a function of those.
type vexpr struct {
	field string
	str   *string
	fn    string
	args  []*vexpr
}

// mainField returns the field the expression reads first.
func (e *vexpr) mainField() string {
	if e.fn == "" {
		return e.field
	}
	return e.args[0].mainField()
}

// value evaluates e on an event; ok is false for null.
func (e *vexpr) value(t *testing.T, event map[string]string) (string, bool) {
	switch {
	case e.str != nil:
		return *e.str, true
	case e.fn == "":
		v, ok := event[e.field]
		return v, ok
	}
	var args []string
	for _, a := range e.args {
		v, ok := a.value(t, event)
		if !ok {
			return "", false
		}
		args = append(args, v)
	}
	switch e.fn {
	case "TO_LOWER":
		if len(args) == 1 {
			return estest.JavaLower(args[0]), true
		}
	case "REPLACE":
		// Java's replaceAll; the backend writes replacements without $ or \, which it
		// would read specially.
		if len(args) == 3 && e.args[1].str != nil && e.args[2].str != nil && !strings.ContainsAny(args[2], `$\`) {
			re, err := regexp.Compile(args[1])
			if err != nil {
				t.Fatalf("REPLACE pattern %q: %v", args[1], err)
			}
			return re.ReplaceAllLiteralString(args[0], args[2]), true
		}
	}
	t.Fatalf("unexpected %s with %d arguments", e.fn, len(e.args))
	return "", false
}

// eval runs the comparison on an event; ok is false for null.
func (r *refLeaf) eval(t *testing.T, event map[string]string) (result, ok bool) {
	a, okA := r.left.value(t, event)
	b, okB := r.right.value(t, event)
	if !okA || !okB {
		return false, false
	}
	switch r.kind {
	case "==":
		return a == b, true
	case "STARTS_WITH":
		return strings.HasPrefix(a, b), true
	case "ENDS_WITH":
		return strings.HasSuffix(a, b), true
	}
	return strings.Contains(a, b), true // LOCATE(a, b) > 0
}

var valueFunctions = map[string]bool{"TO_LOWER": true, "REPLACE": true}

// vexpr ::= ident | string | FUNC(vexpr, ...)
func (p *parser) vexpr() (*vexpr, error) {
	t := p.Peek()
	switch t.Kind {
	case "string":
		p.Pos++
		s := t.Text
		return &vexpr{str: &s}, nil
	case "ident":
		p.Pos++
		if !p.Accept("op", "(") {
			return &vexpr{field: t.Text}, nil
		}
		e := &vexpr{fn: t.Text}
		for {
			a, err := p.vexpr()
			if err != nil {
				return nil, err
			}
			e.args = append(e.args, a)
			if p.Accept("op", ")") {
				return e, nil
			}
			if err := p.Expect("op", ","); err != nil {
				return nil, err
			}
		}
	}
	return nil, fmt.Errorf("unexpected %v in a value", t)
}

// refComparison parses a comparison of two value expressions, or returns nil (and leaves
// the position) when the leaf is not one.
func (p *parser) refComparison() (*refLeaf, error) {
	start := p.Pos
	t := p.Peek()
	if t.Kind != "ident" {
		return nil, nil
	}
	left, err := p.vexpr()
	if err != nil {
		p.Pos = start
		return nil, nil
	}
	switch {
	case left.fn == "STARTS_WITH" || left.fn == "ENDS_WITH" || left.fn == "LOCATE":
		if len(left.args) != 2 {
			return nil, fmt.Errorf("%s with %d arguments", left.fn, len(left.args))
		}
		r := &refLeaf{kind: left.fn, left: left.args[0], right: left.args[1]}
		if left.fn == "LOCATE" {
			if !p.Accept("op", ">") || !p.Accept("number", "0") {
				return nil, fmt.Errorf("LOCATE not compared with > 0")
			}
		}
		return r, nil
	case (left.fn == "" || valueFunctions[left.fn]) && p.Peek().Kind == "op" && p.Peek().Text == "==":
		if next := p.Pos + 1; next < len(p.Toks) && p.Toks[next].Kind == "ident" {
			p.Pos++
			right, err := p.vexpr()
			if err != nil {
				return nil, err
			}
			return &refLeaf{kind: "==", left: left, right: right}, nil
		}
	}
	p.Pos = start
	return nil, nil
}

type parser struct {
	estest.Lexemes
	t testing.TB
}

// syntax is ES|QL's: keywords in any case (read upper-cased) and the escapes of its strings.
var syntax = estest.Syntax{
	Escapes:   map[rune]rune{'\\': '\\', '"': '"', 'n': '\n', 'r': '\r', 't': '\t'},
	Operators: []string{"==", "!=", "<=", ">=", "<", ">", "(", ")", ",", "|"},
	Keyword: func(word string, _ rune) (string, bool) {
		switch w := strings.ToUpper(word); w {
		case "AND", "OR", "NOT", "IS", "NULL", "LIKE", "RLIKE", "TRUE", "FALSE":
			return w, false
		}
		return "", false
	},
}

// node is a parsed tree; leaves carry a parsed comparison.
type node struct {
	op       string
	children []*node
	leaf     *leaf
	coalesce bool // a NOT COALESCE(child, FALSE), or a COALESCE(leaf, FALSE): null counts as false
}

func (n *node) tree() *estest.Tree {
	if n.op == "" {
		return &estest.Tree{}
	}
	if n.op == "coalesce" {
		return n.children[0].tree()
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
	if n.op == "coalesce" {
		return n.children[0].leaves()
	}
	var out []*leaf
	for _, c := range n.children {
		out = append(out, c.leaves()...)
	}
	return out
}

func parseQuery(t testing.TB, q string) (*node, error) {
	const prefix = "FROM * METADATA _id, _index, _version | WHERE "
	if !strings.HasPrefix(q, prefix) {
		return nil, fmt.Errorf("query %q does not start with %q", q, prefix)
	}
	toks, err := estest.Tokenize(q[len(prefix):], syntax)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", q, err)
	}
	p := &parser{Lexemes: estest.Lexemes{Toks: toks}, t: t}
	n, err := p.or()
	if err == nil && p.Pos != len(p.Toks) {
		err = fmt.Errorf("trailing %v", p.Peek())
	}
	if err != nil {
		return nil, fmt.Errorf("%q: %v", q, err)
	}
	return n, nil
}

func (p *parser) or() (*node, error) { return p.chain("OR", "or", p.and) }

func (p *parser) and() (*node, error) { return p.chain("AND", "and", p.not) }

func (p *parser) chain(kw, op string, next func() (*node, error)) (*node, error) {
	ns, err := estest.Chain(&p.Lexemes, kw, next)
	switch {
	case err != nil:
		return nil, err
	case len(ns) == 1:
		return ns[0], nil
	}
	return &node{op: op, children: ns}, nil
}

func (p *parser) not() (*node, error) {
	if !p.Accept("NOT", "") {
		return p.primary()
	}
	if t := p.Peek(); t.Kind == "ident" && t.Text == "COALESCE" {
		inner, err := p.coalesce()
		if err != nil {
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

// coalesce reads COALESCE(expression, FALSE) and returns the expression.
func (p *parser) coalesce() (*node, error) {
	p.Pos++
	if err := p.Expect("op", "("); err != nil {
		return nil, err
	}
	inner, err := p.or()
	if err != nil {
		return nil, err
	}
	if err := p.Expect("op", ","); err != nil {
		return nil, err
	}
	if err := p.Expect("FALSE", ""); err != nil {
		return nil, err
	}
	return inner, p.Expect("op", ")")
}

// qstr reads QSTR("query") whose query_string is one term or an OR of terms on one field,
// or one term with no field (a keyword, searching every field).
func (p *parser) qstr() (*node, error) {
	p.Pos++
	if err := p.Expect("op", "("); err != nil {
		return nil, err
	}
	q := p.Peek()
	if err := p.Expect("string", ""); err != nil {
		return nil, err
	}
	tree, err := estest.ParseQueryString(q.Text)
	if err != nil {
		return nil, err
	}
	alts := tree.Alternatives()
	if alts == nil {
		return nil, fmt.Errorf("QSTR(%q) is not a term or an OR of terms", q.Text)
	}
	l := &leaf{op: "QSTR", operand: q.Text}
	for _, a := range alts {
		f, value, ok := estest.SplitField(a.Text)
		if !ok {
			if len(alts) != 1 {
				return nil, fmt.Errorf("QSTR(%q): a term without a field among others", q.Text)
			}
			_, match := estest.QueryStringTerm(p.t, "any:"+a.Text)
			l.keyword, l.qstr = true, []func(string) bool{match}
			continue
		}
		if f == "_exists_" {
			l.field, l.exists = value, true
			continue
		}
		field, match := estest.QueryStringTerm(p.t, a.Text)
		if l.field != "" && l.field != field {
			return nil, fmt.Errorf("QSTR(%q): terms on %s and %s", q.Text, l.field, field)
		}
		l.field = field
		l.qstr = append(l.qstr, match)
	}
	return &node{leaf: l}, p.Expect("op", ")")
}

func (p *parser) primary() (*node, error) {
	if t := p.Peek(); t.Kind == "ident" && t.Text == "COALESCE" {
		inner, err := p.coalesce()
		if err != nil {
			return nil, err
		}
		if inner.op != "" && inner.op != "or" {
			return nil, fmt.Errorf("COALESCE of a %s", inner.op)
		}
		return &node{op: "coalesce", children: []*node{inner}, coalesce: true}, nil
	}
	if t := p.Peek(); t.Kind == "ident" && t.Text == "QSTR" {
		return p.qstr()
	}
	if p.Accept("op", "(") {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		return n, p.Expect("op", ")")
	}
	if r, err := p.refComparison(); err != nil || r != nil {
		if err != nil {
			return nil, err
		}
		return &node{leaf: &leaf{field: r.left.mainField(), ref: r}}, nil
	}
	l := &leaf{}
	t := p.Peek()
	switch {
	case t.Kind == "ident" && t.Text == "TO_LOWER":
		// Elasticsearch 8.19 rewrites TO_LOWER(f) compared with a constant into a
		// case-insensitive comparison that folds differently (lowered.go).
		return nil, fmt.Errorf("TO_LOWER compared with a constant outside CONCAT(..., \"\")")
	case t.Kind == "ident" && t.Text == "CONCAT":
		p.Pos++
		for _, want := range []estest.Lexeme{{Kind: "op", Text: "("}, {Kind: "ident", Text: "TO_LOWER"}, {Kind: "op", Text: "("}} {
			if err := p.Expect(want.Kind, want.Text); err != nil {
				return nil, err
			}
		}
		if p.Peek().Text == "TO_STRING" {
			p.Pos++
			if err := p.Expect("op", "("); err != nil {
				return nil, err
			}
			l.toString = true
		}
		f := p.Peek()
		if err := p.Expect("ident", ""); err != nil {
			return nil, err
		}
		if err := p.Expect("op", ")"); err != nil {
			return nil, err
		}
		if l.toString {
			if err := p.Expect("op", ")"); err != nil {
				return nil, err
			}
		}
		if err := p.Expect("op", ","); err != nil {
			return nil, err
		}
		if e := p.Peek(); e.Kind != "string" || e.Text != "" {
			return nil, fmt.Errorf("CONCAT(TO_LOWER(...), %v)", e)
		}
		p.Pos++
		if err := p.Expect("op", ")"); err != nil {
			return nil, err
		}
		l.field, l.lower = f.Text, true
	case t.Kind == "ident":
		p.Pos++
		l.field = t.Text
	default:
		return nil, fmt.Errorf("unexpected %v", t)
	}
	switch t := p.Peek(); {
	case t.Kind == "IS":
		p.Pos++
		l.op = "IS NULL"
		if p.Accept("NOT", "") {
			l.op = "IS NOT NULL"
		}
		return &node{leaf: l}, p.Expect("NULL", "")
	case t.Kind == "LIKE" || t.Kind == "RLIKE":
		p.Pos++
		l.op = t.Kind
		s := p.Peek()
		if err := p.Expect("string", ""); err != nil {
			return nil, err
		}
		l.operand = s.Text
	case t.Kind == "op" && strings.Contains("== != <= >= < >", t.Text) && t.Text != "(" && t.Text != ")" && t.Text != ",":
		p.Pos++
		l.op = t.Text
		o := p.Peek()
		if o.Kind != "string" && o.Kind != "number" && o.Kind != "TRUE" && o.Kind != "FALSE" {
			return nil, fmt.Errorf("comparison with %v", o)
		}
		p.Pos++
		l.operand = o.Text
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
	if l.ref != nil {
		event := map[string]string{}
		if present {
			event[l.ref.left.mainField()] = value
			event[l.ref.right.mainField()] = value
		}
		return l.ref.eval(t, event)
	}
	switch l.op {
	case "IS NULL":
		return !present, true
	case "IS NOT NULL":
		return present, true
	case "QSTR":
		// A query is true or false, never null.
		if l.exists {
			return present, true
		}
		return present && estest.AnyOf(l.qstr)(value), true
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
		if n.leaf.ref != nil {
			return n.leaf.ref.eval(t, event)
		}
		if n.leaf.keyword {
			// query_string over every field: true when some value matches, never null.
			for _, v := range event {
				if r, _ := n.leaf.eval(t, v, true); r {
					return true, true
				}
			}
			return false, true
		}
		v, present := event[n.leaf.field]
		return n.leaf.eval(t, v, present)
	case "not":
		r, ok := n.children[0].eval3(t, event)
		if n.coalesce && !ok {
			r, ok = false, true
		}
		return !r, ok
	case "coalesce":
		r, ok := n.children[0].eval3(t, event)
		return r && ok, true
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

// notExistsAsNull rewrites Null f and Not(Exists f) into the shape the renderer writes
// (absence).
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
			return absence(e.Field)
		}
		return &ir.Not{Child: notExistsAsNull(n.Child)}
	case *ir.Null:
		return absence(n.Field)
	}
	return n
}

// absence is the shape of an absent field: NOT (f IS NOT NULL), or one leaf
// MV_COUNT(f) IS NULL for a name holding `*` (presence in esql.go).
func absence(f string) ir.Node {
	if strings.Contains(f, "*") {
		return &ir.Null{Field: f}
	}
	return &ir.Not{Child: &ir.Exists{Field: f}}
}

func render(t *testing.T, n ir.Node) (string, diag.List) {
	t.Helper()
	return renderState(t, n, nil)
}

func renderState(t *testing.T, n ir.Node, state map[string]any) (string, diag.List) {
	t.Helper()
	return estest.ConvertOne(t, Backend{}.Convert, n, state)
}

func checkLeaf(t *testing.T, n ir.Node, field string, probes []string) {
	t.Helper()
	q, ds := render(t, n)
	if ds.HasErrors() {
		t.Errorf("%s: %v", n, ds)
		return
	}
	parsed, err := parseQuery(t, q)
	if err != nil {
		t.Error(err)
		return
	}
	if parsed.op != "" && parsed.op != "or" {
		t.Errorf("%s -> %q: a %s, want one comparison or an OR of them", n, q, parsed.op)
		return
	}
	for _, l := range parsed.leaves() {
		if l.field != field {
			t.Errorf("%s -> %q: field %q, want %q", n, q, l.field, field)
		}
	}
	oracle := estest.Oracle(t, n, field)
	for _, v := range probes {
		got, known := parsed.eval3(t, map[string]string{field: v})
		if want := oracle(v); got && known != want {
			t.Errorf("%s -> %q: value %q: query %v, Sigma %v", n, q, v, got && known, want)
			return
		}
	}
}

func TestHostileValues(t *testing.T) { estest.CheckHostileLeaves(t, checkLeaf) }

func TestRegexAndCIDRLeaves(t *testing.T) { estest.CheckRegexAndCIDRLeaves(t, checkLeaf) }

// TestRandomTrees renders random trees, parses them back with ES|QL's precedence, and
// evaluates them in ES|QL's three-valued logic on events where some fields are missing:
// the verdict must be the evaluator's, so grouping, negation of missing fields and every
// leaf are right.
func TestRandomTrees(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	fields := []string{"a", "x-ms-mail-application", "and", "with`tick", "a.b-c"}
	leafOf := func(rng *rand.Rand, i int) ir.Node {
		f := fields[rng.Intn(len(fields))]
		switch rng.Intn(10) {
		case 0:
			return &ir.Exists{Field: f}
		case 1:
			return &ir.Null{Field: f}
		case 2:
			return &ir.Compare{Field: f, Op: ir.CompareOp(rng.Intn(4)), Value: ir.Num{Text: "5", Value: 5}}
		case 3:
			if f == "with`tick" {
				f = "and" // with`tick is multi-valued in some runs, where no ES|QL form compares it with a field
			}
			ref := fields[rng.Intn(len(fields))]
			if ref == "with`tick" {
				ref = "and"
			}
			return &ir.FieldRef{Field: f, Ref: ref, Shape: []ir.Shape{ir.ShapeExact, ir.ShapePrefix, ir.ShapeSuffix, ir.ShapeContains}[rng.Intn(4)], Cased: rng.Intn(3) == 0}
		case 4:
			return &ir.Match{Field: f, Pattern: ir.LiteralPattern("5"), Kind: ir.Number}
		case 5:
			if f == "with`tick" {
				f = "and" // no boolean form is exact on a multi-valued field
			}
			return &ir.Match{Field: f, Pattern: ir.LiteralPattern("true"), Kind: ir.Bool}
		case 6:
			ps := estest.Patterns([]string{"b", "s", "Σ"}[rng.Intn(3)])
			return &ir.Keyword{Pattern: ps[rng.Intn(len(ps))], Cased: rng.Intn(3) == 0}
		}
		ps := estest.Patterns([]string{"ab", "Ks", "5", "a\\*"}[rng.Intn(4)])
		return &ir.Match{Field: f, Pattern: ps[rng.Intn(len(ps))], Cased: rng.Intn(3) == 0}
	}
	values := []string{"ab", "AB", "xabx", "5", "7", "KS", "\u212a\u017f", "a\\*", "", "x", "\u0130", "i\u0307", "ΑΣ", "ασ", "true", "TRUE", "falſe"}
	for i := 0; i < 400; i++ {
		tree := estest.RandomTree(rng, 4, leafOf)
		// Every other tree declares with`tick multi-valued: its leaves go through QSTR, which
		// must mean the same on a single value.
		var state map[string]any
		if i%2 == 1 {
			state = map[string]any{"multivalued_fields": []any{"with`tick"}}
		}
		q, ds := renderState(t, tree, state)
		if ds.HasErrors() {
			t.Fatalf("%s: %v", tree, ds)
		}
		parsed, err := parseQuery(t, q)
		if err != nil {
			t.Fatal(err)
		}
		var a, b int
		if want, got := estest.Shape(notExistsAsNull(ir.Simplify(tree)), &a), parsed.tree().Shape(&b); got != want {
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
	r := &ir.Rule{Conditions: []ir.Node{&ir.Exists{Field: "a"}}, Deployment: ir.Deployment{Index: []string{"logs-*", "winlogbeat-*"}}}
	qs, ds := Backend{}.Convert(r)
	if len(ds) > 0 || qs[0].Text != "FROM logs-*, winlogbeat-* METADATA _id, _index, _version | WHERE a IS NOT NULL" {
		t.Errorf("got %v %v", qs, ds)
	}
	r.Deployment.Index = []string{"logs | DROP x"}
	if _, ds := (Backend{}).Convert(r); len(ds) != 1 || ds[0].Code != diag.UnsupportedValue {
		t.Errorf("an index with a pipe gave %v", ds)
	}
}

func TestUnsupported(t *testing.T) {
	estest.CheckFailures(t, Backend{}.Convert, nil, []estest.Failure{
		{Node: &ir.Keyword{Pattern: ir.Pattern{{Kind: ir.AnyString}}}, Code: diag.UnsupportedKeyword},
		{Node: &ir.FieldRef{Field: "a", Ref: ""}, Code: diag.UnsupportedFieldName},
		{Node: &ir.TimePart{Field: "t", Part: ir.Week, Value: 3}, Code: diag.UnsupportedTimePart},
		{Node: &ir.Regex{Field: "a", Pattern: `(x\b)+`}, Code: diag.UnsupportedRegex},
		{Node: &ir.Match{Field: "a", Pattern: ir.Pattern{{Kind: ir.Placeholder, Text: "p"}}}, Code: diag.UnresolvedPlaceholder},
		{Node: &ir.Match{Field: "a", Pattern: ir.LiteralPattern(strings.Repeat("\u0130b", 250))}, Code: diag.UnsupportedRegexLength},
	})
}

func TestCasedFieldRefAndTimePart(t *testing.T) {
	for _, tt := range []struct {
		n    ir.Node
		want string
	}{
		{&ir.FieldRef{Field: "a", Ref: "b-c", Cased: true}, "a == `b-c`"},
		{&ir.FieldRef{Field: "a", Ref: "b", Cased: true, Shape: ir.ShapePrefix}, "STARTS_WITH(a, b)"},
		{&ir.FieldRef{Field: "a", Ref: "b", Cased: true, Shape: ir.ShapeSuffix}, "ENDS_WITH(a, b)"},
		{&ir.FieldRef{Field: "a", Ref: "b", Cased: true, Shape: ir.ShapeContains}, "LOCATE(a, b) > 0"},
		{&ir.FieldRef{Field: "a", Ref: "b"}, foldKey("a") + " == " + foldKey("b")},
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
	estest.CheckCorpusParses(t, Backend{}.Convert, func(t *testing.T, q string) error {
		parsed, err := parseQuery(t, q)
		if err != nil {
			return err
		}
		for _, l := range parsed.leaves() {
			l.eval(t, "x", true)
		}
		return nil
	})
}

// fieldRefValues are values whose case-insensitive comparison TO_LOWER alone gets wrong:
// the runes whose orbit lowers to several runes, İ against i and U+0307, Σ at the end of a
// word, and the Kelvin sign, with plain ASCII around them.
var fieldRefValues = []string{
	"", "s", "S", "\u017f", "x\u017fy", "XSY", "k", "\u212a", "K",
	"\u0130", "i\u0307", "I\u0307", "i", "I", "\u0131", "\u0130x", "i\u0307x",
	"ΑΣ", "ασ", "ας", "ΑΣΑ", "ασα", "Σ", "ς",
	"ϐ", "β", "Β", "ϑ", "θ", "ϴ", "ϕ", "φ", "ϖ", "π", "ϰ", "κ", "ϱ", "ρ", "ϵ", "ε",
	"ẛ", "ṡ", "Ṡ", "\u0345", "ι", "Ι", "\u1fbe", "µ", "μ", "Μ", "ᲀ", "в", "В", "ß", "ẞ",
	`C:\Windows\ſystem32\cmd.exe`, `c:\windows\SYSTEM32\CMD.EXE`, `C:\WINDOWS`, `.EXE`, `\Cmd.Exe`,
}

// TestFieldRefs compares every fieldref shape, cased and not, on every pair of the hard
// values and with either field missing, with the evaluator.
func TestFieldRefs(t *testing.T) {
	for _, shape := range []ir.Shape{ir.ShapeExact, ir.ShapePrefix, ir.ShapeSuffix, ir.ShapeContains} {
		for _, cased := range []bool{false, true} {
			n := &ir.FieldRef{Field: "a", Ref: "b", Shape: shape, Cased: cased}
			for _, negate := range []bool{false, true} {
				var tree ir.Node = n
				if negate {
					tree = &ir.Not{Child: n}
				}
				q, ds := render(t, tree)
				if ds.HasErrors() {
					t.Fatalf("%s: %v", tree, ds)
				}
				parsed, err := parseQuery(t, q)
				if err != nil {
					t.Fatal(err)
				}
				p, errs := evaluator.Compile([]*ir.Rule{{ID: "r", Conditions: []ir.Node{tree}}})
				if len(errs) > 0 {
					t.Fatal(errs)
				}
				check := func(event map[string]string) {
					goEvent := map[string]any{}
					for k, v := range event {
						goEvent[k] = v
					}
					got, known := parsed.eval3(t, event)
					if want := len(p.MatchEvent(goEvent)) > 0; (got && known) != want {
						t.Fatalf("%s -> %q\nevent %q: query %v (known %v), Sigma %v", tree, q, event, got, known, want)
					}
				}
				for _, a := range fieldRefValues {
					check(map[string]string{"a": a})
					check(map[string]string{"b": a})
					for _, b := range fieldRefValues {
						check(map[string]string{"a": a, "b": b})
					}
				}
			}
		}
	}
}

// TestIPFields checks the pipeline state ip_fields: the native CIDR form on an ip field,
// the keyword form elsewhere, and a named failure for what an ip field cannot express.
func TestIPFields(t *testing.T) {
	estest.CheckConversions(t, Backend{}.Convert, estest.IPFieldsState, []estest.Conversion{
		{Node: &ir.CIDR{Field: "source.ip", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, Want: `CIDR_MATCH(source.ip, "10.0.0.0/8")`},
		{Node: &ir.CIDR{Field: "client.ip", Prefix: netip.MustParsePrefix("fc00::/7")}, Want: `CIDR_MATCH(client.ip, "fc00::/7")`},
		{Node: &ir.CIDR{Field: "source.address", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, Want: `source.address RLIKE "10\\.`},
		{Node: &ir.Exists{Field: "source.ip"}, Want: `source.ip IS NOT NULL`},
	})
	estest.CheckFailures(t, Backend{}.Convert, estest.IPFieldsState, estest.IPFieldFailures)
}

// TestFlattenedFields checks the pipeline state flattened_fields: a keyed sub-field is an
// unknown column to ES|QL, so its terms, prefixes and presence tests are QSTR queries, and
// the rest (case-insensitive letters included) fails with unsupported-flattened.
func TestFlattenedFields(t *testing.T) {
	var wants []estest.Conversion
	for i, w := range []string{`QSTR("requestParameters.principal:\\*")`, `QSTR("requestParameters.principal:123\\-456")`,
		`QSTR("requestParameters.role:arn\\:aws\\:iam\\:\\:1\\:role\\/Admin")`, `QSTR("requestParameters.role:arn\\:aws\\:iam\\:\\:1*")`,
		`QSTR("_exists_:requestParameters.role")`, `QSTR("requestParameters.memorySize:10240")`, `WHERE QSTR("_exists_:requestParameters.sourceArn")`,
		`WHERE NOT QSTR("_exists_:requestParameters.sourceArn")`, `QSTR("_exists_:requestParameters")`} {
		wants = append(wants, estest.Conversion{Node: estest.FlattenedExact[i], Want: w})
	}
	estest.CheckConversions(t, Backend{}.Convert, estest.FlattenedState, wants)
	refused := append(append([]ir.Node{}, estest.FlattenedRefused...), estest.FlattenedCaseInsensitive...)
	estest.CheckFailures(t, Backend{}.Convert, estest.FlattenedState, estest.Failures(diag.UnsupportedFlattened, refused...))
}

// TestMultiValuedFields checks the pipeline state multivalued_fields: a comparison with a
// multi-valued column is null, so every comparison on such a field (or a field below a listed
// object) is a QSTR query, true when any value matches and never null, presence tests stay
// IS [NOT] NULL, and what query_string cannot say fails with unsupported-multivalued.
func TestMultiValuedFields(t *testing.T) {
	state := map[string]any{"multivalued_fields": []any{"tags", "resources"}}
	estest.CheckConversions(t, Backend{}.Convert, state, []estest.Conversion{
		{Node: &ir.Match{Field: "tags", Pattern: ir.LiteralPattern("prod")}, Want: `WHERE QSTR("tags:/[pP][rR][oO][dD]/")`},
		{Node: &ir.Match{Field: "resources.ARN", Pattern: ir.LiteralPattern(":function:evil").Wrap(true, false)}, Want: `QSTR("resources.ARN:/.*\\:`},
		{Node: &ir.Not{Child: &ir.Match{Field: "tags", Pattern: ir.LiteralPattern("x"), Cased: true}}, Want: `WHERE NOT QSTR("tags:x")`},
		{Node: &ir.Compare{Field: "tags", Op: ir.GT, Value: ir.Num{Text: "10", Value: 10}}, Want: `QSTR("tags:>10")`},
		{Node: &ir.Exists{Field: "tags"}, Want: `WHERE tags IS NOT NULL`},
		{Node: &ir.Not{Child: &ir.And{Children: []ir.Node{
			&ir.Match{Field: "tags", Pattern: ir.LiteralPattern("x"), Cased: true},
			&ir.Match{Field: "name", Pattern: ir.LiteralPattern("y"), Cased: true},
		}}}, Want: `WHERE NOT (QSTR("tags:x") AND COALESCE(name == "y", FALSE))`},
	})
	estest.CheckFailures(t, Backend{}.Convert, state, []estest.Failure{
		{Node: &ir.FieldRef{Field: "tags", Ref: "name"}, Code: diag.UnsupportedMultiValued},
		{Node: &ir.FieldRef{Field: "name", Ref: "resources.ARN"}, Code: diag.UnsupportedMultiValued},
		{Node: &ir.TimePart{Field: "tags", Part: ir.Hour, Value: 3}, Code: diag.UnsupportedMultiValued},
		{Node: &ir.Match{Field: "tags", Pattern: ir.LiteralPattern("true"), Kind: ir.Bool}, Code: diag.UnsupportedMultiValued},
	})
}

// TestHostileIdentifiers pins how field names are written: bare when they are plain
// dotted identifiers and not a word of the WHERE grammar in any case, in backticks (a
// backtick doubled) otherwise, and a name holding `*` tested for presence through
// MV_COUNT, never as an exists query (TestHostileIdentifiersLive runs them all).
func TestHostileIdentifiers(t *testing.T) {
	for _, c := range []struct {
		n    ir.Node
		want string
	}{
		{&ir.Exists{Field: "where"}, "`where` IS NOT NULL"},
		{&ir.Exists{Field: "WHERE"}, "`WHERE` IS NOT NULL"},
		{&ir.Exists{Field: "a.where"}, "`a.where` IS NOT NULL"},
		{&ir.Exists{Field: "wherever"}, "wherever IS NOT NULL"},
		{&ir.Exists{Field: "True"}, "`True` IS NOT NULL"},
		{&ir.Exists{Field: "x.1y"}, "`x.1y` IS NOT NULL"},
		{&ir.Exists{Field: "a b"}, "`a b` IS NOT NULL"},
		{&ir.Exists{Field: "a`b"}, "`a``b` IS NOT NULL"},
		{&ir.Exists{Field: "a*"}, "MV_COUNT(`a*`) IS NOT NULL"},
		{&ir.Null{Field: "a*"}, "MV_COUNT(`a*`) IS NULL"},
		{&ir.Match{Field: "a*", Pattern: ir.Pattern{{Kind: ir.AnyString}}}, "MV_COUNT(`a*`) IS NOT NULL"},
		{&ir.Match{Field: "a*", Pattern: ir.LiteralPattern("v"), Cased: true}, "`a*` == \"v\""},
	} {
		got, ds := render(t, c.n)
		if ds.HasErrors() {
			t.Errorf("%s: %v", c.n, ds)
			continue
		}
		if want := "FROM * METADATA _id, _index, _version | WHERE " + c.want; got != want {
			t.Errorf("%s: got %q want %q", c.n, got, want)
		}
	}
}

// TestRegexCountBound: a query of more than MaxRLIKE regular expressions fails by name,
// and one of exactly MaxRLIKE converts.
func TestRegexCountBound(t *testing.T) {
	for _, n := range []int{MaxRLIKE, MaxRLIKE + 1} {
		var b strings.Builder
		b.WriteString("title: t\nid: 00000000-0000-4000-8000-000000000009\nlogsource: {product: windows}\ndetection:\n  sel:\n    Hashes|re:\n")
		for i := range n {
			fmt.Fprintf(&b, "      - 'a%d[0-9]+b'\n", i)
		}
		b.WriteString("  condition: sel\n")
		rs, ds := translator.LoadBytes("t.yml", []byte(b.String()))
		if ds.HasErrors() || len(rs) != 1 {
			t.Fatal(ds)
		}
		qs, ds := Backend{}.Convert(rs[0])
		errs := ds.Errors()
		if n <= MaxRLIKE {
			if len(errs) > 0 || len(qs) != 1 || strings.Count(qs[0].Text, " RLIKE ") != n {
				t.Errorf("%d regular expressions: %v, %d queries", n, errs, len(qs))
			}
			continue
		}
		if len(errs) != 1 || errs[0].Code != diag.UnsupportedRegexCount || !strings.Contains(errs[0].Message, fmt.Sprint(n)) {
			t.Errorf("%d regular expressions: %v, want %s naming the count", n, errs, diag.UnsupportedRegexCount)
		}
	}
}
