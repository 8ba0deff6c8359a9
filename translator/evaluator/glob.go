package evaluator

import (
	"strings"
	"unicode/utf8"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// globKind selects the matching routine of a compiled glob.
type globKind uint8

const (
	globExact globKind = iota
	globPrefix
	globSuffix
	globContains
	globAny
	globGeneral
)

// piece is one element of a chunk: literal text, or a run of `?` (any > 0 characters).
type piece struct {
	lit string
	any int
}

// chunk is the part of a pattern between two `*`: it always spans a fixed number of
// characters, so it matches from a given start in at most one way.
type chunk []piece

// glob is a compiled Sigma pattern. Its literals are folded when it is case-insensitive, and
// it is then matched against folded values. Matching never backtracks across `*`: the
// first and last chunks are anchored, every middle chunk takes its leftmost match, which is
// optimal for `*`-separated chunks, so a match costs at most O(len(value) * len(pattern)).
type glob struct {
	kind globKind
	lit  string // the literal of the exact, prefix, suffix and contains kinds
	// general kind
	chunks                     []chunk
	anchoredStart, anchoredEnd bool
}

// compileGlob compiles a pattern without placeholders; fold folds its literals.
func compileGlob(p ir.Pattern, fold bool) glob {
	lit := func(s string) string {
		if fold {
			return foldString(s)
		}
		return s
	}
	switch p.Shape() {
	case ir.ShapeExact:
		return glob{kind: globExact, lit: lit(p.Literal())}
	case ir.ShapePrefix:
		return glob{kind: globPrefix, lit: lit(p.Literal())}
	case ir.ShapeSuffix:
		return glob{kind: globSuffix, lit: lit(p.Literal())}
	case ir.ShapeContains:
		return glob{kind: globContains, lit: lit(p.Literal())}
	case ir.ShapeAny:
		return glob{kind: globAny}
	}
	g := glob{kind: globGeneral, anchoredStart: true, anchoredEnd: true}
	if len(p) > 0 {
		g.anchoredStart = p[0].Kind != ir.AnyString
		g.anchoredEnd = p[len(p)-1].Kind != ir.AnyString
	}
	cur := chunk{}
	var chunks []chunk
	for _, s := range p {
		switch s.Kind {
		case ir.AnyString:
			chunks = append(chunks, cur)
			cur = chunk{}
		case ir.AnyChar:
			if n := len(cur); n > 0 && cur[n-1].any > 0 {
				cur[n-1].any++
			} else {
				cur = append(cur, piece{any: 1})
			}
		case ir.Lit:
			cur = append(cur, piece{lit: lit(s.Text)})
		}
	}
	chunks = append(chunks, cur)
	if !g.anchoredStart {
		chunks = chunks[1:]
	}
	if !g.anchoredEnd {
		chunks = chunks[:len(chunks)-1]
	}
	g.chunks = chunks
	return g
}

// match reports whether the whole of s matches the glob.
func (g *glob) match(s string) bool {
	switch g.kind {
	case globExact:
		return s == g.lit
	case globPrefix:
		return strings.HasPrefix(s, g.lit)
	case globSuffix:
		return strings.HasSuffix(s, g.lit)
	case globContains:
		return strings.Contains(s, g.lit)
	case globAny:
		return true
	}
	chunks := g.chunks
	lo, hi := 0, len(s)
	if g.anchoredStart {
		end, ok := matchForward(chunks[0], s, 0, hi)
		if !ok {
			return false
		}
		if len(chunks) == 1 && g.anchoredEnd {
			return end == hi
		}
		lo = end
		chunks = chunks[1:]
	}
	if g.anchoredEnd {
		start, ok := matchBackward(chunks[len(chunks)-1], s, lo, hi)
		if !ok {
			return false
		}
		hi = start
		chunks = chunks[:len(chunks)-1]
	}
	for _, c := range chunks {
		end, ok := findChunk(c, s, lo, hi)
		if !ok {
			return false
		}
		lo = end
	}
	return true
}

// matchForward matches c at s[pos:] without passing limit and returns where it ends.
func matchForward(c chunk, s string, pos, limit int) (int, bool) {
	for _, p := range c {
		if p.any == 0 {
			if !strings.HasPrefix(s[pos:limit], p.lit) {
				return 0, false
			}
			pos += len(p.lit)
			continue
		}
		for n := p.any; n > 0; n-- {
			if pos >= limit {
				return 0, false
			}
			if s[pos] < utf8.RuneSelf {
				pos++
			} else {
				_, size := utf8.DecodeRuneInString(s[pos:limit])
				pos += size
			}
		}
	}
	return pos, true
}

// matchBackward matches c so that it ends at end, not starting before lo, and returns
// where it starts.
func matchBackward(c chunk, s string, lo, end int) (int, bool) {
	for i := len(c) - 1; i >= 0; i-- {
		p := c[i]
		if p.any == 0 {
			if !strings.HasSuffix(s[lo:end], p.lit) {
				return 0, false
			}
			end -= len(p.lit)
			continue
		}
		for n := p.any; n > 0; n-- {
			if end <= lo {
				return 0, false
			}
			if s[end-1] < utf8.RuneSelf {
				end--
			} else {
				_, size := utf8.DecodeLastRuneInString(s[lo:end])
				end -= size
			}
		}
	}
	return end, true
}

// findChunk finds the leftmost match of c inside s[lo:hi] and returns where it ends.
func findChunk(c chunk, s string, lo, hi int) (int, bool) {
	if len(c) == 0 {
		return lo, true
	}
	if first := c[0]; first.any == 0 {
		for p := lo; p <= hi; {
			i := strings.Index(s[p:hi], first.lit)
			if i < 0 {
				return 0, false
			}
			start := p + i
			if end, ok := matchForward(c, s, start, hi); ok {
				return end, true
			}
			// a valid-UTF-8 literal only matches at rune boundaries, so stepping one
			// byte cannot miss a match
			p = start + 1
		}
		return 0, false
	}
	for p := lo; p <= hi; {
		if end, ok := matchForward(c, s, p, hi); ok {
			return end, true
		}
		if p == hi {
			break
		}
		_, size := utf8.DecodeRuneInString(s[p:hi])
		p += size
	}
	return 0, false
}
