package esmatch

import (
	"net/netip"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

func TestIPFieldCIDR(t *testing.T) {
	tests := []struct{ prefix, want string }{
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"0.0.0.0/0", "0.0.0.0/0"},
		{"fc00::/7", "fc00::/7"},
		{"2001:db8::1/32", "2001:db8::/32"},
		{"::1/128", "::1/128"},
		{"::/0", ""},
		{"::/64", ""},
		{"::ffff:0:0/96", ""},
		{"::ffff:10.0.0.0/104", ""},
		{"::fffe:0:0/96", "::fffe:0:0/96"},
	}
	for _, tt := range tests {
		got, err := IPFieldCIDR(netip.MustParsePrefix(tt.prefix))
		if tt.want == "" {
			if err == nil {
				t.Errorf("IPFieldCIDR(%s) = %q, want an error (the block reaches into ::ffff:0:0/96)", tt.prefix, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("IPFieldCIDR(%s) = %q, %v; want %q", tt.prefix, got, err, tt.want)
		}
	}
}

func TestIPFieldUnsupported(t *testing.T) {
	ips := map[string]bool{"ip": true}
	tests := []struct {
		n    ir.Node
		code string
	}{
		{&ir.CIDR{Field: "ip", Prefix: netip.MustParsePrefix("10.0.0.0/8")}, ""},
		{&ir.Exists{Field: "ip"}, ""},
		{&ir.Null{Field: "ip"}, ""},
		{&ir.Match{Field: "ip", Pattern: ir.Pattern{{Kind: ir.AnyString}}}, ""},
		{&ir.Match{Field: "other", Pattern: ir.LiteralPattern("10.1.2.3")}, ""},
		{&ir.Keyword{Pattern: ir.LiteralPattern("10.1.2.3")}, ""},
		{&ir.Match{Field: "ip", Pattern: ir.LiteralPattern("10.1.2.3")}, diag.UnsupportedValue},
		{&ir.Match{Field: "ip", Pattern: ir.LiteralPattern("10.").Wrap(false, true)}, diag.UnsupportedValue},
		{&ir.Match{Field: "ip", Pattern: ir.LiteralPattern("1"), Kind: ir.Number}, diag.UnsupportedValue},
		{&ir.Regex{Field: "ip", Pattern: `^10\.`}, diag.UnsupportedRegex},
		{&ir.Compare{Field: "ip", Op: ir.GT, Value: ir.Num{Text: "1", Value: 1}}, diag.UnsupportedValue},
		{&ir.FieldRef{Field: "ip", Ref: "other"}, diag.UnsupportedFieldRef},
		{&ir.FieldRef{Field: "other", Ref: "ip", Cased: true}, diag.UnsupportedFieldRef},
		{&ir.TimePart{Field: "ip", Part: ir.Hour, Value: 1}, diag.UnsupportedTimePart},
	}
	for _, tt := range tests {
		code, msg := IPFieldUnsupported(tt.n, ips)
		if string(code) != tt.code {
			t.Errorf("%s: code %q (%s), want %q", tt.n, code, msg, tt.code)
		}
		if code != "" && msg == "" {
			t.Errorf("%s: no message", tt.n)
		}
	}
}
