package evaluator

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/translator/evaluator/corrcase"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestCorrelatorMatchesReference feeds random streams built from the conformance cases'
// rules and events (values swapped between events so groups multiply, fields dropped, times
// tied, on window edges, out of order within and beyond the lateness, Advance calls, a small
// MaxGroups, Flush mid-stream) to the Correlator and to the reference in
// correlate_ref_test.go. It requires the same alerts, in the same order, with the same
// events, after every call; every alert unchanged at the end of its stream (alerts share
// memory); and the same late count, limits and held events.
func TestCorrelatorMatchesReference(t *testing.T) {
	cases := loadDiffCases(t)
	deadline := time.Now().Add(60 * time.Second)
	rng := rand.New(rand.NewPCG(15, 3))
	streams, alerts := 0, 0
	for _, dc := range cases {
		for s := 0; s < 150; s++ {
			if time.Now().After(deadline) {
				t.Fatal("timed out")
			}
			streams++
			alerts += diffStream(t, dc, fmt.Sprintf("%s stream %d", dc.name, s), rng)
		}
	}
	t.Logf("%d streams over %d cases, %d alerts", streams, len(cases), alerts)
	if alerts < streams {
		t.Errorf("only %d alerts over %d streams: the streams test little", alerts, streams)
	}
}

// FuzzCorrelatorMatchesReference is TestCorrelatorMatchesReference with the stream's
// choices read from the fuzzer's bytes (the first picks the case).
func FuzzCorrelatorMatchesReference(f *testing.F) {
	cases := loadDiffCases(f)
	f.Add([]byte{0, 2, 0, 1, 3, 1, 0, 5, 2, 2, 0, 0, 1, 7, 3})
	f.Add([]byte{3, 3, 5, 4, 0, 0, 0, 4, 1, 0, 0, 0, 0, 3, 9, 1, 2, 0, 4, 0, 0, 0})
	f.Add([]byte{9, 4, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 6, 6, 6, 6, 0, 0, 0, 0, 2, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 4096 {
			return
		}
		dc := cases[int(data[0])%len(cases)]
		diffStream(t, dc, dc.name, &byteChooser{data: data[1:]})
	})
}

// chooser makes a stream's random choices.
type chooser interface {
	IntN(n int) int
	Int64N(n int64) int64
}

// byteChooser makes choices from bytes, then 0 once they run out.
type byteChooser struct{ data []byte }

func (b *byteChooser) IntN(n int) int { return int(b.Int64N(int64(n))) }

func (b *byteChooser) Int64N(n int64) int64 {
	if len(b.data) == 0 {
		return 0
	}
	x := int64(b.data[0])
	b.data = b.data[1:]
	if n > 256 && len(b.data) > 0 {
		x = x<<8 | int64(b.data[0])
		b.data = b.data[1:]
	}
	return x % n
}

// diffCase is one conformance case, compiled.
type diffCase struct {
	name   string
	c      *corrcase.Case
	set    *ir.RuleSet
	prog   *Program
	values map[string][]any // the values each key takes in the case
}

func loadDiffCases(tb testing.TB) []*diffCase {
	tb.Helper()
	cases, err := corrcase.Load("../../testdata/correlation")
	if err != nil {
		tb.Fatal(err)
	}
	if len(cases) < 14 {
		tb.Fatalf("only %d cases", len(cases))
	}
	var out []*diffCase
	for _, c := range cases {
		set := c.Set(tb)
		prog, errs := Compile(set.Rules)
		if len(errs) > 0 {
			tb.Fatalf("%s: %v", c.Name, errs)
		}
		dc := &diffCase{name: c.Name, c: c, set: set, prog: prog, values: map[string][]any{}}
		for _, e := range c.Events {
			for key, v := range e {
				dc.values[key] = append(dc.values[key], v)
			}
		}
		out = append(out, dc)
	}
	return out
}

// diffStream runs one stream of dc, chosen by rng, through the Correlator and the
// reference, and returns the number of alerts.
func diffStream(t *testing.T, dc *diffCase, name string, rng chooser) int {
	t.Helper()
	c, set, prog, values := dc.c, dc.set, dc.prog, dc.values
	alerts := 0
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
		tmpl := c.Events[rng.IntN(len(c.Events))]
		for _, key := range sortedKeys(tmpl) {
			v := tmpl[key]
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
	return alerts
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
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
