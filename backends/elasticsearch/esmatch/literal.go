package esmatch

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Lucene regular expressions (query_string `/re/`, the regexp query, ES|QL RLIKE, EQL
// regex) reserve `. ? + * | { } [ ] ( ) " \` and, with the optional operators every one of
// those enables, `# @ & < > ~`. A backslash makes any following character literal except
// the letters of the shorthand classes (\d \w \s and their negations), so the writers here
// put a backslash before every ASCII punctuation character and space, and never before a
// letter or digit. `/` is escaped too, which query_string needs inside `/.../`.

// Fold says how a pattern's letters are written into a Lucene regular expression.
type Fold uint8

const (
	// FoldNone writes every rune as itself: a case-sensitive match.
	FoldNone Fold = iota
	// FoldAll writes every rune that has case as the class of its fold orbit ([kKK]), so
	// the expression matches case-insensitively on an engine that has no flag for it.
	FoldAll
	// FoldNonNative writes as an orbit class only the runes for which NativeFoldExact is
	// false; the caller sets the engine's case-insensitive flag, which handles the rest.
	FoldNonNative
	// FoldLower writes each rune as its LowerClass, for matching a value the query has
	// lower-cased (ES|QL TO_LOWER). Use it only when LowerFormOf the pattern is not
	// LowerNone.
	FoldLower
)

// isASCIIAlnum reports whether r is an ASCII letter or digit, the characters a Lucene
// regular expression must never see escaped.
func isASCIIAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// needsEscape reports whether r is written with a backslash in a Lucene regular
// expression, inside or outside a character class.
func needsEscape(r rune) bool {
	return r >= 0x20 && r < 0x7f && !isASCIIAlnum(r)
}

// writeRune writes r so that it matches itself.
func writeRune(b *strings.Builder, r rune) {
	if needsEscape(r) {
		b.WriteByte('\\')
	}
	b.WriteRune(r)
}

// writeClass writes a character class matching exactly the runes rs.
func writeClass(b *strings.Builder, rs []rune) {
	if len(rs) == 1 {
		writeRune(b, rs[0])
		return
	}
	b.WriteByte('[')
	for _, r := range rs {
		writeRune(b, r)
	}
	b.WriteByte(']')
}

// orbitClass returns r's fold orbit with its lower-case member first, the order people
// write case classes in ([cC], [kKK]).
func orbitClass(r rune) []rune {
	o := Orbit(r)
	l := unicode.ToLower(r)
	if i := slices.Index(o, l); i > 0 {
		o = append(append([]rune{l}, o[:i]...), o[i+1:]...)
	}
	return o
}

// asciiFolded holds what writeFoldedRune writes for each ASCII rune, by fold mode: the
// writers fold every value they emit, and most of their runes are ASCII.
var asciiFolded = sync.OnceValue(func() *[FoldLower + 1][utf8.RuneSelf]string {
	var t [FoldLower + 1][utf8.RuneSelf]string
	for fold := range t {
		for r := range t[fold] {
			if Fold(fold) == FoldLower {
				if _, ok := LowerClass(rune(r)); !ok {
					continue // left to writeFoldedRune, which refuses it
				}
			}
			var b strings.Builder
			writeFoldedRuneSlow(&b, rune(r), Fold(fold))
			t[fold][r] = b.String()
		}
	}
	return &t
})

// writeFoldedRune writes r as the given fold mode requires.
func writeFoldedRune(b *strings.Builder, r rune, fold Fold) {
	if r < utf8.RuneSelf && fold <= FoldLower {
		if s := asciiFolded()[fold][r]; s != "" {
			b.WriteString(s)
			return
		}
	}
	writeFoldedRuneSlow(b, r, fold)
}

func writeFoldedRuneSlow(b *strings.Builder, r rune, fold Fold) {
	switch fold {
	case FoldAll:
		writeClass(b, orbitClass(r))
	case FoldNonNative:
		if NativeFoldExact(r) {
			writeRune(b, orbitClass(r)[0])
		} else {
			writeClass(b, orbitClass(r))
		}
	case FoldLower:
		class, ok := LowerClass(r)
		if !ok {
			panic(fmt.Sprintf("esmatch: FoldLower of %U, which has no exact lower-case class", r))
		}
		writeClass(b, class)
	default:
		writeRune(b, r)
	}
}

// GlobRegexp returns a Lucene regular expression matching the values a Sigma pattern
// matches as a whole: `*` becomes `.*`, `?` becomes `.` (one code point), literals are
// escaped and folded as fold says. The pattern must hold no placeholder.
func GlobRegexp(p ir.Pattern, fold Fold) string {
	var b strings.Builder
	WritePattern(&b, p, func(text string) {
		for _, r := range text {
			writeFoldedRune(&b, r, fold)
		}
	}, ".*", ".")
	if b.Len() == 0 {
		// The empty pattern matches the empty value; `()` is Lucene's empty string.
		return "()"
	}
	return b.String()
}

// WritePattern writes p to b in a target's wildcard or regular-expression syntax: each
// literal segment through lit (which writes to b too), `*` as anyString and `?` as anyChar.
// The pattern must hold no placeholder.
func WritePattern(b *strings.Builder, p ir.Pattern, lit func(text string), anyString, anyChar string) {
	for _, s := range p {
		switch s.Kind {
		case ir.Lit:
			lit(s.Text)
		case ir.AnyString:
			b.WriteString(anyString)
		case ir.AnyChar:
			b.WriteString(anyChar)
		case ir.Placeholder:
			panic("esmatch: WritePattern of a pattern with a placeholder")
		}
	}
}

// PatternHasCase reports whether some literal rune of p has case, so a case-insensitive match
// of p differs from a case-sensitive one.
func PatternHasCase(p ir.Pattern) bool {
	return !everyLiteralRune(p, func(r rune) bool { return !HasCase(r) })
}

// everyLiteralRune reports whether ok holds for every rune of p's literal text.
func everyLiteralRune(p ir.Pattern, ok func(rune) bool) bool {
	for _, s := range p {
		if s.Kind != ir.Lit {
			continue
		}
		for _, r := range s.Text {
			if !ok(r) {
				return false
			}
		}
	}
	return true
}

// PatternNativeFoldExact reports whether NativeFoldExact holds for every literal rune of p.
func PatternNativeFoldExact(p ir.Pattern) bool { return everyLiteralRune(p, NativeFoldExact) }

// LowerForm says how a case-insensitive pattern can be matched against the lower-cased
// value (ES|QL TO_LOWER), if at all.
type LowerForm uint8

const (
	// LowerNone: matching the lower-cased value is not exact for the pattern.
	LowerNone LowerForm = iota
	// LowerText: every letter lowers to one rune; compare LowerPattern(p) with == or LIKE.
	LowerText
	// LowerRegexp: some letter's orbit lowers to several runes (s and ſ); match the
	// FoldLower regular expression with RLIKE.
	LowerRegexp
)

// LowerFormOf returns the lower-cased form that matches exactly what p matches
// case-insensitively. Besides LowerClass, it accounts for U+0130 (İ), which lowers to two
// runes, i and U+0307: a wildcard could then match half of it, so a pattern with a wildcard
// must not hold an i (either case), and must not hold `?`, which would count it twice.
func LowerFormOf(p ir.Pattern) LowerForm {
	form := LowerText
	wild := p.HasWildcard()
	for _, s := range p {
		switch s.Kind {
		case ir.AnyChar:
			return LowerNone
		case ir.Lit:
			for _, r := range s.Text {
				class, ok := LowerClass(r)
				if !ok || wild && (r == 'i' || r == 'I') {
					return LowerNone
				}
				if len(class) > 1 {
					form = LowerRegexp
				}
			}
		}
	}
	return form
}

// LowerPattern returns p with every literal rune replaced by its single lower-case class
// member. It panics unless LowerFormOf(p) is LowerText.
func LowerPattern(p ir.Pattern) ir.Pattern {
	out := make(ir.Pattern, len(p))
	for i, s := range p {
		out[i] = s
		if s.Kind != ir.Lit {
			continue
		}
		var b strings.Builder
		for _, r := range s.Text {
			c, ok := LowerClass(r)
			if !ok || len(c) != 1 {
				panic(fmt.Sprintf("esmatch: LowerPattern of %U, which has no single lower-case form", r))
			}
			b.WriteRune(c[0])
		}
		out[i].Text = b.String()
	}
	return out
}

// PlainNumber reports whether text is a plain decimal number (an optional minus sign,
// digits, optionally a fraction), the only form every Elasticsearch language and numeric
// field type reads the same way.
func PlainNumber(text string) bool {
	s := strings.TrimPrefix(text, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	return allDigits10(intPart) && (!hasFrac || allDigits10(frac))
}

// CanonicalNumber reports whether text is a plain decimal number in its one canonical
// spelling: no leading zero (07), no trailing zero in the fraction (1.50), not -0. A number
// value is equal, for the evaluator, to every JSON number of the same value however it is
// written, and to a string of exactly its text; on a keyword field Elasticsearch compares
// the text, which is the JSON number's text only when both are canonical. Other spellings
// are refused for a number value (unsupported-value) by every target.
func CanonicalNumber(text string) bool {
	if !PlainNumber(text) || text == "-0" {
		return false
	}
	s := strings.TrimPrefix(text, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if len(intPart) > 1 && intPart[0] == '0' {
		return false
	}
	return !hasFrac || !strings.HasSuffix(frac, "0")
}

func allDigits10(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
