package esmatch

import (
	"net/netip"
	"strings"
)

// Sigma's cidr is true when the value parses as an IP address inside the prefix (Go's
// netip.ParseAddr, the zone dropped, and an IPv4-mapped IPv6 address taken as IPv4 when the
// prefix is IPv4, as Elasticsearch's ip type does). On an ip-typed field Elasticsearch
// tests that natively; on a keyword field — how most string fields are mapped — a CIDR
// term is just text. CIDRRegexp gives the keyword-field form: a Lucene regular expression
// matching exactly the texts netip.ParseAddr reads as an address in the prefix, in every
// spelling it accepts (hex digits of either case, leading zeros, `::` anywhere it may stand,
// an embedded dotted IPv4 tail, a zone).

// CIDRRegexp returns a whole-value Lucene regular expression matching exactly the strings
// that parse as an IP address inside p. It may be longer than MaxRegexpLength; CIDRRegexps
// gives the same set as expressions that each fit.
func CIDRRegexp(p netip.Prefix) string {
	v4, v6 := cidrAlternatives(p)
	text := ipv6Block(v6)
	if v4 != "" {
		text = v4 + "|" + text
	}
	return text
}

// zoneSuffix matches the zone an IPv6 spelling may end with.
const zoneSuffix = `(\%.+)?`

// ipv6Block joins IPv6 spelling patterns and gives them the zone suffix.
func ipv6Block(alts []ipv6Alternative) string {
	texts := make([]string, len(alts))
	for i, a := range alts {
		texts[i] = a.grouped
	}
	return "(" + strings.Join(texts, "|") + ")" + zoneSuffix
}

// CIDRRegexps returns whole-value Lucene regular expressions, each at most MaxRegexpLength
// long, of which a string matches one exactly when it parses as an IP address inside p: the
// CIDRRegexp itself when it fits, or else its parts, coarsest first (the dotted-quad pattern
// and the IPv6 spellings; then each IPv6 spelling pattern with its own zone suffix; then
// each of those one way of spelling at a time), packed into as few expressions as fit.
func CIDRRegexps(p netip.Prefix) ([]string, error) {
	if whole := CIDRRegexp(p); RegexpLength(whole) <= MaxRegexpLength {
		return []string{whole}, nil
	}
	v4, v6 := cidrAlternatives(p)
	var parts []string
	if v4 != "" {
		parts = append(parts, v4)
	}
	if block := ipv6Block(v6); RegexpLength(block) <= MaxRegexpLength {
		parts = append(parts, block)
	} else {
		for _, a := range v6 {
			if one := a.grouped + zoneSuffix; RegexpLength(one) <= MaxRegexpLength {
				parts = append(parts, one)
				continue
			}
			for _, piece := range a.pieces {
				parts = append(parts, piece+zoneSuffix)
			}
		}
	}
	return PackAlternatives(parts)
}

// cidrAlternatives returns the dotted-quad pattern (IPv4 prefixes only) and the alternatives
// of the IPv6 spellings, without the zone suffix.
func cidrAlternatives(p netip.Prefix) (v4 string, v6 []ipv6Alternative) {
	p = p.Masked()
	if p.Addr().Is4() {
		b4 := p.Addr().As4()
		octets := octetRanges(b4[:], p.Bits())
		// ::ffff:a.b.c.d in all its spellings: five zero groups, ffff, then the address.
		var groups [8]valueRange
		groups[5] = valueRange{0xffff, 0xffff}
		for i := 0; i < 2; i++ {
			groups[6+i] = valueRange{octets[2*i].lo<<8 | octets[2*i+1].lo, octets[2*i].hi<<8 | octets[2*i+1].hi}
		}
		return ipv4Text(octets), ipv6Alternatives(groups, octets)
	}
	b16 := p.Addr().As16()
	bytes := octetRanges(b16[:], p.Bits())
	var groups [8]valueRange
	for i := range groups {
		groups[i] = valueRange{bytes[2*i].lo<<8 | bytes[2*i+1].lo, bytes[2*i].hi<<8 | bytes[2*i+1].hi}
	}
	return "", ipv6Alternatives(groups, bytes[12:])
}

// valueRange is an inclusive range of integers.
type valueRange struct{ lo, hi int }

// octetRanges returns, for each byte of addr, the range of values it takes in the prefix
// of the given length. Prefix ranges are aligned, so the address set is exactly the
// product of the byte ranges (and of the 16-bit group ranges built from them).
func octetRanges(addr []byte, bits int) []valueRange {
	out := make([]valueRange, len(addr))
	for i, b := range addr {
		fixed := min(max(bits-8*i, 0), 8)
		free := 8 - fixed
		lo := int(b) &^ (1<<free - 1)
		out[i] = valueRange{lo, lo | (1<<free - 1)}
	}
	return out
}

// ipv4Text matches the dotted-quad spellings: four decimal fields, no leading zeros.
func ipv4Text(octets []valueRange) string {
	parts := make([]string, 4)
	for i, o := range octets {
		parts[i] = decimalField(o)
	}
	return strings.Join(parts, `\.`)
}

// ipv6Alternative is one pattern of IPv6 spellings: grouped (the common parts of its ways of
// spelling shared) and in pieces (one way of spelling each, longer together but each short).
type ipv6Alternative struct {
	grouped string
	pieces  []string
}

// ipv6Alternatives returns patterns that together match every IPv6 spelling (without a
// zone) of the addresses whose eight 16-bit groups lie in groups: each group one to four hex
// digits, one run of zero groups possibly written `::`, the last two groups possibly written
// as a dotted IPv4 address (tail holds their four byte ranges).
func ipv6Alternatives(groups [8]valueRange, tail []valueRange) []ipv6Alternative {
	hex := make([]string, 8)
	zero := make([]bool, 8)
	for i, g := range groups {
		hex[i] = hexField(g)
		zero[i] = g.lo == 0
	}
	// spell writes groups[from:to] separated by colons.
	spell := func(from, to int) string { return strings.Join(hex[from:to], `\:`) }
	// The last 32 bits: two hex groups or a dotted IPv4 address.
	lasts := []string{spell(6, 8), ipv4Text(tail)}
	last := "(" + strings.Join(lasts, "|") + ")"
	// The first six groups, with `::` standing for no run or for a run [a, b) inside them:
	// heads a colon separates from the last 32 bits (a start and the rests that may follow
	// it), and heads ending in `::`.
	type head struct {
		start string
		rests []string
	}
	sep := []head{{start: spell(0, 6), rests: []string{""}}}
	var bare []string
	for a := 0; a < 6; a++ {
		var rest []string
		for b := a + 1; b <= 6 && allTrue(zero[a:b]); b++ {
			if b == 6 {
				bare = append(bare, spell(0, a)+`\:\:`)
			} else {
				rest = append(rest, spell(b, 6))
			}
		}
		if len(rest) > 0 {
			sep = append(sep, head{start: spell(0, a) + `\:\:`, rests: rest})
		}
	}
	var heads []string
	withSep := ipv6Alternative{}
	for _, h := range sep {
		heads = append(heads, h.start+group(h.rests))
		for _, r := range h.rests {
			for _, l := range lasts {
				withSep.pieces = append(withSep.pieces, h.start+r+`\:`+l)
			}
		}
	}
	withSep.grouped = group(heads) + `\:` + last
	alts := []ipv6Alternative{withSep}
	if len(bare) > 0 {
		a := ipv6Alternative{grouped: group(bare) + last}
		for _, h := range bare {
			for _, l := range lasts {
				a.pieces = append(a.pieces, h+l)
			}
		}
		alts = append(alts, a)
	}
	// A run reaching into the last two groups leaves no room for a dotted tail.
	for a := 0; a < 8; a++ {
		var rest []string
		for b := a + 1; b <= 8 && allTrue(zero[a:b]); b++ {
			if b > 6 {
				rest = append(rest, spell(b, 8))
			}
		}
		if len(rest) == 0 {
			continue
		}
		alt := ipv6Alternative{grouped: spell(0, a) + `\:\:` + optionalGroup(rest)}
		for _, r := range rest {
			alt.pieces = append(alt.pieces, spell(0, a)+`\:\:`+r)
		}
		alts = append(alts, alt)
	}
	return alts
}

func allTrue(bs []bool) bool {
	for _, b := range bs {
		if !b {
			return false
		}
	}
	return true
}

// decimalField matches the decimal spellings of the values in r without leading zeros
// (0 is "0"), as netip reads an IPv4 field.
func decimalField(r valueRange) string {
	var alts []string
	spans := []valueRange{{0, 9}, {10, 99}, {100, 999}}
	for i, span := range spans {
		width := i + 1
		lo, hi := max(r.lo, span.lo), min(r.hi, span.hi)
		if lo > hi {
			continue
		}
		alts = append(alts, fixedWidth(digits(lo, width, 10), digits(hi, width, 10), 10))
	}
	return group(alts)
}

// hexField matches the spellings of the values in r as one to four hex digits of either
// case, leading zeros allowed, as netip reads an IPv6 group.
func hexField(r valueRange) string {
	switch r {
	case valueRange{0, 0xffff}:
		return "[0-9a-fA-F]{1,4}"
	case valueRange{0, 0}:
		return "0{1,4}"
	}
	var alts []string
	for width := 1; width <= 4; width++ {
		hi := min(r.hi, 1<<(4*width)-1)
		if r.lo > hi {
			continue
		}
		alts = append(alts, fixedWidth(digits(r.lo, width, 16), digits(hi, width, 16), 16))
	}
	return group(alts)
}

// optionalGroup is group for alternatives of which one may be empty.
func optionalGroup(alts []string) string {
	var nonEmpty []string
	for _, a := range alts {
		if a != "" {
			nonEmpty = append(nonEmpty, a)
		}
	}
	switch {
	case len(nonEmpty) == len(alts):
		return group(alts)
	case len(nonEmpty) == 0:
		return ""
	}
	return "(" + strings.Join(nonEmpty, "|") + ")?"
}

func group(alts []string) string {
	if len(alts) == 1 {
		return alts[0]
	}
	return "(" + strings.Join(alts, "|") + ")"
}

// digits returns v as width digits in base, most significant first.
func digits(v, width, base int) []int {
	d := make([]int, width)
	for i := width - 1; i >= 0; i-- {
		d[i] = v % base
		v /= base
	}
	return d
}

// fixedWidth matches the digit strings of len(lo) digits whose value lies between lo and
// hi (both of that width).
func fixedWidth(lo, hi []int, base int) string {
	if len(lo) == 0 {
		return ""
	}
	if lo[0] == hi[0] {
		return digitClass(lo[0], lo[0], base) + fixedWidth(lo[1:], hi[1:], base)
	}
	restLow := allDigits(lo[1:], 0)
	restHigh := allDigits(hi[1:], base-1)
	var alts []string
	first, last := lo[0], hi[0]
	if !restLow {
		alts = append(alts, digitClass(lo[0], lo[0], base)+fixedWidth(lo[1:], maxDigits(len(lo)-1, base), base))
		first++
	}
	var tail string
	if !restHigh {
		tail = digitClass(hi[0], hi[0], base) + fixedWidth(make([]int, len(hi)-1), hi[1:], base)
		last--
	}
	if first <= last {
		alts = append(alts, digitClass(first, last, base)+anyDigits(len(lo)-1, base))
	}
	if tail != "" {
		alts = append(alts, tail)
	}
	return group(alts)
}

func allDigits(ds []int, v int) bool {
	for _, d := range ds {
		if d != v {
			return false
		}
	}
	return true
}

func maxDigits(n, base int) []int {
	d := make([]int, n)
	for i := range d {
		d[i] = base - 1
	}
	return d
}

func anyDigits(n, base int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return digitClass(0, base-1, base)
	}
	return digitClass(0, base-1, base) + "{" + string(rune('0'+n)) + "}"
}

// digitClass matches one digit from lo to hi; hex letters in either case.
func digitClass(lo, hi, base int) string {
	var b strings.Builder
	n := 0
	add := func(from, to rune) {
		n += int(to-from) + 1
		b.WriteRune(from)
		if to > from {
			if to > from+1 {
				b.WriteByte('-')
			}
			b.WriteRune(to)
		}
	}
	if lo <= 9 {
		add(rune('0'+lo), rune('0'+min(hi, 9)))
	}
	if base == 16 && hi >= 10 {
		from, to := max(lo, 10)-10, hi-10
		add(rune('a'+from), rune('a'+to))
		add(rune('A'+from), rune('A'+to))
	}
	if n == 1 {
		return b.String()
	}
	return "[" + b.String() + "]"
}
