package esmatch

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// A Sigma `re` value is RE2 syntax and is true when it finds a match anywhere in the value
// (Go's regexp.MatchString). A Lucene regular expression is true when it matches the whole
// value, has no inline flags, no anchors and no word boundaries, and reserves more
// characters. TranslateRegexp parses the Sigma expression with Go's own parser, so flags,
// escapes and classes mean exactly what the evaluator's regexp means, and writes the tree
// back in Lucene syntax:
//
//   - the search becomes a whole-value match: `.*` before and after, except where the
//     expression (or a top-level alternative) starts with `^`/`\A` or ends with `$`/`\z`;
//     with the m flag, `^` at the start becomes `(.*\n)?` and `$` at the end `(\n.*)?`;
//   - `.` without the s flag becomes `[^\n]`, and \d, \w, \s and every other class are
//     written out as the ranges Go gives them;
//   - the i flag becomes a character class of each letter's fold orbit, or, when the target
//     has a case-insensitive flag and the whole expression is case-insensitive, the flag;
//   - word boundaries \b and \B are spelled out with the characters around them
//     (boundary.go), with Lucene's intersection & where the neighbours' kinds are not
//     known from the expression (Regexp.Intersection says so);
//   - anchors anywhere else have no Lucene form and are reported.

// UnsupportedError names a construct of a Sigma regular expression that no Lucene regular
// expression expresses with the same meaning.
type UnsupportedError struct {
	Construct string
}

func (e *UnsupportedError) Error() string {
	return e.Construct + " has no Lucene regular-expression form"
}

// Regexp is a Sigma regular expression translated to a Lucene regular expression.
type Regexp struct {
	// Text matches a whole value exactly when the Sigma expression finds a match in it.
	Text string
	// CaseInsensitive reports that Text must be run with the target's case-insensitive
	// flag (dsl case_insensitive, EQL regex~). It is set only when the caller allows it.
	CaseInsensitive bool
	// Intersection reports that Text uses Lucene's optional intersection operator &
	// (enabled by the default flags of query_string, the regexp query and ES|QL's RLIKE),
	// which some word boundaries need.
	Intersection bool
	// Alternatives are the top-level alternatives Text joins with |.
	Alternatives []string

	// spread gives the alternatives of the expression with the alternation that makes its
	// whole body, between anchors, spread over the anchors (^(a|b)$ as ^a$ and ^b$).
	spread func() ([]string, error)
}

// Chunks returns Text when it fits MaxRegexpLength, or else its alternatives packed into
// expressions that fit (a value matches one of them exactly when it matches Text), an
// alternation that makes the whole body between anchors counting as top-level, or a
// *LengthError when one alternative alone is too long.
func (re Regexp) Chunks() ([]string, error) {
	if RegexpLength(re.Text) <= MaxRegexpLength {
		return []string{re.Text}, nil
	}
	alts := re.Alternatives
	if re.spread != nil {
		if spread, err := re.spread(); err == nil && len(spread) > len(alts) {
			alts = spread
		}
	}
	return PackAlternatives(alts)
}

// maxAlternatives bounds the alternatives created by moving anchors to the edges of
// top-level alternatives, so a pathological expression cannot blow up the query.
const maxAlternatives = 64

// maxClassCheck bounds the runes of character classes inspected when deciding whether the
// target's case-insensitive flag may be used; larger classes keep explicit case classes.
const maxClassCheck = 1 << 17

// TranslateRegexp translates a Sigma regular expression with its flags. nativeFold says
// that the target has a case-insensitive flag that folds exactly the runes NativeFoldExact
// accepts; it is used when the i flag covers the whole expression.
func TranslateRegexp(pattern string, flags ir.RegexFlags, nativeFold bool) (Regexp, error) {
	pf := syntax.Perl
	if flags.I {
		pf |= syntax.FoldCase
	}
	if flags.S {
		pf |= syntax.DotNL
	}
	if flags.M {
		pf &^= syntax.OneLine
	}
	re, err := syntax.Parse(pattern, pf)
	if err != nil {
		return Regexp{}, fmt.Errorf("the expression does not parse: %w", err)
	}
	t := translator{fold: FoldAll}
	// The word and non-word classes that spell out \b and \B must not be folded by the
	// engine (Lucene 10 would fold the Kelvin sign into k), so boundaries keep the case
	// classes explicit.
	ci := nativeFold && wholeCaseInsensitive(re) && !hasBoundary(re)
	if ci {
		t.fold = FoldNonNative
	}
	alts, err := t.top(re)
	if err != nil {
		return Regexp{}, err
	}
	if len(alts) == 0 {
		return Regexp{}, &UnsupportedError{Construct: "an expression whose word boundaries can never hold"}
	}
	spread := func() ([]string, error) {
		st := translator{fold: t.fold, spread: true}
		return st.top(re)
	}
	return Regexp{Text: strings.Join(alts, "|"), CaseInsensitive: ci, Intersection: t.intersection, Alternatives: alts, spread: spread}, nil
}

type translator struct {
	fold         Fold // how FoldCase literals are written: FoldAll or FoldNonNative
	alts         int  // top-level alternatives produced so far
	intersection bool // the text uses Lucene's & operator
	spread       bool // an alternation between anchors is spread over them
}

// top returns the alternatives of a whole-value expression that matches exactly the values
// in which re finds a match.
func (t *translator) top(re *syntax.Regexp) ([]string, error) {
	switch re.Op {
	case syntax.OpCapture:
		return t.top(re.Sub[0])
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			a, err := t.top(s)
			if err != nil {
				return nil, err
			}
			out = append(out, a...)
		}
		return out, nil
	case syntax.OpConcat:
		return t.search(re.Sub)
	}
	return t.search([]*syntax.Regexp{re})
}

// search returns the alternatives of a whole-value expression for a search of the
// concatenation elems.
func (t *translator) search(elems []*syntax.Regexp) ([]string, error) {
	elems = spliceEdges(elems)
	if t.spread {
		// One alternation between anchors: anchor each alternative.
		body := -1
		for i, e := range elems {
			if !isAnchor(e) {
				if body >= 0 {
					body = -2
					break
				}
				body = i
			}
		}
		if body >= 0 {
			alt := elems[body]
			for alt.Op == syntax.OpCapture {
				alt = alt.Sub[0]
			}
			if alt.Op == syntax.OpAlternate {
				return t.distribute(alt.Sub, elems[:body], elems[body+1:])
			}
		}
	}
	if n := len(elems); n > 0 {
		// An alternation at an edge that holds an anchor is distributed over the rest, so
		// each alternative gets its anchor at its own edge: (^|\s)x becomes ^x | \sx.
		if first := elems[0]; first.Op == syntax.OpAlternate && hasAnchor(first) {
			return t.distribute(first.Sub, nil, elems[1:])
		}
		if last := elems[n-1]; last.Op == syntax.OpAlternate && hasAnchor(last) {
			return t.distribute(last.Sub, elems[:n-1], nil)
		}
	}
	start, end := ".*", ".*"
	for len(elems) > 0 {
		switch elems[0].Op {
		case syntax.OpBeginText:
			start = ""
		case syntax.OpBeginLine:
			if start != "" {
				start = "(.*\n)?"
			}
		default:
			goto endAnchors
		}
		elems = elems[1:]
	}
endAnchors:
	for len(elems) > 0 {
		switch elems[len(elems)-1].Op {
		case syntax.OpEndText:
			end = ""
		case syntax.OpEndLine:
			if end != "" {
				end = "(\n.*)?"
			}
		default:
			goto body
		}
		elems = elems[:len(elems)-1]
	}
body:
	var text string
	if slices.ContainsFunc(elems, hasBoundary) {
		l, err := t.boundarySearch(start, elems, end)
		if err != nil {
			return nil, err
		}
		if l == nil {
			// The boundaries can never hold in this alternative.
			return nil, nil
		}
		t.intersection = t.intersection || l.usesIntersection()
		start, text, end = "", l.render().text, ""
	} else {
		var err error
		if text, err = t.concat(elems); err != nil {
			return nil, err
		}
	}
	t.alts++
	if t.alts > maxAlternatives {
		return nil, &UnsupportedError{Construct: fmt.Sprintf("an expression needing more than %d alternatives to place its anchors", maxAlternatives)}
	}
	text = start + text + end
	if text == "" {
		text = "()"
	}
	return []string{text}, nil
}

// distribute searches before+alt+after for every alternative alt.
func (t *translator) distribute(alts, before, after []*syntax.Regexp) ([]string, error) {
	var out []string
	for _, alt := range alts {
		elems := make([]*syntax.Regexp, 0, len(before)+1+len(after))
		elems = append(elems, before...)
		elems = append(elems, alt)
		elems = append(elems, after...)
		a, err := t.search(elems)
		if err != nil {
			return nil, err
		}
		out = append(out, a...)
	}
	return out, nil
}

// spliceEdges removes capture groups and nested concatenations at both ends of elems, so
// an anchor inside them reaches the edge. It never modifies elems.
func spliceEdges(elems []*syntax.Regexp) []*syntax.Regexp {
	out := append([]*syntax.Regexp(nil), elems...)
	for len(out) > 0 {
		switch first := out[0]; first.Op {
		case syntax.OpCapture:
			out = append([]*syntax.Regexp{first.Sub[0]}, out[1:]...)
			continue
		case syntax.OpConcat:
			out = append(append([]*syntax.Regexp(nil), first.Sub...), out[1:]...)
			continue
		case syntax.OpEmptyMatch:
			out = out[1:]
			continue
		}
		break
	}
	for len(out) > 0 {
		n := len(out)
		switch last := out[n-1]; last.Op {
		case syntax.OpCapture:
			out = append(out[:n-1:n-1], last.Sub[0])
			continue
		case syntax.OpConcat:
			out = append(out[:n-1:n-1], last.Sub...)
			continue
		case syntax.OpEmptyMatch:
			out = out[:n-1]
			continue
		}
		break
	}
	return out
}

// isAnchor reports whether re is a begin or end anchor.
func isAnchor(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return true
	}
	return false
}

// hasAnchor reports whether re holds a begin or end anchor.
func hasAnchor(re *syntax.Regexp) bool {
	if isAnchor(re) {
		return true
	}
	for _, s := range re.Sub {
		if hasAnchor(s) {
			return true
		}
	}
	return false
}

// prec is how loosely a rendered piece binds; a piece is wrapped in parentheses where a
// tighter one is needed.
type prec uint8

const (
	precAlt prec = iota
	precInter
	precConcat
	precRepeat
	precAtom
)

// concat renders a concatenation of elems.
func (t *translator) concat(elems []*syntax.Regexp) (string, error) {
	var b strings.Builder
	for _, e := range elems {
		s, p, err := t.node(e)
		if err != nil {
			return "", err
		}
		if p < precConcat {
			s = "(" + s + ")"
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

var anchorNames = map[syntax.Op]string{
	syntax.OpBeginLine: "the anchor ^ (multi-line)",
	syntax.OpEndLine:   "the anchor $ (multi-line)",
	syntax.OpBeginText: "the anchor ^ or \\A",
	syntax.OpEndText:   "the anchor $ or \\z",
}

// node renders one subexpression.
func (t *translator) node(re *syntax.Regexp) (string, prec, error) {
	switch re.Op {
	case syntax.OpNoMatch:
		return "", 0, &UnsupportedError{Construct: "a part that can never match"}
	case syntax.OpEmptyMatch:
		return "()", precAtom, nil
	case syntax.OpLiteral:
		var b strings.Builder
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				writeFoldedRune(&b, r, t.fold)
			} else {
				writeRune(&b, r)
			}
		}
		if len(re.Rune) == 1 {
			return b.String(), precAtom, nil
		}
		return b.String(), precConcat, nil
	case syntax.OpCharClass:
		s, err := classText(re.Rune)
		return s, precAtom, err
	case syntax.OpAnyCharNotNL:
		return "[^\n]", precAtom, nil
	case syntax.OpAnyChar:
		return ".", precAtom, nil
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return "", 0, &UnsupportedError{Construct: anchorNames[re.Op] + " inside the expression (Lucene matches whole values, so anchors can only open or close it or one of its top-level alternatives)"}
	case syntax.OpWordBoundary:
		return "", 0, &UnsupportedError{Construct: `the word boundary \b`}
	case syntax.OpNoWordBoundary:
		return "", 0, &UnsupportedError{Construct: `the non-boundary \B`}
	case syntax.OpCapture:
		s, _, err := t.node(re.Sub[0])
		return "(" + s + ")", precAtom, err
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		s, p, err := t.node(re.Sub[0])
		if err != nil {
			return "", 0, err
		}
		if p != precAtom {
			s = "(" + s + ")"
		}
		switch re.Op {
		case syntax.OpStar:
			s += "*"
		case syntax.OpPlus:
			s += "+"
		case syntax.OpQuest:
			s += "?"
		default:
			s += repeatText(re.Min, re.Max)
		}
		return s, precRepeat, nil
	case syntax.OpConcat:
		s, err := t.concat(re.Sub)
		return s, precConcat, err
	case syntax.OpAlternate:
		parts := make([]string, len(re.Sub))
		for i, sub := range re.Sub {
			s, _, err := t.node(sub)
			if err != nil {
				return "", 0, err
			}
			parts[i] = s
		}
		return strings.Join(parts, "|"), precAlt, nil
	}
	return "", 0, &UnsupportedError{Construct: fmt.Sprintf("the construct %v", re.Op)}
}

func repeatText(min, max int) string {
	switch {
	case max == -1:
		return "{" + strconv.Itoa(min) + ",}"
	case min == max:
		return "{" + strconv.Itoa(min) + "}"
	}
	return "{" + strconv.Itoa(min) + "," + strconv.Itoa(max) + "}"
}

const (
	surrogateLo = 0xD800
	surrogateHi = 0xDFFF
)

// withoutSurrogates returns the ranges (pairs lo, hi) minus the surrogate block, which no
// valid UTF-8 text holds and which cannot be written.
func withoutSurrogates(ranges []rune) []rune {
	var out []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if hi < surrogateLo || lo > surrogateHi {
			out = append(out, lo, hi)
			continue
		}
		if lo < surrogateLo {
			out = append(out, lo, surrogateLo-1)
		}
		if hi > surrogateHi {
			out = append(out, surrogateHi+1, hi)
		}
	}
	return out
}

// complementRanges returns the runes 0..MaxRune not in the sorted ranges.
func complementRanges(ranges []rune) []rune {
	var out []rune
	next := rune(0)
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] > next {
			out = append(out, next, ranges[i]-1)
		}
		next = ranges[i+1] + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, next, unicode.MaxRune)
	}
	return out
}

// classText renders a character class given as sorted rune ranges.
func classText(ranges []rune) (string, error) {
	pos := withoutSurrogates(ranges)
	if len(pos) == 0 {
		return "", &UnsupportedError{Construct: "an empty character class"}
	}
	neg := withoutSurrogates(complementRanges(ranges))
	if len(neg) == 0 {
		return ".", nil
	}
	var b strings.Builder
	if len(pos) == 2 && pos[0] == pos[1] {
		writeRune(&b, pos[0])
		return b.String(), nil
	}
	// Write whichever side is shorter; a class holding both ends of the rune range is
	// written negated.
	if pos[0] == 0 && pos[len(pos)-1] == unicode.MaxRune {
		b.WriteString("[^")
		writeRanges(&b, neg)
	} else {
		b.WriteByte('[')
		writeRanges(&b, pos)
	}
	b.WriteByte(']')
	return b.String(), nil
}

func writeRanges(b *strings.Builder, ranges []rune) {
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		writeRune(b, lo)
		switch {
		case hi == lo:
		case hi == lo+1:
			writeRune(b, hi)
		default:
			b.WriteByte('-')
			writeRune(b, hi)
		}
	}
}

// wholeCaseInsensitive reports whether the target's case-insensitive flag may replace the
// explicit case classes of re: every literal rune with case is under the i flag, every
// class is closed under case folding, no rune is one the flag could fold wrongly, and
// something is folded at all.
func wholeCaseInsensitive(re *syntax.Regexp) bool {
	folded := false
	budget := maxClassCheck
	var walk func(*syntax.Regexp) bool
	walk = func(re *syntax.Regexp) bool {
		switch re.Op {
		case syntax.OpLiteral:
			for _, r := range re.Rune {
				if !NativeFoldSafe(r) {
					return false
				}
				if HasCase(r) {
					if re.Flags&syntax.FoldCase == 0 {
						return false
					}
					folded = true
				}
			}
		case syntax.OpCharClass:
			for i := 0; i+1 < len(re.Rune); i += 2 {
				for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
					if budget--; budget < 0 {
						return false
					}
					if !NativeFoldSafe(r) {
						return false
					}
					if !HasCase(r) {
						continue
					}
					for _, o := range Orbit(r) {
						if !inRanges(re.Rune, o) {
							return false
						}
					}
				}
			}
		}
		for _, s := range re.Sub {
			if !walk(s) {
				return false
			}
		}
		return true
	}
	return walk(re) && folded
}

func inRanges(ranges []rune, r rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] <= r && r <= ranges[i+1] {
			return true
		}
	}
	return false
}
