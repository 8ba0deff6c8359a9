package host_test

import (
	"context"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator/conformance"
)

// TestConformanceCasesThroughDetectorPlugin runs every conformance case of testdata/cases
// through the built-in detector plugin, a real process: the matching events (and, where a
// case says, the matching events per condition) must be the case's.
func TestConformanceCasesThroughDetectorPlugin(t *testing.T) {
	cases, err := conformance.Load(filepath.Join("..", "..", "testdata", "cases"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 60 {
		t.Fatalf("only %d cases", len(cases))
	}
	m, _ := newManager(t, "", managerOpts{})
	ctx := context.Background()
	d, err := m.Detector(ctx, "evaluator")
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, c := range cases {
		rules, diags := translator.LoadBytes(c.Path, c.Rule)
		lr, err := d.Load(ctx, rules)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if c.Error != "" {
			found := false
			for _, dg := range diags.Errors() {
				found = found || string(dg.Code) == c.Error
			}
			for _, e := range lr.Errors {
				found = found || string(e.Diagnostic.Code) == c.Error
			}
			if !found {
				t.Errorf("%s: want a %s diagnostic from the loader or the plugin", c.Name, c.Error)
			}
			continue
		}
		if len(rules) != 1 || lr.Loaded != 1 {
			t.Errorf("%s: %d rules, plugin loaded %d: %v %v", c.Name, len(rules), lr.Loaded, diags, lr.Errors)
			continue
		}
		resp, err := d.Match(ctx, c.Events)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if len(resp.Errors) > 0 {
			t.Errorf("%s: event errors %v", c.Name, resp.Errors)
		}
		matched := map[int]bool{}
		byCond := map[int][]int{}
		for _, em := range resp.Matches {
			matched[em.Event] = true
			byCond[em.Condition] = append(byCond[em.Condition], em.Event)
		}
		got := []int{}
		for e := range matched {
			got = append(got, e)
		}
		sort.Ints(got)
		want := append([]int{}, c.Matches...)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: plugin matched events %v, the case says %v", c.Name, got, want)
		}
		for cond, events := range c.ConditionMatches {
			gotC := append([]int{}, byCond[cond]...)
			sort.Ints(gotC)
			if len(gotC) == 0 && len(events) == 0 {
				continue
			}
			if !reflect.DeepEqual(gotC, events) {
				t.Errorf("%s: condition %d matched %v, the case says %v", c.Name, cond, gotC, events)
			}
		}
		ran++
	}
	t.Logf("%d cases matched through the plugin", ran)
}
