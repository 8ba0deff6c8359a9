package host_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/builtin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/samples"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// packSet loads the rule pack with its correlations.
func packSet(t *testing.T) *ir.RuleSet {
	t.Helper()
	files, diags := ruleset.Discover([]string{filepath.Join("..", "..", "rules")})
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	set, diags := ruleset.LoadSet(files)
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	if len(set.Correlations) < 20 {
		t.Fatalf("the pack has %d correlations, want at least 20", len(set.Correlations))
	}
	return set
}

// packDetector starts the built-in detector plugin and loads set into it, correlations and
// all.
func packDetector(t *testing.T, set *ir.RuleSet) *host.Detector {
	t.Helper()
	m, _ := newManager(t, "", managerOpts{})
	ctx := context.Background()
	det, err := m.Detector(ctx, builtin.DetectorName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := det.LoadSet(ctx, set.Rules, set.Correlations, plugin.CorrelationOptions{}); err != nil {
		t.Fatal(err)
	}
	return det
}

// correlationSamples reads every sample sequence of the pack's correlations: file name ->
// events.
func correlationSamples(t *testing.T) map[string][][]byte {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "rules", "*", "mr_*"))
	if err != nil || len(dirs) < 20 {
		t.Fatalf("%d correlation sample directories (%v)", len(dirs), err)
	}
	out := map[string][][]byte{}
	for _, dir := range dirs {
		m, err := samples.ReadManifest(os.DirFS(dir), ".", dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range m.Samples {
			// Each sequence decoded from its input format, as `test` runs it.
			records, err := m.Records(s)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Join(dir, s.File)] = records
		}
	}
	return out
}

// alertText is an alert in a form both paths give: correlation, group, window, value and
// every event with its time and rule.
func alertText(ci int, group map[string]string, start, end time.Time, value float64, events []evaluator.AlertEvent, omitted int) string {
	keys := make([]string, 0, len(group))
	for k, v := range group {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	var evs []string
	for _, e := range events {
		evs = append(evs, fmt.Sprintf("%s@%s/r%d", e.ID, e.Time.Format(time.RFC3339Nano), e.Ref))
	}
	return fmt.Sprintf("c%d %v %s..%s %g [%s] +%d", ci, keys, start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano), value, strings.Join(evs, " "), omitted)
}

// inProcess runs events through the in-process path of scan and test: the evaluator and
// evaluator.Correlator, fed by sigmabridge.Correlate; ids are the event indexes.
func inProcess(t *testing.T, prog *evaluator.Program, set *ir.RuleSet, events [][]byte) (alerts, errs []string) {
	t.Helper()
	k := evaluator.NewCorrelator(set, evaluator.CorrelatorOptions{})
	add := func(as []evaluator.Alert) {
		for _, a := range as {
			alerts = append(alerts, alertText(a.Correlation, a.Group, a.Start, a.End, a.Value, a.Events, a.Omitted))
		}
	}
	for i, ev := range events {
		_, as, err := sigmabridge.Correlate(prog, k, fmt.Sprint(i), ev)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%d: %v", i, err))
		}
		add(as)
	}
	add(k.Flush())
	return alerts, errs
}

func pluginAlerts(as []plugin.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, alertText(a.Correlation, a.Group, a.Start, a.End, a.Value, a.Events, a.Omitted))
	}
	return out
}

// throughStream runs events through a stream of det in batches of batch events.
func throughStream(ctx context.Context, det *host.Detector, events [][]byte, batch int) (alerts, errs []string, err error) {
	st, err := det.OpenStream()
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	for from := 0; from < len(events); from += batch {
		to := min(from+batch, len(events))
		ids := make([]string, to-from)
		for i := range ids {
			ids[i] = fmt.Sprint(from + i)
		}
		resp, err := st.Match(ctx, events[from:to], host.StreamEvents{IDs: ids})
		if err != nil {
			return nil, nil, err
		}
		alerts = append(alerts, pluginAlerts(resp.Alerts)...)
		for _, e := range resp.CorrelationErrors {
			errs = append(errs, fmt.Sprintf("%d: %s", from+e.Event, e.Message))
		}
	}
	end, err := st.End(ctx)
	if err != nil {
		return nil, nil, err
	}
	return append(alerts, pluginAlerts(end.Alerts)...), errs, nil
}

// TestCorrelationsThroughPluginEqualInProcess runs every correlation sample sequence of the
// pack through the built-in detector plugin (a real plugin process) and through the
// in-process path: the alerts, with their windows, values and events, must be identical.
// The sequences run concurrently, each in a stream of its own, in batches of one and of
// three events, so streams must stay apart and batches be applied in order.
func TestCorrelationsThroughPluginEqualInProcess(t *testing.T) {
	set := packSet(t)
	samples := correlationSamples(t)
	prog, _ := evaluator.Compile(set.Rules)
	ctx := context.Background()
	det := packDetector(t, set)
	if d := det.Description(); d.ProtocolRevision != plugin.ProtocolRevision || len(d.CorrelationTypes) != len(ir.CorrelationTypes) {
		t.Fatalf("the built-in detector describes revision %d and types %v", d.ProtocolRevision, d.CorrelationTypes)
	}
	var (
		mu               sync.Mutex
		files, alerting  int
		alertsCompared   int
		wg               sync.WaitGroup
		names            []string
		correlationsSeen = map[int]bool{}
	)
	for f := range samples {
		names = append(names, f)
	}
	sort.Strings(names)
	sem := make(chan struct{}, 8)
	for _, f := range names {
		events := samples[f]
		want, wantErrs := inProcess(t, prog, set, events)
		for _, batch := range []int{1, 3} {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				got, gotErrs, err := throughStream(ctx, det, events, batch)
				name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
				if err != nil {
					t.Errorf("%s (batches of %d): %v", name, batch, err)
					return
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s (batches of %d): alerts through the plugin\n%s\nin process\n%s", name, batch, strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				if !reflect.DeepEqual(gotErrs, wantErrs) {
					t.Errorf("%s (batches of %d): errors through the plugin %q, in process %q", name, batch, gotErrs, wantErrs)
				}
				mu.Lock()
				defer mu.Unlock()
				if batch == 1 {
					files++
					alertsCompared += len(want)
					if len(want) > 0 {
						alerting++
					}
				}
			}()
		}
		for _, a := range want {
			var ci int
			fmt.Sscanf(a, "c%d", &ci)
			correlationsSeen[ci] = true
		}
	}
	wg.Wait()
	t.Logf("%d sample sequences, %d with alerts, %d alerts compared, %d of %d correlations alerted",
		files, alerting, alertsCompared, len(correlationsSeen), len(set.Correlations))
	if alerting < 20 || len(correlationsSeen) < 20 {
		t.Errorf("only %d sequences and %d correlations alerted: the comparison proves little", alerting, len(correlationsSeen))
	}
}

// TestScanStreamsCorrelationsInOrder scans every sample sequence of the pack through
// ScanEvents, with batches of one event and several in flight (so that batches reach the
// plugin out of order), all sequences at once: the alerts, in the order the batches and
// the end of the input give them, equal the in-process ones, and each comes with the
// batch of the event that completed it.
func TestScanStreamsCorrelationsInOrder(t *testing.T) {
	set := packSet(t)
	samples := correlationSamples(t)
	prog, _ := evaluator.Compile(set.Rules)
	ctx := context.Background()
	det := packDetector(t, set)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	sem := make(chan struct{}, 6)
	for f, events := range samples {
		want, _ := inProcess(t, prog, set, events)
		for _, shared := range []bool{false, true} {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				var got []string
				ends := 0
				err := det.ScanEvents(ctx, host.ScanOptions{BatchEvents: 1, InFlight: 4, NoSharedMemory: !shared, Correlate: true,
					EventID: func(dst []byte, line int) []byte { return strconv.AppendInt(dst, int64(line), 10) }},
					func(add func(int, []byte) bool) error {
						for i, ev := range events {
							if !add(i, ev) {
								return nil
							}
						}
						return nil
					}, func(b *host.ScanBatch) error {
						if b.End != nil {
							ends++
							got = append(got, pluginAlerts(b.End.Alerts)...)
							return nil
						}
						for _, a := range b.Alerts {
							last := a.Events[len(a.Events)-1].ID
							if fmt.Sprint(b.Lines[a.Event]) != last {
								t.Errorf("%s: an alert ending with event %s comes with event %d", f, last, b.Lines[a.Event])
							}
						}
						got = append(got, pluginAlerts(b.Alerts)...)
						return nil
					})
				if err != nil {
					t.Errorf("%s: %v", f, err)
					return
				}
				if ends != 1 || !reflect.DeepEqual(got, want) {
					t.Errorf("%s (shared memory %v): %d ends; alerts through the scan\n%s\nin process\n%s", f, shared, ends, strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				mu.Lock()
				total += len(got)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	if total < 40 {
		t.Errorf("%d alerts over both runs: the comparison proves little", total)
	}
}

// TestCorrelationsRefusedByOlderDetectors: a detector built before correlated streams
// (protocol revision 0, the raw badresp server) and one of revision 1 that lists no
// correlation type (detonly) each get a typed Unimplemented failure naming them, nothing
// is sent, and the rules alone still load and match.
func TestCorrelationsRefusedByOlderDetectors(t *testing.T) {
	dir := pluginDir(t, "badresp", "detonly")
	m, _ := newManager(t, dir, managerOpts{})
	ctx := context.Background()
	rules := []*ir.Rule{{ID: "r0", Title: "r0", Conditions: []ir.Node{&ir.Exists{Field: "x"}}}}
	corrs := []*ir.Correlation{{ID: "c0", Title: "c0", Type: ir.EventCount, Timespan: time.Minute,
		Refs: []ir.CorrelationRef{{Name: "r0", Rule: 0, Correlation: -1}}, Condition: ir.Range{HasMin: true, MinIncl: true, Min: 3}}}
	for _, tc := range []struct{ name, says string }{
		{"badresp", "protocol revision 0"},
		{"detonly", "does not evaluate event_count"},
	} {
		det, err := m.Detector(ctx, tc.name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = det.LoadSet(ctx, rules, corrs, plugin.CorrelationOptions{})
		pe, ok := host.AsPluginError(err)
		if !ok || pe.Failure != host.Unimplemented || pe.Plugin != tc.name || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: LoadSet with a correlation: %v; want an Unimplemented failure of the plugin saying %q", tc.name, err, tc.says)
		}
		if _, err := det.OpenStream(); !host.HasFailure(err, host.Unimplemented) {
			t.Errorf("%s: OpenStream without correlations loaded: %v", tc.name, err)
		}
		if tc.name == "detonly" {
			if _, err := det.Load(ctx, rules); err != nil {
				t.Fatalf("%s: the rules alone: %v", tc.name, err)
			}
			resp, err := det.Match(ctx, [][]byte{[]byte(`{"x":"hit"}`)})
			if err != nil || len(resp.Matches) != 1 {
				t.Errorf("%s: matching after the refusal: %v %+v", tc.name, err, resp)
			}
		}
	}
}

// TestHostileCorrelatingPluginDiesMidStream: a detector plugin that crashes, or hangs,
// while observing an event in the middle of a stream fails that scan with an error that
// names the plugin and says what happened, within the call timeout; a scan of the
// built-in detector running beside it completes with its alerts.
func TestHostileCorrelatingPluginDiesMidStream(t *testing.T) {
	dir := pluginDir(t, "corrcrash", "corrhang")
	m, _ := newManager(t, dir, managerOpts{callTimeout: 3 * time.Second})
	ctx := context.Background()
	rules := []*ir.Rule{{ID: "r0", Title: "r0", Logsource: ir.Logsource{Product: "test"},
		Conditions: []ir.Node{&ir.Match{Field: "x", Pattern: ir.Pattern{{Kind: ir.Lit, Text: "hit"}}, Kind: ir.String}}}}
	corrs := []*ir.Correlation{{ID: "c0", Title: "c0", Type: ir.EventCount, Timespan: time.Hour,
		Refs: []ir.CorrelationRef{{Name: "r0", Rule: 0, Correlation: -1}}, Condition: ir.Range{HasMin: true, MinIncl: true, Min: 3}}}
	var events [][]byte
	for i := range 40 {
		ev := fmt.Sprintf(`{"@timestamp":"2026-01-01T00:%02d:00Z","x":"hit"}`, i)
		if i == 25 {
			ev = `{"@timestamp":"2026-01-01T00:25:00Z","x":"hit","y":"die"}`
		}
		events = append(events, []byte(ev))
	}
	scan := func(det *host.Detector) (alerts int, err error) {
		err = det.ScanEvents(ctx, host.ScanOptions{BatchEvents: 4, InFlight: 2, Correlate: true}, func(add func(int, []byte) bool) error {
			for i, ev := range events {
				if !add(i+1, ev) {
					return nil
				}
			}
			return nil
		}, func(b *host.ScanBatch) error {
			alerts += len(b.Alerts)
			if b.End != nil {
				alerts += len(b.End.Alerts)
			}
			return nil
		})
		return alerts, err
	}
	for _, tc := range []struct {
		name    string
		failure host.Failure
	}{{"corrcrash", host.Crashed}, {"corrhang", host.Hung}} {
		t.Run(tc.name, func(t *testing.T) {
			bad, err := m.Detector(ctx, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bad.LoadSet(ctx, rules, corrs, plugin.CorrelationOptions{}); err != nil {
				t.Fatal(err)
			}
			good, err := m.Detector(ctx, builtin.DetectorName)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := good.LoadSet(ctx, rules, corrs, plugin.CorrelationOptions{}); err != nil {
				t.Fatal(err)
			}
			var goodAlerts int
			var goodErr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				goodAlerts, goodErr = scan(good)
			}()
			start := time.Now()
			_, err = scan(bad)
			took := time.Since(start)
			pe, ok := host.AsPluginError(err)
			if !ok || pe.Plugin != tc.name || pe.Failure != tc.failure {
				t.Errorf("the scan through %s: %v; want a %q failure naming the plugin", tc.name, err, tc.failure)
			} else {
				t.Logf("%s: %v (after %v)", tc.name, err, took.Round(time.Millisecond))
			}
			if took > 20*time.Second {
				t.Errorf("the failure took %v", took)
			}
			<-done
			// Every event from the third on closes a window of at least three events.
			if goodErr != nil || goodAlerts != len(events)-2 {
				t.Errorf("the built-in detector's scan beside it: %d alerts, %v; want %d", goodAlerts, goodErr, len(events)-2)
			}
		})
	}
}

// TestCorrelatedScanHostMemoryBounded streams generated events, never held whole, through
// the built-in detector's correlations: the host's peak heap does not grow with the input
// (doubling it adds at most half), and stays under a cap well below the input's size; the
// windows live in the plugin. The alerts prove the correlations ran.
func TestCorrelatedScanHostMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 100 MB of events")
	}
	m, _ := newManager(t, "", managerOpts{})
	ctx := context.Background()
	det, err := m.Detector(ctx, builtin.DetectorName)
	if err != nil {
		t.Fatal(err)
	}
	rules := []*ir.Rule{{ID: "r0", Title: "r0", Logsource: ir.Logsource{Product: "test"},
		Conditions: []ir.Node{&ir.Match{Field: "action", Pattern: ir.Pattern{{Kind: ir.Lit, Text: "fail"}}, Kind: ir.String}}}}
	corrs := []*ir.Correlation{{ID: "c0", Title: "c0", Type: ir.EventCount, Timespan: time.Minute, GroupBy: []string{"user"},
		Refs: []ir.CorrelationRef{{Name: "r0", Rule: 0, Correlation: -1}}, Condition: ir.Range{HasMin: true, MinIncl: true, Min: 8}}}
	if _, err := det.LoadSet(ctx, rules, corrs, plugin.CorrelationOptions{}); err != nil {
		t.Fatal(err)
	}
	const cap = 40 << 20
	peak := func(n int) (uint64, int) {
		runtime.GC()
		var ms runtime.MemStats
		var top uint64
		alerts := 0
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		pad := strings.Repeat("x", 100)
		err := det.ScanEvents(ctx, host.ScanOptions{Correlate: true, EventID: func(dst []byte, line int) []byte { return fmt.Appendf(dst, "logs.jsonl:%d", line) }},
			func(add func(int, []byte) bool) error {
				buf := make([]byte, 0, 256)
				for i := range n {
					// A thousand users, seven events a minute each (no alert); every 5,000
					// events (50 s), ten of user hot in a row.
					user := fmt.Sprintf("u%d", i%1000)
					if i%5000 < 10 {
						user = "hot"
					}
					buf = fmt.Appendf(buf[:0], `{"@timestamp":%q,"action":"fail","user":%q,"pad":%q}`,
						base.Add(time.Duration(i)*10*time.Millisecond).Format(time.RFC3339Nano), user, pad)
					if !add(i+1, buf) {
						return nil
					}
				}
				return nil
			}, func(b *host.ScanBatch) error {
				alerts += len(b.Alerts)
				if b.End != nil {
					alerts += len(b.End.Alerts)
				}
				runtime.ReadMemStats(&ms)
				top = max(top, ms.HeapAlloc)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		return top, alerts
	}
	n := 200_000 // about 35 MB of events
	p1, a1 := peak(n)
	p2, a2 := peak(2 * n)
	t.Logf("peak host heap: %d MiB over %d events, %d MiB over %d; %d and %d alerts", p1>>20, n, p2>>20, 2*n, a1, a2)
	// The first burst raises three alerts; each later one ten (the previous burst, 50 s
	// before, is in its windows).
	if want := func(n int) int { return 10*(n/5000) - 7 }; a1 != want(n) || a2 != want(2*n) {
		t.Errorf("%d and %d alerts: the correlations did not run", a1, a2)
	}
	if p2 > p1+p1/2+(8<<20) || p2 > cap {
		t.Errorf("peak host heap %d MiB at twice the input, %d MiB at once (cap %d MiB)", p2>>20, p1>>20, cap>>20)
	}
}

// TestBuiltinBackendsConvertCorrelationsThroughPlugins renders every correlation of the
// pack through the built-in backend plugins (real processes) and in process with
// backends.ConvertCorrelation: the queries and diagnostics are identical, refusals
// included (lucene renders no correlation).
func TestBuiltinBackendsConvertCorrelationsThroughPlugins(t *testing.T) {
	set := packSet(t)
	m, _ := newManager(t, "", managerOpts{})
	ctx := context.Background()
	rendered := 0
	for _, target := range []string{"splunk", "esql", "eql", "lucene"} {
		b, err := m.BackendForTarget(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.ConvertCorrelations(ctx, target, "", set.Correlations, set.Rules)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		inproc, err := backends.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range set.Correlations {
			rules := make([]*ir.Rule, len(c.Refs))
			for j, ref := range c.Refs {
				if ref.Rule >= 0 {
					rules[j] = set.Rules[ref.Rule]
				}
			}
			qs, ds := backends.ConvertCorrelation(inproc, c, rules)
			for k := range ds {
				if ds[k].Target == "" {
					ds[k].Target = target
				}
			}
			if !reflect.DeepEqual(got[i].Queries, qs) || fmt.Sprint(got[i].Diagnostics) != fmt.Sprint(ds) {
				t.Errorf("%s, %s: through the plugin %v %v; in process %v %v", target, c.Title, got[i].Queries, got[i].Diagnostics, qs, ds)
			}
			rendered += len(qs)
		}
	}
	if rendered < 20 {
		t.Errorf("%d correlation queries rendered: the comparison proves little", rendered)
	}
}

// A backend plugin that renders no correlation (built before them, or not meant to) is
// sent none: each correlation gets an unsupported-correlation diagnostic naming it.
func TestBackendWithoutCorrelationsNamedPerCorrelation(t *testing.T) {
	m, _ := newManager(t, pluginDir(t, "good"), managerOpts{})
	ctx := context.Background()
	b, err := m.Backend(ctx, "good")
	if err != nil {
		t.Fatal(err)
	}
	rules := []*ir.Rule{{ID: "r0", Title: "r0", Conditions: []ir.Node{&ir.Exists{Field: "x"}}}}
	corrs := []*ir.Correlation{{Path: "c.yml", Line: 3, ID: "c0", Title: "c0", Type: ir.EventCount, Timespan: time.Minute,
		Refs: []ir.CorrelationRef{{Name: "r0", Rule: 0, Correlation: -1}}}}
	got, err := b.ConvertCorrelations(ctx, "good", "", corrs, rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Diagnostics) != 1 || got[0].Diagnostics[0].Code != diag.UnsupportedCorrelation ||
		!strings.Contains(got[0].Diagnostics[0].String(), "c.yml:3") || !strings.Contains(got[0].Diagnostics[0].Message, "plugin good renders no correlations") {
		t.Errorf("got %+v", got)
	}
}

// TestScanEventIDPrefixNamesAsEventID: events named by number (ScanOptions.EventIDPrefix),
// with every third one a record named by EventID (so that some batches mix the two and
// travel as whole names), give the alerts, event names included, that whole names from
// EventID alone give; each alert's last event is named after the line its batch reports.
func TestScanEventIDPrefixNamesAsEventID(t *testing.T) {
	set := packSet(t)
	samples := correlationSamples(t)
	ctx := context.Background()
	det := packDetector(t, set)
	name := func(line int) string {
		if line < 0 {
			return fmt.Sprintf("rec:%d", -line-1)
		}
		return fmt.Sprintf("in.jsonl:%d", line)
	}
	scan := func(f string, events [][]byte, prefix string) []string {
		var got []string
		opts := host.ScanOptions{BatchEvents: 4, InFlight: 3, Correlate: true, EventIDPrefix: prefix,
			EventID: func(dst []byte, line int) []byte {
				if prefix != "" && line >= 0 {
					t.Errorf("%s: EventID called for line %d despite the prefix", f, line)
				}
				return append(dst, name(line)...)
			}}
		err := det.ScanEvents(ctx, opts, func(add func(int, []byte) bool) error {
			for i, ev := range events {
				line := i
				if i%3 == 2 {
					line = -i - 1
				}
				if !add(line, ev) {
					return nil
				}
			}
			return nil
		}, func(b *host.ScanBatch) error {
			if b.End != nil {
				got = append(got, pluginAlerts(b.End.Alerts)...)
				return nil
			}
			for _, a := range b.Alerts {
				if last := a.Events[len(a.Events)-1].ID; last != name(b.Lines[a.Event]) {
					t.Errorf("%s: an alert ending with event %s comes with line %d", f, last, b.Lines[a.Event])
				}
			}
			got = append(got, pluginAlerts(b.Alerts)...)
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		return got
	}
	total := 0
	for f, events := range samples {
		whole := scan(f, events, "")
		numbered := scan(f, events, "in.jsonl:")
		if !reflect.DeepEqual(whole, numbered) {
			t.Errorf("%s: alerts with whole names\n%s\nnamed by number\n%s", f, strings.Join(whole, "\n"), strings.Join(numbered, "\n"))
		}
		total += len(numbered)
	}
	if total < 20 {
		t.Errorf("%d alerts: the comparison proves little", total)
	}
}
