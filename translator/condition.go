package translator

import (
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The condition grammar (Sigma 2.x), lowest binding first:
//
//	expr    = and { "or" and }
//	and     = not { "and" not }
//	not     = "not" not | atom
//	atom    = "(" expr ")" | quant ( "them" | pattern ) | identifier
//	quant   = ( "1" | "any" | "all" ) "of"
//
// A condition longer than MaxConditionBytes is refused before it is read, and one that nests
// `(` and `not` deeper than MaxConditionDepth as soon as the parser gets there, so the parser
// recurses at most MaxConditionDepth levels whatever the input.
//
// Identifiers and patterns are made of letters, digits, `_`, `-` and (patterns only) `*`.
// Operators are matched case-insensitively (sigma-go and pySigma accept only lower case;
// the linter warns about upper case). `them` skips identifiers that start with `_`.

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tLParen
	tRParen
)

type token struct {
	kind tokKind
	text string
	col  int // 1-based column within the condition
}

func lexCondition(s string) ([]token, *token) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", i + 1})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", i + 1})
			i++
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, token{tIdent, s[i:j], i + 1})
			i = j
		default:
			return nil, &token{tIdent, string(s[i]), i + 1}
		}
	}
	return append(toks, token{tEOF, "", len(s) + 1}), nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || c == '*' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

type condParser struct {
	path     string
	node     *yaml.Node
	text     string
	toks     []token
	pos      int
	searches map[string]*search
	order    []*search
	diags    diag.List
	depth    int // `(` and `not` open around the current position
	// picked caches what each `x of pattern` names: a condition may repeat a pattern.
	picked map[string][]*search
}

// parseError aborts parsing; the diagnostic is already recorded.
type parseError struct{}

func parseCondition(path string, node *yaml.Node, searches map[string]*search, order []*search) (tree ir.Node, diags diag.List) {
	p := &condParser{path: path, node: node, text: node.Value, searches: searches, order: order}
	if len(node.Value) > MaxConditionBytes {
		p.errAt(1, diag.ConditionTooLong, "the condition is %d bytes long, over the limit of %d (translator.MaxConditionBytes)", len(node.Value), MaxConditionBytes)
		return nil, p.diags
	}
	if i := strings.IndexByte(node.Value, '|'); i >= 0 {
		p.errAt(i+1, diag.LegacyAggregation, "the aggregation `%s` is the legacy Sigma 1 syntax; write a correlation rule instead", strings.TrimSpace(node.Value[i:]))
		return nil, p.diags
	}
	toks, bad := lexCondition(node.Value)
	if bad != nil {
		p.errAt(bad.col, diag.ConditionSyntax, "unexpected character %q in condition %q", bad.text, node.Value)
		return nil, p.diags
	}
	p.toks = toks
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(parseError); !ok {
				panic(r)
			}
			tree = nil
			diags = p.diags
		}
	}()
	if strings.TrimSpace(node.Value) == "" {
		p.errAt(1, diag.ConditionSyntax, "the condition is empty")
	}
	tree = p.expr()
	if t := p.peek(); t.kind != tEOF {
		p.errAt(t.col, diag.ConditionSyntax, "unexpected %q in condition %q", t.text, p.text)
	}
	if p.diags.HasErrors() {
		return nil, p.diags
	}
	return tree, p.diags
}

func (p *condParser) errAt(col int, code diag.Code, format string, args ...any) {
	d := diag.Diagnostic{Path: p.path, Line: p.node.Line, Col: p.node.Column + col - 1, Code: code, Message: fmt.Sprintf(format, args...)}
	p.diags = append(p.diags, d)
}

func (p *condParser) fail(col int, code diag.Code, format string, args ...any) {
	p.errAt(col, code, format, args...)
	panic(parseError{})
}

func (p *condParser) peek() token { return p.toks[p.pos] }
func (p *condParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *condParser) isWord(t token, w string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, w)
}

func (p *condParser) expr() ir.Node {
	nodes := []ir.Node{p.and()}
	for p.isWord(p.peek(), "or") {
		p.next()
		nodes = append(nodes, p.and())
	}
	return ir.NewOr(nodes...)
}

func (p *condParser) and() ir.Node {
	nodes := []ir.Node{p.not()}
	for p.isWord(p.peek(), "and") {
		p.next()
		nodes = append(nodes, p.not())
	}
	return ir.NewAnd(nodes...)
}

// enter opens one nesting level (a `(` or a `not` at column col), failing the condition
// beyond MaxConditionDepth; leave closes it.
func (p *condParser) enter(col int) {
	p.depth++
	if p.depth > MaxConditionDepth {
		p.fail(col, diag.ConditionTooDeep, "the condition nests `(` and `not` deeper than the limit of %d levels (translator.MaxConditionDepth)", MaxConditionDepth)
	}
}

func (p *condParser) leave() { p.depth-- }

func (p *condParser) not() ir.Node {
	if t := p.peek(); p.isWord(t, "not") {
		p.next()
		p.enter(t.col)
		n := ir.NewNot(p.not())
		p.leave()
		return n
	}
	return p.atom()
}

func (p *condParser) atom() ir.Node {
	t := p.next()
	switch t.kind {
	case tLParen:
		p.enter(t.col)
		n := p.expr()
		if c := p.next(); c.kind != tRParen {
			p.fail(c.col, diag.ConditionSyntax, "expected `)` to close the `(` at column %d, got %s", t.col, describe(c))
		}
		p.leave()
		return n
	case tEOF:
		p.fail(t.col, diag.ConditionSyntax, "the condition %q ends where a search identifier was expected", p.text)
	case tRParen:
		p.fail(t.col, diag.ConditionSyntax, "unexpected %q where a search identifier was expected", t.text)
	}
	low := strings.ToLower(t.text)
	switch low {
	case "and", "or":
		p.fail(t.col, diag.ConditionSyntax, "unexpected operator %q where a search identifier was expected", t.text)
	case "near":
		p.fail(t.col, diag.LegacyAggregation, "`near` is the legacy Sigma 1 syntax; write a temporal correlation rule instead")
	}
	if p.isWord(p.peek(), "of") {
		p.next()
		var all bool
		switch low {
		case "1", "any":
		case "all":
			all = true
		default:
			p.fail(t.col, diag.ConditionSyntax, "`%s of` is not Sigma: use `1 of`, `any of` or `all of`", t.text)
		}
		target := p.next()
		if target.kind != tIdent {
			p.fail(target.col, diag.ConditionSyntax, "expected `them` or a search pattern after `%s of`, got %s", t.text, describe(target))
		}
		return p.quantified(all, target)
	}
	if strings.Contains(t.text, "*") {
		p.fail(t.col, diag.ConditionSyntax, "the pattern %q needs `1 of` or `all of` before it", t.text)
	}
	s, ok := p.searches[t.text]
	if !ok {
		p.fail(t.col, diag.UnknownIdentifier, "the condition names %q, which is not a search of this rule%s", t.text, p.suggest(t.text))
	}
	if s.tree == nil {
		panic(parseError{}) // the search's own diagnostics explain it
	}
	return s.tree
}

func (p *condParser) quantified(all bool, target token) ir.Node {
	key := target.text
	if strings.EqualFold(key, "them") {
		key = "them"
	}
	picked, seen := p.picked[key]
	switch {
	case seen:
	case key == "them":
		for _, s := range p.order {
			if !strings.HasPrefix(s.name, "_") {
				picked = append(picked, s)
			}
		}
		if len(picked) == 0 {
			p.fail(target.col, diag.NoMatchingSearch, "`them` names no search (identifiers starting with `_` are skipped)")
		}
	default:
		for _, s := range p.order {
			if ok, _ := path.Match(target.text, s.name); ok {
				picked = append(picked, s)
			}
		}
		if len(picked) == 0 {
			p.fail(target.col, diag.NoMatchingSearch, "the pattern %q matches no search of this rule", target.text)
		}
	}
	if p.picked == nil {
		p.picked = map[string][]*search{}
	}
	p.picked[key] = picked
	nodes := make([]ir.Node, 0, len(picked))
	for _, s := range picked {
		if s.tree == nil {
			panic(parseError{})
		}
		nodes = append(nodes, s.tree)
	}
	if all {
		return ir.NewAnd(nodes...)
	}
	return ir.NewOr(nodes...)
}

func (p *condParser) suggest(name string) string {
	for _, s := range p.order {
		if strings.EqualFold(s.name, name) {
			return fmt.Sprintf(" (did you mean %q? identifiers are case-sensitive)", s.name)
		}
	}
	return ""
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end of the condition"
	}
	return fmt.Sprintf("%q", t.text)
}
