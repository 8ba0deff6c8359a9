package esmapping

import (
	"net/netip"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// FuzzRead feeds Read arbitrary answers, as a cluster that is not trusted could send: it
// must return a mapping or an error, never panic, and every leaf must resolve on what it
// returns.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"i":{"mappings":{"dynamic":"strict","properties":{"a":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},"o":{"properties":{"b":{"type":"long"}}}}}}}`))
	f.Add([]byte(`{"i":{"mappings":{"properties":{"a":{"type":"alias","path":"b"},"b":{"type":"ip"},"n":{"type":"nested","properties":{"x":{"type":"keyword"}}}}}},"j":{"mappings":{"dynamic":false,"properties":{"a":{"type":"keyword"}}}}}`))
	f.Add([]byte(`{"i":{"mappings":{"runtime":{"r":{"type":"keyword"}},"properties":{"d":{"type":"object","enabled":false}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read("fuzz", data)
		if err != nil {
			return
		}
		for p := range m.Fields {
			for _, n := range []ir.Node{
				&ir.Match{Field: p, Pattern: ir.LiteralPattern("x").Wrap(true, false)},
				&ir.Match{Field: p, Pattern: ir.LiteralPattern("5"), Kind: ir.Number},
				&ir.Exists{Field: p},
				&ir.CIDR{Field: p, Prefix: netip.MustParsePrefix("10.0.0.0/8")},
				&ir.FieldRef{Field: p, Ref: p + ".x"},
				&ir.Compare{Field: p, Op: ir.GT, Value: ir.Num{Text: "1"}},
			} {
				out, code, _ := Resolve(n, m, nil)
				if (out == nil) != (code != "") {
					t.Fatalf("%s: out %v, code %q", n, out, code)
				}
			}
			m.Absent(p + ".below")
		}
	})
}
