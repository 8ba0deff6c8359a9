package splunk

import (
	"errors"
	"fmt"
	"strings"
)

// This file is a deliberately small parser of the boolean skeleton of the SPL this backend
// writes: top-level pipes, AND, OR, NOT, parentheses, and leaves as opaque text (a
// comparison, a function call, a quoted string). Tests use it to prove that the rendered
// text has exactly the input's boolean structure, whatever the precedence of AND and OR.

// splNode is a parsed boolean expression: op is "and", "or", "not" or "" for a leaf.
type splNode struct {
	op   string
	kids []*splNode
	leaf string
}

func (n *splNode) String() string {
	if n.op == "" {
		return n.leaf
	}
	parts := make([]string, len(n.kids))
	for i, k := range n.kids {
		parts[i] = k.String()
	}
	return n.op + "[" + strings.Join(parts, ", ") + "]"
}

// splitPipes splits a query at the pipes outside quoted strings and returns the trimmed
// stages.
func splitPipes(q string) ([]string, error) {
	var stages []string
	start := 0
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case '"', '\'':
			end, err := skipQuoted(q, i)
			if err != nil {
				return nil, err
			}
			i = end
		case '|':
			stages = append(stages, strings.TrimSpace(q[start:i]))
			start = i + 1
		}
	}
	return append(stages, strings.TrimSpace(q[start:])), nil
}

// skipQuoted returns the index of the quote closing the string that opens at q[i].
// Double-quoted strings take backslash escapes; single-quoted field names take none.
func skipQuoted(q string, i int) (int, error) {
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		switch {
		case q[j] == '\\' && quote == '"':
			j++
		case q[j] == quote:
			return j, nil
		}
	}
	return 0, fmt.Errorf("unterminated %c string at offset %d", quote, i)
}

// unquoteSPL reverses quote: it reads the double-quoted string at the start of s and
// returns its value and the rest of s.
func unquoteSPL(s string) (value, rest string, err error) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", errors.New("no string")
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '\\' && s[i+1] != '"') {
				return "", "", fmt.Errorf("bad escape at %d in %s", i, s)
			}
			b.WriteByte(s[i+1])
			i++
		case '"':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", errors.New("unterminated string")
}

type splToken struct {
	kind string // "(", ")", "and", "or", "not", "leaf"
	text string
}

func tokenize(s string) ([]splToken, error) {
	var toks []splToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '(' || c == ')':
			toks = append(toks, splToken{kind: string(c)})
			i++
		default:
			start, depth := i, 0
		scan:
			for i < len(s) {
				switch s[i] {
				case '"', '\'':
					end, err := skipQuoted(s, i)
					if err != nil {
						return nil, err
					}
					i = end + 1
				case '(':
					depth++
					i++
				case ')':
					if depth == 0 {
						break scan
					}
					depth--
					i++
				case ' ':
					if depth == 0 {
						break scan
					}
					i++
				default:
					if s[i] < ' ' || s[i] == '|' || s[i] == '`' {
						return nil, fmt.Errorf("raw %q outside a string at offset %d", s[i], i)
					}
					i++
				}
			}
			if depth != 0 {
				return nil, fmt.Errorf("unbalanced call in %q", s[start:])
			}
			word := s[start:i]
			switch word {
			case "AND", "OR", "NOT":
				toks = append(toks, splToken{kind: strings.ToLower(word)})
			default:
				toks = append(toks, splToken{kind: "leaf", text: word})
			}
		}
	}
	return toks, nil
}

// parseSPLBool parses a boolean expression. With andFirst, AND binds tighter than OR (as
// in where/eval); otherwise OR binds tighter (as Splunk's manual says of search). NOT
// binds tightest either way. Chains of one operator are flattened.
func parseSPLBool(s string, andFirst bool) (*splNode, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &splParser{toks: toks, andFirst: andFirst}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %v at token %d", p.toks[p.pos], p.pos)
	}
	return n, nil
}

type splParser struct {
	toks     []splToken
	pos      int
	andFirst bool
}

func (p *splParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].kind
	}
	return ""
}

// expr parses level 0 (the loosest binary operator) or 1 (the tighter one).
func (p *splParser) expr(level int) (*splNode, error) {
	if level == 2 {
		return p.unary()
	}
	op := "or"
	if p.andFirst != (level == 0) {
		op = "and"
	}
	first, err := p.expr(level + 1)
	if err != nil {
		return nil, err
	}
	kids := []*splNode{first}
	for p.peek() == op {
		p.pos++
		k, err := p.expr(level + 1)
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return flatten(&splNode{op: op, kids: kids}), nil
}

func (p *splParser) unary() (*splNode, error) {
	switch p.peek() {
	case "not":
		p.pos++
		k, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &splNode{op: "not", kids: []*splNode{k}}, nil
	case "(":
		p.pos++
		n, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("missing ) at token %d", p.pos)
		}
		p.pos++
		return n, nil
	case "leaf":
		t := p.toks[p.pos]
		p.pos++
		return &splNode{leaf: t.text}, nil
	}
	return nil, fmt.Errorf("unexpected %q at token %d", p.peek(), p.pos)
}

// flatten merges children that have the node's own operator.
func flatten(n *splNode) *splNode {
	if n.op != "and" && n.op != "or" {
		return n
	}
	var kids []*splNode
	for _, k := range n.kids {
		if k.op == n.op {
			kids = append(kids, flatten(k).kids...)
		} else {
			kids = append(kids, k)
		}
	}
	return &splNode{op: n.op, kids: kids}
}

// parseBothWays parses s under both precedences and fails unless the trees agree, which
// proves the text does not depend on how the dialect orders AND and OR.
func parseBothWays(s string) (*splNode, error) {
	a, err := parseSPLBool(s, true)
	if err != nil {
		return nil, err
	}
	b, err := parseSPLBool(s, false)
	if err != nil {
		return nil, err
	}
	if a.String() != b.String() {
		return nil, fmt.Errorf("precedence-dependent text %q:\n AND first: %s\n OR first:  %s", s, a, b)
	}
	return a, nil
}
