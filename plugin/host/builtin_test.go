package host_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

func goldenRules(t testing.TB) []*ir.Rule {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "golden", "rules", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden rules (%v)", err)
	}
	var rules []*ir.Rule
	for _, f := range files {
		rs, _ := translator.LoadFile(f)
		rules = append(rules, rs...)
	}
	return rules
}

// TestBuiltinBackendMatchesInProcess converts the golden rules with the built-in irecho
// backend through the plugin and in process: queries and diagnostics must be identical.
func TestBuiltinBackendMatchesInProcess(t *testing.T) {
	m, _ := newManager(t, "", managerOpts{})
	ctx := context.Background()
	b, err := m.BackendForTarget(ctx, "irecho")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != "irecho" || b.ProtocolVersion() != plugin.ProtocolVersion {
		t.Fatalf("got plugin %s speaking protocol %d", b.Name(), b.ProtocolVersion())
	}
	rules := append(goldenRules(t), &ir.Rule{Path: "x.yml", Line: 4, ID: "f", Title: "must fail",
		Conditions: []ir.Node{&ir.Exists{Field: "a", Pos: ir.Pos{Line: 9, Col: 3}}}})
	results, err := b.Convert(ctx, "irecho", "", rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(rules) {
		t.Fatalf("%d results for %d rules", len(results), len(rules))
	}
	inproc, err := backends.Get("irecho")
	if err != nil {
		t.Fatal(err)
	}
	queries := 0
	for i, r := range rules {
		qs, ds := inproc.Convert(r)
		for j := range ds {
			if ds[j].Target == "" {
				ds[j].Target = "irecho"
			}
		}
		got := results[i]
		if len(qs) != len(got.Queries) || (len(qs) > 0 && !reflect.DeepEqual(qs, got.Queries)) {
			t.Errorf("%s: queries through the plugin %v, in process %v", r.Path, got.Queries, qs)
		}
		if len(ds) != len(got.Diagnostics) || (len(ds) > 0 && !reflect.DeepEqual(ds, got.Diagnostics)) {
			t.Errorf("%s: diagnostics through the plugin %v, in process %v", r.Path, got.Diagnostics, ds)
		}
		queries += len(qs)
	}
	if queries == 0 {
		t.Fatal("no rule converted at all")
	}
	last := results[len(results)-1]
	if len(last.Queries) != 0 || !last.Diagnostics.HasErrors() || last.Diagnostics[0].Line != 9 {
		t.Errorf("the failing rule came back as %+v", last)
	}
	if _, err := b.Convert(ctx, "nosuchtarget", "", rules[:1]); err == nil {
		t.Error("converting for a target the plugin does not serve succeeded")
	}
}

// eventsFor builds JSON events from the rules' own Match values, so that many rules match
// some event, plus noise and malformed lines.
func eventsFor(rules []*ir.Rule) [][]byte {
	var events [][]byte
	for _, r := range rules {
		for _, c := range r.Conditions {
			ev := map[string]any{}
			ir.Inspect(c, func(n ir.Node) bool {
				if m, ok := n.(*ir.Match); ok {
					var sb strings.Builder
					for _, s := range m.Pattern {
						switch s.Kind {
						case ir.Lit:
							sb.WriteString(s.Text)
						case ir.AnyChar, ir.AnyString:
							sb.WriteString("x")
						}
					}
					ev[m.Field] = sb.String()
					single, _ := json.Marshal(map[string]any{m.Field: sb.String()})
					events = append(events, single)
				}
				return true
			})
			all, _ := json.Marshal(ev)
			events = append(events, all)
		}
	}
	events = append(events, []byte(`{"unrelated": "value"}`), []byte(`{not json`), []byte(`[1,2]`))
	return events
}

// TestBuiltinDetectorMatchesInProcess runs the golden rules over generated events with
// the built-in detector through the plugin and with the evaluator in process.
func TestBuiltinDetectorMatchesInProcess(t *testing.T) {
	m, _ := newManager(t, "", managerOpts{})
	ctx := context.Background()
	d, err := m.Detector(ctx, "evaluator")
	if err != nil {
		t.Fatal(err)
	}
	rules := goldenRules(t)
	prog, compileErrs := evaluator.Compile(rules)
	lr, err := d.Load(ctx, rules)
	if err != nil {
		t.Fatal(err)
	}
	nd := 0
	for _, e := range compileErrs {
		nd += len(e.Diags)
	}
	if lr.Loaded != prog.Len() || len(lr.Errors) != nd {
		t.Fatalf("plugin loaded %d rules with %d errors; in process %d with %d", lr.Loaded, len(lr.Errors), prog.Len(), nd)
	}
	for _, e := range lr.Errors {
		if e.Diagnostic.RuleID != rules[e.RuleIndex].ID {
			t.Errorf("load error for rule %d names rule %q, want %q", e.RuleIndex, e.Diagnostic.RuleID, rules[e.RuleIndex].ID)
		}
	}
	events := eventsFor(rules)
	resp, err := d.Match(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int][]string{}
	for _, em := range resp.Matches {
		got[em.Event] = append(got[em.Event], fmt.Sprintf("%d/%s/%d", em.Rule, em.RuleID, em.Condition))
	}
	gotErrs := map[int]string{}
	for _, e := range resp.Errors {
		gotErrs[e.Event] = e.Message
	}
	matched := 0
	for i, ev := range events {
		ms, err := prog.MatchJSON(ev)
		if err != nil {
			if gotErrs[i] != err.Error() {
				t.Errorf("event %d %s: plugin error %q, in process %q", i, ev, gotErrs[i], err)
			}
			continue
		}
		var want []string
		for _, x := range ms {
			want = append(want, fmt.Sprintf("%d/%s/%d", x.RuleIndex, x.RuleID, x.Condition))
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("event %d %s: plugin %v, in process %v", i, ev, got[i], want)
		}
		if len(want) > 0 {
			matched++
		}
	}
	if matched < len(rules)/2 || len(resp.Errors) != 2 {
		t.Fatalf("weak test data: %d of %d events matched, %d errors", matched, len(events), len(resp.Errors))
	}
	t.Logf("%d events, %d matched, %d matches", len(events), matched, len(resp.Matches))
}

// TestScanBatchesInOrder scans generated events with small batches and several batches in
// flight: every event comes back once, in input order, with its line number and the same
// matches as a single Match call.
func TestScanBatchesInOrder(t *testing.T) {
	m, _ := newManager(t, "", managerOpts{})
	ctx := context.Background()
	d, err := m.Detector(ctx, "evaluator")
	if err != nil {
		t.Fatal(err)
	}
	rules := goldenRules(t)
	if _, err := d.Load(ctx, rules); err != nil {
		t.Fatal(err)
	}
	events := eventsFor(rules)
	var input bytes.Buffer
	for i, ev := range events {
		if i%5 == 0 {
			input.WriteString("   \n") // blank lines are skipped but counted
		}
		input.Write(ev)
		input.WriteString("\r\n")
	}
	prog, _ := evaluator.Compile(rules)
	var lines []int
	nextEvent := 0
	err = d.Scan(ctx, &input, host.ScanOptions{BatchEvents: 7, BatchBytes: 300, InFlight: 3}, func(b *host.ScanBatch) error {
		if len(b.Events) > 7 {
			t.Errorf("a batch of %d events", len(b.Events))
		}
		perEvent := make([]int, len(b.Events))
		for _, em := range b.Matches {
			perEvent[em.Event]++
		}
		for i, ev := range b.Events {
			if !bytes.Equal(ev, events[nextEvent]) {
				t.Fatalf("event %d out of order: %s, want %s", nextEvent, ev, events[nextEvent])
			}
			ms, _ := prog.MatchJSON(ev)
			if len(ms) != perEvent[i] {
				t.Errorf("line %d: %d matches in the scan, %d in process", b.Lines[i], perEvent[i], len(ms))
			}
			nextEvent++
		}
		lines = append(lines, b.Lines...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if nextEvent != len(events) {
		t.Fatalf("scanned %d events, want %d", nextEvent, len(events))
	}
	// Line numbers: one blank line before every fifth event.
	for i, l := range lines {
		if want := i + 1 + i/5 + 1; l != want {
			t.Fatalf("event %d reported on line %d, want %d", i, l, want)
		}
	}
}
