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

// Compile returns a Go regexp that matches a whole value exactly when the Lucene regular
// expression re matches it, run with the case-insensitive flag fold models (nil: none).
func Compile(re string, fold Fold) (*regexp.Regexp, error) {
	p := parser{src: re, fold: fold}
	body, err := p.union()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("lucene regexp %q: unexpected %q at %d", re, p.src[p.pos:], p.pos)
	}
	return regexp.Compile(`^(?s:` + body + `)$`)
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

// union ::= concat ('|' concat)*
func (p *parser) union() (string, error) {
	var parts []string
	for {
		c, err := p.concat()
		if err != nil {
			return "", err
		}
		parts = append(parts, c)
		if r, ok := p.peek(); ok && r == '|' {
			p.next()
			continue
		}
		return strings.Join(parts, "|"), nil
	}
}

// concat ::= repeat*
func (p *parser) concat() (string, error) {
	var b strings.Builder
	for {
		r, ok := p.peek()
		if !ok || r == '|' || r == ')' {
			return b.String(), nil
		}
		atom, err := p.atom()
		if err != nil {
			return "", err
		}
		for {
			q, ok := p.quantifier()
			if !ok {
				break
			}
			atom = "(?:" + atom + ")" + q
		}
		b.WriteString(atom)
	}
}

func (p *parser) quantifier() (string, bool) {
	r, ok := p.peek()
	if !ok {
		return "", false
	}
	switch r {
	case '*', '+', '?':
		p.next()
		return string(r), true
	case '{':
		end := strings.IndexByte(p.src[p.pos:], '}')
		if end < 0 {
			return "", false
		}
		inner := p.src[p.pos+1 : p.pos+end]
		lo, hi, comma := strings.Cut(inner, ",")
		if _, err := strconv.Atoi(lo); err != nil {
			return "", false
		}
		if comma && hi != "" {
			if _, err := strconv.Atoi(hi); err != nil {
				return "", false
			}
		}
		p.pos += end + 1
		return "{" + inner + "}", true
	}
	return "", false
}

func (p *parser) atom() (string, error) {
	r := p.next()
	switch r {
	case '(':
		if q, ok := p.peek(); ok && q == ')' {
			p.next()
			return "(?:)", nil
		}
		inner, err := p.union()
		if err != nil {
			return "", err
		}
		if q, ok := p.peek(); !ok || q != ')' {
			return "", p.errorf("missing )")
		}
		p.next()
		return "(?:" + inner + ")", nil
	case '[':
		return p.class()
	case '.':
		return ".", nil
	case '\\':
		if p.pos >= len(p.src) {
			return "", p.errorf("trailing backslash")
		}
		e := p.next()
		if strings.ContainsRune("dDwWsS", e) {
			return "", p.errorf("shorthand class \\%c (the backends never write one)", e)
		}
		return p.char(e), nil
	case '#', '@', '&', '~', '<', '>', '"', '{', '}', ']', '*', '+', '?':
		return "", p.errorf("unescaped operator %q", r)
	}
	return p.char(r), nil
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
