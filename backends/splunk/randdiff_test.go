package splunk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/internal/sigmagen"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
)

// splRandSchema is the random differential's generic schema
// (backends/elasticsearch/integration/randdiff_test.go) without its array of objects:
// Splunk names the fields of an array of objects a{}.k, which no rule on a.k reads (issue
// 12, item 8; README "Splunk").
//
// Two classes of leaves stay out, each a departure of the SPL target (README "Splunk",
// issue 12): fieldref between fields holding several values (doc.go: fieldref compares
// single values), and number equality other than integers on integer fields (search
// compares `=` as text, so d=10 misses 10.0 where the evaluator compares numbers).
var splRandSchema = sigmagen.Schema{
	Strings:  []string{"s1", "s2", "obj.a", "obj.b.c"},
	NoArrays: []string{"s2", "obj.b.c"},
	IPs:      []string{"ip"},
	Ints:     []string{"n"},
	Floats:   []string{"d"},
	Bools:    []string{"b"},
}

// TestRandomDifferentialSPL runs the random rules and events of the Elasticsearch random
// differential through the SPL interpreter of this package and compares every verdict with
// the evaluator. SIGMABRIDGE_DIFF_SEED fixes the seed (printed either way).
func TestRandomDifferentialSPL(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SIGMABRIDGE_DIFF_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SIGMABRIDGE_DIFF_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d: rerun with SIGMABRIDGE_DIFF_SEED=%d", seed, seed)
	const batches, rules, events = 10, 100, 100
	agree, verdicts, matched := 0, 0, 0
	named := map[string]int{}
	var bad []string
	for b := range batches {
		g := sigmagen.New(seed+uint64(b)*1_000_003, splRandSchema, sigmagen.Options{LongLists: true, FieldRefSingle: true, IntEquality: true})
		type event struct {
			line []byte
			view splEvent
		}
		var evs []event
		for range events {
			line := g.Event()
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.UseNumber()
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			evs = append(evs, event{line, splunkView(m, string(line))})
		}
		for i := range rules {
			num := b*rules + i
			y := g.Rule(num)
			rs, diags := translator.LoadBytes(fmt.Sprintf("random-%d.yml", num), []byte(y))
			if diags.HasErrors() || len(rs) != 1 {
				t.Fatalf("seed %d rule %d does not load: %v\n%s", seed, num, diags, y)
			}
			prog, errs := evaluator.Compile(rs)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			r := rs[0].Clone()
			r.Deployment.MultiValuedFields = splRandSchema.MultiValued()
			qs, diags := Backend{}.Convert(r)
			if diags.HasErrors() {
				code := string(diags.Errors()[0].Code)
				if code == "" {
					bad = append(bad, fmt.Sprintf("rule %d: a diagnostic without a code: %v\n%s", num, diags, y))
				}
				named[code]++
				continue
			}
			ok := true
			for _, e := range evs {
				ms, err := prog.MatchJSON(e.line)
				if err != nil {
					t.Fatal(err)
				}
				want := len(ms) > 0
				got := runSPL(t, qs[0].Text, e.view)
				verdicts++
				if want {
					matched++
				}
				if got != want {
					ok = false
					bad = append(bad, fmt.Sprintf("SIGMABRIDGE_DIFF_SEED=%d batch %d rule %d: SPL %v, evaluator %v\n  event %s\n  query %s\n%s", seed, b, num, got, want, e.line, qs[0].Text, y))
					break
				}
			}
			if ok {
				agree++
			}
		}
	}
	codes := []string{"none"}
	if len(named) > 0 {
		codes = nil
	}
	for _, c := range slices.Sorted(maps.Keys(named)) {
		codes = append(codes, fmt.Sprintf("%s %d", c, named[c]))
	}
	t.Logf("%d rules: %d equal to the evaluator on all %d events (%d verdicts, %d matches), refused with a named diagnostic: %s; %d disagree",
		batches*rules, agree, events, verdicts, matched, strings.Join(codes, ", "), len(bad))
	for i, s := range bad {
		if i == 10 {
			t.Errorf("... and %d more (seed %d)", len(bad)-i, seed)
			break
		}
		t.Error(s)
	}
	if matched < verdicts/50 || matched > verdicts*49/50 {
		t.Errorf("weak generator: %d of %d verdicts match", matched, verdicts)
	}
}
