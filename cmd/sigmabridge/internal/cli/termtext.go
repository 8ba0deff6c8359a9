package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
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

// Cell is Printable for a cell of a tab-separated table: a tab is escaped too, so it
// cannot shift the columns after it.
func Cell(s string) string {
	return strings.ReplaceAll(Printable(s), "\t", `\t`)
}

// JSONWriter returns a writer of JSON text that writes every character Printable would
// escape, and the Unicode line and paragraph separators, as a \u escape, which JSON reads
// as the same character: no line of the output then holds a character a terminal acts on
// (encoding/json leaves DEL, C1 controls and bidirectional overrides raw) or one that
// splits a line in some readers. Line feeds, tabs and carriage returns are kept:
// encoding/json escapes them inside strings, so the ones it writes are layout. Each Write
// must hold whole JSON values, as json.Encoder's do.
func JSONWriter(w io.Writer) io.Writer { return jsonWriter{w} }

// WriteJSON writes v to w as indented JSON through JSONWriter, with <, > and & as they are.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(JSONWriter(w))
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type jsonWriter struct{ w io.Writer }

func (j jsonWriter) Write(p []byte) (int, error) {
	if jsonClean(p) {
		return j.w.Write(p)
	}
	if _, err := j.w.Write(jsonEscape(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// jsonEscape returns p with every character jsonWriter escapes written as a \u escape.
func jsonEscape(p []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(p))
	for _, r := range string(p) {
		if r == '\n' || r == '\t' || r == '\r' || !needsEscape(r) && r != '\u2028' && r != '\u2029' {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, `\u%04x`, u)
		}
	}
	return b.Bytes()
}

// jsonClean reports whether jsonWriter would write p unchanged. It is the writer's fast
// path, run on every line of a jsonl output: a byte scan that decodes only non-ASCII runes
// and allocates nothing.
func jsonClean(p []byte) bool {
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(p[i:])
		if needsEscape(r) || r == '\u2028' || r == '\u2029' {
			return false // invalid UTF-8 decodes as the replacement character, which is escaped
		}
		i += n
	}
	return true
}
