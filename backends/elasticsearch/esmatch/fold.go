package esmatch

import (
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Sigma compares strings case-insensitively by Unicode simple case folding: two runes are
// equal when they are in the same fold orbit (strings.EqualFold). Elasticsearch offers
// several case-insensitive forms, each with its own folding; the functions here decide when
// one of them agrees with the orbit exactly, so a backend can use it, and otherwise spell the
// orbit out as a character class.

// Orbit returns r and every rune simple case folding equates with r, sorted.
func Orbit(r rune) []rune {
	o := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		o = append(o, f)
	}
	slices.Sort(o)
	return o
}

// HasCase reports whether some other rune folds to the same orbit as r, so matching r
// case-insensitively differs from matching it exactly.
func HasCase(r rune) bool { return unicode.SimpleFold(r) != r }

// NativeFoldExact reports whether Elasticsearch's own case-insensitive matching — the
// case_insensitive option of term, prefix, wildcard and regexp queries, EQL's `:`, `like~`
// and `regex~` — matches exactly r's fold orbit when r is written in a pattern, in every
// version the backends target.
//
// That holds for runes without case and for the ASCII letters other than i, k and s: their
// orbits are {lower, upper}, and every folding Elasticsearch uses agrees. The orbit of k
// holds the Kelvin sign (U+212A) and that of s the long s (U+017F), which Elasticsearch 8's
// foldings (one alternate case for terms, ASCII for regular expressions) miss; Elasticsearch
// 9's Lucene 10 folding equates i and I with İ and ı, which Unicode simple folding keeps
// apart. Other letters are folded differently by different query types and versions, so
// they are never trusted to the engine.
func NativeFoldExact(r rune) bool {
	if r < 0x80 {
		switch r {
		case 'i', 'I', 'k', 'K', 's', 'S':
			return false
		}
		return true
	}
	return caseless(r)
}

// NativeFoldSafe reports whether r may appear in a pattern run with Elasticsearch's
// case-insensitive flag, written as itself or as its orbit class: every folding the flag may
// apply keeps it within its orbit. Not safe are i and I, which Lucene 10 folds with İ and ı,
// and the runes whose orbit is themselves but which have a case mapping (İ lowers to i,
// ı uppers to I), which some of Elasticsearch's folds equate with a rune outside the orbit.
func NativeFoldSafe(r rune) bool {
	if r == 'i' || r == 'I' {
		return false
	}
	return HasCase(r) || caseless(r)
}

// PatternNativeFoldSafe reports whether NativeFoldSafe holds for every literal rune of p.
func PatternNativeFoldSafe(p ir.Pattern) bool { return everyLiteralRune(p, NativeFoldSafe) }

// caseless reports whether r has no case at all: no fold partner and no case mapping. A
// rune such as U+0130 (İ), whose orbit is itself but whose lower case is i, is not caseless:
// an engine that folds by case mapping would equate it with i.
func caseless(r rune) bool {
	return unicode.SimpleFold(r) == r && unicode.ToLower(r) == r && unicode.ToUpper(r) == r && unicode.ToTitle(r) == r
}

// LowerClass returns the runes that the members of r's fold orbit become under ES|QL's
// TO_LOWER (Java's String.toLowerCase with Locale.ROOT), sorted, and whether comparing
// lower-cased text against that class matches exactly r's orbit. It is not exact when a
// rune outside the orbit lowers into the class, or when r is U+0307 (COMBINING DOT ABOVE),
// which together with i is what U+0130 (İ) lowers to.
//
// It is not exact either for a letter whose case pair Unicode added after version 13, the
// version of Java 17, the oldest JVM Elasticsearch 8 runs on: such a JVM does not lower it.
//
// For most runes the class has one member (the orbit lowers to one rune); for s it is
// {s, ſ}, because the long s is already lower case.
//
// The class is shared: the caller must not modify it.
func LowerClass(r rune) ([]rune, bool) {
	if r < utf8.RuneSelf {
		c := asciiLower()[r]
		return c.class, c.ok
	}
	return lowerClass(r)
}

type classOK struct {
	class []rune
	ok    bool
}

// asciiLower holds LowerClass of every ASCII rune, which the writers ask for every rune of
// every value they lower.
var asciiLower = sync.OnceValue(func() *[utf8.RuneSelf]classOK {
	var t [utf8.RuneSelf]classOK
	for r := range t {
		t[r].class, t[r].ok = lowerClass(rune(r))
	}
	return &t
})

func lowerClass(r rune) ([]rune, bool) {
	if r == 0x307 {
		return nil, false
	}
	orbit := Orbit(r)
	for _, d := range orbit {
		if NewerThanJava17(d) {
			return nil, false
		}
		if _, ok := javaLower(d); !ok {
			return nil, false
		}
	}
	class := orbitLowers(orbit)
	// Every rune that lowers into the class must be in the orbit.
	for _, l := range class {
		for _, d := range lowerPreimage(l) {
			if !slices.Contains(orbit, d) {
				return nil, false
			}
		}
	}
	return class, true
}

// javaLower returns the runes d may become under Java's String.toLowerCase(Locale.ROOT) as
// one rune, or false when d becomes several runes. Capital sigma becomes final or medial
// sigma depending on its context.
func javaLower(d rune) ([]rune, bool) {
	switch d {
	case 0x130: // İ lowers to i followed by U+0307
		return nil, false
	case 0x3A3: // Σ
		return []rune{0x3C2, 0x3C3}, true
	}
	return []rune{unicode.ToLower(d)}, true
}

var (
	preimageOnce sync.Once
	preimage     map[rune][]rune // lower-case rune -> the other runes that lower to it
)

// lowerPreimage returns every rune that javaLower may turn into l, l itself included when
// it is lower case.
func lowerPreimage(l rune) []rune {
	preimageOnce.Do(buildPreimage)
	out := append([]rune(nil), preimage[l]...)
	if ls, ok := javaLower(l); ok && slices.Contains(ls, l) {
		out = append(out, l)
	}
	return out
}

func buildPreimage() {
	preimage = map[rune][]rune{}
	for _, cr := range unicode.CaseRanges {
		for d := rune(cr.Lo); d <= rune(cr.Hi); d++ {
			ls, ok := javaLower(d)
			if !ok {
				continue
			}
			for _, l := range ls {
				if l != d {
					preimage[l] = append(preimage[l], d)
				}
			}
		}
	}
}

// unicode14Cased are the ranges of the case pairs Unicode 14 added (Go's tables have them;
// Java 17's Unicode 13 does not): Glagolitic caudate chrivi, four Latin pairs, and the
// Vithkuqi script. Unicode 15 added no case pair.
var unicode14Cased = []rune{
	0x2C2F, 0x2C2F, 0x2C5F, 0x2C5F,
	0xA7C0, 0xA7C1, 0xA7D0, 0xA7D1, 0xA7D6, 0xA7D9,
	0x10570, 0x1057A, 0x1057C, 0x1058A, 0x1058C, 0x10592, 0x10594, 0x10595,
	0x10597, 0x105A1, 0x105A3, 0x105B1, 0x105B3, 0x105B9, 0x105BB, 0x105BC,
}

// NewerThanJava17 reports whether r is a letter of a case pair that Unicode added after
// version 13: Java 17's toLowerCase (ES|QL's TO_LOWER on such a JVM) leaves it as it is,
// while a newer JVM lowers it, so no lowered comparison is exact for it on every node.
func NewerThanJava17(r rune) bool { return inRanges(unicode14Cased, r) }
