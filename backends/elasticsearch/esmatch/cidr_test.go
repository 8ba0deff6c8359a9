package esmatch

import (
	"fmt"
	"math/rand"
	"net/netip"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/lucenetest"
)

// inPrefix is Sigma's cidr on one string value, as the evaluator defines it.
func inPrefix(s string, p netip.Prefix) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	a = a.WithZone("")
	if p.Addr().Is4() {
		a = a.Unmap()
	}
	return p.Contains(a)
}

// spell writes the 16 bytes of an address in a random IPv6 spelling that netip accepts:
// random leading zeros and case, maybe a `::`, maybe a dotted tail, maybe a zone.
func spell(rng *rand.Rand, b [16]byte) string {
	groups := make([]string, 8)
	for i := range groups {
		v := uint16(b[2*i])<<8 | uint16(b[2*i+1])
		g := fmt.Sprintf("%x", v)
		for len(g) < 4 && rng.Intn(3) == 0 {
			g = "0" + g
		}
		if rng.Intn(2) == 0 {
			g = strings.ToUpper(g)
		}
		groups[i] = g
	}
	n := 8
	tail := ""
	if rng.Intn(3) == 0 {
		n = 6
		tail = fmt.Sprintf("%d.%d.%d.%d", b[12], b[13], b[14], b[15])
	}
	var zeros [][2]int
	for a := 0; a < n; a++ {
		for c := a + 1; c <= n; c++ {
			v := uint16(b[2*(c-1)])<<8 | uint16(b[2*(c-1)+1])
			if v != 0 {
				break
			}
			zeros = append(zeros, [2]int{a, c})
		}
	}
	var s string
	if len(zeros) > 0 && rng.Intn(3) != 0 {
		run := zeros[rng.Intn(len(zeros))]
		after := append(append([]string(nil), groups[run[1]:n]...), tail)
		if tail == "" {
			after = after[:len(after)-1]
		}
		s = strings.Join(groups[:run[0]], ":") + "::" + strings.Join(after, ":")
	} else {
		parts := groups[:n]
		if tail != "" {
			parts = append(append([]string(nil), parts...), tail)
		}
		s = strings.Join(parts, ":")
	}
	if rng.Intn(4) == 0 {
		s += "%eth" + fmt.Sprint(rng.Intn(3))
	}
	return s
}

// mutate damages a spelling a little, to probe the edges of the accepted syntax.
func mutate(rng *rand.Rand, s string) string {
	chars := []string{"0", "1", "f", ":", ".", "%", "00", "g", "::", "9"}
	i := rng.Intn(len(s) + 1)
	switch rng.Intn(3) {
	case 0:
		return s[:i] + chars[rng.Intn(len(chars))] + s[i:]
	case 1:
		if i < len(s) {
			return s[:i] + s[i+1:]
		}
	}
	return s + chars[rng.Intn(len(chars))]
}

// near returns addresses at and around the edges of p, and random ones inside and out.
func near(rng *rand.Rand, p netip.Prefix) []netip.Addr {
	first := p.Masked().Addr()
	last := first
	for a := first; p.Contains(a); a = a.Next() {
		last = a
		if rng.Intn(8) == 0 {
			break
		}
	}
	out := []netip.Addr{first, last, first.Prev(), last.Next()}
	for i := 0; i < 20; i++ {
		b := first.AsSlice()
		for j := range b {
			if rng.Intn(2) == 0 {
				b[j] = byte(rng.Intn(256))
			}
		}
		a, _ := netip.AddrFromSlice(b)
		out = append(out, a)
	}
	var valid []netip.Addr
	for _, a := range out {
		if a.IsValid() {
			valid = append(valid, a)
		}
	}
	return valid
}

func TestCIDRRegexpMatchesExactlyTheAddressesInThePrefix(t *testing.T) {
	prefixes := []string{
		"10.0.0.0/8", "192.168.1.0/24", "10.1.2.3/32", "172.16.0.0/12", "0.0.0.0/0", "100.64.0.0/10",
		"255.255.255.254/31", "fc00::/7", "2001:db8::/32", "::/0", "::1/128", "fe80::/10",
		"::ffff:0:0/96", "2001:db8:1234:5600::/56", "::/127",
	}
	rng := rand.New(rand.NewSource(1))
	for _, ps := range prefixes {
		p := netip.MustParsePrefix(ps)
		text := CIDRRegexp(p)
		re, err := lucenetest.Compile(text, nil)
		if err != nil {
			t.Fatalf("%s: %q is not a well-formed Lucene regexp: %v", ps, text, err)
		}
		// The parts that fit Elasticsearch's length limit match the same values together.
		chunks, err := CIDRRegexps(p)
		if err != nil {
			t.Fatalf("%s: %v", ps, err)
		}
		var parts []lucenetest.Matcher
		for _, c := range chunks {
			if RegexpLength(c) > MaxRegexpLength {
				t.Errorf("%s: a part of %d characters", ps, RegexpLength(c))
			}
			cre, err := lucenetest.Compile(c, nil)
			if err != nil {
				t.Fatalf("%s: part %q is not a well-formed Lucene regexp: %v", ps, c, err)
			}
			parts = append(parts, cre)
		}
		var values []string
		for _, a := range near(rng, p) {
			if a.Is4() {
				values = append(values, a.String(), "0"+a.String(), a.String()+"%eth0")
				a = netip.AddrFrom16(a.As16())
			}
			for i := 0; i < 12; i++ {
				s := spell(rng, a.As16())
				values = append(values, s, mutate(rng, s))
			}
		}
		values = append(values, "", "::", "1.2.3", "1.2.3.4.5", "::ffff:10.0.0.1", "::10.0.0.1", "fc00::%", "FC00::1")
		matched := 0
		for _, v := range values {
			want := inPrefix(v, p)
			if want {
				matched++
			}
			if got := re.MatchString(v); got != want {
				t.Errorf("cidr %s: value %q: regexp says %v, netip says %v", ps, v, got, want)
			}
			inParts := false
			for _, pre := range parts {
				inParts = inParts || pre.MatchString(v)
			}
			if inParts != want {
				t.Errorf("cidr %s: value %q: the %d parts say %v, netip says %v", ps, v, len(parts), inParts, want)
			}
		}
		if matched == 0 {
			t.Errorf("cidr %s: no generated value was inside the prefix; the test proves nothing", ps)
		}
	}
}

func TestCIDRRegexpsFitTheLengthLimit(t *testing.T) {
	// 10.0.0.0/8 (1,103 characters) and 2001:db8::/32 (1,740) were refused by Elasticsearch
	// whole; every prefix length of these addresses must split into parts that fit.
	for _, ps := range []string{"10.0.0.0/8", "2001:db8::/32"} {
		p := netip.MustParsePrefix(ps)
		if n := RegexpLength(CIDRRegexp(p)); n <= MaxRegexpLength {
			t.Errorf("CIDRRegexp(%s) is %d characters: the split is not exercised", ps, n)
		}
		if chunks, _ := CIDRRegexps(p); len(chunks) < 2 || len(chunks) > 3 {
			t.Errorf("CIDRRegexps(%s) gives %d parts", ps, len(chunks))
		}
	}
	for _, base := range []string{"10.0.0.0", "255.255.255.255", "0.0.0.0", "2001:db8::", "fe80::", "::", "ffff:ffff::", "::ffff:0:0", "2620:83:8000::", "0:1:0:1:0:1:0:1"} {
		a := netip.MustParseAddr(base)
		for bits := 0; bits <= a.BitLen(); bits++ {
			p := netip.PrefixFrom(a, bits)
			chunks, err := CIDRRegexps(p)
			if err != nil {
				t.Errorf("%s: %v", p, err)
			}
			for _, c := range chunks {
				if RegexpLength(c) > MaxRegexpLength {
					t.Errorf("%s: a part of %d characters", p, RegexpLength(c))
				}
			}
		}
	}
}
