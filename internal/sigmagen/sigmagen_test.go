package sigmagen_test

import (
	"fmt"
	"testing"

	"github.com/sigmabridge/sigmabridge/internal/sigmagen"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

var schema = sigmagen.Schema{
	Strings:      []string{"s1", "s2", "obj.a", "obj.b.c", "arr.k"},
	IPs:          []string{"ip"},
	Ints:         []string{"n"},
	Floats:       []string{"d"},
	Bools:        []string{"b"},
	ObjectArrays: []string{"arr"},
}

// TestGeneratedRulesLoadAndMatch: every generated rule loads through the real loader and
// compiles, the same seed gives the same output, and the events decide the rules both ways.
func TestGeneratedRulesLoadAndMatch(t *testing.T) {
	g := sigmagen.New(7, schema, sigmagen.Options{LongLists: true})
	h := sigmagen.New(7, schema, sigmagen.Options{LongLists: true})
	var events [][]byte
	for range 200 {
		e := g.Event()
		if string(e) != string(h.Event()) {
			t.Fatal("same seed, different events")
		}
		events = append(events, e)
	}
	some, all, none := 0, 0, 0
	for i := range 300 {
		y := g.Rule(i)
		if y != h.Rule(i) {
			t.Fatal("same seed, different rules")
		}
		rules, diags := translator.LoadBytes(fmt.Sprintf("r%d.yml", i), []byte(y))
		if diags.HasErrors() || len(rules) != 1 {
			t.Fatalf("rule %d does not load: %v\n%s", i, diags, y)
		}
		prog, errs := evaluator.Compile([]*ir.Rule{rules[0]})
		if len(errs) > 0 {
			t.Fatalf("rule %d: %v\n%s", i, errs, y)
		}
		hits := 0
		for _, e := range events {
			ms, err := prog.MatchJSON(e)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) > 0 {
				hits++
			}
		}
		switch hits {
		case 0:
			none++
		case len(events):
			all++
		default:
			some++
		}
	}
	t.Logf("of 300 rules: %d match some of 200 events, %d all, %d none", some, all, none)
	if some < 100 {
		t.Errorf("only %d rules are decided both ways by the events", some)
	}
}
