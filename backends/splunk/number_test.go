package splunk

import (
	"encoding/json"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestNumberSpellings: a number value in a spelling other than the canonical plain decimal
// is equal, for the evaluator, to JSON numbers whose text differs (1e3 and 1000), which no
// SPL text test finds; the rule fails with unsupported-value instead of becoming f="1e3".
// Canonical decimals convert, and the evaluator and the SPL interpreter agree on them for
// events whose numbers are written canonically.
func TestNumberSpellings(t *testing.T) {
	for _, text := range []string{"1e3", "1E3", "+7", "07", "7.", "1.50", ".5", "-0", "0x10", "1_000"} {
		n := &ir.Match{Field: "f", Pattern: ir.LiteralPattern(text), Kind: ir.Number}
		qs, ds := Backend{}.Convert(&ir.Rule{Path: "t.yml", Conditions: []ir.Node{n}})
		if len(qs) != 0 || len(ds) == 0 || ds[0].Code != diag.UnsupportedValue {
			t.Errorf("%s: queries %v, diagnostics %v; want unsupported-value", text, qs, ds)
		}
	}
	events := []map[string]any{{"f": 1000}, {"f": "1000"}, {"f": 7}, {"f": -3.25}, {"f": 0}, {"f": "x"}, {}}
	for _, text := range []string{"1000", "7", "-3.25", "0", "0.5"} {
		n := &ir.Match{Field: "f", Pattern: ir.LiteralPattern(text), Kind: ir.Number}
		for _, tree := range []ir.Node{n, &ir.Not{Child: n}} {
			spl := convertOne(t, tree)
			p, errs := evaluator.Compile([]*ir.Rule{{ID: "n", Conditions: []ir.Node{tree}}})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			for _, ev := range events {
				line, _ := json.Marshal(ev)
				ms, err := p.MatchJSON(line)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := runSPL(t, spl, splunkView(ev, string(line))), len(ms) > 0; got != want {
					t.Errorf("%s on %s: SPL %q says %v, the evaluator %v", tree, line, spl, got, want)
				}
			}
		}
	}
}
