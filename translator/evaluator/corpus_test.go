package evaluator

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// TestCorpusCompiles compiles every SigmaHQ rule the loader accepts. The only rules the
// evaluator may reject are those with an `expand` placeholder that no pipeline resolved.
func TestCorpusCompiles(t *testing.T) {
	rules := corpusRules(t)
	prog, errs := Compile(rules)
	for _, e := range errs {
		for _, d := range e.Diags {
			if d.Code != diag.UnresolvedPlaceholder {
				t.Errorf("corpus rule %d rejected: %v", e.Index, d)
			}
		}
	}
	if prog.Len() < 3000 {
		t.Errorf("only %d corpus rules compiled", prog.Len())
	}
	t.Logf("%d rules compiled, %d rejected for unresolved placeholders", prog.Len(), len(errs))
}

// TestCorpusPrefilterIsExact matches generated events against the whole corpus with and
// without the prefilter: the prefilter may only skip rules that cannot match.
func TestCorpusPrefilterIsExact(t *testing.T) {
	rules := corpusRules(t)
	prog, _ := Compile(rules)
	plain := prog.withoutPrefilter().NewMatcher()
	fast := prog.NewMatcher()
	r := rand.New(rand.NewPCG(5, 6))
	hits := 0
	for i := 0; i < 300; i++ {
		var line []byte
		if i%3 == 0 {
			line = cloudTrailEvent(r)
		} else {
			line = windowsEvent(r)
		}
		a, err := fast.MatchJSON(line)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := plain.MatchJSON(line)
		if !reflect.DeepEqual(a, want) {
			t.Fatalf("event %s: prefilter gives %d matches, full evaluation %d", line, len(a), len(want))
		}
		hits += len(a)
	}
	if hits == 0 {
		t.Error("no corpus rule matched any generated event: the comparison proves nothing")
	}
	t.Logf("%d matches over 300 events", hits)
}
