package evaluator

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator/corrcase"
)

// TestCorrelatorMatchesReference feeds random streams built from the conformance cases'
// rules and events (values swapped between events so groups multiply, fields dropped, times
// tied, on window edges, out of order within and beyond the lateness, Advance calls, a small
// MaxGroups, Flush mid-stream) to the Correlator and to the reference in
// correlate_ref_test.go. It requires the same alerts, in the same order, with the same
// events, after every call; every alert unchanged at the end of its stream (alerts share
// memory); and the same late count, limits and held events.
func TestCorrelatorMatchesReference(t *testing.T) {
	cases, err := corrcase.Load("../../testdata/correlation")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 14 {
		t.Fatalf("only %d cases", len(cases))
	}
	deadline := time.Now().Add(60 * time.Second)
	rng := rand.New(rand.NewPCG(15, 3))
	streams, alerts := 0, 0
	for _, c := range cases {
		set, diags := translator.LoadSetBytes(c.Name+".yml", []byte(c.Rules))
		diags = append(diags, translator.Resolve(set)...)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", c.Name, diags)
		}
		prog, errs := Compile(set.Rules)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", c.Name, errs)
		}
		// The values each key takes in the case, to swap between events.
		values := map[string][]any{}
		for _, e := range c.Events {
			for key, v := range e {
				values[key] = append(values[key], v)
			}
		}
		for s := 0; s < 150; s++ {
			if time.Now().After(deadline) {
				t.Fatal("timed out")
			}
			streams++
			name := fmt.Sprintf("%s stream %d", c.Name, s)
			opts := CorrelatorOptions{MaxLateness: []time.Duration{0, 0, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}[rng.IntN(5)]}
			if rng.IntN(6) == 0 {
				opts.MaxGroups = 1 + rng.IntN(3)
			}
			gotAll, wantAll = nil, nil
			k := NewCorrelator(set, opts)
			ref := newRefCorrelator(set, opts)
			step := []time.Duration{time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute}[rng.IntN(5)]
			now := corrcase.Base
			n := 5 + rng.IntN(80)
			for i := 0; i < n; i++ {
				ev := map[string]any{}
				for key, v := range c.Events[rng.IntN(len(c.Events))] {
					switch r := rng.IntN(20); {
					case r == 0:
						continue // the field is missing
					case r < 6:
						v = values[key][rng.IntN(len(values[key]))]
					}
					ev[key] = v
				}
				// Time walks forward in steps (often none: ties), sometimes back.
				now = now.Add(time.Duration(rng.IntN(3)) * step)
				at := now
				if opts.MaxLateness > 0 && rng.IntN(4) == 0 {
					at = at.Add(-time.Duration(rng.Int64N(int64(opts.MaxLateness) * 3 / 2)))
				} else if rng.IntN(15) == 0 {
					at = at.Add(-step)
				}
				fields := MapFields(ev)
				var rules []int
				for _, m := range prog.MatchEvent(ev) {
					rules = append(rules, m.RuleIndex)
				}
				id := fmt.Sprint(i)
				alerts += sameAlerts(t, name+" event "+id, k.Observe(Event{Time: at, ID: id, Fields: fields}, rules),
					ref.Observe(Event{Time: at, ID: id, Fields: fields}, rules))
				switch rng.IntN(50) {
				case 0, 1:
					adv := now.Add(time.Duration(rng.IntN(4)) * step)
					alerts += sameAlerts(t, name+" advance", k.Advance(adv), ref.Advance(adv))
				case 2: // events may still come after a Flush
					alerts += sameAlerts(t, name+" flush mid-stream", k.Flush(), ref.Flush())
				}
				if k.Open() != ref.Open() || k.Late != ref.Late {
					t.Fatalf("%s event %s: %d held, %d late; the reference %d held, %d late", name, id, k.Open(), k.Late, ref.Open(), ref.Late)
				}
			}
			alerts += sameAlerts(t, name+" flush", k.Flush(), ref.Flush())
			for i := range gotAll {
				if !reflect.DeepEqual(gotAll[i], wantAll[i]) {
					t.Fatalf("%s: alert %d changed after it was returned:\n now  %s\n want %s", name, i, alertsText(gotAll[i:i+1]), alertsText(wantAll[i:i+1]))
				}
			}
			if k.Open() != 0 || k.Late != ref.Late || !reflect.DeepEqual(k.Limits, ref.Limits) {
				t.Fatalf("%s: after Flush %d held, %d late, limits %v; the reference %d late, limits %v", name, k.Open(), k.Late, k.Limits, ref.Late, ref.Limits)
			}
		}
	}
	t.Logf("%d streams over %d cases, %d alerts", streams, len(cases), alerts)
	if alerts < streams {
		t.Errorf("only %d alerts over %d streams: the streams test little", alerts, streams)
	}
}

// gotAll and wantAll are every alert of the current stream, compared again at its end: an
// alert's events must not change after it is returned.
var gotAll, wantAll []Alert

func sameAlerts(t *testing.T, where string, got, want []Alert) int {
	t.Helper()
	gotAll, wantAll = append(gotAll, got...), append(wantAll, want...)
	if len(got) == 0 && len(want) == 0 {
		return 0
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %s\n want %s", where, alertsText(got), alertsText(want))
	}
	return len(got)
}

func alertsText(as []Alert) string {
	s := ""
	for _, a := range as {
		s += fmt.Sprintf("\n  %s %v %v..%v value=%g omitted=%d events=%v", a.Corr.Label(), a.Group, a.Start, a.End, a.Value, a.Omitted, a.Events)
	}
	return s
}
