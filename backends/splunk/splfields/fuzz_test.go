package splfields

import (
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// FuzzRead feeds Read arbitrary files, as an export that was edited or cut short could be:
// it must return a description or an error, never panic, and every leaf on a listed field
// (with and without its braces) must resolve or fail with a code.
func FuzzRead(f *testing.F) {
	for _, body := range forms {
		f.Add([]byte(body))
	}
	f.Add([]byte("field,count,numeric_count\n\"a{}.b\",3,3\n\"a.b\",1,0\n"))
	f.Add([]byte(`[{"field":"a{}{}.b","count":"1","numeric_count":"1"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read("fuzz", data)
		if err != nil {
			return
		}
		if len(m.Fields) == 0 {
			t.Fatal("a description without a field was accepted")
		}
		for p, mf := range m.Fields {
			if mf.Type != Numeric && mf.Type != Text {
				t.Fatalf("%s: type %q", p, mf.Type)
			}
			for _, n := range []ir.Node{
				&ir.Match{Field: p, Pattern: ir.LiteralPattern("x")},
				&ir.Match{Field: p, Pattern: ir.LiteralPattern("5"), Kind: ir.Number},
				&ir.Exists{Field: p},
				&ir.FieldRef{Field: p, Ref: p},
			} {
				for _, q := range []ir.Node{n, n.(ir.Leaf).WithField(stripBraces(p))} {
					out, code, _ := Resolve(q, m)
					if (out == nil) != (code != "") {
						t.Fatalf("%s: out %v, code %q", q, out, code)
					}
					if out != nil {
						if _, listed := m.Fields[ir.Field(out)]; !listed {
							t.Fatalf("%s resolved to %s, which is not listed", q, out)
						}
					}
				}
			}
		}
	})
}

func stripBraces(s string) string {
	out := []rune{}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '{' && i+1 < len(rs) && rs[i+1] == '}' {
			i++
			continue
		}
		out = append(out, rs[i])
	}
	return string(out)
}
