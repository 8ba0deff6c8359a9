package eql_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/eql"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/internal/jsontree"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator/conformance"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// engineSubject is a rule with the events its queries run over.
type engineSubject struct {
	name   string
	rule   *ir.Rule
	events [][]byte
	origin []string // where each event comes from, for messages
}

// engineJob is one query on the engine, with the events the evaluator matches for its
// condition.
type engineJob struct {
	subject *engineSubject
	query   string
	cond    int
	want    []int
}

type engineResult struct {
	Matches []int `json:"matches"`
	// MatchesES are the matches of the run that takes Elasticsearch's side of the checked
	// differences (dialectDifference.checked).
	MatchesES []int  `json:"matches_es"`
	Error     string `json:"error"`
	Message   string `json:"message"`
	// Failed lists the events on which the engine raised an error, with the error.
	Failed map[string]string `json:"failed"`
	// Sequences are a sequence query's sequences, each as its events' indexes.
	Sequences [][]int `json:"sequences"`
	// SequencesES are the sequences of the run with Elasticsearch's side of the checked
	// differences taken.
	SequencesES [][]int `json:"sequences_es"`
}

// TestEngineAgreesWithEvaluator converts every rule of the pack (under the samples'
// placeholder values, testdata/rules/placeholders.yml, the pipeline twin of
// testdata/rules/profile.yml) and every conformance case of testdata/cases to EQL, runs each
// query on Elastic's Python EQL engine over the rule's or case's events
// (testdata/engine.py), and compares the events it matches with the evaluator's. The test
// node has no EQL (x-pack-eql is not on Maven Central), so this is where EQL is executed.
// A disagreement passes only when a named dialect difference (dialectDifferences, DIALECT.md)
// explains it.
func TestEngineAgreesWithEvaluator(t *testing.T) {
	python := engineTools(t)
	start := time.Now()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	subjects := append(packSubjects(t, root), caseSubjects(t, root)...)

	var jobs []engineJob
	notConverted := map[string]int{}
	for _, s := range subjects {
		prog, errs := evaluator.Compile([]*ir.Rule{s.rule})
		if len(errs) > 0 {
			t.Errorf("%s: evaluator: %v", s.name, errs)
			continue
		}
		addCaseVariants(t, s, prog)
		want := map[int][]int{}
		for i, ev := range s.events {
			ms, err := prog.MatchJSON(ev)
			if err != nil {
				t.Fatalf("%s: evaluator: %v", s.origin[i], err)
			}
			for _, m := range ms {
				want[m.Condition] = append(want[m.Condition], i)
			}
		}
		queries, diags := eql.Backend{}.Convert(s.rule)
		if diags.HasErrors() {
			notConverted[string(diags.Errors()[0].Code)]++
			continue
		}
		for _, q := range queries {
			jobs = append(jobs, engineJob{subject: s, query: q.Text, cond: q.Condition, want: want[q.Condition]})
		}
	}
	if len(jobs) < 100 {
		t.Fatalf("only %d EQL queries to run", len(jobs))
	}
	results := runEngine(t, python, jobs)

	agree, events, eventsAgree := 0, 0, 0
	byName := map[string]int{}       // queries
	eventsByName := map[string]int{} // events
	for i, j := range jobs {
		r := results[i]
		name := j.subject.name
		if len(j.subject.rule.Conditions) > 1 {
			name = fmt.Sprintf("%s condition %d", name, j.cond)
		}
		if r.Error != "" {
			if d := explainRefusal(j, r); d != "" {
				byName[d]++
				t.Logf("%s: the engine refuses the query (%s: %s), dialect difference %s\n  query: %s", name, r.Error, r.Message, d, j.query)
				continue
			}
			t.Errorf("%s: the engine refuses the query: %s: %s\n  query: %s", name, r.Error, r.Message, j.query)
			continue
		}
		names := map[string]bool{}
		var unexplained strings.Builder
		for e := range j.subject.events {
			events++
			evaluator, engine := slices.Contains(j.want, e), slices.Contains(r.Matches, e)
			failure, failed := r.Failed[fmt.Sprint(e)]
			if !failed && evaluator == engine {
				eventsAgree++
				continue
			}
			d := explainEvent(j, e, evaluator, engine, slices.Contains(r.MatchesES, e))
			if d == "" {
				engineSays := fmt.Sprint(engine)
				if failed {
					engineSays = "error " + failure
				}
				fmt.Fprintf(&unexplained, "\n  event %d (%s, evaluator %v, engine %s): %s", e, j.subject.origin[e], evaluator, engineSays, j.subject.events[e])
				continue
			}
			names[d] = true
			eventsByName[d]++
		}
		switch {
		case unexplained.Len() > 0:
			t.Errorf("%s: the engine matches %v, the evaluator %v\n  rule: %s\n  query: %s%s", name, r.Matches, j.want, j.subject.rule.Conditions[j.cond], j.query, unexplained.String())
		case len(names) == 0:
			agree++
		default:
			for d := range names {
				byName[d]++
			}
			t.Logf("%s: the engine matches %v, the evaluator %v: dialect difference %v\n  query: %s", name, r.Matches, j.want, mapsKeys(names), j.query)
		}
	}
	t.Logf("EQL on the Python engine: %d queries (%d subjects: pack rules and conformance cases), %d agree with the evaluator on every event; %d query-event verdicts, %d agree", len(jobs), len(subjects), agree, events, eventsAgree)
	for _, d := range mapsKeys(byName) {
		t.Logf("  differ by named dialect difference %s: %d queries, %d events", d, byName[d], eventsByName[d])
	}
	for _, c := range mapsKeys(notConverted) {
		t.Logf("  not converted (the backend names why): %s: %d", c, notConverted[c])
	}
	t.Logf("whole test took %v", time.Since(start).Round(time.Millisecond))
}

func mapsKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// engineTools returns the Python interpreter of the formats tools
// (.ci/formats-tools-env.sh, which installs eql from PyPI). Without it the test skips,
// saying why, unless SIGMABRIDGE_REQUIRE_FORMATS_TOOLS is set (as .ci/test.sh sets it).
func engineTools(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("SIGMABRIDGE_FORMATS_TOOLS_BIN")
	if bin == "" {
		if os.Getenv("SIGMABRIDGE_REQUIRE_FORMATS_TOOLS") != "" {
			t.Fatal("SIGMABRIDGE_FORMATS_TOOLS_BIN is not set (bash .ci/formats-tools-env.sh prints it)")
		}
		t.Skip("SIGMABRIDGE_FORMATS_TOOLS_BIN is not set: run bash .ci/formats-tools-env.sh and export its output to run EQL on Elastic's Python engine")
	}
	return filepath.Join(bin, "python")
}

// runEngine runs every job in one call of testdata/engine.py, bounded in time.
func runEngine(t *testing.T, python string, jobs []engineJob) []engineResult {
	t.Helper()
	return runEngineTimes(t, python, jobs, nil)
}

// runEngineTimes is runEngine; jobs with times (times[i], one per event, in nanoseconds)
// are sequence queries run over the whole stream.
func runEngineTimes(t *testing.T, python string, jobs []engineJob, times [][]int64) []engineResult {
	t.Helper()
	type job struct {
		Query  string            `json:"query"`
		Events []json.RawMessage `json:"events"`
		Times  []int64           `json:"times,omitempty"`
	}
	var in struct {
		Jobs []job `json:"jobs"`
	}
	for i, j := range jobs {
		evs := make([]json.RawMessage, len(j.subject.events))
		for i, e := range j.subject.events {
			evs[i] = e
		}
		jb := job{Query: j.query, Events: evs}
		if i < len(times) {
			jb.Times = times[i]
		}
		in.Jobs = append(in.Jobs, jb)
	}
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "engine.py"))
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("engine.py: %v\n%s", err, stderr.String())
	}
	var res struct {
		Results []engineResult `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("engine.py output: %v", err)
	}
	if len(res.Results) != len(jobs) {
		t.Fatalf("engine.py answered %d of %d queries", len(res.Results), len(jobs))
	}
	return res.Results
}

// packSubjects loads every rule of the pack with the samples of its logsource.
func packSubjects(t *testing.T, root string) []*engineSubject {
	t.Helper()
	var out []*engineSubject
	for _, pr := range estest.PackRules(t, root) {
		s := &engineSubject{name: "rules/" + pr.Path, rule: pr.Rule}
		for _, rec := range pr.Records {
			s.events = append(s.events, rec.JSON)
			s.origin = append(s.origin, fmt.Sprintf("%s line %d", rec.Shown, rec.Line))
		}
		out = append(out, s)
	}
	// Each rule meets the samples of every rule of its logsource, as on an index: the other
	// rules' samples are near misses and negatives for it.
	own := map[*engineSubject][2][]string{}
	for _, s := range out {
		own[s] = [2][]string{toStrings(s.events), s.origin}
	}
	for _, s := range out {
		for _, o := range out {
			if o == s || o.rule.Logsource != s.rule.Logsource {
				continue
			}
			for i, ev := range own[o][0] {
				s.events = append(s.events, []byte(ev))
				s.origin = append(s.origin, own[o][1][i])
			}
		}
	}
	return out
}

// addCaseVariants adds to s, for every event the rule matches, a copy with the case of every
// letter of every string value swapped: the evaluator decides whether the copy still matches
// (it does unless the rule is |cased), which tests the case-sensitive and the folding
// operators of the query alike.
func addCaseVariants(t *testing.T, s *engineSubject, prog *evaluator.Program) {
	t.Helper()
	n := len(s.events)
	for i := 0; i < n; i++ {
		ms, err := prog.MatchJSON(s.events[i])
		if err != nil {
			t.Fatalf("%s: evaluator: %v", s.origin[i], err)
		}
		if len(ms) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(s.events[i]))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", s.origin[i], err)
		}
		swapped, err := json.Marshal(swapCase(v))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(swapped, s.events[i]) {
			continue
		}
		s.events = append(s.events, swapped)
		s.origin = append(s.origin, s.origin[i]+", case swapped")
	}
}

// swapCase swaps the case of every letter of every string value (not of keys).
func swapCase(v any) any {
	return jsontree.Map(v, func(leaf any) any {
		s, ok := leaf.(string)
		if !ok {
			return leaf
		}
		return strings.Map(func(r rune) rune {
			if unicode.IsUpper(r) {
				return unicode.ToLower(r)
			}
			return unicode.ToUpper(r)
		}, s)
	})
}

func toStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// caseSubjects loads every conformance case that has events.
func caseSubjects(t *testing.T, root string) []*engineSubject {
	t.Helper()
	cases, err := conformance.Load(filepath.Join(root, "testdata", "cases"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 60 {
		t.Fatalf("only %d conformance cases", len(cases))
	}
	var out []*engineSubject
	for _, c := range cases {
		if c.Error != "" {
			continue // a rule that must not load: nothing to run
		}
		rs, diags := translator.LoadBytes(c.Path, c.Rule)
		if diags.HasErrors() || len(rs) != 1 {
			t.Errorf("%s: %d rules, %v", c.Name, len(rs), diags)
			continue
		}
		s := &engineSubject{name: "cases/" + c.Name, rule: rs[0], events: c.Events}
		for i := range c.Events {
			s.origin = append(s.origin, fmt.Sprintf("cases/%s event %d", c.Name, i))
		}
		out = append(out, s)
	}
	return out
}

// explainRefusal names the dialect difference that makes the engine refuse a query, or "".
// None does today: the engine parses every query the converter writes for the pack and the
// cases, so any refusal fails the test.
func explainRefusal(engineJob, engineResult) string { return "" }

// explainEvent names the dialect difference that makes the engine and the evaluator disagree
// on event e (an event the engine failed on counts as not matched), or "". engineES is the
// engine's verdict with the checked differences undone. The names are tried in order, so the count of each is stable.
func explainEvent(j engineJob, e int, evaluator, engine, engineES bool) string {
	ev := decodeEvent(j.subject.events[e])
	cond := j.subject.rule.Conditions[j.cond]
	for _, name := range mapsKeys(dialectDifferences) {
		d := dialectDifferences[name]
		if !d.bridged && !d.sequence && d.explains(cond, ev, evaluator, engine) && (!d.checked || engineES == evaluator) {
			return name
		}
	}
	return ""
}
