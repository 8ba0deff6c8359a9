package formats_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// packProfile is the profile the pack's samples assume, with logs entries that place two
// log sources, so the goldens show the profile's index and sourcetype in the content.
func packProfile(t testing.TB) *profile.Profile {
	t.Helper()
	pp, err := sigmabridge.PackProfile()
	if err != nil {
		t.Fatal(err)
	}
	pp.Logs = append(pp.Logs,
		profile.LogLocation{Logsource: profile.Logsource{Product: "aws", Service: "cloudtrail"},
			Splunk:  &profile.SplunkLocation{Index: profile.Strings{"aws"}, Sourcetype: "aws:cloudtrail"},
			Elastic: &profile.ElasticLocation{Index: profile.Strings{"logs-aws.cloudtrail-*"}}},
		profile.LogLocation{Logsource: profile.Logsource{Product: "azure", Service: "activitylogs"},
			Splunk: &profile.SplunkLocation{Index: profile.Strings{"azure", "azure_archive"}}},
	)
	return pp
}

// convertPack converts the built-in pack for target under prof and the pipelines, and
// returns the items that converted.
func convertPack(t testing.TB, prof *profile.Profile, target string, pipelines []string, macros bool) []formats.Item {
	t.Helper()
	rules, files := packRules(t)
	return convertRules(t, prof, target, pipelines, macros, rules, sigmabridge.RuleSources(nil, files))
}

// convertPackAll is convertPack with the pack's correlations after the rules: the
// deployable content of the pack, as convert renders it.
func convertPackAll(t testing.TB, prof *profile.Profile, target string, pipelines []string, macros bool) []formats.Item {
	t.Helper()
	items := convertPack(t, prof, target, pipelines, macros)
	files, diags, err := sigmabridge.RuleFiles(nil)
	if err != nil || diags.HasErrors() {
		t.Fatalf("pack: %v %v", err, diags)
	}
	set, _ := ruleset.LoadSet(files)
	b, err := backends.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sigmabridge.Setup(prof, profile.TargetOf(target), pipelines)
	if err != nil {
		t.Fatal(err)
	}
	_, citems := sigmabridge.ConvertCorrelationItems(b, s, set, sigmabridge.RuleSources(nil, files), macros)
	for _, it := range citems {
		if it != nil {
			items = append(items, *it)
		}
	}
	return items
}

func convertRules(t testing.TB, prof *profile.Profile, target string, pipelines []string, macros bool, rules []*ir.Rule, sources map[string]string) []formats.Item {
	t.Helper()
	b, err := backends.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sigmabridge.Setup(prof, profile.TargetOf(target), pipelines)
	if err != nil {
		t.Fatal(err)
	}
	_, items, err := sigmabridge.ConvertItems(context.Background(), b, s, rules, sources, macros)
	if err != nil {
		t.Fatal(err)
	}
	var out []formats.Item
	for _, it := range items {
		if it != nil {
			out = append(out, *it)
		}
	}
	return out
}

func options(target string) formats.Options {
	o := formats.Defaults
	o.Target = target
	o.App.License = "test licence\n"
	o.LicenseName = rules.LicenseName
	return o
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test ./formats -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the golden file at line %d:\n got: %s\nwant: %s\n(go test ./formats -update rewrites it)", p, i+1, g, w)
			}
		}
	}
}

// tools returns the bin directory of the Python tools (.ci/formats-tools-env.sh). Without
// it the test skips, saying why, unless SIGMABRIDGE_REQUIRE_FORMATS_TOOLS is set (as
// .ci/test.sh sets it), when it fails.
func tools(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("SIGMABRIDGE_FORMATS_TOOLS_BIN")
	if bin == "" {
		if os.Getenv("SIGMABRIDGE_REQUIRE_FORMATS_TOOLS") != "" {
			t.Fatal("SIGMABRIDGE_FORMATS_TOOLS_BIN is not set (bash .ci/formats-tools-env.sh prints it)")
		}
		t.Skip("SIGMABRIDGE_FORMATS_TOOLS_BIN is not set: run bash .ci/formats-tools-env.sh and export its output")
	}
	return bin
}

// python runs formats/testdata/check.py with the tools' interpreter, bounded in time.
func python(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(tools(t), "python"), append([]string{filepath.Join("testdata", "check.py")}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Logf("check.py %s: stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	return out, err
}

// readConf reads a .conf file back with Splunk's parser (check.py conf).
func readConf(t *testing.T, data []byte) map[string]map[string]string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.conf")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := python(t, "conf", p)
	if err != nil {
		t.Fatalf("the .conf parser refused the file: %v", err)
	}
	var m map[string]map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, kv := range m {
		delete(kv, "__name__")
	}
	return m
}

// packRules loads the built-in pack's deployable rules, as convert picks them: all but the
// base rules of correlations (ir.RuleSet.Base), which alert only through them.
func packRules(t testing.TB) ([]*ir.Rule, []ruleset.File) {
	t.Helper()
	files, diags, err := sigmabridge.RuleFiles(nil)
	if err != nil || diags.HasErrors() {
		t.Fatalf("pack: %v %v", err, diags)
	}
	set, ds := ruleset.LoadSet(files)
	if ds.HasErrors() {
		t.Fatalf("pack: %v", ds)
	}
	return set.Alerting(), files
}
