package serve_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/serve"
	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// typicalRule is the rule of the benchmarks and most API tests.
const typicalRule = browserRule

const typicalEvents = browserEvents

func newServer(t testing.TB, cfg serve.Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(serve.New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

// post sends body to an endpoint and decodes the JSON answer into out (when not nil).
func post(t testing.TB, client *http.Client, url string, body any, out any) int {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: %v in %s", url, err, raw)
		}
	}
	return resp.StatusCode
}

func get(t testing.TB, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
	}
	return resp.StatusCode
}

func TestConvertEveryTarget(t *testing.T) {
	srv := newServer(t, serve.Config{})
	var out serve.ConvertOut
	if code := post(t, srv.Client(), srv.URL+"/api/convert", serve.Request{Rule: typicalRule}, &out); code != 200 {
		t.Fatalf("status %d", code)
	}
	var names []string
	for _, tg := range out.Targets {
		names = append(names, tg.Target)
		if len(tg.Queries) != 1 || tg.Failed != 0 {
			t.Errorf("%s: %d queries, %d failed: %v", tg.Target, len(tg.Queries), tg.Failed, tg.Diagnostics)
		}
	}
	if got := strings.Join(names, ","); got != "splunk,lucene,dsl,esql,eql" {
		t.Errorf("targets %s", got)
	}
	if q := out.Targets[0].Queries[0].Text; q != `eventSource="lambda.amazonaws.com" AND eventName="CreateFunction*" AND userAgent="*console.amazonaws.com*"` {
		t.Errorf("splunk: %s", q)
	}

	// A keyword: EQL cannot express it and says so by name; the others convert.
	kw := strings.Replace(typicalRule, "  condition: selection and console", "  words: [evil]\n  condition: selection and console or words", 1)
	out = serve.ConvertOut{}
	post(t, srv.Client(), srv.URL+"/api/convert", serve.Request{Rule: kw}, &out)
	for _, tg := range out.Targets {
		if tg.Target == "eql" {
			if tg.Failed != 1 || tg.Unsupported != 1 || len(tg.Diagnostics) == 0 || tg.Diagnostics[0].Code != diag.UnsupportedKeyword {
				t.Errorf("eql with a keyword: failed %d, diagnostics %v", tg.Failed, tg.Diagnostics)
			}
		} else if len(tg.Queries) != 1 {
			t.Errorf("%s with a keyword: %v", tg.Target, tg.Diagnostics)
		}
	}
}

func TestConvertPipelines(t *testing.T) {
	srv := newServer(t, serve.Config{})
	var out serve.ConvertOut
	post(t, srv.Client(), srv.URL+"/api/convert", serve.Request{Rule: typicalRule, Pipelines: []string{"ecs_t1648", "splunk_t1648"}}, &out)
	for _, tg := range out.Targets {
		want := "ecs_t1648"
		if tg.Target == "splunk" {
			want = "splunk_t1648"
		}
		if strings.Join(tg.Pipelines, ",") != want {
			t.Errorf("%s went through %v, want %s", tg.Target, tg.Pipelines, want)
		}
	}
	if q := out.Targets[1].Queries[0].Text; !strings.Contains(q, "event.provider") {
		t.Errorf("lucene under ecs_t1648: %s", q)
	}

	// A pasted pipeline without allowed_backends applies to every target and the evaluator.
	pasted := "name: rename\npriority: 30\ntransformations:\n  - type: field_name_mapping\n    mapping: {userAgent: ua}\n"
	out = serve.ConvertOut{}
	post(t, srv.Client(), srv.URL+"/api/convert", serve.Request{Rule: typicalRule, PipelineYAML: pasted}, &out)
	for _, tg := range out.Targets {
		if len(tg.Queries) != 1 || !strings.Contains(tg.Queries[0].Text, "ua") || strings.Contains(tg.Queries[0].Text, "userAgent") {
			t.Errorf("%s with the pasted pipeline: %v %v", tg.Target, tg.Queries, tg.Diagnostics)
		}
	}
	var m serve.MatchOut
	events := `{"eventSource":"lambda.amazonaws.com","eventName":"CreateFunction","ua":"console.amazonaws.com"}`
	post(t, srv.Client(), srv.URL+"/api/match", serve.Request{Rule: typicalRule, PipelineYAML: pasted, Events: events}, &m)
	if m.Matched != 1 {
		t.Errorf("the evaluator did not take the pasted pipeline: %+v", m)
	}

	// A bad pasted pipeline is named with its line; a built-in name is never a path.
	var e map[string]string
	if code := post(t, srv.Client(), srv.URL+"/api/convert", serve.Request{Rule: typicalRule, PipelineYAML: "name: x\ntransformations:\n  - type: no_such_thing\n"}, &e); code != 422 || !strings.Contains(e["error"], "pipeline.yml:3") {
		t.Errorf("bad pipeline: %d %v", code, e)
	}
	for _, name := range []string{"/etc/passwd", "../go.mod", "testdata/pipelines/x.yml"} {
		e = nil
		if code := post(t, srv.Client(), srv.URL+"/api/convert", serve.Request{Rule: typicalRule, Pipelines: []string{name}}, &e); code != 400 || !strings.Contains(e["error"], "unknown built-in pipeline") {
			t.Errorf("pipeline %q: %d %v", name, code, e)
		}
	}
}

func TestLintAtLineAndColumn(t *testing.T) {
	srv := newServer(t, serve.Config{})
	var out struct {
		Findings []serve.FindingOut
		Errors   int
	}
	post(t, srv.Client(), srv.URL+"/api/lint", serve.Request{Rule: typicalRule}, &out)
	if out.Errors != 1 || len(out.Findings) != 1 {
		t.Fatalf("findings %+v", out)
	}
	if f := out.Findings[0]; f.Check != "level-value" || f.Line != browserLintLine || f.Col != 1 || f.Severity != "error" {
		t.Errorf("finding %+v, want level-value at %d:1", f, browserLintLine)
	}
	// A condition error has its own column, inside the condition.
	bad := strings.Replace(typicalRule, "selection and console", "selection and consle", 1)
	post(t, srv.Client(), srv.URL+"/api/lint", serve.Request{Rule: bad}, &out)
	found := false
	for _, f := range out.Findings {
		if f.Line == 16 && f.Col == 28 && !f.ColFromLine {
			found = true
		}
	}
	if !found {
		t.Errorf("no finding at 16:28 (the unknown search name): %+v", out.Findings)
	}
}

func TestMatchExplains(t *testing.T) {
	srv := newServer(t, serve.Config{})
	var out serve.MatchOut
	post(t, srv.Client(), srv.URL+"/api/match", serve.Request{Rule: typicalRule, Events: typicalEvents + "\nnot json\n"}, &out)
	if out.Matched != 1 || len(out.Events) != 3 {
		t.Fatalf("matched %d of %d", out.Matched, len(out.Events))
	}
	if len(out.Rules) != 1 || strings.Join(out.Rules[0].Selections, ",") != "selection,console" {
		t.Errorf("rules %+v", out.Rules)
	}
	ev := out.Events[0]
	if len(ev.Rules) != 1 || len(ev.Selections) != 2 || ev.Selections[1].Name != "console" ||
		ev.Selections[1].Fields[0].Field != "userAgent" || ev.Selections[1].Fields[0].Values[0] != "console.amazonaws.com" {
		t.Errorf("event 1: %+v", ev)
	}
	// Event 2 matched "selection" only: no rule, and no selection is claimed without a rule.
	if ev := out.Events[1]; len(ev.Rules) != 0 || len(ev.Selections) != 1 || ev.Selections[0].Name != "selection" {
		t.Errorf("event 2: %+v", ev)
	}
	if len(out.Problems) != 1 || !strings.Contains(out.Problems[0], "events:4") {
		t.Errorf("problems %v, want line 4 named", out.Problems)
	}
}

func TestPackRule(t *testing.T) {
	srv := newServer(t, serve.Config{})
	var list struct{ Rules []serve.PackRule }
	if code := get(t, srv.URL+"/api/pack", &list); code != 200 || len(list.Rules) < 30 {
		t.Fatalf("pack: %d, %d rules", code, len(list.Rules))
	}
	for _, r := range list.Rules {
		if !r.SamplesPass || len(r.Targets) != 5 {
			t.Errorf("%s: samples pass %v, targets %v", r.Path, r.SamplesPass, r.Targets)
		}
	}
	var one struct {
		YAML    string `json:"yaml"`
		Samples []serve.SampleOut
	}
	if code := get(t, srv.URL+"/api/pack/rule?path="+list.Rules[0].Path, &one); code != 200 || !strings.Contains(one.YAML, "detection:") || len(one.Samples) < 2 {
		t.Errorf("pack rule: %d %d samples", code, len(one.Samples))
	}
	for path, want := range map[string]int{"rules/../go.mod": 400, "/etc/passwd": 400, "rules/aws/none.yml": 404, "rules//etc/passwd": 400} {
		if code := get(t, srv.URL+"/api/pack/rule?path="+path, nil); code != want {
			t.Errorf("pack rule %q: %d, want %d", path, code, want)
		}
	}
}

func TestPageIsSelfContained(t *testing.T) {
	srv := newServer(t, serve.Config{})
	for _, p := range []string{"/", "/app.js", "/style.css"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: %d, CSP %q", p, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
		// Nothing is loaded from elsewhere: no absolute URL in the page or its assets.
		if bytes.Contains(body, []byte("http://")) || bytes.Contains(body, []byte("https://")) {
			t.Errorf("%s names an absolute URL", p)
		}
	}
}

// TestPackProfile: a pack rule that needs a profile value is inactive under serve's (no)
// profile, and matches its samples under the profile the samples assume.
func TestPackProfile(t *testing.T) {
	srv := newServer(t, serve.Config{})
	var one struct {
		YAML    string `json:"yaml"`
		Samples []serve.SampleOut
	}
	get(t, srv.URL+"/api/pack/rule?path=rules/aws/lambda_foreign_layer_attached.yml", &one)
	var pos, neg []string
	for _, s := range one.Samples {
		if s.Expect == "match" {
			pos = append(pos, strings.TrimSpace(s.Events))
		} else {
			neg = append(neg, strings.TrimSpace(s.Events))
		}
	}
	if len(pos) == 0 || len(neg) == 0 {
		t.Fatalf("samples %+v", one.Samples)
	}
	events := strings.Join(append(pos, neg...), "\n")
	var none, pack serve.MatchOut
	post(t, srv.Client(), srv.URL+"/api/match", serve.Request{Rule: one.YAML, Events: events}, &none)
	if none.Rules[0].State != "inactive" || none.Matched != 0 {
		t.Errorf("without a profile: %s, %d matched", none.Rules[0].State, none.Matched)
	}
	post(t, srv.Client(), srv.URL+"/api/match", serve.Request{Rule: one.YAML, Events: events, Profile: "pack"}, &pack)
	if pack.Rules[0].State != "ok" || pack.Matched != len(pos) {
		t.Errorf("under the pack's profile: %s, %d matched, want the %d positives", pack.Rules[0].State, pack.Matched, len(pos))
	}
	var e map[string]string
	if code := post(t, srv.Client(), srv.URL+"/api/match", serve.Request{Rule: one.YAML, Profile: "/etc/profile.yml"}, &e); code != 400 {
		t.Errorf("profile path: %d %v", code, e)
	}
}

// TestConvertPinnedPlugin: a pinned external backend plugin's target is converted beside
// the built-in ones, named with its plugin.
func TestConvertPinnedPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "sigmabridge-plugin-kql"), "github.com/sigmabridge/sigmabridge/plugin/example/cmd/sigmabridge-plugin-kql")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if _, err := host.PinPlugins(dir, nil); err != nil {
		t.Fatal(err)
	}
	m, err := host.New(host.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	srv := newServer(t, serve.Config{Plugins: m})
	var out serve.ConvertOut
	post(t, srv.Client(), srv.URL+"/api/convert", serve.Request{Rule: typicalRule}, &out)
	if len(out.Targets) != 6 {
		t.Fatalf("targets %+v", out.Targets)
	}
	kql := out.Targets[5]
	if kql.Target != "kql" || kql.Plugin != "kql" || kql.Error != "" || len(kql.Queries) != 1 || !strings.Contains(kql.Queries[0].Text, "CreateFunction") {
		t.Errorf("kql: %+v", kql)
	}
}
