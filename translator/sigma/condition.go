package sigma

import (
	"fmt"
	"path"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// The condition grammar (Sigma 2.x), lowest binding first:
//
//	expr    = and { "or" and }
//	and     = not { "and" not }
//	not     = "not" not | atom
//	atom    = "(" expr ")" | quant ( "them" | pattern ) | identifier
//	quant   = ( "1" | "any" | "all" ) "of"
//
// A Grammar without Quantifiers drops the `quant` alternative: a pipeline's rule_cond_expr
// and friends are boolean expressions over condition names, read by the same parser.
//
// A condition longer than MaxConditionBytes is refused before it is read, and one that nests
// `(` and `not` deeper than MaxConditionDepth as soon as the parser gets there, so the parser
// recurses at most MaxConditionDepth levels whatever the input.
//
// Identifiers and patterns are made of letters, digits, `_`, `-` and (patterns only) `*`.
// Operators are matched case-insensitively (sigma-go and pySigma accept only lower case;
// the linter warns about upper case).

// The bounds on one condition (translator/doc.go says why these numbers).
const (
	// MaxConditionBytes is the longest condition string (diag.ConditionTooLong).
	MaxConditionBytes = 16 << 10
	// MaxConditionDepth is the deepest a condition may nest parentheses and `not`
	// (diag.ConditionTooDeep): `not (a and (b or c))` nests 3 deep.
	MaxConditionDepth = 32
)

// Grammar selects the atoms of an expression.
type Grammar struct {
	// Quantifiers allows `1 of pattern`, `any of them`, `all of pattern` (rule conditions).
	Quantifiers bool
}

// RuleGrammar is the grammar of a rule's condition.
var RuleGrammar = Grammar{Quantifiers: true}

// Expr is a node of a condition's syntax tree: *Ref, *Not, *And or *Or.
type Expr interface{ expr() }

type (
	// Not is `not X`; Col is the column of `not`.
	Not struct {
		X   Expr
		Col int
	}
	// And is `X and Y and ...`, two or more operands (a chain is one node, not a nesting).
	And struct{ Xs []Expr }
	// Or is `X or Y or ...`, two or more operands.
	Or struct{ Xs []Expr }
)

// RefKind says what a Ref names.
type RefKind uint8

const (
	// RefIdent names one search.
	RefIdent RefKind = iota
	// RefPattern names the searches a glob matches (`1 of sel*`); without a quantifier it
	// is a syntax error, recorded so that a linter still sees what it names.
	RefPattern
	// RefThem names every search whose name does not start with `_`.
	RefThem
)

// Ref is an atom: an identifier, or `quant of (them|pattern)`.
type Ref struct {
	Kind RefKind
	Text string // the identifier or pattern as written; `them` for RefThem
	Col  int    // 1-based column of Text within the condition
	// Quant is `1`, `any` or `all` as written (lower-cased) for a quantified atom, else "".
	Quant string
	All   bool
}

func (*Ref) expr() {}
func (*Not) expr() {}
func (*And) expr() {}
func (*Or) expr()  {}

// Word is an operator word of a condition as written, with its 1-based column.
type Word struct {
	Text string
	Col  int
}

// SyntaxError is why a condition does not parse. Col is 1-based within the condition.
type SyntaxError struct {
	Code    diag.Code // diag.ConditionSyntax, ConditionTooLong, ConditionTooDeep or LegacyAggregation
	Col     int
	Message string
	// Lexical is true for problems found before parsing (length, a legacy `|`, a character
	// outside the grammar, an empty condition): no atom of the condition has been read.
	Lexical bool
}

func (e *SyntaxError) Error() string { return e.Message }

// Column converts a column within the condition text into a column of its file.
func (c *Condition) Column(col int) int { return c.Col + col - 1 }

// Condition is one parsed condition string.
type Condition struct {
	Text string
	// Line and Col place the condition's scalar in its file (0 outside a rule).
	Line, Col int
	// Expr is the syntax tree; nil when the condition does not parse.
	Expr Expr
	// Refs are the atoms in source order, also those read before a syntax error.
	Refs []*Ref
	// Ops are the operator words (and, or, not, the quantifier, of, them) read, in order.
	Ops []Word
	// Lexed is true when every character before any legacy `|` belongs to the grammar, so
	// Refs are all the condition names (up to a syntax error).
	Lexed bool
	Err   *SyntaxError
}

// ParseCondition parses a condition. It never panics; problems are in Condition.Err.
func ParseCondition(text string, g Grammar) *Condition {
	c := &Condition{Text: text}
	if len(text) > MaxConditionBytes {
		c.Err = &SyntaxError{Code: diag.ConditionTooLong, Col: 1, Lexical: true,
			Message: fmt.Sprintf("the condition is %d bytes long, over the limit of %d (translator.MaxConditionBytes)", len(text), MaxConditionBytes)}
		return c
	}
	body := text
	if i := strings.IndexByte(text, '|'); i >= 0 && g.Quantifiers {
		c.Err = &SyntaxError{Code: diag.LegacyAggregation, Col: i + 1, Lexical: true,
			Message: fmt.Sprintf("the aggregation `%s` is the legacy Sigma 1 syntax; write a correlation rule instead", strings.TrimSpace(text[i:]))}
		body = text[:i]
	}
	toks, bad := lex(body)
	if bad != nil {
		if c.Err == nil {
			c.Err = &SyntaxError{Code: diag.ConditionSyntax, Col: bad.col, Lexical: true,
				Message: fmt.Sprintf("unexpected character %q in condition %q", bad.text, text)}
		}
		return c
	}
	c.Lexed = true
	if c.Err == nil && strings.TrimSpace(text) == "" {
		c.Err = &SyntaxError{Code: diag.ConditionSyntax, Col: 1, Lexical: true, Message: "the condition is empty"}
		return c
	}
	p := &parser{c: c, g: g, toks: toks}
	e := p.parse()
	if c.Err == nil {
		c.Err = p.err
		if p.err == nil {
			c.Expr = e
		}
	}
	return c
}

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

func lex(s string) ([]token, *token) {
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

type parser struct {
	c     *Condition
	g     Grammar
	toks  []token
	pos   int
	depth int // `(` and `not` open around the current position
	err   *SyntaxError
}

// bail aborts parsing; the error is in parser.err.
type bail struct{}

func (p *parser) parse() (e Expr) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bail); !ok {
				panic(r)
			}
			e = nil
		}
	}()
	e = p.expr()
	if t := p.peek(); t.kind != tEOF {
		p.fail(t.col, diag.ConditionSyntax, "unexpected %q in condition %q", t.text, p.c.Text)
	}
	return e
}

func (p *parser) fail(col int, code diag.Code, format string, args ...any) {
	p.err = &SyntaxError{Code: code, Col: col, Message: fmt.Sprintf(format, args...)}
	panic(bail{})
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func isWord(t token, w string) bool { return t.kind == tIdent && strings.EqualFold(t.text, w) }

func (p *parser) op(t token) { p.c.Ops = append(p.c.Ops, Word{t.text, t.col}) }

func (p *parser) expr() Expr {
	x := p.and()
	if !isWord(p.peek(), "or") {
		return x
	}
	or := &Or{Xs: []Expr{x}}
	for isWord(p.peek(), "or") {
		p.op(p.next())
		or.Xs = append(or.Xs, p.and())
	}
	return or
}

func (p *parser) and() Expr {
	x := p.not()
	if !isWord(p.peek(), "and") {
		return x
	}
	and := &And{Xs: []Expr{x}}
	for isWord(p.peek(), "and") {
		p.op(p.next())
		and.Xs = append(and.Xs, p.not())
	}
	return and
}

// enter opens one nesting level (a `(` or a `not` at column col), failing the condition
// beyond MaxConditionDepth; leave closes it.
func (p *parser) enter(col int) {
	p.depth++
	if p.depth > MaxConditionDepth {
		p.fail(col, diag.ConditionTooDeep, "the condition nests `(` and `not` deeper than the limit of %d levels (translator.MaxConditionDepth)", MaxConditionDepth)
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) not() Expr {
	if t := p.peek(); isWord(t, "not") {
		p.op(p.next())
		p.enter(t.col)
		n := &Not{X: p.not(), Col: t.col}
		p.leave()
		return n
	}
	return p.atom()
}

func (p *parser) atom() Expr {
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
		p.fail(t.col, diag.ConditionSyntax, "the condition %q ends where a search identifier was expected", p.c.Text)
	case tRParen:
		p.fail(t.col, diag.ConditionSyntax, "unexpected %q where a search identifier was expected", t.text)
	}
	low := strings.ToLower(t.text)
	switch low {
	case "and", "or":
		p.fail(t.col, diag.ConditionSyntax, "unexpected operator %q where a search identifier was expected", t.text)
	case "near":
		if p.g.Quantifiers {
			p.fail(t.col, diag.LegacyAggregation, "`near` is the legacy Sigma 1 syntax; write a temporal correlation rule instead")
		}
	}
	if p.g.Quantifiers && isWord(p.peek(), "of") {
		of := p.next()
		p.op(t)
		p.op(of)
		ref := &Ref{Kind: RefPattern, Quant: low}
		switch low {
		case "1", "any":
		case "all":
			ref.All = true
		default:
			p.fail(t.col, diag.ConditionSyntax, "`%s of` is not Sigma: use `1 of`, `any of` or `all of`", t.text)
		}
		target := p.next()
		if target.kind != tIdent {
			p.fail(target.col, diag.ConditionSyntax, "expected `them` or a search pattern after `%s of`, got %s", t.text, describe(target))
		}
		ref.Text, ref.Col = target.text, target.col
		if strings.EqualFold(target.text, "them") {
			p.op(target)
			ref.Kind, ref.Text = RefThem, "them"
		}
		p.c.Refs = append(p.c.Refs, ref)
		return ref
	}
	if p.g.Quantifiers && strings.Contains(t.text, "*") {
		p.c.Refs = append(p.c.Refs, &Ref{Kind: RefPattern, Text: t.text, Col: t.col})
		p.fail(t.col, diag.ConditionSyntax, "the pattern %q needs `1 of` or `all of` before it", t.text)
	}
	ref := &Ref{Kind: RefIdent, Text: t.text, Col: t.col}
	p.c.Refs = append(p.c.Refs, ref)
	return ref
}

func describe(t token) string {
	if t.kind == tEOF {
		return "the end of the condition"
	}
	return fmt.Sprintf("%q", t.text)
}

// Names reports whether the reference names the search called name: an identifier names
// itself, a pattern the names it matches (path.Match), `them` every name that does not
// start with `_`.
func (r *Ref) Names(name string) bool {
	switch r.Kind {
	case RefIdent:
		return r.Text == name
	case RefThem:
		return !strings.HasPrefix(name, "_")
	}
	ok, _ := path.Match(r.Text, name)
	return ok
}
