package estest

import (
	"fmt"
	"strings"
)

// Lexeme is one token of an ES|QL or EQL expression, as the targets' test parsers read them.
type Lexeme struct {
	Kind string // "ident", "string", "number", "op", or the keyword itself
	Text string // identifier name, decoded string, number or operator
}

// Syntax is what the ES|QL and EQL tokenizers differ in.
type Syntax struct {
	// Escapes maps the character after a backslash in a string to what it stands for; any
	// other escape is an error.
	Escapes map[rune]rune
	// Operators are the operator tokens, each tried longest first where they share a prefix.
	Operators []string
	// Keyword returns the token kind of a word that is a keyword (given the rune after it,
	// and whether it consumed that rune, as EQL's like~ and regex~ do), or "".
	Keyword func(word string, next rune) (kind string, consumed bool)
}

// Tokenize reads an expression: double-quoted strings with syn's escapes, identifiers (bare
// dotted words or backticked with “ for a backtick), numbers, operators and keywords.
func Tokenize(s string, syn Syntax) ([]Lexeme, error) {
	var toks []Lexeme
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
					e, ok := syn.Escapes[rs[i]]
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
			toks = append(toks, Lexeme{Kind: "string", Text: b.String()})
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
			toks = append(toks, Lexeme{Kind: "ident", Text: b.String()})
		case r == '_' || r == '@' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			j := i
			for j < len(rs) && (rs[j] == '_' || rs[j] == '@' || rs[j] == '.' || rs[j] >= 'a' && rs[j] <= 'z' || rs[j] >= 'A' && rs[j] <= 'Z' || rs[j] >= '0' && rs[j] <= '9') {
				j++
			}
			word := string(rs[i:j])
			next := rune(0)
			if j < len(rs) {
				next = rs[j]
			}
			kind, consumed := syn.Keyword(word, next)
			if consumed {
				j++
			}
			if kind != "" {
				toks = append(toks, Lexeme{Kind: kind})
			} else {
				toks = append(toks, Lexeme{Kind: "ident", Text: word})
			}
			i = j
		case r == '-' || r >= '0' && r <= '9':
			j := i + 1
			for j < len(rs) && (rs[j] == '.' || rs[j] >= '0' && rs[j] <= '9') {
				j++
			}
			toks = append(toks, Lexeme{Kind: "number", Text: string(rs[i:j])})
			i = j
		default:
			op := ""
			for _, o := range syn.Operators {
				if runesHavePrefix(rs[i:], o) && len(o) > len(op) {
					op = o
				}
			}
			if op == "" {
				return nil, fmt.Errorf("unexpected %q", r)
			}
			toks = append(toks, Lexeme{Kind: "op", Text: op})
			i += len([]rune(op))
		}
	}
	return toks, nil
}

// Lexemes is a cursor over tokens for a recursive-descent parser.
type Lexemes struct {
	Toks []Lexeme
	Pos  int
}

// Peek returns the next token, or a Lexeme with no kind at the end.
func (p *Lexemes) Peek() Lexeme {
	if p.Pos < len(p.Toks) {
		return p.Toks[p.Pos]
	}
	return Lexeme{}
}

// Accept consumes the next token when it has the kind (and the text, unless text is "").
func (p *Lexemes) Accept(kind, text string) bool {
	if t := p.Peek(); t.Kind == kind && (text == "" || t.Text == text) {
		p.Pos++
		return true
	}
	return false
}

// Expect is Accept that fails when the token is not there.
func (p *Lexemes) Expect(kind, text string) error {
	if !p.Accept(kind, text) {
		return fmt.Errorf("want %s %s at %d, got %v", kind, text, p.Pos, p.Peek())
	}
	return nil
}

// Done reports an error when tokens are left.
func (p *Lexemes) Done() error {
	if p.Pos != len(p.Toks) {
		return fmt.Errorf("trailing %v", p.Peek())
	}
	return nil
}

// Chain parses `next (kw next)*`, a chain of one boolean operator, and returns the operands.
func Chain[N any](p *Lexemes, kw string, next func() (N, error)) ([]N, error) {
	first, err := next()
	if err != nil {
		return nil, err
	}
	out := []N{first}
	for p.Accept(kw, "") {
		c, err := next()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func runesHavePrefix(rs []rune, prefix string) bool {
	i := 0
	for _, r := range prefix {
		if i >= len(rs) || rs[i] != r {
			return false
		}
		i++
	}
	return true
}
