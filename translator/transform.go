package translator

import (
	"encoding/base64"
	"encoding/binary"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// windashChars are the characters the windash modifier lets stand for a leading `-` or `/`
// of a command-line flag: hyphen-minus, slash, en dash, em dash and horizontal bar.
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// placeholderRe finds `%name%` placeholders for the expand modifier.
var placeholderRe = regexp.MustCompile(`%(\w+)%`)

// transformValue applies the string modifiers in the order written and returns the
// resulting alternatives (an OR). A non-empty reason means the value is invalid; it is
// overBudget when there would be more than maxAlts alternatives (windash makes five of each
// flag, base64offset three of each value), which are then never built.
func transformValue(mods []string, text string, maxAlts int) ([]ir.Pattern, string) {
	pats := []ir.Pattern{ir.ParseSigmaString(text)}
	for _, m := range mods {
		if f := wrapModifier(m); f != nil {
			for i, p := range pats { // one pattern in, one out: no new list
				pats[i] = f(p)
			}
			if len(pats) > maxAlts {
				return nil, overBudget
			}
			continue
		}
		var next []ir.Pattern
		for _, p := range pats {
			out, reason := applyModifier(m, p, maxAlts-len(next))
			if reason != "" {
				return nil, reason
			}
			next = append(next, out...)
			if len(next) > maxAlts {
				return nil, overBudget
			}
		}
		pats = next
	}
	return pats, ""
}

// wrapModifier returns how a shape modifier (contains, startswith, endswith) changes a
// pattern, or nil for any other modifier.
func wrapModifier(m string) func(ir.Pattern) ir.Pattern {
	switch m {
	case "contains":
		return func(p ir.Pattern) ir.Pattern { return p.Wrap(true, true) }
	case "startswith":
		return func(p ir.Pattern) ir.Pattern { return p.Wrap(false, true) }
	case "endswith":
		return func(p ir.Pattern) ir.Pattern { return p.Wrap(true, false) }
	}
	return nil
}

func applyModifier(m string, p ir.Pattern, maxAlts int) ([]ir.Pattern, string) {
	if f := wrapModifier(m); f != nil {
		return []ir.Pattern{f(p)}, ""
	}
	switch m {
	case "wide", "utf16le":
		return []ir.Pattern{mapLiterals(p, func(s string) string { return encodeUTF16(s, binary.LittleEndian, false) })}, ""
	case "utf16be":
		return []ir.Pattern{mapLiterals(p, func(s string) string { return encodeUTF16(s, binary.BigEndian, false) })}, ""
	case "utf16":
		// A byte order mark, then little-endian code units. The BOM starts the value,
		// so it belongs to the first literal only.
		first := true
		return []ir.Pattern{mapLiterals(p, func(s string) string {
			bom := first && len(p) > 0 && p[0].Kind == ir.Lit
			first = false
			return encodeUTF16(s, binary.LittleEndian, bom)
		})}, ""
	case "base64", "base64offset":
		if p.HasWildcard() || len(p.Placeholders()) > 0 {
			return nil, m + " cannot encode a value with wildcards or placeholders"
		}
		raw := p.Literal()
		if m == "base64" {
			return []ir.Pattern{ir.LiteralPattern(base64.StdEncoding.EncodeToString([]byte(raw)))}, ""
		}
		return base64Offsets(raw), ""
	case "windash":
		if windashCount(p, maxAlts) > maxAlts {
			return nil, overBudget
		}
		return windash(p), ""
	case "expand":
		return []ir.Pattern{expandPlaceholders(p)}, ""
	}
	return []ir.Pattern{p}, ""
}

// mapLiterals applies f to every literal segment, keeping wildcards.
func mapLiterals(p ir.Pattern, f func(string) string) ir.Pattern {
	out := make(ir.Pattern, len(p))
	for i, s := range p {
		if s.Kind == ir.Lit {
			s.Text = f(s.Text)
		}
		out[i] = s
	}
	return out.Normalize()
}

func encodeUTF16(s string, order binary.AppendByteOrder, bom bool) string {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(units)+2)
	if bom {
		b = order.AppendUint16(b, 0xFEFF)
	}
	for _, u := range units {
		b = order.AppendUint16(b, u)
	}
	return string(b)
}

// base64Offsets returns the three base64 encodings of raw as it may appear at byte offsets
// 0, 1 and 2 of a longer encoded text: the characters that depend on unknown neighbours
// are cut off at both ends.
func base64Offsets(raw string) []ir.Pattern {
	startCut := [3]int{0, 2, 3}
	out := make([]ir.Pattern, 0, 3)
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString(append([]byte(strings.Repeat(" ", i)), raw...))
		// The tail: characters influenced by padding or by the unknown next byte.
		end := len(enc)
		switch (len(raw) + i) % 3 {
		case 1:
			end -= 3
		case 2:
			end -= 2
		}
		start := startCut[i]
		if start > end {
			start = end
		}
		out = append(out, ir.LiteralPattern(enc[start:end]))
	}
	return out
}

// windashCount is the number of patterns windash(p) makes, or a number above limit when
// there are more than limit.
func windashCount(p ir.Pattern, limit int) int {
	n := 1
	for _, seg := range p {
		if seg.Kind != ir.Lit {
			continue
		}
		t := seg.Text
		for i := 0; i < len(t); i++ {
			if (t[i] == '-' || t[i] == '/') && !(i > 0 && isWordByte(t[i-1])) && i+1 < len(t) && isWordByte(t[i+1]) {
				n *= len(windashChars)
				if n > limit {
					return limit + 1
				}
			}
		}
	}
	return n
}

// windash expands each `-` or `/` that starts a word (preceded by a non-word character or
// the start of a literal, followed by a word character) into all five dash forms.
func windash(p ir.Pattern) []ir.Pattern {
	out := []ir.Pattern{nil}
	for _, seg := range p {
		if seg.Kind != ir.Lit {
			for i := range out {
				out[i] = append(out[i], seg)
			}
			continue
		}
		// Split the literal at dash positions.
		var parts []string // alternating literal, dash, literal, ...
		last := 0
		t := seg.Text
		for i := 0; i < len(t); i++ {
			if t[i] != '-' && t[i] != '/' {
				continue
			}
			prevWord := i > 0 && isWordByte(t[i-1])
			nextWord := i+1 < len(t) && isWordByte(t[i+1])
			if !prevWord && nextWord {
				parts = append(parts, t[last:i], "")
				last = i + 1
			}
		}
		parts = append(parts, t[last:])
		for j, part := range parts {
			if j%2 == 0 {
				for i := range out {
					out[i] = append(out[i], ir.Segment{Kind: ir.Lit, Text: part})
				}
				continue
			}
			var grown []ir.Pattern
			for _, o := range out {
				for _, d := range windashChars {
					c := append(append(ir.Pattern(nil), o...), ir.Segment{Kind: ir.Lit, Text: d})
					grown = append(grown, c)
				}
			}
			out = grown
		}
	}
	for i := range out {
		out[i] = out[i].Normalize()
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// expandPlaceholders turns `%name%` inside literals into Placeholder segments.
func expandPlaceholders(p ir.Pattern) ir.Pattern {
	var out ir.Pattern
	for _, seg := range p {
		if seg.Kind != ir.Lit {
			out = append(out, seg)
			continue
		}
		t := seg.Text
		last := 0
		for _, m := range placeholderRe.FindAllStringSubmatchIndex(t, -1) {
			out = append(out, ir.Segment{Kind: ir.Lit, Text: t[last:m[0]]},
				ir.Segment{Kind: ir.Placeholder, Text: t[m[2]:m[3]]})
			last = m[1]
		}
		out = append(out, ir.Segment{Kind: ir.Lit, Text: t[last:]})
	}
	return out.Normalize()
}
