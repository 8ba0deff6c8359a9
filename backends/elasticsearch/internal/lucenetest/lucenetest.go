package lucenetest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold models a case-insensitive flag: it returns the other runes a literal rune of the
// expression also matches. Single runes are folded, in a class or not; ranges are not.
type Fold func(r rune) []rune

// ASCIIFold is Lucene 9's ASCII_CASE_INSENSITIVE (Elasticsearch 8's regexp
// case_insensitive, EQL's regex~): an ASCII letter matches both its cases.
func ASCIIFold(r rune) []rune {
	if isASCIILetter(r) {
		return []rune{lower(r), upper(r)}
	}
	return nil
}

// UnicodeFold is Lucene 10's CASE_INSENSITIVE (Elasticsearch 9): simple case folding,
// with the Turkic i forms (i, I, İ, ı) all matching one another.
func UnicodeFold(r rune) []rune {
	switch r {
	case 'i', 'I', 0x130, 0x131:
		return []rune{'i', 'I', 0x130, 0x131}
	}
	out := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		out = append(out, f)
	}
	return out
}

// Matcher reports whether a Lucene regular expression matches a whole value.
type Matcher interface {
	MatchString(value string) bool
}

// Compile returns a matcher that accepts a whole value exactly when the Lucene regular
// expression re matches it, run with the case-insensitive flag fold models (nil: none).
//
// An expression without the optional operators & (intersection) and ~ (complement) becomes
// a Go regexp; one with them is run by a matcher that computes, for each subexpression and
// start position, the set of end positions it can reach, which intersection and complement
// combine directly.
func Compile(re string, fold Fold) (Matcher, error) {
	p := parser{src: re, fold: fold}
	root, err := p.union()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("lucene regexp %q: unexpected %q at %d", re, p.src[p.pos:], p.pos)
	}
	if !root.setOps() {
		return regexp.Compile(`^(?s:` + root.goSyntax() + `)$`)
	}
	if err := root.compileChars(); err != nil {
		return nil, err
	}
	return setMatcher{root: root}, nil
}

type op uint8

const (
	opChar   op = iota // one character: re is a Go class or escaped rune
	opEmpty            // the empty string
	opConcat           // subs in sequence
	opUnion            // any of subs
	opInter            // all of subs (Lucene &)
	opCompl            // every string sub does not match (Lucene ~)
	opRepeat           // sub repeated min to max times (max -1: unbounded)
)

// node is a parsed Lucene regular expression.
type node struct {
	op       op
	re       string // opChar: Go syntax matching the character
	char     *regexp.Regexp
	subs     []*node
	min, max int
}

// setOps reports whether n uses intersection or complement.
func (n *node) setOps() bool {
	if n.op == opInter || n.op == opCompl {
		return true
	}
	for _, s := range n.subs {
		if s.setOps() {
			return true
		}
	}
	return false
}

// goSyntax writes n, which has no intersection or complement, as a Go regexp.
func (n *node) goSyntax() string {
	switch n.op {
	case opChar:
		return n.re
	case opEmpty:
		return "(?:)"
	case opConcat:
		var b strings.Builder
		for _, s := range n.subs {
			b.WriteString(s.goSyntax())
		}
		return "(?:" + b.String() + ")"
	case opUnion:
		parts := make([]string, len(n.subs))
		for i, s := range n.subs {
			parts[i] = s.goSyntax()
		}
		return "(?:" + strings.Join(parts, "|") + ")"
	case opRepeat:
		q := "{" + strconv.Itoa(n.min) + ","
		if n.max >= 0 {
			q += strconv.Itoa(n.max)
		}
		return "(?:" + n.subs[0].goSyntax() + ")" + q + "}"
	}
	panic("lucenetest: goSyntax of a set operation")
}

func (n *node) compileChars() error {
	if n.op == opChar {
		re, err := regexp.Compile(`^(?s:` + n.re + `)$`)
		if err != nil {
			return err
		}
		n.char = re
	}
	for _, s := range n.subs {
		if err := s.compileChars(); err != nil {
			return err
		}
	}
	return nil
}

// setMatcher runs an expression with intersection or complement over a value's runes.
type setMatcher struct{ root *node }

type endsKey struct {
	n     *node
	start int
}

// MatchString reports whether the expression matches all of value.
func (m setMatcher) MatchString(value string) bool {
	e := ender{rs: []rune(value), memo: map[endsKey][]bool{}}
	return e.ends(m.root, 0)[len(e.rs)]
}

type ender struct {
	rs   []rune
	memo map[endsKey][]bool
}

// ends returns, for every position j, whether n matches rs[start:j].
func (e *ender) ends(n *node, start int) []bool {
	key := endsKey{n, start}
	if r, ok := e.memo[key]; ok {
		return r
	}
	out := make([]bool, len(e.rs)+1)
	switch n.op {
	case opChar:
		if start < len(e.rs) && n.char.MatchString(string(e.rs[start])) {
			out[start+1] = true
		}
	case opEmpty:
		out[start] = true
	case opConcat:
		out[start] = true
		for _, s := range n.subs {
			out = e.step(s, out)
		}
	case opUnion:
		for _, s := range n.subs {
			for j, ok := range e.ends(s, start) {
				out[j] = out[j] || ok
			}
		}
	case opInter:
		for j := range out {
			out[j] = true
		}
		for _, s := range n.subs {
			for j, ok := range e.ends(s, start) {
				out[j] = out[j] && ok
			}
		}
	case opCompl:
		sub := e.ends(n.subs[0], start)
		for j := start; j <= len(e.rs); j++ {
			out[j] = !sub[j]
		}
	case opRepeat:
		cur := make([]bool, len(e.rs)+1)
		cur[start] = true
		for i := 0; i < n.min; i++ {
			cur = e.step(n.subs[0], cur)
		}
		copy(out, cur)
		for i := n.min; n.max < 0 || i < n.max; i++ {
			next := e.step(n.subs[0], cur)
			grew := false
			for j, ok := range next {
				if ok && !out[j] {
					out[j] = true
					grew = true
				}
			}
			cur = next
			if !grew && n.max < 0 {
				break
			}
		}
	}
	e.memo[key] = out
	return out
}

// step returns the positions n reaches from any position set in from.
func (e *ender) step(n *node, from []bool) []bool {
	out := make([]bool, len(e.rs)+1)
	for i, ok := range from {
		if !ok {
			continue
		}
		for j, reach := range e.ends(n, i) {
			out[j] = out[j] || reach
		}
	}
	return out
}

type parser struct {
	src  string
	pos  int
	fold Fold
}

func (p *parser) peek() (rune, bool) {
	if p.pos >= len(p.src) {
		return 0, false
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return r, true
}

func (p *parser) next() rune {
	r, n := utf8.DecodeRuneInString(p.src[p.pos:])
	p.pos += n
	return r
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("lucene regexp %q at %d: %s", p.src, p.pos, fmt.Sprintf(format, args...))
}

// union ::= inter ('|' inter)*
func (p *parser) union() (*node, error) {
	var parts []*node
	for {
		c, err := p.inter()
		if err != nil {
			return nil, err
		}
		parts = append(parts, c)
		if r, ok := p.peek(); ok && r == '|' {
			p.next()
			continue
		}
		if len(parts) == 1 {
			return parts[0], nil
		}
		return &node{op: opUnion, subs: parts}, nil
	}
}

// inter ::= concat ('&' inter)?, as Lucene's RegExp parses intersection: looser than
// concatenation, tighter than union.
func (p *parser) inter() (*node, error) {
	c, err := p.concat()
	if err != nil {
		return nil, err
	}
	if r, ok := p.peek(); ok && r == '&' {
		p.next()
		rest, err := p.inter()
		if err != nil {
			return nil, err
		}
		return &node{op: opInter, subs: []*node{c, rest}}, nil
	}
	return c, nil
}

// concat ::= repeat*
func (p *parser) concat() (*node, error) {
	var parts []*node
	for {
		r, ok := p.peek()
		if !ok || r == '|' || r == ')' || r == '&' {
			break
		}
		atom, err := p.compl()
		if err != nil {
			return nil, err
		}
		for {
			min, max, ok := p.quantifier()
			if !ok {
				break
			}
			atom = &node{op: opRepeat, subs: []*node{atom}, min: min, max: max}
		}
		parts = append(parts, atom)
	}
	switch len(parts) {
	case 0:
		// Lucene's parser needs an operand on each side of | and &; only the whole
		// expression may be empty.
		if p.src != "" {
			return nil, p.errorf("an empty operand (Lucene: unexpected end-of-string)")
		}
		return &node{op: opEmpty}, nil
	case 1:
		return parts[0], nil
	}
	return &node{op: opConcat, subs: parts}, nil
}

// compl ::= '~' compl | atom; the complement binds tighter than a quantifier.
func (p *parser) compl() (*node, error) {
	if r, ok := p.peek(); ok && r == '~' {
		p.next()
		if _, ok := p.peek(); !ok {
			return nil, p.errorf("~ at the end")
		}
		sub, err := p.compl()
		if err != nil {
			return nil, err
		}
		return &node{op: opCompl, subs: []*node{sub}}, nil
	}
	return p.atom()
}

func (p *parser) quantifier() (min, max int, ok bool) {
	r, ok := p.peek()
	if !ok {
		return 0, 0, false
	}
	switch r {
	case '*':
		p.next()
		return 0, -1, true
	case '+':
		p.next()
		return 1, -1, true
	case '?':
		p.next()
		return 0, 1, true
	case '{':
		end := strings.IndexByte(p.src[p.pos:], '}')
		if end < 0 {
			return 0, 0, false
		}
		inner := p.src[p.pos+1 : p.pos+end]
		lo, hi, comma := strings.Cut(inner, ",")
		min, err := strconv.Atoi(lo)
		if err != nil {
			return 0, 0, false
		}
		max = min
		if comma {
			max = -1
			if hi != "" {
				if max, err = strconv.Atoi(hi); err != nil {
					return 0, 0, false
				}
			}
		}
		p.pos += end + 1
		return min, max, true
	}
	return 0, 0, false
}

func (p *parser) atom() (*node, error) {
	r := p.next()
	switch r {
	case '(':
		if q, ok := p.peek(); ok && q == ')' {
			p.next()
			return &node{op: opEmpty}, nil
		}
		inner, err := p.union()
		if err != nil {
			return nil, err
		}
		if q, ok := p.peek(); !ok || q != ')' {
			return nil, p.errorf("missing )")
		}
		p.next()
		return inner, nil
	case '[':
		c, err := p.class()
		return &node{op: opChar, re: c}, err
	case '.':
		return &node{op: opChar, re: "."}, nil
	case '\\':
		if p.pos >= len(p.src) {
			return nil, p.errorf("trailing backslash")
		}
		e := p.next()
		if strings.ContainsRune("dDwWsS", e) {
			return nil, p.errorf("shorthand class \\%c (the backends never write one)", e)
		}
		return &node{op: opChar, re: p.char(e)}, nil
	case '#', '@', '<', '>', '"', '{', '}', ']', '*', '+', '?', '&', '~':
		return nil, p.errorf("unescaped operator %q", r)
	}
	return &node{op: opChar, re: p.char(r)}, nil
}

// char renders one literal rune with the runes the fold adds.
func (p *parser) char(r rune) string {
	if p.fold == nil {
		return goRune(r)
	}
	s := goRune(r)
	for _, f := range p.fold(r) {
		s += goRune(f)
	}
	return "[" + s + "]"
}

func (p *parser) class() (string, error) {
	var b strings.Builder
	b.WriteByte('[')
	if r, ok := p.peek(); ok && r == '^' {
		p.next()
		b.WriteByte('^')
	}
	empty := true
	for {
		r, ok := p.peek()
		if !ok {
			return "", p.errorf("unterminated class")
		}
		if r == ']' && !empty {
			p.next()
			b.WriteByte(']')
			return b.String(), nil
		}
		lo, err := p.classChar()
		if err != nil {
			return "", err
		}
		empty = false
		if q, ok := p.peek(); ok && q == '-' {
			p.next()
			hi, err := p.classChar()
			if err != nil {
				return "", err
			}
			b.WriteString(goRune(lo) + "-" + goRune(hi))
			continue
		}
		b.WriteString(goRune(lo))
		if p.fold != nil {
			for _, f := range p.fold(lo) {
				b.WriteString(goRune(f))
			}
		}
	}
}

func (p *parser) classChar() (rune, error) {
	r := p.next()
	switch r {
	case '\\':
		if p.pos >= len(p.src) {
			return 0, p.errorf("trailing backslash in class")
		}
		e := p.next()
		if strings.ContainsRune("dDwWsS", e) {
			return 0, p.errorf("shorthand class \\%c in a class", e)
		}
		return e, nil
	case '[', ']', '-', '^':
		return 0, p.errorf("unescaped %q in a class", r)
	}
	return r, nil
}

func goRune(r rune) string { return fmt.Sprintf(`\x{%x}`, r) }

func isASCIILetter(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }

func lower(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

func upper(r rune) rune {
	if 'a' <= r && r <= 'z' {
		return r - ('a' - 'A')
	}
	return r
}
