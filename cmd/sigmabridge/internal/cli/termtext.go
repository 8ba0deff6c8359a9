package cli

import (
	"strconv"
	"strings"
	"unicode"
)

// Printable returns s safe to print on a terminal: text from a rule, a log or a cluster
// (titles, index names, error bodies) may hold escape sequences that would move the cursor,
// rewrite earlier lines or change the terminal's title. Control characters (C0, DEL, C1),
// Unicode format characters (bidirectional overrides, zero-width characters) and invalid
// UTF-8 are written as Go escapes (\x1b, \u202e); everything else, tabs included, is kept.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == unicode.ReplacementChar && !strings.HasPrefix(s[i:], "\uFFFD"):
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i]), 16))
		case needsEscape(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needsEscape(r rune) bool {
	if r == '\t' {
		return false
	}
	return r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}
