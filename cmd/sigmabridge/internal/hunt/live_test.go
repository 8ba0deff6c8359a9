package hunt

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esbulk"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/samples"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// sample is one event of the pack's samples, indexed under ID.
type sample struct {
	ID     string
	Source []byte
}

// packSamples reads every sample event of the pack, keyed by the rule's logsource.
func packSamples(t *testing.T, root string) map[ir.Logsource][]sample {
	t.Helper()
	out := map[ir.Logsource][]sample{}
	err := fs.WalkDir(rules.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(path.Base(p), "mr_") {
			return nil // a correlation file: its samples are sequences for the correlation
		}
		data, _ := fs.ReadFile(rules.FS, p)
		loaded, diags := translator.LoadBytes(p, data)
		if diags.HasErrors() || len(loaded) != 1 {
			return fmt.Errorf("%s: %v", p, diags)
		}
		dir := filepath.Join(root, "testdata", "rules", strings.TrimSuffix(p, ".yml"))
		m, err := samples.ReadManifest(os.DirFS(dir), ".", dir)
		if err != nil {
			return err
		}
		for _, s := range m.Samples {
			name := strings.TrimSuffix(p, ".yml") + "/" + s.File
			n := 0
			err := m.Read(s, func(rec input.Record) error {
				ls := loaded[0].Logsource
				// A log file may hold several records on one line (a CloudTrail file's
				// Records): the record's number keeps their ids apart.
				n++
				out[ls] = append(out[ls], sample{ID: fmt.Sprintf("%s:%d#%d", name, rec.Line, n), Source: append([]byte(nil), rec.JSON...)})
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// objectsMapping is a template's mapping with flattened and nested fields made objects, so
// every Query DSL form runs on them (the integration test covers the flattened forms).
func objectsMapping(t *testing.T, root string, ls ir.Logsource) []byte {
	t.Helper()
	index := "sigmabridge-" + ls.Product + "-" + ls.Service
	files, _ := filepath.Glob(filepath.Join(root, "testdata", "elasticsearch", "templates", "*.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tpl struct {
			IndexPatterns []string `json:"index_patterns"`
			Template      struct {
				Mappings map[string]any `json:"mappings"`
			} `json:"template"`
		}
		if err := json.Unmarshal(data, &tpl); err != nil {
			t.Fatal(err)
		}
		for _, p := range tpl.IndexPatterns {
			if strings.HasPrefix(index, strings.TrimSuffix(p, "*")) {
				var plain func(props map[string]any)
				plain = func(props map[string]any) {
					for name, v := range props {
						def, _ := v.(map[string]any)
						if def["type"] == "flattened" || def["type"] == "nested" {
							props[name] = map[string]any{"type": "object"}
						} else if sub, ok := def["properties"].(map[string]any); ok {
							plain(sub)
						}
					}
				}
				props, _ := tpl.Template.Mappings["properties"].(map[string]any)
				plain(props)
				body, _ := json.Marshal(map[string]any{
					"settings": map[string]any{"number_of_shards": 1, "number_of_replicas": 0},
					"mappings": tpl.Template.Mappings,
				})
				return body
			}
		}
	}
	t.Fatalf("no template for %s", index)
	return nil
}

// huntIndex is the test index of a logsource.
func huntIndex(ls ir.Logsource) string {
	return "sigmabridge-hunt-" + esclienttest.RunID + "-" + ls.Product + "-" + ls.Service
}

// indexPipeline writes a pipeline that points each logsource at its test index.
func indexPipeline(t *testing.T, lss []ir.Logsource) string {
	var b strings.Builder
	b.WriteString("name: hunt-test-indexes\npriority: 50\ntransformations:\n")
	for i, ls := range lss {
		fmt.Fprintf(&b, "  - id: index_%d\n    type: set_state\n    key: index\n    val: %s\n    rule_conditions: [{type: logsource, product: %s, service: %s}]\n",
			i, huntIndex(ls), ls.Product, ls.Service)
	}
	path := filepath.Join(t.TempDir(), "indexes.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadSamples creates one index per logsource and loads the pack's samples into it.
func loadSamples(t *testing.T, c *esclient.Client, root string) map[ir.Logsource][]sample {
	t.Helper()
	byLS := packSamples(t, root)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var docs []esbulk.Doc
	var names []string
	for ls, ss := range byLS {
		name := huntIndex(ls)
		names = append(names, name)
		if err := c.CreateIndex(ctx, name, objectsMapping(t, root, ls)); err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			docs = append(docs, esbulk.Doc{Index: name, ID: s.ID, Source: s.Source})
		}
	}
	esclienttest.Cleanup(t, c, names...)
	res, err := esbulk.Load(ctx, c, docs)
	if err != nil || res.Err() != nil {
		t.Fatalf("bulk: %v %v", err, res.Err())
	}
	if err := c.Refresh(ctx, names...); err != nil {
		t.Fatal(err)
	}
	return byLS
}

func logsourcesOf(byLS map[ir.Logsource][]sample) []ir.Logsource {
	var out []ir.Logsource
	for ls := range byLS {
		out = append(out, ls)
	}
	slices.SortFunc(out, func(a, b ir.Logsource) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// TestHuntFindsWhatTheEvaluatorMatches loads the pack's samples into one index per logsource
// and hunts with the whole built-in pack: every rule must find exactly the events the
// evaluator matches in its logsource's index, and nothing must fail.
func TestHuntFindsWhatTheEvaluatorMatches(t *testing.T) {
	c := esclienttest.Connect(t)
	root := esclienttest.RepoRoot()
	byLS := loadSamples(t, c, root)
	placeholders := filepath.Join(root, "testdata", "rules", "placeholders.yml")
	indexes := indexPipeline(t, logsourcesOf(byLS))

	// The oracle: the evaluator on the same events, rule by rule.
	chain, err := pipeline.LoadChain(placeholders, indexes)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{} // rule id -> sorted "index/id"
	err = fs.WalkDir(rules.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(path.Base(p), "mr_") {
			return nil // a correlation file: hunt runs single-event rules (see below)
		}
		data, _ := fs.ReadFile(rules.FS, p)
		loaded, _ := translator.LoadBytes(p, data)
		r, ds := chain.Apply(loaded[0])
		if ds.HasErrors() {
			return fmt.Errorf("%s: %v", p, ds)
		}
		prog, errs := evaluator.Compile([]*ir.Rule{r})
		if len(errs) > 0 {
			return fmt.Errorf("%s: %v", p, errs)
		}
		want[r.ID] = []string{}
		for _, s := range byLS[r.Logsource] {
			if ms, _ := prog.MatchJSON(s.Source); len(ms) > 0 {
				want[r.ID] = append(want[r.ID], huntIndex(r.Logsource)+"/"+s.ID)
			}
		}
		slices.Sort(want[r.ID])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The single-event rules of the pack (a correlation file's base rules have no samples of
	// their own; hunt runs each rule's Query DSL, and correlations are not hunted).
	var single []string
	files, _ := filepath.Glob(filepath.Join(root, "rules", "*", "*.yml"))
	for _, f := range files {
		if !strings.HasPrefix(filepath.Base(f), "mr_") {
			single = append(single, f)
		}
	}
	code, stdout, stderr := runHunt(t, Options{ES: esclienttest.URL(t), Format: "jsonl", Pipelines: []string{placeholders, indexes}, Paths: single})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	got := map[string][]string{}
	total := 0
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		var h Hit
		if err := json.Unmarshal([]byte(line), &h); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if h.Title == "" || h.Level == "" || len(h.Source) == 0 || !json.Valid(h.Source) {
			t.Errorf("incomplete hit %s", line)
		}
		got[h.RuleID] = append(got[h.RuleID], h.Index+"/"+h.ID)
		total++
	}
	withHits := 0
	for id, w := range want {
		g := got[id]
		slices.Sort(g)
		if !slices.Equal(g, w) && !(len(g) == 0 && len(w) == 0) {
			t.Errorf("rule %s: hunt found\n  %v\nthe evaluator matches\n  %v", id, g, w)
		}
		if len(w) > 0 {
			withHits++
		}
	}
	if withHits < 40 {
		t.Errorf("only %d rules match their samples", withHits)
	}
	summary := fmt.Sprintf("sigmabridge: hunt: %d rules, %d with hits, %d hits, 0 failed", len(want), withHits, total)
	if !strings.Contains(stderr, summary) {
		t.Errorf("stderr %q lacks %q", stderr, summary)
	}
	t.Logf("%d rules, %d hits, all equal to the evaluator", len(want), total)
}

// TestHuntErrorPaths: a rule the cluster refuses, a rule Query DSL cannot express, a missing
// index, a missing or non-date time field; each failure names its rule and the others still run.
func TestHuntErrorPaths(t *testing.T) {
	c := esclienttest.Connect(t)
	esclienttest.InstallTemplates(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The CloudTrail template maps requestParameters as flattened: a wildcard query on one
	// of its keys is refused with HTTP 400.
	index := "sigmabridge-aws-cloudtrail-hunt-" + esclienttest.RunID
	esclienttest.Cleanup(t, c, index)
	docs := []esbulk.Doc{
		{Index: index, ID: "old", Source: []byte(`{"eventTime":"2020-01-01T00:00:00Z","eventName":"CreateFunction20150331","requestParameters":{"functionName":"evil"}}`)},
		{Index: index, ID: "new", Source: []byte(`{"eventTime":"2025-05-14T08:00:00Z","eventName":"CreateFunction20150331","requestParameters":{"functionName":"evil"}}`)},
	}
	if res, err := esbulk.Load(ctx, c, docs); err != nil || res.Err() != nil {
		t.Fatalf("bulk: %v %v", err, res.Err())
	}
	if err := c.Refresh(ctx, index); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := cloudTrailRule(t, dir, "create_function", "00000000-0000-4000-8000-000000000009", "eventName|startswith: CreateFunction")
	refused := cloudTrailRule(t, dir, "function_name_contains", "00000000-0000-4000-8000-000000000006", "requestParameters.functionName|contains: vi")
	fieldref := cloudTrailRule(t, dir, "fieldref_rule", "00000000-0000-4000-8000-000000000007", "eventName|fieldref: eventSource")

	// The cluster's mapping says requestParameters is flattened: the wildcard is refused
	// before it is sent.
	code, stdout, stderr := runHunt(t, Options{ES: esclienttest.URL(t), Index: index, Format: "jsonl", Paths: []string{good, refused, fieldref}})
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		refused + " (function_name_contains): cannot be expressed in Query DSL: unsupported-flattened",
		fieldref + " (fieldref_rule): cannot be expressed in Query DSL: unsupported-fieldref",
		"3 rules, 1 with hits, 2 hits, 2 failed",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if n := strings.Count(stdout, `"rule_id"`); n != 2 {
		t.Errorf("%d hits from the good rule, want 2:\n%s", n, stdout)
	}
	// A mapping file that is wrong about the index (keyword where the index has flattened)
	// lets the wildcard through, and the cluster's refusal is reported by rule.
	wrong := filepath.Join(dir, "wrong-mapping.json")
	if err := os.WriteFile(wrong, []byte(`{"`+index+`":{"mappings":{"properties":{"eventName":{"type":"keyword"},"requestParameters":{"properties":{"functionName":{"type":"keyword"}}}}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runHunt(t, Options{ES: esclienttest.URL(t), Index: index, Mapping: wrong, Format: "jsonl", Paths: []string{good, refused}})
	for _, want := range []string{
		refused + " (function_name_contains): the cluster refused the query on " + index + ": Elasticsearch rejected the request (HTTP 400",
		"not currently supported on keyed [flattened] fields",
		"2 rules, 1 with hits, 2 hits, 1 failed",
	} {
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("wrong --mapping: exit %d, stderr lacks %q:\n%s", code, want, stderr)
		}
	}
	if n := strings.Count(stdout, `"rule_id"`); n != 2 {
		t.Errorf("wrong --mapping: %d hits from the good rule, want 2:\n%s", n, stdout)
	}

	// A missing index fails every rule, each by name.
	missing := "sigmabridge-hunt-" + esclienttest.RunID + "-missing"
	code, stdout, stderr = runHunt(t, Options{ES: esclienttest.URL(t), Index: missing, Format: "table", Paths: []string{good}})
	if code != 1 || stdout != "" || !strings.Contains(stderr, good+" (create_function): index \""+missing+"\" does not exist") {
		t.Errorf("missing index: exit %d, stdout %q (no hits: no table), stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "hunt: 1 rule, 0 with hits, 0 hits, 1 failed") {
		t.Errorf("summary: %q", stderr)
	}
	// No pipeline and no --index: nothing names an index.
	code, _, stderr = runHunt(t, Options{ES: esclienttest.URL(t), Paths: []string{good}})
	if code != 1 || !strings.Contains(stderr, "no index to search: pass --index") {
		t.Errorf("no index: exit %d, stderr %q", code, stderr)
	}

	// Time windows: the raw CloudTrail index has no @timestamp, eventTime is its date.
	code, _, stderr = runHunt(t, Options{ES: esclienttest.URL(t), Index: index, Since: "24h", Paths: []string{good}})
	if code != 1 || !strings.Contains(stderr, "index "+index+" has no field @timestamp to apply --since/--until to") {
		t.Errorf("no @timestamp: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runHunt(t, Options{ES: esclienttest.URL(t), Index: index, Since: "24h", TimeField: "eventName", Paths: []string{good}})
	if code != 1 || !strings.Contains(stderr, "field eventName is mapped as keyword") {
		t.Errorf("keyword time field: exit %d, stderr %q", code, stderr)
	}
	for _, tc := range []struct {
		since, until string
		want         []string
	}{
		{"", "2021-01-01", []string{"old"}},
		{"", "2019-12-31T23:59:59Z", nil},
		{"100000h", "", []string{"new", "old"}},
	} {
		now := func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }
		code, stdout, stderr := runHunt(t, Options{ES: esclienttest.URL(t), Index: index, Since: tc.since, Until: tc.until, TimeField: "eventTime", Format: "jsonl", Paths: []string{good}, Now: now})
		var ids []string
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			var h Hit
			if json.Unmarshal([]byte(line), &h) == nil {
				ids = append(ids, h.ID)
			}
		}
		slices.Sort(ids)
		if code != 0 || !slices.Equal(ids, tc.want) {
			t.Errorf("since %q until %q: exit %d, ids %v, want %v\n%s", tc.since, tc.until, code, ids, tc.want, stderr)
		}
	}

	// Table output names level, rule, index and id.
	code, stdout, _ = runHunt(t, Options{ES: esclienttest.URL(t), Index: index, Paths: []string{good}})
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "LEVEL") || !strings.Contains(lines[1], "high") || !strings.Contains(lines[1], "create_function") || !strings.Contains(lines[1], index) {
		t.Errorf("table: exit %d\n%s", code, stdout)
	}

	// Credentials, checked by the node's security (file realm). The right password finds
	// what the anonymous request found; a wrong one, from flags or from the environment, and a
	// forged API key are refused with the node's own 401 and reason, and nothing is printed.
	user, password := esclienttest.User(t)
	code, stdout, stderr = runHunt(t, Options{ES: esclienttest.URL(t), Index: index, User: user, Password: password, Format: "jsonl", Paths: []string{good}})
	if code != 0 || strings.Count(stdout, `"rule_id"`) != 2 {
		t.Errorf("right password: exit %d, %d hits, want 0 and 2\n%s", code, strings.Count(stdout, `"rule_id"`), stderr)
	}
	for _, tc := range []struct {
		name string
		o    Options
		want []string
	}{
		{"wrong password", Options{User: user, Password: password + "-wrong"},
			[]string{"refused the credentials (user " + user + "; HTTP 401)", "unable to authenticate user [" + user + "]"}},
		{"unknown user", Options{User: "nobody-" + esclienttest.RunID, Password: password},
			[]string{"refused the credentials (user nobody-" + esclienttest.RunID + "; HTTP 401)", "unable to authenticate user [nobody-"}},
		{"wrong password from the environment", Options{Getenv: func(k string) string {
			return map[string]string{"ELASTIC_USERNAME": user, "ELASTIC_PASSWORD": "not-" + password}[k]
		}}, []string{"refused the credentials (user " + user + "; HTTP 401)"}},
		{"forged API key", Options{APIKey: "Zm9yZ2VkOmtleQ=="},
			[]string{"refused the credentials (an API key; HTTP 401)", "apikey authentication for id forged"}},
	} {
		o := tc.o
		o.ES, o.Index, o.Format, o.Paths = esclienttest.URL(t), index, "jsonl", []string{good}
		huntFails(t, tc.name, o, tc.want...)
	}
}

// TestHuntOnASecuredNode runs hunt against a node of its own set up like a production cluster
// (HTTPS with a certificate from the test's CA, no anonymous access; started and stopped with
// the project's scripts). It finds the event with the right credentials and CA; each wrong
// setting fails with exit 1, a message that names the cause, and no hits; a user without the
// read privilege fails every rule, each by name; and once the node is stopped the same command
// fails naming the unreachable cluster.
func TestHuntOnASecuredNode(t *testing.T) {
	node := esclienttest.StartSecuredNode(t)
	admin, monitor := node.User(t, "superuser"), node.User(t, "monitoring_user")
	c, err := esclient.New(esclient.Config{URL: node.URL, Username: admin.Name, Password: admin.Password, CACertFile: node.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	index := "sigmabridge-aws-cloudtrail-secured"
	docs := []esbulk.Doc{{Index: index, ID: "one", Source: []byte(`{"eventName":"CreateFunction20150331","eventSource":"lambda.amazonaws.com"}`)}}
	if res, err := esbulk.Load(ctx, c, docs); err != nil || res.Err() != nil {
		t.Fatalf("bulk: %v %v", err, res.Err())
	}
	if err := c.Refresh(ctx, index); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	create := cloudTrailRule(t, dir, "create_function", "6f1c2f4e-8f7a-4d5b-9a37-1d2e3f4a5b6c", "eventName|startswith: CreateFunction")
	lambda := cloudTrailRule(t, dir, "lambda_source", "0b8f3e1d-2c4a-4e6f-8a1b-3c5d7e9f1a2b", "eventSource: lambda.amazonaws.com")
	otherCA := esclienttest.WriteCA(t, t.TempDir())

	ok := Options{ES: node.URL, Index: index, Format: "jsonl", Paths: []string{create, lambda},
		User: admin.Name, Password: admin.Password, CACert: node.CAFile}
	code, stdout, stderr := runHunt(t, ok)
	if code != 0 || strings.Count(stdout, `"rule_id"`) != 2 {
		t.Fatalf("right credentials and CA: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	insecure := ok
	insecure.CACert, insecure.Insecure = "", true
	if code, stdout, stderr := runHunt(t, insecure); code != 0 || strings.Count(stdout, `"rule_id"`) != 2 {
		t.Errorf("--insecure: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	for _, tc := range []struct {
		name string
		edit func(*Options)
		want []string
	}{
		{"no CA", func(o *Options) { o.CACert = "" },
			[]string{"cannot reach Elasticsearch at " + node.URL, "certificate signed by unknown authority", "with --ca-cert FILE, or skip the check with --insecure"}},
		{"a CA that did not sign it", func(o *Options) { o.CACert = otherCA },
			[]string{"certificate signed by unknown authority", otherCA + " did not sign the cluster's certificate"}},
		{"no credentials", func(o *Options) { o.User, o.Password = "", "" },
			[]string{"refused the credentials (no credentials; HTTP 401)", "missing authentication credentials"}},
		{"wrong password", func(o *Options) { o.Password += "-wrong" },
			[]string{"refused the credentials (user " + admin.Name + "; HTTP 401)", "unable to authenticate user [" + admin.Name + "]"}},
		{"no read privilege", func(o *Options) { o.User, o.Password = monitor.Name, monitor.Password },
			[]string{
				create + " (create_function): ", lambda + " (lambda_source): ",
				"denied the request to user " + monitor.Name + " (HTTP 403)",
				"is unauthorized for user [" + monitor.Name + "]",
				"2 rules, 0 with hits, 0 hits, 2 failed",
			}},
	} {
		o := ok
		tc.edit(&o)
		huntFails(t, tc.name, o, tc.want...)
	}

	node.Stop()
	code, stdout, stderr = runHunt(t, ok)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "cannot reach Elasticsearch at "+node.URL) || !strings.Contains(stderr, "connection refused") {
		t.Errorf("node stopped: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// huntFails runs hunt and wants exit 1, no hits on stdout, and every want in stderr.
func huntFails(t *testing.T, name string, o Options, want ...string) {
	t.Helper()
	code, stdout, stderr := runHunt(t, o)
	if code != 1 || stdout != "" {
		t.Errorf("%s: exit %d, stdout %q; want exit 1 and no hits", name, code, stdout)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("%s: stderr lacks %q:\n%s", name, w, stderr)
		}
	}
}

// cloudTrailRule writes dir/NAME.yml: a high-level AWS CloudTrail rule titled NAME whose one
// selection holds the detection item (for example "eventName|startswith: CreateFunction").
func cloudTrailRule(t *testing.T, dir, name, id, item string) string {
	t.Helper()
	p := filepath.Join(dir, name+".yml")
	body := "title: " + name + "\nid: " + id + "\nstatus: test\nlevel: high\n" +
		"logsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    " + item + "\n  condition: sel\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
