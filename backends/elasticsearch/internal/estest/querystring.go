package estest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/lucenetest"
)

// The test parser reads the query_string subset the backend writes. It is stricter than
// Elasticsearch where Elasticsearch would silently mean something else: AND and OR never
// share a level without parentheses, and a NOT never stands bare in an OR chain (the classic
// parser would make it a MUST_NOT of the whole chain).

type qsToken struct {
	kind string // "(", ")", "AND", "OR", "NOT", "term"
	text string
}

func tokenizeQueryString(q string) ([]qsToken, error) {
	var toks []qsToken
	rs := []rune(q)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r == ' ':
			i++
			continue
		case r == '(' || r == ')':
			toks = append(toks, qsToken{kind: string(r)})
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
			toks = append(toks, qsToken{kind: text})
		default:
			toks = append(toks, qsToken{kind: "term", text: text})
		}
	}
	return toks, nil
}

type qsParser struct {
	toks []qsToken
	pos  int
}

// ParseQueryString parses the query_string subset the backends write into its boolean
// structure; the leaves hold the terms' text.
func ParseQueryString(q string) (*Tree, error) {
	toks, err := tokenizeQueryString(q)
	if err != nil {
		return nil, err
	}
	p := &qsParser{toks: toks}
	t, err := p.seq()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %v in %q", p.toks[p.pos], q)
	}
	return t, nil
}

func (p *qsParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].kind
	}
	return ""
}

func (p *qsParser) seq() (*Tree, error) {
	first, bareNot, err := p.unary()
	if err != nil {
		return nil, err
	}
	op := ""
	operands := []*Tree{first}
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
	return &Tree{Op: strings.ToLower(op), Children: operands}, nil
}

// unary returns the operand and whether it is a NOT written without parentheses.
func (p *qsParser) unary() (*Tree, bool, error) {
	if p.peek() == "NOT" {
		p.pos++
		if p.peek() == "NOT" {
			return nil, false, fmt.Errorf("NOT NOT")
		}
		t, _, err := p.unary()
		if err != nil {
			return nil, false, err
		}
		return &Tree{Op: "not", Children: []*Tree{t}}, true, nil
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
		t := &Tree{Text: p.toks[p.pos].text}
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

// unescaped returns the byte index in term of the first of chars (ASCII) that no backslash
// escapes, or -1.
func unescaped(term, chars string) int {
	for i := 0; i < len(term); i++ {
		switch {
		case term[i] == '\\':
			i++
		case strings.IndexByte(chars, term[i]) >= 0:
			return i
		}
	}
	return -1
}

// hasWildcard reports whether a term has an unescaped * or ?.
func hasWildcard(term string) bool { return unescaped(term, "*?") >= 0 }

// SplitField splits a term at its first unescaped colon.
func SplitField(term string) (field, value string, ok bool) {
	if i := unescaped(term, ":"); i >= 0 {
		return unescape(term[:i]), term[i+1:], true
	}
	return "", term, false
}

// QueryStringTerm returns the field of a parsed query_string term and what the term matches
// on a keyword field holding one value, as Elasticsearch runs it.
func QueryStringTerm(t testing.TB, term string) (field string, match func(string) bool) {
	t.Helper()
	field, value, ok := SplitField(term)
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
	var toks []Token
	rs := []rune(value)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\\':
			i++
			toks = append(toks, Token{Rune: rs[i]})
		case '*':
			toks = append(toks, Token{Any: true})
		case '?':
			toks = append(toks, Token{One: true})
		default:
			toks = append(toks, Token{Rune: rs[i]})
		}
	}
	return field, func(v string) bool { return Glob(toks, v, Exact) }
}
