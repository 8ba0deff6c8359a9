package dsl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator/corrcase"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The Painless tests compile the correlation search's four scripts with the Painless compiler
// and run its reduce script in a plain JVM (testdata/painless: OpenSearch's lang-painless,
// the Painless published on Maven Central; Elasticsearch's own is not, and the test node has
// none). The map script's entries are made here from the events as the map script makes them
// from doc values (mapEntries); TestLiveCorrelationRuleScores checks on the live node that the
// query gives the map script the rule sets used here.

// painlessTool returns the java command line of testdata/painless (built by its build.sh,
// whose output SIGMABRIDGE_PAINLESS_CP holds), or skips (fails when
// SIGMABRIDGE_REQUIRE_PAINLESS=1, as .ci/test.sh sets it).
func painlessTool(t *testing.T) []string {
	t.Helper()
	cp := strings.TrimSpace(os.Getenv("SIGMABRIDGE_PAINLESS_CP"))
	if cp == "" {
		if os.Getenv("SIGMABRIDGE_REQUIRE_PAINLESS") == "1" {
			t.Fatal("SIGMABRIDGE_PAINLESS_CP is unset but SIGMABRIDGE_REQUIRE_PAINLESS=1")
		}
		t.Skip("SIGMABRIDGE_PAINLESS_CP is unset: export SIGMABRIDGE_PAINLESS_CP=$(bash backends/elasticsearch/dsl/testdata/painless/build.sh) to run the correlation scripts on the Painless compiler")
	}
	return []string{"java", "-cp", cp, "sigmabridge.PainlessCheck"}
}

// painlessRun is one reduce: the params of a rendered search and the map script's entries.
type painlessRun struct {
	Params map[string]any `json:"params"`
	States []any          `json:"states"`
}

// runPainless compiles the scripts and runs every reduce in one JVM, bounded in time.
func runPainless(t *testing.T, runs []painlessRun) []corrResult {
	t.Helper()
	cmd := painlessTool(t)
	in, err := json.Marshal(map[string]any{"init": painlessInit, "map": painlessMap, "combine": painlessCombine, "reduce": painlessReduce, "runs": runs})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	c.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("PainlessCheck: %v\n%s", err, stderr.String())
	}
	var res struct {
		Error   string `json:"error"`
		Results []struct {
			Value corrResult `json:"value"`
			Error string     `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("PainlessCheck output: %v\n%s", err, out)
	}
	if res.Error != "" {
		t.Fatalf("the scripts do not compile: %s", res.Error)
	}
	if len(res.Results) != len(runs) {
		t.Fatalf("PainlessCheck answered %d of %d runs", len(res.Results), len(runs))
	}
	out2 := make([]corrResult, len(runs))
	for i, r := range res.Results {
		if r.Error != "" {
			t.Fatalf("run %d: %s", i, r.Error)
		}
		out2[i] = r.Value
	}
	return out2
}

// searchParams renders corr and returns its script params.
func searchParams(t *testing.T, set *ir.RuleSet, corr *ir.Correlation) map[string]any {
	t.Helper()
	qs, ds := backends.ConvertCorrelation(Backend{}, corr, backends.RefRules(set, corr))
	if ds.HasErrors() {
		t.Fatalf("%s: %v", corr.Name, ds)
	}
	var body struct {
		Aggs struct {
			M struct {
				S struct {
					Params map[string]any `json:"params"`
				} `json:"scripted_metric"`
			} `json:"sigma_correlation"`
		} `json:"aggs"`
	}
	if err := json.Unmarshal([]byte(qs[0].Text), &body); err != nil {
		t.Fatal(err)
	}
	return body.Aggs.M.S.Params
}

// mapEntries makes the map script's entries for events indexed in the given order (so
// _seq_no is the position): for each rule of the correlation the evaluator matches an
// event with, [time ns, _seq_no*64 + rule, rule, value, group-by values], on an index that
// maps the group-by fields as keyword and a metric's field as double (a malformed number
// has no doc value).
func mapEntries(t *testing.T, set *ir.RuleSet, prog *evaluator.Program, corr *ir.Correlation, events [][]byte) []any {
	t.Helper()
	var out []any
	for seq, ev := range events {
		ms, err := prog.MatchJSON(ev)
		if err != nil {
			t.Fatal(err)
		}
		fields, err := evaluator.JSONFields(ev)
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := fields(TimeField)
		tm, ok := evaluator.ParseTime(ts)
		if !ok {
			continue
		}
	refs:
		for ri, ref := range corr.Refs {
			matched := false
			for _, m := range ms {
				matched = matched || m.RuleIndex == ref.Rule
			}
			if !matched {
				continue
			}
			key := []any{}
			for _, g := range corr.GroupBy {
				v, ok := fields(corr.FieldFor(ri, g))
				if !ok {
					continue refs
				}
				key = append(key, v)
			}
			var value any
			if corr.Field != "" {
				v, ok := fields(corr.Field)
				if !ok {
					continue
				}
				value = v
				if corr.Type != ir.ValueCount {
					f, err := strconv.ParseFloat(v, 64)
					if err != nil {
						continue
					}
					value = f
				}
			}
			rank := 0
			for j, rj := range corr.Refs {
				if rj.Rule < ref.Rule || rj.Rule == ref.Rule && j < ri {
					rank++
				}
			}
			out = append(out, []any{tm.UnixNano(), seq*64 + rank, ri, value, key})
		}
	}
	return out
}

// alertsOf reads a reduce's answer as comparable alerts.
func alertsOf(t *testing.T, corr *ir.Correlation, r corrResult) []corrcase.Alert {
	t.Helper()
	if r.Truncated {
		t.Fatalf("%s: truncated", corr.Name)
	}
	var got []corrcase.Alert
	for _, a := range r.Alerts {
		end, err := time.Parse(time.RFC3339Nano, a.End)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, corrcase.Alert{Correlation: corr.Name, End: end, Group: corrcase.GroupKey(a.Group), Value: a.Value})
	}
	corrcase.Sort(got)
	return got
}

// TestPainlessCorrelationConformance runs the reduce script of every conformance case's
// Query DSL correlation (all seven types) over the case's events and requires the
// evaluator's alerts (the case's expectations).
func TestPainlessCorrelationConformance(t *testing.T) {
	painlessTool(t)
	cases, err := corrcase.Load("../../../testdata/correlation")
	if err != nil {
		t.Fatal(err)
	}
	type job struct {
		name string
		corr *ir.Correlation
		want []corrcase.Alert
	}
	var jobs []job
	var runs []painlessRun
	types := map[ir.CorrelationType]bool{}
	for _, c := range cases {
		set := c.Set(t)
		prog, errs := evaluator.Compile(set.Rules)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", c.Name, errs)
		}
		for _, corr := range set.Correlations {
			if _, ds := backends.ConvertCorrelation(Backend{}, corr, backends.RefRules(set, corr)); ds.HasErrors() {
				continue // chained
			}
			types[corr.Type] = true
			var want []corrcase.Alert
			for _, a := range c.Want() {
				if a.Correlation == corr.Name {
					want = append(want, a)
				}
			}
			jobs = append(jobs, job{c.Name + "/" + corr.Name, corr, want})
			runs = append(runs, painlessRun{Params: searchParams(t, set, corr), States: []any{mapEntries(t, set, prog, corr, c.JSONL())}})
		}
	}
	results := runPainless(t, runs)
	for i, j := range jobs {
		if got := alertsOf(t, j.corr, results[i]); !reflect.DeepEqual(got, j.want) {
			t.Errorf("%s: Painless and the evaluator differ:\n got  %v\n want %v", j.name, got, j.want)
		}
	}
	if len(types) != len(ir.CorrelationTypes) {
		t.Errorf("ran %d of %d types", len(types), len(ir.CorrelationTypes))
	}
	t.Logf("%d correlations (%d types) agree with the evaluator on the Painless compiler", len(jobs), len(types))
}

// TestPainlessCorrelationRandom compares the reduce script with the evaluator on random
// streams: few instants (so events share them and fall on window edges), two users, events
// that match one or two of the named rules, every type with random bounds. The evaluator is
// fed in time order with 1ns of lateness, so a window is evaluated once its instant is
// complete, as the search sees the index.
func TestPainlessCorrelationRandom(t *testing.T) {
	painlessTool(t)
	base := `title: a
name: a
logsource: {product: test}
detection: {sel: {action: a}, condition: sel}
---
title: b
name: b
logsource: {product: test}
detection: {sel: {action: [b, ab]}, condition: sel}
---
title: ab
name: ab
logsource: {product: test}
detection: {sel: {action: [a, ab]}, condition: sel}
`
	rng := rand.New(rand.NewSource(15))
	type job struct {
		name string
		corr *ir.Correlation
		want []corrcase.Alert
	}
	var jobs []job
	var runs []painlessRun
	ops := []string{"gt", "gte", "lt", "lte", "eq"}
	for n := 0; n < 300; n++ {
		ty := ir.CorrelationTypes[n%len(ir.CorrelationTypes)]
		rules := []string{"a", "b", "ab"}[:1+rng.Intn(3)]
		if ty.IsTemporal() {
			// Pairs whose rules share events, in and against the rule set's order.
			pairs := [][]string{{"a", "b"}, {"ab", "b"}, {"b", "ab"}, {"ab", "a"}, {"a", "ab", "b"}}
			rules = pairs[rng.Intn(len(pairs))]
		}
		cond := ""
		switch {
		case ty == ir.TemporalOrdered:
		case ty == ir.Temporal:
			if rng.Intn(2) == 0 {
				cond = fmt.Sprintf(", condition: {gte: %d}", 1+rng.Intn(len(rules)))
			}
		default:
			op := ops[rng.Intn(len(ops))]
			x := 1 + rng.Intn(4)
			if ty == ir.ValueSum || ty == ir.ValueAvg || ty == ir.ValuePercentile {
				x = 10 * (1 + rng.Intn(6))
			}
			cond = fmt.Sprintf(", condition: {%s: %d", op, x)
			if op == "gt" && rng.Intn(2) == 0 {
				cond += fmt.Sprintf(", lte: %d", x*2)
			}
			switch ty {
			case ir.ValueCount:
				cond += ", field: host"
			case ir.ValueSum, ir.ValueAvg, ir.ValuePercentile:
				cond += ", field: ms"
			}
			cond += "}"
		}
		pct := ""
		if ty == ir.ValuePercentile {
			pct = fmt.Sprintf(", percentile: %d", rng.Intn(101))
		}
		doc := fmt.Sprintf("---\ntitle: c\nname: c\ncorrelation: {type: %s, rules: [%s], group-by: [user], timespan: %ds%s%s}\n",
			ty, strings.Join(rules, ", "), 1+rng.Intn(4), cond, pct)
		set, diags := translator.LoadSetBytes("random.yml", []byte(base+doc))
		diags = append(diags, translator.Resolve(set)...)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", doc, diags)
		}
		prog, errs := evaluator.Compile(set.Rules)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		var events [][]byte
		at := 0
		for i := 0; i < 4+rng.Intn(12); i++ {
			at += rng.Intn(3)
			ev := map[string]any{"@timestamp": corrcase.Base.Add(time.Duration(at) * time.Second).Format(time.RFC3339Nano),
				"action": []string{"a", "b", "ab", "x"}[rng.Intn(4)], "user": []string{"u1", "u2"}[rng.Intn(2)],
				"host": []string{"h1", "h2", "h3"}[rng.Intn(3)], "ms": 5 * rng.Intn(8)}
			if rng.Intn(8) == 0 {
				delete(ev, "user")
			}
			if rng.Intn(8) == 0 {
				ev["ms"] = "oops"
			}
			b, _ := json.Marshal(ev)
			events = append(events, b)
		}
		corr := set.Correlations[0]
		want := evaluatorAlerts(set, prog, events)
		jobs = append(jobs, job{fmt.Sprintf("stream %d: %s", n, strings.TrimSpace(doc)), corr, want})
		runs = append(runs, painlessRun{Params: searchParams(t, set, corr), States: []any{mapEntries(t, set, prog, corr, events)}})
	}
	results := runPainless(t, runs)
	alerts := 0
	for i, j := range jobs {
		got := alertsOf(t, j.corr, results[i])
		alerts += len(j.want)
		if !reflect.DeepEqual(got, j.want) {
			t.Errorf("%s: Painless and the evaluator differ:\n got  %v\n want %v\n entries %v", j.name, got, j.want, runs[i].States)
		}
	}
	if alerts < 100 {
		t.Errorf("only %d alerts over %d streams: the streams test too little", alerts, len(jobs))
	}
	t.Logf("%d random streams, %d evaluator alerts: Painless agrees", len(jobs), alerts)
}

// TestHostileCorrelationValuesPainless runs the reduce script over group-by and counted
// values with quotes, backslashes, control characters, non-ASCII letters, an empty string
// and a value that looks like another group's key; the alerts must be the evaluator's, each
// group's value given back verbatim.
func TestHostileCorrelationValuesPainless(t *testing.T) {
	painlessTool(t)
	doc := `title: a
name: a
logsource: {product: test}
detection: {sel: {action: a}, condition: sel}
---
title: c
name: c
correlation: {type: value_count, rules: [a], group-by: [user, host], timespan: 5m, condition: {gte: 2, field: v}}
`
	set, diags := translator.LoadSetBytes("hostile.yml", []byte(doc))
	diags = append(diags, translator.Resolve(set)...)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	prog, errs := evaluator.Compile(set.Rules)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	corr := set.Correlations[0]
	values := []string{`it's`, `"q"`, `\`, "tab\there", "nl\nx", "ünï", "", "a,b", "[u1, h1]", "\u2028"}
	var events [][]byte
	for i, u := range values {
		for j := 0; j < 2; j++ {
			ev := map[string]any{"@timestamp": corrcase.Base.Add(time.Duration(i*10+j) * time.Second).Format(time.RFC3339Nano),
				"action": "a", "user": u, "host": values[(i+1)%len(values)], "v": values[(i+j)%len(values)]}
			b, _ := json.Marshal(ev)
			events = append(events, b)
		}
	}
	want := evaluatorAlerts(set, prog, events)
	res := runPainless(t, []painlessRun{{Params: searchParams(t, set, corr), States: []any{mapEntries(t, set, prog, corr, events)}}})
	got := alertsOf(t, corr, res[0])
	if len(want) != len(values) || !reflect.DeepEqual(got, want) {
		t.Errorf("Painless and the evaluator differ:\n got  %q\n want %q", got, want)
	}
}

// TestPainlessLargeGroup runs the reduce script over one group of 4,000 events inside one
// window, for every type: Painless stops a script after a bounded number of loop iterations
// (1,000,000), so the per-window work must not be a Painless loop over the window.
func TestPainlessLargeGroup(t *testing.T) {
	painlessTool(t)
	const n = 4000
	var runs []painlessRun
	var corrs []*ir.Correlation
	var wants []int
	for _, ty := range ir.CorrelationTypes {
		cond := ", condition: {gte: 0, field: ms}"
		if ty == ir.ValuePercentile {
			cond += ", percentile: 90"
		}
		switch ty {
		case ir.EventCount:
			cond = ", condition: {gte: 0}"
		case ir.Temporal, ir.TemporalOrdered:
			cond = ""
		}
		doc := fmt.Sprintf("title: a\nname: a\nlogsource: {product: test}\ndetection: {sel: {action: a}, condition: sel}\n---\ntitle: b\nname: b\nlogsource: {product: test}\ndetection: {sel: {action: b}, condition: sel}\n---\ntitle: c\nname: c\ncorrelation: {type: %s, rules: [a, b], group-by: [user], timespan: 1h%s}\n", ty, cond)
		set, diags := translator.LoadSetBytes("large.yml", []byte(doc))
		diags = append(diags, translator.Resolve(set)...)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		corr := set.Correlations[0]
		var entries []any
		for i := 0; i < n; i++ {
			entries = append(entries, []any{int64(i) * int64(time.Millisecond), i * 64, i % 2, float64(i % 100), []any{"u1"}})
			if ty == ir.ValueCount {
				entries[i].([]any)[3] = strconv.Itoa(i % 100)
			}
		}
		corrs = append(corrs, corr)
		// Every instant is its own window end; temporal_ordered fires at each b with an a
		// before it (every b but none), temporal from the second event on.
		want := n
		switch ty {
		case ir.TemporalOrdered:
			want = n / 2
		case ir.Temporal:
			want = n - 1
		}
		wants = append(wants, want)
		runs = append(runs, painlessRun{Params: searchParams(t, set, corr), States: []any{entries}})
	}
	start := time.Now()
	results := runPainless(t, runs)
	for i, r := range results {
		if len(r.Alerts) != wants[i] || r.Truncated != (wants[i] > MaxAlerts) {
			t.Errorf("%s: %d alerts (truncated %v), want %d", corrs[i].Type, len(r.Alerts), r.Truncated, wants[i])
		}
	}
	t.Logf("%d types over one group of %d events: %v", len(runs), n, time.Since(start).Round(time.Millisecond))
}

// evaluatorAlerts runs events, in order, through the evaluator's correlator for the
// correlation "c" of set, and returns its alerts sorted as corrcase sorts them.
func evaluatorAlerts(set *ir.RuleSet, prog *evaluator.Program, events [][]byte) []corrcase.Alert {
	k := evaluator.NewCorrelator(set, evaluator.CorrelatorOptions{MaxLateness: time.Nanosecond})
	var want []corrcase.Alert
	collect := func(as []evaluator.Alert) {
		for _, a := range as {
			want = append(want, corrcase.Alert{Correlation: "c", End: a.End, Group: corrcase.GroupKey(a.Group), Value: a.Value})
		}
	}
	for i, ev := range events {
		ms, _ := prog.MatchJSON(ev)
		var rs []int
		for _, m := range ms {
			rs = append(rs, m.RuleIndex)
		}
		fields, _ := evaluator.JSONFields(ev)
		ts, _ := fields(TimeField)
		tm, _ := evaluator.ParseTime(ts)
		collect(k.Observe(evaluator.Event{Time: tm, ID: fmt.Sprint(i), Fields: fields}, rs))
	}
	collect(k.Flush())
	corrcase.Sort(want)
	return want
}
