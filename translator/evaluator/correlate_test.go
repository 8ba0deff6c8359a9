package evaluator_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator/corrcase"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// runCase loads a case's rules, matches its events and feeds the correlator.
func runCase(t *testing.T, c *corrcase.Case) ([]corrcase.Alert, *evaluator.Correlator) {
	t.Helper()
	set := c.Set(t)
	prog, errs := evaluator.Compile(set.Rules)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", c.Name, errs)
	}
	k := evaluator.NewCorrelator(set, evaluator.CorrelatorOptions{MaxLateness: c.MaxLateness()})
	var got []corrcase.Alert
	collect := func(as []evaluator.Alert) {
		for _, a := range as {
			got = append(got, corrcase.Alert{Correlation: a.Corr.Name, End: a.End, Group: corrcase.GroupKey(a.Group), Value: a.Value})
		}
	}
	for i, line := range c.JSONL() {
		ms, err := prog.MatchJSON(line)
		if err != nil {
			t.Fatal(err)
		}
		var rules []int
		for _, m := range ms {
			rules = append(rules, m.RuleIndex)
		}
		fields, err := evaluator.JSONFields(line)
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := fields(k.TimeField(0))
		tm, ok := evaluator.ParseTime(ts)
		if !ok {
			t.Fatalf("%s: event %d: no time", c.Name, i+1)
		}
		collect(k.Observe(evaluator.Event{Time: tm, ID: fmt.Sprint(i + 1), Fields: fields}, rules))
	}
	collect(k.Flush())
	corrcase.Sort(got)
	return got, k
}

func TestCorrelationConformance(t *testing.T) {
	cases, err := corrcase.Load("../../testdata/correlation")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 14 {
		t.Fatalf("only %d cases", len(cases))
	}
	types := map[ir.CorrelationType]bool{}
	for _, c := range cases {
		done := make(chan struct{})
		go func() {
			defer close(done)
			got, k := runCase(t, c)
			if want := c.Want(); !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got  %v\n want %v", c.Name, got, want)
			}
			if k.Late != c.Late {
				t.Errorf("%s: %d late events, want %d", c.Name, k.Late, c.Late)
			}
			if k.Open() != 0 {
				t.Errorf("%s: %d events still held after Flush", c.Name, k.Open())
			}
			set, _ := translator.LoadSetBytes("x.yml", []byte(c.Rules))
			for _, cr := range set.Correlations {
				types[cr.Type] = true
			}
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: timed out", c.Name)
		}
	}
	for _, ty := range ir.CorrelationTypes {
		if !types[ty] {
			t.Errorf("no conformance case for %s", ty)
		}
	}
}
