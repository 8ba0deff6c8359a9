package ir

import "strings"

// SegmentKind says what one piece of a Pattern is.
type SegmentKind uint8

const (
	// Lit is literal text; every character in it matches itself.
	Lit SegmentKind = iota
	// AnyString is the Sigma wildcard `*`: any run of characters, possibly empty.
	AnyString
	// AnyChar is the Sigma wildcard `?`: exactly one character.
	AnyChar
	// Placeholder is a `%name%` placeholder from an `expand` value, to be replaced by a
	// pipeline. A backend that still sees one fails the rule.
	Placeholder
)

// Segment is one piece of a Pattern.
type Segment struct {
	Kind SegmentKind
	// Text is the literal text (Lit) or the placeholder name (Placeholder).
	Text string
}

// Pattern is a Sigma string value as a sequence of literal and wildcard segments.
// Wildcards stay tokens until a backend renders them, so escaping is always done per target
// at the last moment (docs/peers.md B8). A normalised Pattern never has two adjacent Lit segments,
// never an empty Lit segment, and never two adjacent AnyString segments.
type Pattern []Segment

// Shape classifies a Pattern for backends that have dedicated forms.
type Shape uint8

const (
	// ShapeExact is literal text only (possibly the empty string).
	ShapeExact Shape = iota
	// ShapePrefix is literal text followed by one `*` (startswith).
	ShapePrefix
	// ShapeSuffix is one `*` followed by literal text (endswith).
	ShapeSuffix
	// ShapeContains is `*`, literal text, `*`.
	ShapeContains
	// ShapeAny is a lone `*`: any value.
	ShapeAny
	// ShapeGlob is anything else: `?`, inner `*`, several literals.
	ShapeGlob
)

var shapeNames = [...]string{"exact", "prefix", "suffix", "contains", "any", "glob"}

func (s Shape) String() string { return shapeNames[s] }

// LiteralPattern returns a Pattern that matches s exactly.
func LiteralPattern(s string) Pattern {
	if s == "" {
		return Pattern{}
	}
	return Pattern{{Kind: Lit, Text: s}}
}

// ParseSigmaString parses a Sigma string value: `*` and `?` are wildcards, `\*`, `\?` and
// `\\` are the literal characters, and any other backslash is itself (the spec: a
// backslash escapes only a wildcard or another backslash).
func ParseSigmaString(s string) Pattern {
	if !strings.ContainsAny(s, `\*?`) {
		return LiteralPattern(s) // most values: no wildcard, nothing to unescape
	}
	var p Pattern
	var lit strings.Builder
	lit.Grow(len(s))
	flush := func() {
		if lit.Len() > 0 {
			p = append(p, Segment{Kind: Lit, Text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				lit.WriteByte(s[i+1])
				i++
			} else {
				lit.WriteByte('\\')
			}
		case '*':
			flush()
			p = append(p, Segment{Kind: AnyString})
		case '?':
			flush()
			p = append(p, Segment{Kind: AnyChar})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return p.Normalize()
}

// Normalize merges adjacent literals, drops empty literals and collapses runs of `*`.
func (p Pattern) Normalize() Pattern {
	return p.normalizeTo(make(Pattern, 0, len(p)))
}

// normalizeTo appends the normalized p to out, which may be p[:0]: it never writes past
// the segment it reads.
func (p Pattern) normalizeTo(out Pattern) Pattern {
	for _, s := range p {
		if s.Kind == Lit && s.Text == "" {
			continue
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if s.Kind == Lit && last.Kind == Lit {
				last.Text += s.Text
				continue
			}
			if s.Kind == AnyString && last.Kind == AnyString {
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// Shape reports which dedicated form, if any, the pattern has.
func (p Pattern) Shape() Shape {
	for _, s := range p {
		if s.Kind == AnyChar || s.Kind == Placeholder {
			return ShapeGlob
		}
	}
	switch n := len(p); {
	case n == 0:
		return ShapeExact
	case n == 1 && p[0].Kind == Lit:
		return ShapeExact
	case n == 1 && p[0].Kind == AnyString:
		return ShapeAny
	case n == 2 && p[0].Kind == Lit && p[1].Kind == AnyString:
		return ShapePrefix
	case n == 2 && p[0].Kind == AnyString && p[1].Kind == Lit:
		return ShapeSuffix
	case n == 3 && p[0].Kind == AnyString && p[1].Kind == Lit && p[2].Kind == AnyString:
		return ShapeContains
	}
	return ShapeGlob
}

// Literal returns the concatenated literal text of the pattern. For the shapes exact,
// prefix, suffix and contains it is the text the backend must match.
func (p Pattern) Literal() string {
	var b strings.Builder
	for _, s := range p {
		if s.Kind == Lit {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

// HasWildcard reports whether the pattern has a `*` or `?` token.
func (p Pattern) HasWildcard() bool {
	for _, s := range p {
		if s.Kind == AnyString || s.Kind == AnyChar {
			return true
		}
	}
	return false
}

// Placeholders returns the names of the placeholders in the pattern, in order.
func (p Pattern) Placeholders() []string {
	var names []string
	for _, s := range p {
		if s.Kind == Placeholder {
			names = append(names, s.Text)
		}
	}
	return names
}

// Wrap returns the pattern with `*` added before (left) and after (right) it, as the
// contains, startswith and endswith modifiers do.
func (p Pattern) Wrap(left, right bool) Pattern {
	out := make(Pattern, 0, len(p)+2)
	if left {
		out = append(out, Segment{Kind: AnyString})
	}
	out = append(out, p...)
	if right {
		out = append(out, Segment{Kind: AnyString})
	}
	return out.normalizeTo(out[:0])
}

// String prints the pattern in Sigma notation: wildcards bare, literal `*`, `?` and `\`
// escaped with a backslash, placeholders as `%name%`. A literal `%` prints as `\%` so a
// placeholder and literal text never print alike.
func (p Pattern) String() string {
	var b strings.Builder
	for _, s := range p {
		switch s.Kind {
		case Lit:
			for i := 0; i < len(s.Text); i++ {
				c := s.Text[i]
				if c == '*' || c == '?' || c == '\\' || c == '%' {
					b.WriteByte('\\')
				}
				b.WriteByte(c)
			}
		case AnyString:
			b.WriteByte('*')
		case AnyChar:
			b.WriteByte('?')
		case Placeholder:
			b.WriteString("%" + s.Text + "%")
		}
	}
	return b.String()
}
