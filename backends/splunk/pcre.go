package splunk

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// This file turns Sigma regular expressions (RE2 syntax) and Sigma patterns into PCRE text
// whose meaning does not depend on how Splunk configured PCRE. Rather than pasting the
// rule's regex, it is parsed with regexp/syntax (the evaluator's own parser) and printed
// again from the tree:
//
//   - `$` without m becomes `\z` (PCRE's `$` also matches before a final newline);
//   - multi-line `^` and `$` become look-arounds on `\n`, and `.` without s becomes `[^\n]`,
//     so PCRE's newline convention (LF, CRLF, ANY) does not matter;
//   - case folding from the `i` flag is printed explicitly: folded classes as ranges and
//     folded literals inside `(?i:...)`;
//   - capture groups become non-capturing (only match/no match matters);
//   - `"` and the backtick are printed as `\x22` and `\x60`, control and non-printable
//     characters as `\x{..}`, so the SPL string that carries the regex never holds a
//     quote, a macro delimiter or a line break.

// pcreFromRegex parses an RE2 regex with the rule's flags and prints it as PCRE.
func pcreFromRegex(pattern string, flags ir.RegexFlags) (string, error) {
	f := syntax.Perl
	if flags.I {
		f |= syntax.FoldCase
	}
	if flags.S {
		f |= syntax.DotNL
	}
	if flags.M {
		f &^= syntax.OneLine
	}
	re, err := syntax.Parse(pattern, f)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	writePCRE(&b, re)
	return b.String(), nil
}

func writePCRE(b *strings.Builder, re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpNoMatch:
		b.WriteString(`(?!)`)
	case syntax.OpEmptyMatch:
		b.WriteString(`(?:)`)
	case syntax.OpLiteral:
		fold := re.Flags&syntax.FoldCase != 0 && hasFold(re.Rune)
		if fold {
			b.WriteString(`(?i:`)
		}
		for _, r := range re.Rune {
			if fold {
				r = lowerInOrbit(r)
			}
			writePCRERune(b, r)
		}
		if fold {
			b.WriteString(`)`)
		}
	case syntax.OpCharClass:
		writePCREClass(b, re.Rune)
	case syntax.OpAnyCharNotNL:
		b.WriteString(`[^\n]`)
	case syntax.OpAnyChar:
		b.WriteString(`(?s:.)`)
	case syntax.OpBeginLine:
		b.WriteString(`(?:\A|(?<=\n))`)
	case syntax.OpEndLine:
		b.WriteString(`(?=\n|\z)`)
	case syntax.OpBeginText:
		b.WriteString(`\A`)
	case syntax.OpEndText:
		b.WriteString(`\z`)
	case syntax.OpWordBoundary:
		b.WriteString(`\b`)
	case syntax.OpNoWordBoundary:
		b.WriteString(`\B`)
	case syntax.OpCapture:
		if single(re.Sub[0]) {
			writePCRE(b, re.Sub[0])
			return
		}
		b.WriteString(`(?:`)
		writePCRE(b, re.Sub[0])
		b.WriteString(`)`)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		if single(re.Sub[0]) {
			writePCRE(b, re.Sub[0])
		} else {
			b.WriteString(`(?:`)
			writePCRE(b, re.Sub[0])
			b.WriteString(`)`)
		}
		switch re.Op {
		case syntax.OpStar:
			b.WriteString(`*`)
		case syntax.OpPlus:
			b.WriteString(`+`)
		case syntax.OpQuest:
			b.WriteString(`?`)
		case syntax.OpRepeat:
			if re.Max == re.Min {
				fmt.Fprintf(b, "{%d}", re.Min)
			} else if re.Max < 0 {
				fmt.Fprintf(b, "{%d,}", re.Min)
			} else {
				fmt.Fprintf(b, "{%d,%d}", re.Min, re.Max)
			}
		}
		if re.Flags&syntax.NonGreedy != 0 {
			b.WriteString(`?`)
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			writePCRE(b, s)
		}
	case syntax.OpAlternate:
		b.WriteString(`(?:`)
		for i, s := range re.Sub {
			if i > 0 {
				b.WriteString(`|`)
			}
			writePCRE(b, s)
		}
		b.WriteString(`)`)
	default:
		// regexp/syntax has no other operators; a new one would be caught by the tests.
		panic(fmt.Sprintf("splunk: unknown regexp op %v", re.Op))
	}
}

// single reports whether writePCRE prints re as one atom a quantifier can follow.
func single(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune) == 1 || re.Flags&syntax.FoldCase != 0 && hasFold(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpCapture, syntax.OpAlternate:
		return true
	}
	return false
}

// lowerInOrbit returns the lower-case member of r's case-folding orbit, if there is one,
// for readability: regexp/syntax keeps folded literals in upper case, and any member of
// the orbit means the same inside (?i:...).
func lowerInOrbit(r rune) rune {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f == unicode.ToLower(r) {
			return f
		}
	}
	return r
}

// hasFold reports whether any rune has another case.
func hasFold(rs []rune) bool {
	for _, r := range rs {
		if unicode.SimpleFold(r) != r {
			return true
		}
	}
	return false
}

// pcreMeta are the characters special in a PCRE pattern outside a class (no x flag is ever
// set, so space and # are literal).
const pcreMeta = `\\.^$|?*+()[]{}`

// writePCRERune writes one literal character so that PCRE matches exactly it.
func writePCRERune(b *strings.Builder, r rune) {
	switch {
	case r < utf8.RuneSelf && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_'):
		b.WriteRune(r)
	case r == '"' || r == '`':
		fmt.Fprintf(b, `\x%02x`, r)
	case strings.ContainsRune(pcreMeta, r):
		b.WriteByte('\\')
		b.WriteRune(r)
	case r < utf8.RuneSelf && unicode.IsPrint(r):
		b.WriteRune(r)
	case r >= utf8.RuneSelf && unicode.IsPrint(r) && !unicode.Is(unicode.Zs, r):
		b.WriteRune(r)
	default:
		fmt.Fprintf(b, `\x{%x}`, r)
	}
}

// writePCREClass writes a character class given as sorted, non-overlapping ranges.
func writePCREClass(b *strings.Builder, ranges []rune) {
	if len(ranges) == 0 {
		b.WriteString(`(?!)`)
		return
	}
	if ranges[0] == 0 && ranges[len(ranges)-1] == unicode.MaxRune {
		// A negated class: print the gaps.
		if len(ranges) == 2 {
			b.WriteString(`(?s:.)`)
			return
		}
		b.WriteString(`[^`)
		for i := 1; i+1 < len(ranges); i += 2 {
			writeClassRange(b, ranges[i]+1, ranges[i+1]-1)
		}
		b.WriteString(`]`)
		return
	}
	b.WriteString(`[`)
	for i := 0; i+1 < len(ranges); i += 2 {
		writeClassRange(b, ranges[i], ranges[i+1])
	}
	b.WriteString(`]`)
}

func writeClassRange(b *strings.Builder, lo, hi rune) {
	writeClassRune(b, lo)
	if hi != lo {
		b.WriteByte('-')
		writeClassRune(b, hi)
	}
}

// writeClassRune writes a class bound so that no character can be special inside the
// class: letters and digits bare, other ASCII after a backslash, the rest in hex.
func writeClassRune(b *strings.Builder, r rune) {
	switch {
	case r < utf8.RuneSelf && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
		b.WriteRune(r)
	case r == '"' || r == '`' || r >= utf8.RuneSelf || !unicode.IsPrint(r):
		fmt.Fprintf(b, `\x{%x}`, r)
	default:
		// ASCII punctuation or space: a backslash makes it literal inside a class.
		b.WriteByte('\\')
		b.WriteRune(r)
	}
}

// pcreFromPattern prints a Sigma pattern as a PCRE that matches a whole value: anchored with
// \A and \z, `*` as any run of characters (newlines included), `?` as exactly one
// character, case-insensitive unless cased. Placeholders must have been rejected before.
func pcreFromPattern(p ir.Pattern, cased bool) string {
	var b strings.Builder
	if !cased && patternHasFold(p) {
		b.WriteString(`(?i)`)
	}
	b.WriteString(`\A`)
	for _, s := range p {
		switch s.Kind {
		case ir.Lit:
			for _, r := range s.Text {
				writePCRERune(&b, r)
			}
		case ir.AnyString:
			b.WriteString(`(?s:.)*`)
		case ir.AnyChar:
			b.WriteString(`(?s:.)`)
		}
	}
	b.WriteString(`\z`)
	return b.String()
}

func patternHasFold(p ir.Pattern) bool {
	for _, s := range p {
		if s.Kind == ir.Lit && hasFold([]rune(s.Text)) {
			return true
		}
	}
	return false
}
