package esmatch

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
)

// Word boundaries. RE2's \b holds between two positions' neighbours of different kinds,
// \B between neighbours of the same kind, where a word character is [0-9A-Za-z_] (ASCII
// only, whatever the flags) and the start and the end of the value count as non-word.
// Lucene has no zero-width assertions, but it has intersection (&), so a boundary between
// the languages L1 and L2 (everything matched before and after it, the `.*` of the
// unanchored search included) is
//
//	(L1 ∩ .*W)(L2 ∩ (N.*|ε)) | (L1 ∩ (.*N|ε))(L2 ∩ W.*)
//
// with W one word character and N one non-word character (\B pairs W with W and N with N).
//
// The translation generalises that to any number of boundaries: each part of the
// expression gets a language for each context (p, q), the kinds of the characters just
// before and just after it, and a concatenation A·B in context (p, q) is the union over
// the kind x of B's first character (q when B matches nothing) and the kind y of A's last
// character (p when A matches nothing) of (A(p, x) ∩ ends in y)·(B(y, q) ∩ starts with x).
// A boundary in context (p, q) is the empty string when p ≠ q and nothing otherwise; a
// part without boundaries is the same language in every context. The intersections are
// pushed into concatenations and alternations, and dropped where the possible first and
// last characters of a part already decide them, so most expressions need no & at all:
// after a digit, \b only says that the next character is not a word character.
//
// Exact on everything it accepts; it rejects a boundary inside an unbounded repetition
// (*, +, {n,}), which no finite unrolling covers, a bounded repetition holding a boundary
// that would need more than maxBoundaryUnroll copies, and results longer than
// maxBoundaryText characters.

// maxBoundaryUnroll bounds the copies a bounded repetition holding a word boundary is
// unrolled into.
const maxBoundaryUnroll = 16

// maxBoundaryText bounds the length of an expression with word boundaries spelled out: it
// is Elasticsearch's default index.max_regex_length, beyond which query_string, the regexp
// query and ES|QL's RLIKE refuse the expression.
const maxBoundaryText = 1000

// maxBoundaryEstimate bounds the estimated length of a part before it is rendered: parts
// are shared, so a rendering can be exponentially longer than the structure built.
const maxBoundaryEstimate = 1 << 16

// maxDuplicated bounds the estimated length of a part that a restriction copies into two
// alternatives.
const maxDuplicated = 256

// kinds is a set of character kinds: word characters and non-word characters.
type kinds uint8

const (
	kindW kinds = 1 << iota // [0-9A-Za-z_]
	kindN                   // any other character
)

// contextKinds indexes the two kinds a context position holds.
var contextKinds = [2]kinds{kindW, kindN}

const (
	ctxW = 0
	ctxN = 1
)

// wordRanges are the runes syntax.IsWordChar accepts, as sorted ranges.
var wordRanges = []rune{'0', '9', 'A', 'Z', '_', '_', 'a', 'z'}

// nonWordRanges are all other runes but the surrogates.
var nonWordRanges = withoutSurrogates(complementRanges(wordRanges))

var allRanges = withoutSurrogates([]rune{0, unicode.MaxRune})

var notNewlineRanges = withoutSurrogates([]rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune})

func kindRanges(k kinds) []rune {
	if k == kindW {
		return wordRanges
	}
	return nonWordRanges
}

// intersectRanges returns the runes in both sorted range lists.
func intersectRanges(a, b []rune) []rune {
	var out []rune
	for i, j := 0, 0; i+1 < len(a) && j+1 < len(b); {
		lo, hi := max(a[i], b[j]), min(a[i+1], b[j+1])
		if lo <= hi {
			out = append(out, lo, hi)
		}
		if a[i+1] < b[j+1] {
			i += 2
		} else {
			j += 2
		}
	}
	return out
}

// rangesKinds returns the kinds of the runes in ranges.
func rangesKinds(ranges []rune) kinds {
	var k kinds
	if len(intersectRanges(ranges, wordRanges)) > 0 {
		k |= kindW
	}
	if len(intersectRanges(ranges, nonWordRanges)) > 0 {
		k |= kindN
	}
	return k
}

// runesRanges returns sorted ranges holding exactly rs (sorted, no duplicates).
func runesRanges(rs []rune) []rune {
	var out []rune
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1]+1 == r {
			out[n-1] = r
			continue
		}
		out = append(out, r, r)
	}
	return out
}

type langOp uint8

const (
	lEps    langOp = iota // the empty string
	lClass                // one character from ranges
	lStar                 // any number of characters from ranges
	lText                 // an opaque rendered expression
	lConcat               // subs in sequence
	lAlt                  // any of subs
	lInter                // both subs (Lucene &)
)

// lang is a regular language being built for the boundary translation: a Lucene
// expression and what is known about its strings. The nil *lang is the empty language.
type lang struct {
	op     langOp
	ranges []rune // lClass, lStar (no surrogates)
	text   string // lText; lClass's written form
	prec   prec   // lText
	subs   []*lang
	// nullable is exact: whether the language holds the empty string. first and last
	// hold at least the kinds of the first and last characters of its non-empty strings.
	// A non-nil lang is nullable or has a first and a last kind.
	nullable    bool
	first, last kinds
	rendered    *rendering
	size        int // an upper bound of the rendered length, once computed
}

type rendering struct {
	text string
	prec prec
}

var epsLang = &lang{op: lEps, nullable: true}

// classLang is one character from ranges, written as text ("" to write the ranges).
func classLang(ranges []rune, text string) *lang {
	ranges = withoutSurrogates(ranges)
	if len(ranges) == 0 {
		return nil
	}
	if text == "" {
		text, _ = classText(ranges)
	}
	k := rangesKinds(ranges)
	return &lang{op: lClass, ranges: ranges, text: text, first: k, last: k}
}

// starLang is any number of characters from ranges.
func starLang(ranges []rune) *lang {
	ranges = withoutSurrogates(ranges)
	if len(ranges) == 0 {
		return epsLang
	}
	k := rangesKinds(ranges)
	return &lang{op: lStar, ranges: ranges, nullable: true, first: k, last: k}
}

func concatLang(parts ...*lang) *lang {
	var subs []*lang
	for _, p := range parts {
		switch {
		case p == nil:
			return nil
		case p.op == lEps:
		case p.op == lConcat:
			subs = append(subs, p.subs...)
		default:
			subs = append(subs, p)
		}
	}
	subs = absorbIntoAnyString(subs)
	switch len(subs) {
	case 0:
		return epsLang
	case 1:
		return subs[0]
	}
	l := &lang{op: lConcat, subs: subs, nullable: true}
	for _, s := range subs {
		l.nullable = l.nullable && s.nullable
	}
	for _, s := range subs {
		l.first |= s.first
		if !s.nullable {
			break
		}
	}
	for i := len(subs) - 1; i >= 0; i-- {
		l.last |= subs[i].last
		if !subs[i].nullable {
			break
		}
	}
	return l
}

// isAnyString reports whether l is .*, every string.
func (l *lang) isAnyString() bool {
	return l.op == lStar && slices.Equal(l.ranges, allRanges)
}

// absorbIntoAnyString drops the nullable parts next to a .* in a concatenation: .*X is .*
// when X holds the empty string.
func absorbIntoAnyString(subs []*lang) []*lang {
	out := make([]*lang, 0, len(subs))
	for _, s := range subs {
		if n := len(out); n > 0 && s.nullable && out[n-1].isAnyString() {
			continue
		}
		for len(out) > 0 && s.isAnyString() && out[len(out)-1].nullable {
			out = out[:len(out)-1]
		}
		out = append(out, s)
	}
	return out
}

// sameLang reports whether a and b are known to be the same language: the same lang, or
// small ones written the same way.
func sameLang(a, b *lang) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || a.textSize() > maxBoundaryEstimate || b.textSize() > maxBoundaryEstimate {
		return false
	}
	return a.render().text == b.render().text
}

// sequence returns l's parts as a concatenation.
func (l *lang) sequence() []*lang {
	switch l.op {
	case lEps:
		return nil
	case lConcat:
		return l.subs
	}
	return []*lang{l}
}

// factorAlt writes the union of subs with the parts that start or end every one of them
// taken out: ab|ac is a(b|c).
func factorAlt(subs []*lang) *lang {
	seqs := make([][]*lang, len(subs))
	shortest := -1
	for i, s := range subs {
		seqs[i] = s.sequence()
		if shortest < 0 || len(seqs[i]) < shortest {
			shortest = len(seqs[i])
		}
	}
	common := func(at func(seq []*lang) *lang) bool {
		for _, seq := range seqs[1:] {
			if !sameLang(at(seq), at(seqs[0])) {
				return false
			}
		}
		return true
	}
	prefix := 0
	for prefix < shortest && common(func(seq []*lang) *lang { return seq[prefix] }) {
		prefix++
	}
	suffix := 0
	for prefix+suffix < shortest && common(func(seq []*lang) *lang { return seq[len(seq)-1-suffix] }) {
		suffix++
	}
	if prefix == 0 && suffix == 0 {
		return nil
	}
	middles := make([]*lang, len(seqs))
	for i, seq := range seqs {
		middles[i] = concatLang(seq[prefix : len(seq)-suffix]...)
	}
	first := seqs[0]
	parts := append(append(append([]*lang(nil), first[:prefix]...), altLang(middles...)), first[len(first)-suffix:]...)
	return concatLang(parts...)
}

func altLang(parts ...*lang) *lang {
	var subs []*lang
	seen := map[string]bool{}
	add := func(s *lang) {
		if s.textSize() > maxBoundaryEstimate {
			// Too large to compare by text (and to be used at all).
			subs = append(subs, s)
			return
		}
		if key := s.render().text; !seen[key] {
			seen[key] = true
			subs = append(subs, s)
		}
	}
	for _, p := range parts {
		switch {
		case p == nil:
		case p.op == lAlt:
			for _, s := range p.subs {
				add(s)
			}
		default:
			add(p)
		}
	}
	switch len(subs) {
	case 0:
		return nil
	case 1:
		return subs[0]
	}
	if f := factorAlt(subs); f != nil {
		return f
	}
	l := &lang{op: lAlt, subs: subs}
	for _, s := range subs {
		l.nullable = l.nullable || s.nullable
		l.first |= s.first
		l.last |= s.last
	}
	return l
}

func interLang(a, b *lang) *lang {
	if a == nil || b == nil {
		return nil
	}
	l := &lang{op: lInter, subs: []*lang{a, b}, nullable: a.nullable && b.nullable, first: a.first & b.first, last: a.last & b.last}
	if l.first == 0 || l.last == 0 {
		// No non-empty string is in both.
		if l.nullable {
			return epsLang
		}
		return nil
	}
	return l
}

// restrict returns the strings of a whose last character (atEnd) or first character has
// kind k, with the empty string when a holds it and withEmpty is set.
func restrict(a *lang, k kinds, withEmpty, atEnd bool) *lang {
	if a == nil {
		return nil
	}
	edge := a.first
	if atEnd {
		edge = a.last
	}
	keepEmpty := withEmpty && a.nullable
	if edge&k == 0 {
		if keepEmpty {
			return epsLang
		}
		return nil
	}
	if edge == k && a.nullable == keepEmpty {
		return a
	}
	// join concatenates near, the part at the restricted end, with far, the rest.
	join := func(near, far *lang) *lang {
		if atEnd {
			return concatLang(far, near)
		}
		return concatLang(near, far)
	}
	orEmpty := func(l *lang) *lang {
		if keepEmpty {
			return altLang(epsLang, l)
		}
		return l
	}
	switch a.op {
	case lClass:
		return classLang(intersectRanges(a.ranges, kindRanges(k)), "")
	case lStar:
		return orEmpty(join(classLang(intersectRanges(a.ranges, kindRanges(k)), ""), a))
	case lAlt:
		parts := make([]*lang, len(a.subs))
		for i, s := range a.subs {
			parts[i] = restrict(s, k, withEmpty, atEnd)
		}
		return altLang(parts...)
	case lConcat:
		var near, far *lang
		if n := len(a.subs); atEnd {
			near, far = a.subs[n-1], concatLang(a.subs[:n-1]...)
		} else {
			near, far = a.subs[0], concatLang(a.subs[1:]...)
		}
		if !near.nullable {
			return join(restrict(near, k, false, atEnd), far)
		}
		if far.textSize() <= maxDuplicated {
			// The character at that end comes from the near part, or from the far part when
			// the near part matches the empty string.
			return altLang(join(restrict(near, k, false, atEnd), far), restrict(far, k, withEmpty, atEnd))
		}
	case lInter:
		return interLang(restrict(a.subs[0], k, withEmpty, atEnd), a.subs[1])
	}
	// Every string whose character at the end has kind k.
	return interLang(a, orEmpty(join(classLang(kindRanges(k), ""), starLang(allRanges))))
}

// render writes l as a Lucene regular expression; the result is cached.
func (l *lang) render() rendering {
	if l.rendered != nil {
		return *l.rendered
	}
	var r rendering
	switch l.op {
	case lEps:
		r = rendering{"()", precAtom}
	case lClass:
		r = rendering{l.text, precAtom}
	case lStar:
		s, _ := classText(l.ranges)
		r = rendering{s + "*", precRepeat}
	case lText:
		r = rendering{l.text, l.prec}
	case lConcat:
		var b strings.Builder
		for _, s := range l.subs {
			sr := s.render()
			if sr.prec < precConcat {
				b.WriteString("(" + sr.text + ")")
			} else {
				b.WriteString(sr.text)
			}
		}
		r = rendering{b.String(), precConcat}
	case lAlt:
		var parts []string
		optional := false
		for _, s := range l.subs {
			if s.op == lEps {
				optional = true
				continue
			}
			parts = append(parts, s.render().text)
		}
		r = rendering{strings.Join(parts, "|"), precAlt}
		if len(parts) == 1 {
			for _, s := range l.subs {
				if s.op != lEps {
					r.prec = s.render().prec
				}
			}
		}
		if optional {
			if r.prec < precAtom {
				r.text = "(" + r.text + ")"
			}
			r = rendering{r.text + "?", precRepeat}
		}
	case lInter:
		parts := make([]string, 2)
		for i, s := range l.subs {
			sr := s.render()
			parts[i] = sr.text
			if sr.prec < precInter {
				parts[i] = "(" + sr.text + ")"
			}
		}
		r = rendering{parts[0] + "&" + parts[1], precInter}
	}
	l.rendered = &r
	return r
}

// textSize returns an upper bound of the length of l's rendering, without rendering it
// (a shared part is rendered once per use, so the text can be exponentially larger than
// the lang); it saturates at maxBoundaryEstimate+1.
func (l *lang) textSize() int {
	if l.size > 0 {
		return l.size
	}
	n := 0
	switch l.op {
	case lEps:
		n = 2
	case lClass, lText:
		n = len(l.text)
	case lStar:
		s, _ := classText(l.ranges)
		n = len(s) + 1
	default:
		for _, s := range l.subs {
			n += s.textSize() + 3
		}
		n += 3
	}
	l.size = min(n, maxBoundaryEstimate+1)
	return l.size
}

// usesIntersection reports whether l's rendering holds the & operator.
func (l *lang) usesIntersection() bool {
	if l.op == lInter {
		return true
	}
	for _, s := range l.subs {
		if s.usesIntersection() {
			return true
		}
	}
	return false
}

// frag is a part of an expression with word boundaries: its language in each context.
type frag struct {
	plain *lang // the language in every context, unless ctx is set
	ctx   bool
	at    [2][2]*lang // [p][q]: the language between a character of kind p and one of kind q
}

func (f frag) get(p, q int) *lang {
	if !f.ctx {
		return f.plain
	}
	return f.at[p][q]
}

func fragConcat(a, b frag) frag {
	if !a.ctx && !b.ctx {
		return frag{plain: concatLang(a.plain, b.plain)}
	}
	out := frag{ctx: true}
	for p := range 2 {
		for q := range 2 {
			// A side that does not depend on the context it shares with the other needs
			// no split: the union over x of B's strings starting with x (or empty, x = q)
			// is B, and likewise for A.
			aSame := sameLang(a.get(p, ctxW), a.get(p, ctxN))
			bSame := sameLang(b.get(ctxW, q), b.get(ctxN, q))
			var parts []*lang
			switch {
			case aSame && bSame:
				parts = append(parts, concatLang(a.get(p, ctxW), b.get(ctxW, q)))
			case aSame:
				for y := range 2 {
					parts = append(parts, concatLang(restrict(a.get(p, ctxW), contextKinds[y], y == p, true), b.get(y, q)))
				}
			case bSame:
				for x := range 2 {
					parts = append(parts, concatLang(a.get(p, x), restrict(b.get(ctxW, q), contextKinds[x], x == q, false)))
				}
			default:
				for x := range 2 {
					for y := range 2 {
						parts = append(parts, concatLang(
							restrict(a.get(p, x), contextKinds[y], y == p, true),
							restrict(b.get(y, q), contextKinds[x], x == q, false)))
					}
				}
			}
			out.at[p][q] = altLang(parts...)
		}
	}
	return out
}

func fragAlt(a, b frag) frag {
	if !a.ctx && !b.ctx {
		return frag{plain: altLang(a.plain, b.plain)}
	}
	out := frag{ctx: true}
	for p := range 2 {
		for q := range 2 {
			out.at[p][q] = altLang(a.get(p, q), b.get(p, q))
		}
	}
	return out
}

// boundaryFrag is \b (word true) or \B.
func boundaryFrag(word bool) frag {
	out := frag{ctx: true}
	for p := range 2 {
		for q := range 2 {
			if (p != q) == word {
				out.at[p][q] = epsLang
			}
		}
	}
	return out
}

// hasBoundary reports whether re holds \b or \B.
func hasBoundary(re *syntax.Regexp) bool {
	if re.Op == syntax.OpWordBoundary || re.Op == syntax.OpNoWordBoundary {
		return true
	}
	for _, s := range re.Sub {
		if hasBoundary(s) {
			return true
		}
	}
	return false
}

// frag returns the part re of an expression with word boundaries.
func (t *translator) frag(re *syntax.Regexp) (frag, error) {
	if !hasBoundary(re) {
		l, err := t.plainLang(re)
		return frag{plain: l}, err
	}
	switch re.Op {
	case syntax.OpWordBoundary:
		return boundaryFrag(true), nil
	case syntax.OpNoWordBoundary:
		return boundaryFrag(false), nil
	case syntax.OpCapture:
		return t.frag(re.Sub[0])
	case syntax.OpConcat, syntax.OpAlternate:
		combine := fragConcat
		if re.Op == syntax.OpAlternate {
			combine = fragAlt
		}
		var out frag
		for i, s := range re.Sub {
			f, err := t.frag(s)
			if err != nil {
				return frag{}, err
			}
			if i == 0 {
				out = f
			} else {
				out = combine(out, f)
			}
		}
		return out, nil
	case syntax.OpQuest:
		f, err := t.frag(re.Sub[0])
		return fragAlt(frag{plain: epsLang}, f), err
	case syntax.OpRepeat:
		if re.Max < 0 {
			break
		}
		if re.Max > maxBoundaryUnroll {
			return frag{}, &UnsupportedError{Construct: fmt.Sprintf("a word boundary inside a repetition of more than %d copies", maxBoundaryUnroll)}
		}
		f, err := t.frag(re.Sub[0])
		if err != nil {
			return frag{}, err
		}
		// x{min,max} = x…x (min times) then (x(x(…)?)?)? for the optional copies.
		opt := frag{plain: epsLang}
		for i := re.Min; i < re.Max; i++ {
			opt = fragAlt(frag{plain: epsLang}, fragConcat(f, opt))
		}
		out := opt
		for i := 0; i < re.Min; i++ {
			out = fragConcat(f, out)
		}
		return out, nil
	}
	switch re.Op {
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		return frag{}, &UnsupportedError{Construct: `a word boundary (\b or \B) inside an unbounded repetition (*, + or {n,})`}
	}
	return frag{}, &UnsupportedError{Construct: fmt.Sprintf("a word boundary inside the construct %v", re.Op)}
}

// plainLang returns the language of re, which holds no word boundary.
func (t *translator) plainLang(re *syntax.Regexp) (*lang, error) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return epsLang, nil
	case syntax.OpLiteral:
		parts := make([]*lang, len(re.Rune))
		for i, r := range re.Rune {
			var b strings.Builder
			ranges := []rune{r, r}
			if re.Flags&syntax.FoldCase != 0 {
				writeFoldedRune(&b, r, FoldAll)
				ranges = runesRanges(Orbit(r))
			} else {
				writeRune(&b, r)
			}
			parts[i] = classLang(ranges, b.String())
		}
		return concatLang(parts...), nil
	case syntax.OpCharClass:
		if len(withoutSurrogates(re.Rune)) == 0 {
			return nil, &UnsupportedError{Construct: "an empty character class"}
		}
		text, err := classText(re.Rune)
		if err != nil {
			return nil, err
		}
		return classLang(re.Rune, text), nil
	case syntax.OpAnyChar:
		return classLang(allRanges, "."), nil
	case syntax.OpAnyCharNotNL:
		return classLang(notNewlineRanges, "[^\n]"), nil
	case syntax.OpCapture:
		return t.plainLang(re.Sub[0])
	case syntax.OpConcat, syntax.OpAlternate:
		parts := make([]*lang, len(re.Sub))
		for i, s := range re.Sub {
			l, err := t.plainLang(s)
			if err != nil {
				return nil, err
			}
			parts[i] = l
		}
		if re.Op == syntax.OpConcat {
			return concatLang(parts...), nil
		}
		return altLang(parts...), nil
	case syntax.OpQuest:
		sub, err := t.plainLang(re.Sub[0])
		return altLang(epsLang, sub), err
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		sub, err := t.plainLang(re.Sub[0])
		if err != nil {
			return nil, err
		}
		if re.Op == syntax.OpStar && sub.op == lClass {
			return starLang(sub.ranges), nil
		}
		text, p, err := t.node(re)
		if err != nil {
			return nil, err
		}
		l := &lang{op: lText, text: text, prec: p, nullable: sub.nullable, first: sub.first, last: sub.last}
		switch {
		case re.Op == syntax.OpStar, re.Op == syntax.OpRepeat && re.Min == 0:
			l.nullable = true
		}
		if re.Op == syntax.OpRepeat && re.Max == 0 {
			return epsLang, nil
		}
		return l, nil
	}
	// Anchors and the remaining constructs: node names what is unsupported.
	_, _, err := t.node(re)
	if err == nil {
		err = &UnsupportedError{Construct: fmt.Sprintf("the construct %v next to a word boundary", re.Op)}
	}
	return nil, err
}

// edgeLang is the language of a search's start or end context: ".*", "" or a multi-line
// anchor's (.*\n)? or (\n.*)?.
func edgeLang(text string) *lang {
	newline := classLang([]rune{'\n', '\n'}, "\n")
	switch text {
	case "":
		return epsLang
	case "(.*\n)?":
		return altLang(epsLang, concatLang(starLang(allRanges), newline))
	case "(\n.*)?":
		return altLang(epsLang, concatLang(newline, starLang(allRanges)))
	}
	return starLang(allRanges)
}

// boundarySearch returns the whole-value expression start·elems·end, elems holding word
// boundaries, or nil when the boundaries can never hold.
func (t *translator) boundarySearch(start string, elems []*syntax.Regexp, end string) (*lang, error) {
	f := frag{plain: edgeLang(start)}
	for _, e := range elems {
		g, err := t.frag(e)
		if err != nil {
			return nil, err
		}
		f = fragConcat(f, g)
	}
	f = fragConcat(f, frag{plain: edgeLang(end)})
	// The value's start and end count as non-word characters.
	l := f.get(ctxN, ctxN)
	if l != nil && (l.textSize() > maxBoundaryEstimate || len(l.render().text) > maxBoundaryText) {
		return nil, &UnsupportedError{Construct: fmt.Sprintf("word boundaries whose exact Lucene form needs more than %d characters (Elasticsearch's default index.max_regex_length)", maxBoundaryText)}
	}
	return l, nil
}
