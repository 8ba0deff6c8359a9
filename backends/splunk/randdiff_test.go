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

	"github.com/sigmabridge/sigmabridge/backends/splunk/splfields"
	"github.com/sigmabridge/sigmabridge/internal/jsontree"
	"github.com/sigmabridge/sigmabridge/internal/sigmagen"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// splRandSchema is the random differential's generic schema
// (backends/elasticsearch/integration/randdiff_test.go) without its array of objects:
// without a fields description, Splunk names the fields of an array of objects a{}.k, which
// no rule on a.k reads (issue 12, item 8; README "Splunk").
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
// the evaluator, in the two ways the target is used:
//
//   - text: no fields description, events extracted under their JSON paths. A number value
//     is then compared as text (README "What a query means"), which is exact only for a
//     number written canonically in the event. A disagreement is allowed only on an event
//     holding a number spelled otherwise (10.0, 1.0e3), and only when the same event with
//     its numbers respelled canonically gives agreeing verdicts; each such verdict is counted
//     under that name.
//   - fields: convert --fields with the | fieldsummary of each batch's events (descriptionOf)
//     and Splunk's KV_MODE=json names (a{}.b). Numbers are compared numerically on numeric
//     fields, and no disagreement is allowed.
//
// SIGMABRIDGE_DIFF_SEED fixes the seed (printed either way).
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
	t.Run("text", func(t *testing.T) { randomDifferentialSPL(t, seed, false) })
	t.Run("fields", func(t *testing.T) { randomDifferentialSPL(t, seed, true) })
}

// splDiffEvent is one random event: its JSON, Splunk's view of it, and the view of the same
// event with every number respelled canonically (nil when each already is).
type splDiffEvent struct {
	line      []byte
	view      splEvent
	canonical splEvent
}

func randomDifferentialSPL(t *testing.T, seed uint64, withFields bool) {
	const batches, rules, events = 10, 100, 100
	view := splunkView
	if withFields {
		view = bracedView
	}
	agree, verdicts, matched, respelled, numeric := 0, 0, 0, 0, 0
	named := map[string]int{}
	var bad []string
	for b := range batches {
		g := sigmagen.New(seed+uint64(b)*1_000_003, splRandSchema, sigmagen.Options{LongLists: true, StableArrays: withFields})
		var evs []splDiffEvent
		for range events {
			line := g.Event()
			m := decodeNumbers(t, line)
			e := splDiffEvent{line: line, view: view(m, string(line))}
			if c, changed := canonicalNumbers(m); changed {
				cl := sigmagen.Marshal(c)
				e.canonical = view(c, string(cl))
			}
			evs = append(evs, e)
		}
		var fields *ir.IndexMapping
		if withFields {
			views := make([]splEvent, len(evs))
			for i, e := range evs {
				views[i] = e.view
			}
			var err error
			if fields, err = splfields.Read("batch.json", descriptionOf(views)); err != nil {
				t.Fatal(err)
			}
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
			r.Deployment.Mapping = fields
			qs, diags := Backend{}.Convert(r)
			if diags.HasErrors() {
				code := string(diags.Errors()[0].Code)
				if code == "" {
					bad = append(bad, fmt.Sprintf("rule %d: a diagnostic without a code: %v\n%s", num, diags, y))
				}
				named[code]++
				continue
			}
			if strings.Contains(qs[0].Text, "tonumber('d')==") {
				numeric++ // a number equality compared numerically (fields)
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
				if got == want {
					continue
				}
				if !withFields && e.canonical != nil && runSPL(t, qs[0].Text, e.canonical) == want {
					respelled++
					continue
				}
				ok = false
				bad = append(bad, fmt.Sprintf("SIGMABRIDGE_DIFF_SEED=%d batch %d rule %d: SPL %v, evaluator %v\n  event %s\n  query %s\n%s", seed, b, num, got, want, e.line, qs[0].Text, y))
				break
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
	t.Logf("%d rules: %d equal to the evaluator on all %d events (%d verdicts, %d matches), refused with a named diagnostic: %s; %d disagree; %d verdicts differ only on a number spelled otherwise than canonically; %d rules compare a number numerically",
		batches*rules, agree, events, verdicts, matched, strings.Join(codes, ", "), len(bad), respelled, numeric)
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
	if withFields && numeric == 0 {
		t.Errorf("no rule compared a number numerically: the fields description was not applied")
	}
	if agree < batches*rules/2 {
		t.Errorf("only %d of %d rules compared on every event: the differential says little", agree, batches*rules)
	}
}

// decodeNumbers decodes an event's JSON keeping each number's text.
func decodeNumbers(t *testing.T, line []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// canonicalNumbers returns v with every JSON number written as the shortest plain decimal
// of its value (10.0 as 10, 1.0e3 as 1000), and whether any was written otherwise.
func canonicalNumbers(v map[string]any) (map[string]any, bool) {
	changed := false
	out := jsontree.Map(v, func(leaf any) any {
		n, ok := leaf.(json.Number)
		if !ok {
			return leaf
		}
		f, err := n.Float64()
		if err != nil {
			return n
		}
		c := strconv.FormatFloat(f, 'f', -1, 64)
		if c != n.String() {
			changed = true
		}
		return json.Number(c)
	})
	return out.(map[string]any), changed
}

// descriptionOf is what `| fieldsummary maxvals=0` says of events Splunk extracted as
// views, exported as JSON: for each field, the number of events holding it, the number of
// its values that are numbers, and every distinct value with its count.
func descriptionOf(views []splEvent) []byte {
	type value struct {
		Value string `json:"value"`
		Count int    `json:"count"`
	}
	type result struct {
		Field         string  `json:"field"`
		Count         int     `json:"count"`
		NumericCount  int     `json:"numeric_count"`
		DistinctCount int     `json:"distinct_count"`
		IsExact       int     `json:"is_exact"`
		Values        []value `json:"values"`
	}
	byField := map[string]*result{}
	seen := map[string]map[string]int{}
	for _, v := range views {
		for f, vals := range v {
			if strings.HasPrefix(f, "_") || len(vals) == 0 {
				continue
			}
			r := byField[f]
			if r == nil {
				r = &result{Field: f, IsExact: 1}
				byField[f], seen[f] = r, map[string]int{}
			}
			r.Count++
			for _, x := range vals {
				if _, err := strconv.ParseFloat(x, 64); err == nil {
					r.NumericCount++
				}
				seen[f][x]++
			}
		}
	}
	var out []result
	for _, f := range slices.Sorted(maps.Keys(byField)) {
		r := byField[f]
		for _, x := range slices.Sorted(maps.Keys(seen[f])) {
			r.Values = append(r.Values, value{x, seen[f][x]})
		}
		r.DistinctCount = len(r.Values)
		out = append(out, *r)
	}
	return sigmagen.Marshal(out)
}
