package check

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/testbin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
)

func runCheck(t *testing.T, o Options) (int, *Report, string) {
	t.Helper()
	var out, errb bytes.Buffer
	o.Stdout, o.Stderr = &out, &errb
	o.Format = "json"
	o.Host.Executable = testbin.Path(t)
	if o.Host.PluginDir == "" {
		o.Host.PluginDir = t.TempDir()
	}
	code, err := Run(context.Background(), &o)
	if err != nil {
		t.Fatalf("usage error: %v", err)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s\nstderr: %s", err, out.String(), errb.String())
	}
	return code, &rep, errb.String()
}

func TestCheckBuiltinPackThroughPlugins(t *testing.T) {
	code, rep, stderr := runCheck(t, Options{})
	if code != cli.ExitOK || !rep.OK {
		t.Fatalf("exit %d ok %v; stderr %s", code, rep.OK, stderr)
	}
	if len(rep.Rules) < 35 {
		t.Fatalf("%d rules", len(rep.Rules))
	}
	if !strings.HasPrefix(rep.Profile, "samples ran under testdata/rules/profile.yml") {
		t.Errorf("the report must say which profile the samples ran under, got %q", rep.Profile)
	}
	correlations := 0
	for _, target := range []string{"splunk", "lucene", "dsl", "esql", "eql"} {
		for _, r := range rep.Rules {
			tr := r.Targets[target]
			if strings.HasPrefix(filepath.Base(r.Path), "mr_") && len(r.BaseOf) == 0 {
				// A correlation: rendered, or refused with a named diagnostic; SPL
				// renders every one of the pack.
				if target == "splunk" {
					correlations++
				}
				refused := tr != nil && tr.Unsupported && tr.Error != nil && tr.Error.Code == "unsupported-correlation"
				if tr == nil || !(tr.OK || refused) || (target == "splunk" && !tr.OK) {
					t.Errorf("%s on %s: %+v", r.Path, target, tr)
				}
				continue
			}
			if tr == nil || !tr.OK || len(tr.Queries) == 0 || tr.Plugin != target {
				t.Errorf("%s on %s: %+v", r.Path, target, tr)
			}
		}
	}
	if correlations < 20 {
		t.Errorf("%d correlation rules in the pack, want at least 20", correlations)
	}
	for _, r := range rep.Rules {
		if len(r.BaseOf) > 0 && r.Samples.Passed {
			continue // tested by the samples of its correlations
		}
		if !r.Samples.Passed || r.Samples.Positives == 0 || r.Samples.Negatives == 0 {
			t.Errorf("%s samples %+v", r.Path, r.Samples)
		}
	}
}

func buildPlugin(t *testing.T, pkg, dir, name string) {
	t.Helper()
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "sigmabridge-plugin-"+name), pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
}

const rule = `title: Create
id: 9a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: CreateFunction}
  condition: sel
`

func writeRuleWithSamples(t *testing.T, negative string) string {
	dir := t.TempDir()
	files := map[string]string{
		"create.yml":         rule,
		"create/samples.yml": "samples:\n  - {file: pos.jsonl, expect: match}\n  - {file: neg.jsonl, expect: no_match}\n",
		"create/pos.jsonl":   `{"eventName":"createFUNCTION"}` + "\n",
		"create/neg.jsonl":   negative + "\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckThirdPartyBackendAppears(t *testing.T) {
	plugins := t.TempDir()
	buildPlugin(t, "github.com/sigmabridge/sigmabridge/plugin/example/cmd/sigmabridge-plugin-kql", plugins, "kql")
	if _, err := host.PinPlugins(plugins, nil); err != nil {
		t.Fatal(err)
	}
	code, rep, stderr := runCheck(t, Options{Paths: []string{writeRuleWithSamples(t, `{"eventName":"Invoke"}`)}, Host: sigmabridge.HostOptions{PluginDir: plugins}})
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	kql := rep.Rules[0].Targets["kql"]
	if kql == nil || !kql.OK || kql.Plugin != "kql" || len(kql.Queries) != 1 || !strings.Contains(kql.Queries[0], "CreateFunction") {
		t.Errorf("kql target %+v (targets %v)", kql, rep.Targets)
	}
}

// TestCheckExternalDetectorIsNoFailure: an external plugin that serves only a detector is
// not a backend that failed; check passes with it installed.
func TestCheckExternalDetectorIsNoFailure(t *testing.T) {
	plugins := t.TempDir()
	buildPlugin(t, "github.com/sigmabridge/sigmabridge/plugin/internal/testplugins/faulty", plugins, "detonly")
	if _, err := host.PinPlugins(plugins, nil); err != nil {
		t.Fatal(err)
	}
	code, rep, stderr := runCheck(t, Options{Paths: []string{writeRuleWithSamples(t, `{"eventName":"Invoke"}`)}, Host: sigmabridge.HostOptions{PluginDir: plugins}})
	if code != cli.ExitOK || !rep.OK || len(rep.Plugins) != 0 {
		t.Fatalf("exit %d ok %v plugins %+v: %s", code, rep.OK, rep.Plugins, stderr)
	}
	for _, target := range rep.Targets {
		if strings.Contains(target, "detonly") {
			t.Errorf("a detector-only plugin got a target column: %v", rep.Targets)
		}
	}
}

// TestCheckNamesARefusedPluginDirectory: a plugin directory others can write is refused,
// and the failure line names it.
func TestCheckNamesARefusedPluginDirectory(t *testing.T) {
	plugins := t.TempDir()
	if err := os.Chmod(plugins, 0o777); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(plugins, 0o700)
	var out, errb bytes.Buffer
	code, err := Run(context.Background(), &Options{Paths: []string{writeRuleWithSamples(t, `{"eventName":"Invoke"}`)}, Format: "table",
		Host: sigmabridge.HostOptions{PluginDir: plugins, Executable: testbin.Path(t)}, Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatal(err)
	}
	want := "FAIL plugin plugin directory " + plugins + ": unsafe plugin directory " + plugins
	if code != cli.ExitFailure || !strings.Contains(out.String(), want) {
		t.Errorf("exit %d, want a line starting %q:\n%s%s", code, want, out.String(), errb.String())
	}
}

func TestCheckFailingSampleFailsTheRule(t *testing.T) {
	code, rep, _ := runCheck(t, Options{Paths: []string{writeRuleWithSamples(t, `{"eventName":"CreateFunction"}`)}})
	if code != cli.ExitFailure || rep.OK || rep.Rules[0].OK || rep.Rules[0].Samples.Passed {
		t.Fatalf("exit %d %+v", code, rep.Rules[0])
	}
	if f := strings.Join(rep.Rules[0].Samples.Failures, "\n"); !strings.Contains(f, "neg.jsonl: expected no match") {
		t.Errorf("failures %q", f)
	}
}

func TestCheckBadPluginsAreNamedAndTheRestRuns(t *testing.T) {
	plugins := t.TempDir()
	buildPlugin(t, "github.com/sigmabridge/sigmabridge/plugin/internal/testplugins/faulty", plugins, "crash")
	data, err := os.ReadFile(filepath.Join(plugins, "sigmabridge-plugin-crash"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"hang", "junk"} {
		if err := os.WriteFile(filepath.Join(plugins, "sigmabridge-plugin-"+name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := host.PinPlugins(plugins, nil); err != nil {
		t.Fatal(err)
	}
	// An unpinned binary is refused.
	if err := os.WriteFile(filepath.Join(plugins, "sigmabridge-plugin-unpinned"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, rep, _ := runCheck(t, Options{Paths: []string{writeRuleWithSamples(t, `{"eventName":"Invoke"}`)},
		Host: sigmabridge.HostOptions{PluginDir: plugins, CallTimeout: 2 * time.Second}})
	if code != cli.ExitFailure || rep.OK {
		t.Fatalf("exit %d ok %v, want a failure", code, rep.OK)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("check took %v with a hanging plugin", time.Since(start))
	}
	all := ""
	for _, p := range rep.Plugins {
		all += p.Name + ": " + p.Error + "\n"
	}
	r := rep.Rules[0]
	for _, key := range []string{"crash:good", "hang:good"} {
		tr := r.Targets[key]
		if tr == nil || tr.OK || tr.Error == nil || tr.Error.Code != "plugin-error" {
			t.Errorf("%s: %+v", key, tr)
			continue
		}
		all += tr.Plugin + ": " + tr.Error.Message + "\n"
	}
	for _, want := range []string{"junk", "unpinned", "plugin crash crashed", "plugin hang hung"} {
		if !strings.Contains(all, want) {
			t.Errorf("plugin %s not named:\n%s", want, all)
		}
	}
	// The built-in targets and the samples still ran.
	for _, target := range []string{"splunk", "lucene", "dsl", "esql", "eql"} {
		if tr := r.Targets[target]; tr == nil || !tr.OK {
			t.Errorf("%s: %+v", target, tr)
		}
	}
	if !r.Samples.Passed {
		t.Errorf("samples %+v", r.Samples)
	}
}

// TestHostileTerminalText: titles, paths and messages holding escape sequences and tabs
// are printed escaped in the table, each in its column.
func TestHostileTerminalText(t *testing.T) {
	evil := "evil\x1b]0;owned\x07\tcol\u009b31m"
	rep := &Report{
		Targets: []string{"splunk"},
		Rules: []*RuleResult{{
			Title: evil, Path: "/r/" + evil + ".yml",
			Lint:     []Finding{{Line: 1, Check: "title", Severity: "error", Message: evil}},
			Problems: []string{evil},
			Targets:  map[string]*TargetResult{"splunk": {Error: &ErrorInfo{Code: "unsupported-value", Message: evil}}},
			Samples:  SampleResult{Failures: []string{evil}},
		}},
		Plugins: []PluginProblem{{Name: evil, Error: evil}},
	}
	var out bytes.Buffer
	writeTable(&out, rep)
	if strings.ContainsAny(out.String(), "\x1b\x07\u009b") {
		t.Errorf("raw control characters in the table:\n%q", out.String())
	}
	header := strings.Fields(strings.Split(out.String(), "\n")[0])
	row := strings.Fields(strings.Split(out.String(), "\n")[1])
	// The samples cell is two words ("FAIL 0+/0-").
	if len(row) != len(header)+1 || !strings.Contains(out.String(), `evil\x1b]0;owned\a\tcol\u009b31m`) {
		t.Errorf("the title does not stay in its column, escaped:\n%s", out.String())
	}
}

func TestCheckInvalidProfileIsUsageError(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "p.yml")
	if err := os.WriteFile(bad, []byte("azure:\n  tenant_id: [x]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code, err := Run(context.Background(), &Options{Format: "table", Profile: bad, Stdout: &out, Stderr: &errb})
	if code != cli.ExitUsage || err == nil || !strings.Contains(err.Error(), `did you mean "azure.tenant_ids"?`) {
		t.Errorf("exit %d, err %v", code, err)
	}
}
