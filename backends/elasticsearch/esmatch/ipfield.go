package esmatch

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The IR carries no field types, but a pipeline can say which fields Elasticsearch maps as
// `ip` with the state key ip_fields (a list of field names as the query writes them, after
// field mapping). An ip field holds addresses, not text: a term query with a CIDR block
// tests it natively, and the keyword forms (regular expressions, wildcards) do not apply.
//
// Sigma's cidr is a test on the address too, so the native form is exact, with one
// exception: Elasticsearch stores an IPv4 address and its IPv4-mapped IPv6 spelling
// (10.1.2.3 and ::ffff:10.1.2.3) as the same value, while Sigma reads the first as IPv4,
// outside every IPv6 prefix. An IPv6 prefix that reaches into ::ffff:0:0/96 (::/0, ::/64,
// ...) therefore has no exact form on an ip field. Equality, wildcards, regular
// expressions, numeric comparisons, field references and time parts compare spellings in
// Sigma, which an ip field no longer has (1.2.3.4 and ::ffff:1.2.3.4 are one value there),
// so they have no exact form either; exists and null do.

// mappedIPv4 is the block of IPv4-mapped IPv6 addresses.
var mappedIPv4 = netip.MustParsePrefix("::ffff:0:0/96")

// IPFieldCIDR returns the CIDR block, masked, as the native test of an ip field takes it
// (a term query, CIDR_MATCH, cidrMatch), or an error when that test is not exact for p.
func IPFieldCIDR(p netip.Prefix) (string, error) {
	p = p.Masked()
	if p.Addr().Is6() && p.Overlaps(mappedIPv4) {
		return "", fmt.Errorf("the IPv6 block %s reaches into ::ffff:0:0/96, and an ip field stores an IPv4 address and its IPv4-mapped IPv6 spelling alike, so it cannot tell the IPv4 values Sigma leaves out of an IPv6 block", p)
	}
	return p.String(), nil
}

// IPFieldUnsupported returns the diagnostic for a leaf that tests a field of ips (the set
// IPFields returns) and has no exact form there, or code "" when the leaf is written as on
// any field (exists, null, `*`, no ip field) or is a CIDR test, which IPFieldCIDR writes.
func IPFieldUnsupported(n ir.Node, ips map[string]bool) (code diag.Code, message string) {
	var on []string
	for _, f := range LeafFields(n) {
		if ips[f] && !slices.Contains(on, f) {
			on = append(on, f)
		}
	}
	if len(on) == 0 {
		return "", ""
	}
	why := fmt.Sprintf("field %s is an ip field (pipeline state %s or the index mapping), which holds addresses, not their spellings", on[0], ir.StateIPFields)
	switch n := n.(type) {
	case *ir.Exists, *ir.Null, *ir.CIDR:
		return "", ""
	case *ir.Match:
		if n.Kind == ir.String && n.Pattern.Shape() == ir.ShapeAny {
			return "", ""
		}
		return diag.UnsupportedValue, fmt.Sprintf("%s: %s (1.2.3.4 and ::ffff:1.2.3.4 are one value), so a comparison with a text has no exact form; test the address with |cidr", n, why)
	case *ir.Regex:
		return diag.UnsupportedRegex, fmt.Sprintf("%s: %s, which regular expressions do not search", n, why)
	case *ir.FieldRef:
		return diag.UnsupportedFieldRef, fmt.Sprintf("%s: %s, so the texts cannot be compared", n, why)
	case *ir.TimePart:
		return diag.UnsupportedTimePart, fmt.Sprintf("%s: %s, not timestamps", n, why)
	case *ir.And, *ir.Compare, *ir.Keyword, *ir.Not, *ir.Or:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return diag.UnsupportedValue, fmt.Sprintf("%s: %s", n, why)
}

// refField returns the referenced field of a FieldRef, or "".
func refField(n ir.Node) string {
	if r, ok := n.(*ir.FieldRef); ok {
		return r.Ref
	}
	return ""
}
