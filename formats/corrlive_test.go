package formats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esbulk"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/samples"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// corrSample is one sample sequence of a correlation: its events, each with the log
// sources (indexes into the correlation's) it is indexed under.
type corrSample struct {
	sample samples.Sample
	events [][]byte
	times  []time.Time
	into   [][]int
}

// corrAlert is one alert as the test compares them: end, group-by values, value.
type corrAlert struct {
	End   time.Time
	Group string
	Value float64
}

func (a corrAlert) String() string {
	return fmt.Sprintf("end=%s group={%s} value=%g", a.End.UTC().Format(time.RFC3339Nano), a.Group, a.Value)
}

// TestElasticCorrelationRulesOnElasticsearch renders every correlation of the pack that
// becomes an ES|QL Elastic Security rule, and runs the rule's query on the live node over
// each of the correlation's sample sequences (testdata/rules/<platform>/mr_<name>/), each
// sequence in indexes of its own: the organisation profile places each log source the
// correlation names at a pattern only that sequence's index matches, so the rule is
// rendered once per sequence and its FROM is the profile's, as deployed. Its alerts must
// be the evaluator's over the same sequence (end, group-by values and value), so a match
// sample alerts and a no_match sample does not.
//
// The rule's query has no time filter of its own: Kibana's detection engine runs an ES|QL
// rule every `interval` with a range filter on @timestamp from `from` (now minus the
// lookback) to now. The test does the same over the sequence's time range: it runs the
// query with that filter at now = first event, first event + interval, ... until a run is
// at or past the last event, and takes the union of the rows. A row whose window a run cut
// short (an end near the start of the run's range) counts fewer events than the same end
// in a later run; for each end and group the largest value is kept, which is the row of
// the run that held the whole window (the lookback is at least timespan + interval).
func TestElasticCorrelationRulesOnElasticsearch(t *testing.T) {
	c := esclienttest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := "sbformats-corr-" + esclienttest.RunID
	root := ".."

	files, diags, err := sigmabridge.RuleFiles(nil)
	if err != nil || diags.HasErrors() {
		t.Fatalf("pack: %v %v", err, diags)
	}
	set, _ := ruleset.LoadSet(files)
	sources := sigmabridge.RuleSources(nil, files)
	b, err := backends.Get("esql")
	if err != nil {
		t.Fatal(err)
	}
	base := packProfile(t)
	base.Logs = nil

	// Which correlations become ES|QL rules, under the profile without log locations.
	s0, err := sigmabridge.Setup(base, profile.TargetOf("esql"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, items0 := sigmabridge.ConvertCorrelationItems(b, s0, set, sources, false)
	var corrs []int
	for ci, it := range items0 {
		if it != nil {
			corrs = append(corrs, ci)
		}
	}
	if len(corrs) < 10 {
		t.Fatalf("only %d correlations of the pack convert to ES|QL, want at least 10", len(corrs))
	}

	// The correlations' log sources, and every sample sequence, decoded by its input format.
	lsOf := func(ci int) []ir.Logsource {
		var out []ir.Logsource
		for _, ref := range set.Correlations[ci].Refs {
			if ref.Rule < 0 {
				t.Fatalf("%s names a correlation; this test runs rule-based correlations", set.Correlations[ci].Path)
			}
			if ls := set.Rules[ref.Rule].Logsource; !slices.Contains(out, ls) {
				out = append(out, ls)
			}
		}
		return out
	}
	seqs := map[int][]corrSample{}
	arrays := map[ir.Logsource]map[string]bool{}
	prog0, _ := evaluator.Compile(set.Rules)
	for _, ci := range corrs {
		corr := set.Correlations[ci]
		lss := lsOf(ci)
		m, err := sigmabridge.RuleManifest(&ir.Rule{Path: corr.Path, ID: corr.ID}, true)
		if err != nil || m == nil {
			t.Fatalf("%s: no samples: %v", corr.Path, err)
		}
		for _, smp := range m.Samples {
			recs, err := m.Records(smp)
			if err != nil {
				t.Fatal(err)
			}
			cs := corrSample{sample: smp}
			for i, rec := range recs {
				// An event goes to the log sources whose named rules match it (the first
				// log source when none does): a sequence may mix log sources.
				var into []int
				ms, err := prog0.MatchJSON(rec)
				if err != nil {
					t.Fatalf("%s/%s event %d: %v", m.Display, smp.File, i+1, err)
				}
				for _, mt := range ms {
					for _, ref := range corr.Refs {
						if ref.Rule == mt.RuleIndex {
							j := slices.Index(lss, set.Rules[ref.Rule].Logsource)
							if !slices.Contains(into, j) {
								into = append(into, j)
							}
						}
					}
				}
				if len(into) == 0 {
					into = []int{0}
				}
				field := evaluator.CorrelatorOptions{}.TimeField(lss[into[0]])
				f, err := evaluator.JSONFields(rec)
				if err != nil {
					t.Fatal(err)
				}
				v, _ := f(field)
				ts, ok := evaluator.ParseTime(v)
				if !ok {
					t.Fatalf("%s/%s event %d: no time in %s (%q)", m.Display, smp.File, i+1, field, v)
				}
				var ev map[string]any
				if err := json.Unmarshal(rec, &ev); err != nil {
					t.Fatal(err)
				}
				for _, j := range into {
					if arrays[lss[j]] == nil {
						arrays[lss[j]] = map[string]bool{}
					}
					arrayPaths(ev, "", arrays[lss[j]])
				}
				cs.events = append(cs.events, rec)
				cs.times = append(cs.times, ts)
				cs.into = append(cs.into, into)
			}
			seqs[ci] = append(seqs[ci], cs)
		}
	}
	mv := multiValuedPipeline(t, arrays)

	// The evaluator's reference: the pack's own sample run must pass (a match sample
	// alerts, a no_match one does not), and its alerts per sequence are compared below.
	s, err := sigmabridge.Setup(base, profile.TargetOf("esql"), []string{mv})
	if err != nil {
		t.Fatal(err)
	}
	prep := sigmabridge.Prepare(s, set.Rules)
	ps, _ := sigmabridge.PreparedSet(s, prep, set)
	prog, errs := evaluator.Compile(ps.Rules)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, ci := range corrs {
		if v := sigmabridge.RunCorrelationSamples(s, prep, set, ci, true, evaluator.CorrelatorOptions{}); !v.Passed() {
			t.Fatalf("%s: the evaluator fails the samples: %v", set.Correlations[ci].Path, v.Failures)
		}
		for _, ref := range set.Correlations[ci].Refs {
			if !prep.Shape(set.Rules[ref.Rule]).Identity() {
				t.Fatalf("%s: the setup reshapes events; this test indexes them as they come", set.Correlations[ci].Path)
			}
		}
	}
	evalAlerts := func(ci int, cs corrSample) map[string]corrAlert {
		k := evaluator.NewCorrelator(ps, evaluator.CorrelatorOptions{})
		var as []evaluator.Alert
		for i, ev := range cs.events {
			_, a, err := sigmabridge.Correlate(prog, k, fmt.Sprint(i), ev)
			if err != nil {
				t.Fatal(err)
			}
			as = append(as, a...)
		}
		as = append(as, k.Flush()...)
		out := map[string]corrAlert{}
		for _, a := range as {
			if a.Correlation != ci {
				continue
			}
			ca := corrAlert{End: a.End, Group: groupKey(a.Group), Value: a.Value}
			out[ca.String()] = ca
		}
		return out
	}

	// Each sequence in its own indexes, one per log source the correlation names.
	type placed struct {
		ci, si  int
		indexes []string
	}
	var all []placed
	var bulk []esbulk.Doc
	var created []string
	for _, ci := range corrs {
		lss := lsOf(ci)
		for si, cs := range seqs[ci] {
			p := placed{ci: ci, si: si}
			for _, ls := range lss {
				name := strings.ToLower(fmt.Sprintf("%s-c%02d-s%d-%s-%s", run, ci, si, ls.Product, ls.Service))
				m := templateFor(t, root, "sigmabridge-"+strings.ToLower(ls.Product)+"-"+strings.ToLower(ls.Service))
				props := plainObjects(m["properties"].(map[string]any))
				props["@timestamp"] = map[string]any{"type": "date"}
				m["properties"] = props
				body, _ := json.Marshal(map[string]any{"settings": map[string]any{"number_of_shards": 1, "number_of_replicas": 0}, "mappings": m})
				if err := c.CreateIndex(ctx, name, body); err != nil {
					t.Fatalf("index %s: %v", name, err)
				}
				esclienttest.Cleanup(t, c, name)
				created = append(created, name)
				p.indexes = append(p.indexes, name)
			}
			for i, ev := range cs.events {
				var doc map[string]any
				if err := json.Unmarshal(ev, &doc); err != nil {
					t.Fatal(err)
				}
				// @timestamp from the log source's time field, as the ingest pipelines set it.
				doc["@timestamp"] = cs.times[i].UTC().Format(time.RFC3339Nano)
				src, _ := json.Marshal(doc)
				for _, j := range cs.into[i] {
					bulk = append(bulk, esbulk.Doc{Index: p.indexes[j], ID: fmt.Sprint(i), Source: src})
				}
			}
			all = append(all, p)
		}
	}
	res, err := esbulk.Load(ctx, c, bulk)
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(ctx, created...); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d sample events of %d sequences in %d indexes", len(bulk), len(all), len(created))

	ran, alerting, runs := 0, 0, 0
	for _, p := range all {
		corr, cs := set.Correlations[p.ci], seqs[p.ci][p.si]
		label := fmt.Sprintf("%s %s (%s)", corr.Path, cs.sample.File, cs.sample.Expect)
		// The profile places each log source at this sequence's index only.
		prof := *base
		prof.Logs = nil
		for j, ls := range lsOf(p.ci) {
			prof.Logs = append(prof.Logs, profile.LogLocation{
				Logsource: profile.Logsource{Product: ls.Product, Service: ls.Service},
				Elastic:   &profile.ElasticLocation{Index: profile.Strings{p.indexes[j] + "*"}},
			})
		}
		sp, err := sigmabridge.Setup(&prof, profile.TargetOf("esql"), []string{mv})
		if err != nil {
			t.Fatal(err)
		}
		_, items := sigmabridge.ConvertCorrelationItems(b, sp, set, sources, false)
		if items[p.ci] == nil {
			t.Errorf("%s: does not convert under the sequence's profile", label)
			continue
		}
		out := formats.RenderElastic([]formats.Item{*items[p.ci]}, options("esql"))
		if out.Diags[0].HasErrors() || len(out.ByRule[0]) != 1 {
			t.Errorf("%s: %v", label, out.Diags[0])
			continue
		}
		er := out.ByRule[0][0]
		if er.Type != "esql" || er.Language != "esql" {
			t.Errorf("%s: type %s language %s", label, er.Type, er.Language)
			continue
		}
		for _, idx := range p.indexes {
			if !strings.Contains(er.Query, idx+"*") {
				t.Errorf("%s: the query does not read the profile's pattern %s*:\n%s", label, idx, er.Query)
			}
		}
		lookback, interval, err := schedule(er)
		if err != nil {
			t.Errorf("%s: %v", label, err)
			continue
		}
		if lookback < corr.Timespan+interval {
			t.Errorf("%s: lookback %s is shorter than timespan %s + interval %s: a scheduled run cannot see a whole window", label, lookback, corr.Timespan, interval)
		}
		first, last := slices.MinFunc(cs.times, time.Time.Compare), slices.MaxFunc(cs.times, time.Time.Compare)
		got := map[string]corrAlert{}
		best := map[string]corrAlert{} // by end and group
		failed := false
		for now := first; ; now = now.Add(interval) {
			runs++
			rows, err := esqlFiltered(ctx, c, er.Query, now.Add(-lookback), now)
			if err != nil {
				t.Errorf("%s: Elasticsearch refused the rule's query: %v\n  query: %s", label, err, er.Query)
				failed = true
				break
			}
			for _, a := range rowsToAlerts(t, rows, corr) {
				key := a.End.String() + "\x00" + a.Group
				if o, ok := best[key]; !ok || a.Value > o.Value {
					best[key] = a
				}
			}
			if !now.Before(last) {
				break
			}
		}
		if failed {
			continue
		}
		for _, a := range best {
			got[a.String()] = a
		}
		ran++
		want := evalAlerts(p.ci, cs)
		if (len(want) > 0) != (cs.sample.Expect == "match") {
			t.Errorf("%s: the evaluator raised %d alerts", label, len(want))
		}
		if len(got) > 0 {
			alerting++
		}
		if !reflect.DeepEqual(sortedKeys(got), sortedKeys(want)) {
			t.Errorf("%s: the rule's alerts on Elasticsearch differ from the evaluator's:\n  got  %v\n  want %v\n  query: %s", label, sortedKeys(got), sortedKeys(want), er.Query)
		}
	}
	if ran != len(all) || ran < 30 {
		t.Errorf("%d of %d sequences ran", ran, len(all))
	}
	t.Logf("%d ES|QL correlation rules, %d sequences, %d scheduled runs; %d sequences alerted", len(corrs), ran, runs, alerting)
}

// schedule reads an Elastic rule's lookback (from: now-<duration>) and interval.
func schedule(er formats.ElasticRule) (lookback, interval time.Duration, err error) {
	from, ok := strings.CutPrefix(er.From, "now-")
	if !ok {
		return 0, 0, fmt.Errorf("from %q is not now-<duration>", er.From)
	}
	if lookback, err = time.ParseDuration(from); err != nil {
		return 0, 0, fmt.Errorf("from %q: %v", er.From, err)
	}
	if interval, err = time.ParseDuration(er.Interval); err != nil || interval <= 0 {
		return 0, 0, fmt.Errorf("interval %q: %v", er.Interval, err)
	}
	return lookback, interval, nil
}

// esqlFiltered runs an ES|QL query with the range filter on @timestamp that the detection
// engine adds to a rule's run (from <= @timestamp <= to).
func esqlFiltered(ctx context.Context, c *esclient.Client, query string, from, to time.Time) (*esclient.ESQLResult, error) {
	body, _ := json.Marshal(map[string]any{
		"query": query,
		"filter": map[string]any{"bool": map[string]any{"filter": []any{map[string]any{"range": map[string]any{"@timestamp": map[string]any{
			"gte": from.UTC().Format(time.RFC3339Nano), "lte": to.UTC().Format(time.RFC3339Nano), "format": "strict_date_optional_time"}}}}}},
	})
	resp, err := esapi.EsqlQueryRequest{Body: strings.NewReader(string(body)), Format: "json"}.Do(ctx, c)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.IsError() {
		return nil, fmt.Errorf("%s: %s", resp.Status(), raw)
	}
	var res esclient.ESQLResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// rowsToAlerts reads the rows of a correlation's ES|QL (KEEP sb_end, sb_g0.., sb_value).
func rowsToAlerts(t *testing.T, r *esclient.ESQLResult, corr *ir.Correlation) []corrAlert {
	t.Helper()
	end, value := r.Column("sb_end"), r.Column("sb_value")
	if end < 0 || value < 0 {
		t.Fatalf("%s: the ES|QL result has no sb_end or sb_value column: %+v", corr.Path, r.Columns)
	}
	var out []corrAlert
	for _, row := range r.Values {
		var e string
		if err := json.Unmarshal(row[end], &e); err != nil {
			t.Fatalf("%s: sb_end %s: %v", corr.Path, row[end], err)
		}
		ts, err := time.Parse(time.RFC3339Nano, e)
		if err != nil {
			t.Fatal(err)
		}
		var v float64
		if err := json.Unmarshal(row[value], &v); err != nil {
			t.Fatalf("%s: sb_value %s: %v", corr.Path, row[value], err)
		}
		g := map[string]string{}
		for i, name := range corr.GroupBy {
			col := r.Column(fmt.Sprintf("sb_g%d", i))
			if col < 0 {
				t.Fatalf("%s: no column sb_g%d for group-by %s", corr.Path, i, name)
			}
			var x any
			if err := json.Unmarshal(row[col], &x); err != nil {
				t.Fatal(err)
			}
			g[name] = fmt.Sprint(x)
		}
		out = append(out, corrAlert{End: ts, Group: groupKey(g), Value: v})
	}
	return out
}

func groupKey(g map[string]string) string {
	var parts []string
	for k, v := range g {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func sortedKeys(m map[string]corrAlert) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
