package eql_test

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/eql"
	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/samples"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator/corrcase"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// seqSubject is one correlation with one stream of events: a correlation conformance case
// (testdata/correlation) or one sample sequence of a pack correlation.
type seqSubject struct {
	name   string
	set    *ir.RuleSet
	corr   int
	events [][]byte // in time order (stable)
	times  []time.Time
	// want, for a conformance case, is the case's expectation for the correlation (the
	// evaluator's own test checks it); nil for a pack sample.
	want []corrcase.Alert
	// expect, for a pack sample, is its manifest's expectation ("match", "no_match").
	expect string
}

// seqAlert is an alert with the events (indexes into seqSubject.events) that made it.
type seqAlert struct {
	corrcase.Alert
	events []int
}

// TestEngineSequencesAgreeWithEvaluator renders every temporal_ordered correlation of the
// correlation conformance cases and of the pack as an EQL sequence, runs it on Elastic's
// Python EQL engine (testdata/engine.py) over the case's events or each of the correlation's
// sample sequences, and compares the sequences it reports (each an alert at its last event,
// for the group of its join keys) with the evaluator's alerts. An alert the evaluator raises
// and the engine does not passes only under the named dialect difference
// sequence-consumes-events, checked per alert; any other disagreement fails.
func TestEngineSequencesAgreeWithEvaluator(t *testing.T) {
	python := engineTools(t)
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	subjects := append(corrCaseSubjects(t, root), packSequenceSubjects(t, root)...)
	var jobs []engineJob
	var queries []string
	for _, s := range subjects {
		c := s.set.Correlations[s.corr]
		qs, ds := backends.ConvertCorrelation(eql.Backend{}, c, backends.RefRules(s.set, c))
		if ds.HasErrors() {
			t.Fatalf("%s: not rendered: %v", s.name, ds)
		}
		queries = append(queries, qs[0].Text)
		jobs = append(jobs, engineJob{subject: &engineSubject{name: s.name, events: s.events}, query: qs[0].Text})
	}
	results := runSequenceEngine(t, python, jobs, subjects)
	agree, alerts, cases, packs := 0, 0, 0, map[string]bool{}
	byName := map[string]int{}
	for i, s := range subjects {
		c := s.set.Correlations[s.corr]
		r := results[i]
		if r.Error != "" {
			t.Errorf("%s: the engine refuses the query: %s: %s\n  query: %s", s.name, r.Error, r.Message, queries[i])
			continue
		}
		if s.want != nil {
			cases++
		} else {
			packs[c.ID] = true
		}
		mine := evaluatorAlerts(t, s)
		if s.want != nil {
			var plain []corrcase.Alert
			for _, a := range mine {
				plain = append(plain, a.Alert)
			}
			if !slices.Equal(plain, s.want) {
				t.Fatalf("%s: the evaluator raises %v here, the case expects %v", s.name, plain, s.want)
			}
		} else if (len(mine) > 0) != (s.expect == "match") {
			t.Errorf("%s: expect %s, the evaluator raises %v", s.name, s.expect, mine)
		}
		engine := sequenceAlerts(t, s, r.Sequences)
		engineES := sequenceAlerts(t, s, r.SequencesES)
		ok, exact := true, true
		for _, g := range engine {
			if slices.ContainsFunc(mine, func(a seqAlert) bool { return a.Alert == g.Alert }) {
				continue
			}
			if names := eventDifferences(s, g, engineES, false); len(names) > 0 {
				byName[strings.Join(names, "+")]++
				exact = false
				t.Logf("%s: the engine reports %v, the evaluator does not: dialect difference %v", s.name, g.Alert, names)
				continue
			}
			t.Errorf("%s: the engine reports %v (events %v), which the evaluator does not\n  query: %s", s.name, g.Alert, g.events, queries[i])
			ok = false
		}
		for _, a := range mine {
			alerts++
			if slices.ContainsFunc(engine, func(g seqAlert) bool { return a.Alert == g.Alert }) {
				continue
			}
			if sequenceConsumesEvents(a, engine) {
				byName["sequence-consumes-events"]++
				exact = false
				t.Logf("%s: the evaluator raises %v, the engine does not: dialect difference sequence-consumes-events", s.name, a.Alert)
				continue
			}
			if names := eventDifferences(s, a, engineES, true); len(names) > 0 {
				byName[strings.Join(names, "+")]++
				exact = false
				t.Logf("%s: the evaluator raises %v, the engine does not: dialect difference %v", s.name, a.Alert, names)
				continue
			}
			t.Errorf("%s: the evaluator raises %v (events %v), the engine does not\n  query: %s", s.name, a.Alert, a.events, queries[i])
			ok = false
		}
		if ok && exact {
			agree++
		}
	}
	if cases < 4 || len(packs) < 10 {
		t.Errorf("ran %d conformance-case correlations and %d pack correlations; want at least 4 and 10", cases, len(packs))
	}
	t.Logf("EQL sequences on the Python engine: %d runs (%d conformance-case correlations, %d samples of %d pack correlations), %d agree with the evaluator on every alert, the others only by named dialect differences (%d evaluator alerts)",
		len(subjects), cases, len(subjects)-cases, len(packs), agree, alerts)
	for _, name := range mapsKeys(byName) {
		t.Logf("  alerts that differ by named dialect difference %s: %d", name, byName[name])
	}
}

// sequenceConsumesEvents is the check of the dialect difference sequence-consumes-events:
// the evaluator's alert a is missing from the engine because a sequence the engine reported
// earlier took one of a's events before its last (an EQL sequence uses each event once).
func sequenceConsumesEvents(a seqAlert, engine []seqAlert) bool {
	for _, g := range engine {
		if !g.End.Before(a.End) && g.End != a.End {
			continue
		}
		for _, e := range a.events[:len(a.events)-1] {
			if slices.Contains(g.events, e) {
				return true
			}
		}
	}
	return false
}

// eventDifferences names the checked single-event dialect differences (dialectDifferences)
// that account for alert a being raised by only one of the evaluator (evaluator true) and
// the engine: the run with Elasticsearch's side of them taken (es) must agree with the
// evaluator on a, and one of them must apply to one of a's events under the condition of
// the rule that event stands for in the sequence.
func eventDifferences(s *seqSubject, a seqAlert, es []seqAlert, evaluator bool) []string {
	if slices.ContainsFunc(es, func(g seqAlert) bool { return g.Alert == a.Alert }) != evaluator {
		return nil
	}
	c := s.set.Correlations[s.corr]
	var names []string
	for _, name := range mapsKeys(dialectDifferences) {
		d := dialectDifferences[name]
		if !d.checked || d.explains == nil {
			continue
		}
		for pos, e := range a.events {
			if pos >= len(c.Refs) {
				break
			}
			cond := s.set.Rules[c.Refs[pos].Rule].Conditions[0]
			if d.explains(cond, decodeEvent(s.events[e]), evaluator, !evaluator) {
				names = append(names, name)
				break
			}
		}
	}
	return names
}

// runSequenceEngine runs the sequence jobs in one call of testdata/engine.py.
func runSequenceEngine(t *testing.T, python string, jobs []engineJob, subjects []*seqSubject) []engineResult {
	t.Helper()
	times := make([][]int64, len(jobs))
	for i, s := range subjects {
		for _, tm := range s.times {
			times[i] = append(times[i], tm.UnixNano())
		}
	}
	return runEngineTimes(t, python, jobs, times)
}

// evaluatorAlerts runs s through the evaluator and returns the alerts of its correlation
// with the events that made each (for temporal_ordered, the chain), sorted.
func evaluatorAlerts(t *testing.T, s *seqSubject) []seqAlert {
	t.Helper()
	prog, errs := evaluator.Compile(s.set.Rules)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", s.name, errs)
	}
	k := evaluator.NewCorrelator(s.set, evaluator.CorrelatorOptions{})
	var out []seqAlert
	collect := func(as []evaluator.Alert) {
		for _, a := range as {
			if a.Correlation != s.corr {
				continue
			}
			sa := seqAlert{Alert: corrcase.Alert{Correlation: a.Corr.Name, End: a.End, Group: corrcase.GroupKey(a.Group), Value: a.Value}}
			for _, e := range a.Events {
				var i int
				fmt.Sscan(e.ID, &i)
				sa.events = append(sa.events, i)
			}
			out = append(out, sa)
		}
	}
	for i, ev := range s.events {
		ms, err := prog.MatchJSON(ev)
		if err != nil {
			t.Fatal(err)
		}
		var rs []int
		for _, m := range ms {
			rs = append(rs, m.RuleIndex)
		}
		fields, err := evaluator.JSONFields(ev)
		if err != nil {
			t.Fatal(err)
		}
		collect(k.Observe(evaluator.Event{Time: s.times[i], ID: fmt.Sprint(i), Fields: fields}, rs))
	}
	collect(k.Flush())
	sortSeqAlerts(out)
	return out
}

// sequenceAlerts turns the engine's sequences into alerts: the end is the time of the last
// event, the group its join values (the last rule's alias fields), the value the number of
// rules.
func sequenceAlerts(t *testing.T, s *seqSubject, seqs [][]int) []seqAlert {
	t.Helper()
	c := s.set.Correlations[s.corr]
	var out []seqAlert
	for _, seq := range seqs {
		if len(seq) != len(c.Refs) {
			t.Errorf("%s: a sequence of %d events for %d rules: %v", s.name, len(seq), len(c.Refs), seq)
			continue
		}
		last := seq[len(seq)-1]
		fields, err := evaluator.JSONFields(s.events[last])
		if err != nil {
			t.Fatal(err)
		}
		g := map[string]string{}
		for _, name := range c.GroupBy {
			v, _ := fields(c.FieldFor(len(c.Refs)-1, name))
			g[name] = v
		}
		out = append(out, seqAlert{Alert: corrcase.Alert{Correlation: c.Name, End: s.times[last], Group: corrcase.GroupKey(g), Value: float64(len(c.Refs))}, events: seq})
	}
	sortSeqAlerts(out)
	return out
}

func sortSeqAlerts(as []seqAlert) {
	sort.SliceStable(as, func(i, j int) bool { return as[i].String() < as[j].String() })
}

// timeOrdered sorts events by their time (stable), as Elasticsearch orders a sequence's
// candidates by @timestamp.
func timeOrdered(s *seqSubject) {
	idx := make([]int, len(s.events))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.times[idx[a]].Before(s.times[idx[b]]) })
	evs, ts := make([][]byte, len(idx)), make([]time.Time, len(idx))
	for i, j := range idx {
		evs[i], ts[i] = s.events[j], s.times[j]
	}
	s.events, s.times = evs, ts
}

// corrCaseSubjects are the temporal_ordered correlations of testdata/correlation over their
// cases' events.
func corrCaseSubjects(t *testing.T, root string) []*seqSubject {
	t.Helper()
	cases, err := corrcase.Load(filepath.Join(root, "testdata", "correlation"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*seqSubject
	for _, c := range cases {
		set := c.Set(t)
		for ci, corr := range set.Correlations {
			if corr.Type != ir.TemporalOrdered {
				continue
			}
			s := &seqSubject{name: "correlation/" + c.Name + "/" + corr.Name, set: set, corr: ci, want: []corrcase.Alert{}}
			for _, a := range c.Want() {
				if a.Correlation == corr.Name {
					s.want = append(s.want, a)
				}
			}
			for _, line := range c.JSONL() {
				fields, _ := evaluator.JSONFields(line)
				ts, _ := fields("@timestamp")
				tm, ok := evaluator.ParseTime(ts)
				if !ok {
					t.Fatalf("%s: an event without @timestamp", c.Name)
				}
				s.events = append(s.events, line)
				s.times = append(s.times, tm)
			}
			timeOrdered(s)
			out = append(out, s)
		}
	}
	return out
}

// packSequenceSubjects are the pack's temporal_ordered correlations (under the samples'
// placeholder values), each over each of its sample sequences.
func packSequenceSubjects(t *testing.T, root string) []*seqSubject {
	t.Helper()
	placeholders, err := pipeline.ParseFile(filepath.Join(root, "testdata", "rules", "placeholders.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*seqSubject
	err = fs.WalkDir(rules.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(path.Base(p), "mr_") || !strings.HasSuffix(p, ".yml") {
			return err
		}
		data, err := fs.ReadFile(rules.FS, p)
		if err != nil {
			return err
		}
		set, diags := translator.LoadSetBytes("rules/"+p, data)
		diags = append(diags, translator.Resolve(set)...)
		if diags.HasErrors() {
			t.Errorf("rules/%s: %v", p, diags)
			return nil
		}
		for i, r := range set.Rules {
			pr, ds := placeholders.Apply(r)
			if ds.HasErrors() {
				t.Errorf("rules/%s: placeholders: %v", p, ds)
				return nil
			}
			set.Rules[i] = pr
		}
		for ci, c := range set.Correlations {
			if c.Type != ir.TemporalOrdered {
				continue
			}
			dir := filepath.Join(root, "testdata", "rules", strings.TrimSuffix(p, ".yml"))
			m, err := samples.ReadManifest(os.DirFS(dir), ".", dir)
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			timeField := evaluator.CorrelatorOptions{}.TimeField(set.Rules[c.Refs[0].Rule].Logsource)
			for _, smp := range m.Samples {
				shown := path.Join(strings.TrimSuffix(p, ".yml"), smp.File)
				s := &seqSubject{name: "rules/" + shown, set: set, corr: ci, expect: smp.Expect}
				err := m.Read(smp, func(rec input.Record) error {
					ev := append([]byte(nil), rec.JSON...)
					fields, err := evaluator.JSONFields(ev)
					if err != nil {
						return err
					}
					ts, _ := fields(timeField)
					tm, ok := evaluator.ParseTime(ts)
					if !ok {
						return fmt.Errorf("line %d: no time in %s", rec.Line, timeField)
					}
					s.events = append(s.events, ev)
					s.times = append(s.times, tm)
					return nil
				})
				if err != nil {
					t.Errorf("%s: %v", shown, err)
					continue
				}
				timeOrdered(s)
				out = append(out, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
