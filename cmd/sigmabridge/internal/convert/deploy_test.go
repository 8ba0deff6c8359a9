package convert

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/formats"
)

func deployRun(t *testing.T, o Options) (int, string, string) {
	t.Helper()
	d := formats.Defaults
	if o.Deploy.DefaultIndex != nil {
		d.DefaultIndex = o.Deploy.DefaultIndex
	}
	o.Deploy.Options = d
	return run(t, o)
}

type manifest struct {
	Files []formats.ManifestEntry `json:"files"`
}

func readManifest(t *testing.T, dir string) manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPerRuleMirrorsTheTree: --per-rule writes one file per rule at its place in the rule
// tree, and manifest.json lists each with its sha256; every format that has per-rule files.
func TestPerRuleMirrorsTheTree(t *testing.T) {
	src := t.TempDir()
	write(t, src, "aws/good.yml", goodRule)
	write(t, src, "aws/deep/two.yml", twoConditions)
	write(t, src, "bad.yml", badModifier)
	for _, c := range []struct{ target, format, ext string }{
		{"splunk", "default", ".spl"}, {"lucene", "jsonl", ".jsonl"}, {"splunk", "savedsearches", ".conf"},
		{"lucene", "elastic-rules", ".json"}, {"esql", "elastic-rules", ".json"},
	} {
		t.Run(c.target+"-"+c.format, func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := deployRun(t, Options{Target: c.target, Format: c.format, Output: out, Paths: []string{src},
				Deploy: DeployOptions{PerRule: true}})
			if code != cli.ExitFailure || stdout != "" || !strings.Contains(stderr, "unknown-modifier") {
				t.Fatalf("exit %d (want 1: bad.yml fails), stdout %q, stderr %q", code, stdout, stderr)
			}
			m := readManifest(t, out)
			var outs []string
			for _, e := range m.Files {
				outs = append(outs, e.Output)
				data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(e.Output)))
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(data)
				if e.SHA256 != hex.EncodeToString(sum[:]) || e.Target != c.target || e.Format != c.format || e.RuleID == "" || e.Title == "" {
					t.Errorf("entry %+v", e)
				}
				if !strings.HasPrefix(e.Source, src) {
					t.Errorf("source %q", e.Source)
				}
			}
			want := []string{"aws/deep/two" + c.ext, "aws/good" + c.ext}
			if c.format == "elastic-rules" {
				// two.yml has two conditions: two Elastic rules, as NDJSON.
				want[0] = "aws/deep/two.ndjson"
			}
			slices.Sort(outs)
			if !slices.Equal(outs, want) {
				t.Errorf("outputs %v, want %v", outs, want)
			}
			// A second run replaces the files in place and leaves no temporary file.
			if code, _, _ := deployRun(t, Options{Target: c.target, Format: c.format, Output: out, Paths: []string{src}, Deploy: DeployOptions{PerRule: true}}); code != cli.ExitFailure {
				t.Errorf("second run exit %d", code)
			}
			_ = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
				if err == nil && strings.Contains(d.Name(), ".tmp") {
					t.Errorf("temporary file left: %s", p)
				}
				return nil
			})
		})
	}
}

// TestHostilePerRuleTraversal: nothing is written outside -o DIR, whatever DIR holds: a
// symbolic link planted at a rule's directory is refused, and so are rule-tree paths that
// are not local.
func TestHostilePerRuleTraversal(t *testing.T) {
	src := t.TempDir()
	write(t, src, "aws/good.yml", goodRule)
	outside := t.TempDir()
	out := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(out, "aws")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := deployRun(t, Options{Target: "lucene", Format: "elastic-rules", Output: out, Paths: []string{src}, Deploy: DeployOptions{PerRule: true}})
	if code != cli.ExitFailure || !strings.Contains(stderr, "aws/good.json") {
		t.Errorf("exit %d, stderr %q: want the write through the link refused", code, stderr)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("written outside DIR: %v", ents)
	}
	for _, bad := range []string{"../x.yml", "/etc/x.yml", "a/../../x.yml", `a\..\x.yml`, "", ".", "a/./b.yml", "x\n.yml"} {
		if p, err := formats.PerRulePath(bad, ".json"); err == nil {
			t.Errorf("PerRulePath(%q) = %q, want refused", bad, p)
		}
	}
	if err := formats.WriteDir(out, []formats.File{{Name: "../escape.json", Data: []byte("x")}}); err == nil {
		t.Error("WriteDir wrote ../escape.json")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(out), "escape.json")); err == nil {
		t.Error("escape.json exists beside DIR")
	}
}

func TestSplunkAppArchiveAndUsage(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "good.yml", goodRule)
	tgz := filepath.Join(t.TempDir(), "app.tgz")
	code, _, stderr := deployRun(t, Options{Target: "splunk", Format: "splunk-app", Output: tgz, Paths: []string{dir}})
	if code != cli.ExitOK {
		t.Fatalf("exit %d %q", code, stderr)
	}
	f, err := os.Open(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	var license []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Name == "sigmabridge_detections/LICENSE.txt" {
			license, _ = io.ReadAll(tr)
		}
	}
	for _, want := range []string{"sigmabridge_detections/default/app.conf", "sigmabridge_detections/default/savedsearches.conf",
		"sigmabridge_detections/default/macros.conf", "sigmabridge_detections/metadata/default.meta", "sigmabridge_detections/README.txt"} {
		if !slices.Contains(names, want) {
			t.Errorf("archive lacks %s: %v", want, names)
		}
	}
	if !bytes.Contains(license, []byte("Detection Rule License")) {
		t.Errorf("LICENSE.txt of rules from a path: %q", license)
	}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Target: "lucene", Format: "savedsearches"}, "takes the targets splunk"},
		{Options{Target: "splunk", Format: "elastic-rules"}, "takes the targets lucene, dsl, eql, esql"},
		{Options{Target: "splunk", Format: "splunk-app"}, "needs -o DIR"},
		{Options{Target: "splunk", Format: "splunk-app", Output: t.TempDir(), Deploy: DeployOptions{PerRule: true}}, "not a file per rule"},
		{Options{Target: "splunk", Format: "default", Deploy: DeployOptions{PerRule: true}}, "--per-rule needs -o DIR"},
		{Options{Target: "lucene", Format: "elastic-rules", Deploy: DeployOptions{Options: formats.Options{DefaultIndex: []string{"logs/_close#"}}}}, "--default-index"},
	} {
		c.o.Paths = []string{dir}
		code, _, stderr := deployRun(t, c.o)
		if code != cli.ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%+v: exit %d %q, want usage error %q", c.o, code, stderr, c.want)
		}
	}
	o := Options{Target: "splunk", Format: "savedsearches", Paths: []string{dir}}
	o.Deploy.Options = formats.Defaults
	o.Deploy.Cron = "every hour"
	var out, errb bytes.Buffer
	o.Stdout, o.Stderr = &out, &errb
	if code, err := Run(&o); code != cli.ExitUsage || err == nil || !strings.Contains(err.Error(), "--cron") {
		t.Errorf("bad --cron: exit %d %v", code, err)
	}
}

var updateManifest = flag.Bool("update", false, "rewrite the per-rule manifest golden file")

// TestPerRulePackManifestGolden converts the built-in pack with --per-rule for every
// deployable format that has per-rule files and compares manifest.json (each file's sha256
// included) with its golden file in formats/testdata/golden/per-rule/.
func TestPerRulePackManifestGolden(t *testing.T) {
	profile := filepath.Join("..", "..", "..", "..", "testdata", "rules", "profile.yml")
	for _, c := range []struct{ target, format, pipeline string }{
		{"splunk", "savedsearches", "splunk_t1648"}, {"lucene", "elastic-rules", "ecs_t1648"}, {"esql", "elastic-rules", "ecs_t1648"},
	} {
		t.Run(c.target+"-"+c.format, func(t *testing.T) {
			out := t.TempDir()
			code, _, stderr := deployRun(t, Options{Target: c.target, Format: c.format, Output: out, Pipelines: []string{c.pipeline},
				Profile: profile, Deploy: DeployOptions{PerRule: true}})
			if code == cli.ExitUsage {
				t.Fatalf("usage: %s", stderr)
			}
			got, err := os.ReadFile(filepath.Join(out, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			m := readManifest(t, out)
			if len(m.Files) < 25 {
				t.Errorf("only %d files", len(m.Files))
			}
			p := filepath.Join("..", "..", "..", "..", "formats", "testdata", "golden", "per-rule", c.target+"-"+c.format+"-manifest.json")
			if *updateManifest {
				_ = os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%v (go test ./cmd/sigmabridge/internal/convert -run PackManifest -update writes it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("manifest.json differs from %s (-update rewrites it)", p)
			}
		})
	}
}

// TestDeployDefaultsFromTheProfile: the profile's deploy section sets the schedule; a flag
// given on the command line wins over it.
func TestDeployDefaultsFromTheProfile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "rules/good.yml", goodRule)
	prof := write(t, dir, "profile.yml", "version: 1\ndeploy:\n  splunk: {cron: '0 * * * *', earliest: -70m@m}\n  elastic: {interval: 1h}\n")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-t", "splunk", "-f", "savedsearches"}, []string{"cron_schedule = 0 * * * *\n", "dispatch.earliest_time = -70m@m\n", "dispatch.latest_time = -10m@m\n"}},
		{[]string{"-t", "splunk", "-f", "savedsearches", "--cron", "*/5 * * * *"}, []string{"cron_schedule = */5 * * * *\n", "dispatch.earliest_time = -70m@m\n"}},
		{[]string{"-t", "lucene", "-f", "elastic-rules"}, []string{`"interval":"1h"`, `"from":"now-3660s"`}},
		{[]string{"-t", "lucene", "-f", "elastic-rules", "--interval", "2m"}, []string{`"interval":"2m"`, `"from":"now-180s"`}},
	} {
		cmd := NewCommand()
		var out, errb bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&errb)
		cmd.SetArgs(append(c.args, "--profile", prof, filepath.Join(dir, "rules")))
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v %s", c.args, err, errb.String())
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: no %q in\n%s", c.args, w, out.String())
			}
		}
	}
	bad := write(t, dir, "bad.yml", "version: 1\ndeploy:\n  splunk: {cron: hourly}\n")
	o := Options{Target: "splunk", Format: "savedsearches", Profile: bad, Paths: []string{filepath.Join(dir, "rules")}}
	o.Deploy.Options = formats.Defaults
	var out, errb bytes.Buffer
	o.Stdout, o.Stderr = &out, &errb
	if code, err := Run(&o); code != cli.ExitUsage || err == nil || !strings.Contains(err.Error(), "deploy section") {
		t.Errorf("a bad profile cron: exit %d %v", code, err)
	}
}
