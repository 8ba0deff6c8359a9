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
// that parse as an IP address inside p.
func CIDRRegexp(p netip.Prefix) string {
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
		return ipv4Text(octets) + "|" + ipv6Texts(groups, octets)
	}
	b16 := p.Addr().As16()
	bytes := octetRanges(b16[:], p.Bits())
	var groups [8]valueRange
	for i := range groups {
		groups[i] = valueRange{bytes[2*i].lo<<8 | bytes[2*i+1].lo, bytes[2*i].hi<<8 | bytes[2*i+1].hi}
	}
	return ipv6Texts(groups, bytes[12:])
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

// ipv6Texts matches every IPv6 spelling of the addresses whose eight 16-bit groups lie in
// groups: each group one to four hex digits, one run of zero groups possibly written `::`,
// the last two groups possibly written as a dotted IPv4 address (tail holds their four
// byte ranges), and an optional zone.
func ipv6Texts(groups [8]valueRange, tail []valueRange) string {
	hex := make([]string, 8)
	zero := make([]bool, 8)
	for i, g := range groups {
		hex[i] = hexField(g)
		zero[i] = g.lo == 0
	}
	// spell writes groups[from:to] separated by colons.
	spell := func(from, to int) string { return strings.Join(hex[from:to], `\:`) }
	// The last 32 bits: two hex groups or a dotted IPv4 address.
	last := "(" + spell(6, 8) + "|" + ipv4Text(tail) + ")"
	// The first six groups, with `::` standing for no run or for a run [a, b) inside them:
	// heads a colon separates from the last 32 bits, and heads ending in `::`.
	sep := []string{spell(0, 6)}
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
			sep = append(sep, spell(0, a)+`\:\:`+group(rest))
		}
	}
	alts := []string{group(sep) + `\:` + last}
	if len(bare) > 0 {
		alts = append(alts, group(bare)+last)
	}
	// A run reaching into the last two groups leaves no room for a dotted tail.
	for a := 0; a < 8; a++ {
		var rest []string
		for b := a + 1; b <= 8 && allTrue(zero[a:b]); b++ {
			if b > 6 {
				rest = append(rest, spell(b, 8))
			}
		}
		if len(rest) > 0 {
			alts = append(alts, spell(0, a)+`\:\:`+optionalGroup(rest))
		}
	}
	return "(" + strings.Join(alts, "|") + `)(\%.+)?`
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
