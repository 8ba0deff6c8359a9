package convert

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/plugin/host"
)

var (
	pluginsOnce sync.Once
	pluginsDir  string
	pluginsErr  string
)

// testPlugins builds, once per test binary, the example kql plugin (which renders its own
// format "sentinel"), a backend as built before protocol revision 2 (faulty "old") and one
// that renders a file outside the output directory (faulty "badrender"), all pinned in one
// plugin directory.
func testPlugins(t *testing.T) string {
	t.Helper()
	pluginsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sigmabridge-convert-plugins-")
		if err != nil {
			pluginsErr = err.Error()
			return
		}
		pluginsDir = dir
		for name, pkg := range map[string]string{
			"kql":       "github.com/sigmabridge/sigmabridge/plugin/example/cmd/sigmabridge-plugin-kql",
			"old":       "github.com/sigmabridge/sigmabridge/plugin/internal/testplugins/faulty",
			"badrender": "github.com/sigmabridge/sigmabridge/plugin/internal/testplugins/faulty",
		} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "sigmabridge-plugin-"+name), pkg).CombinedOutput()
			if err != nil {
				pluginsErr = "go build " + pkg + ": " + err.Error() + "\n" + string(out)
				return
			}
		}
		if _, err := host.PinPlugins(dir, nil); err != nil {
			pluginsErr = err.Error()
		}
	})
	if pluginsErr != "" {
		t.Fatal(pluginsErr)
	}
	return pluginsDir
}

// TestMain removes the plugin directory testPlugins built.
func TestMain(m *testing.M) {
	code := m.Run()
	if pluginsDir != "" {
		os.RemoveAll(pluginsDir)
	}
	os.Exit(code)
}

const criticalRule = `title: Critical one
id: 7f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
level: critical
tags: [attack.execution, attack.t1648, attack.initial-access]
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: CreateFunction}
  condition: sel
`

type sentinelRule struct {
	ID                 string   `yaml:"id"`
	Name               string   `yaml:"name"`
	Severity           string   `yaml:"severity"`
	Kind               string   `yaml:"kind"`
	Query              string   `yaml:"query"`
	Tactics            []string `yaml:"tactics"`
	RelevantTechniques []string `yaml:"relevantTechniques"`
}

func decodeSentinel(t *testing.T, data []byte) []sentinelRule {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var out []sentinelRule
	for {
		var r sentinelRule
		if err := dec.Decode(&r); err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("not YAML: %v\n%s", err, data)
		}
		out = append(out, r)
	}
}

// TestPluginFormatThroughTheProtocol: a third-party backend's own format, served by a real
// plugin binary, is a format of convert: -f renders it through the protocol's Render call
// (the rules after their pipelines), a rule the plugin cannot render fails with its
// diagnostic while the rest are written, a plugin's per-rule warning reaches stderr, and
// --per-rule writes the plugin's per-rule files with the manifest.
func TestPluginFormatThroughTheProtocol(t *testing.T) {
	plugins := testPlugins(t)
	rules := t.TempDir()
	write(t, rules, "aws/good.yml", goodRule)
	write(t, rules, "aws/two.yml", twoConditions)
	write(t, rules, "aws/critical.yml", criticalRule)
	write(t, rules, "kw/keywords.yml", keywordRule)
	host := sigmabridge.HostOptions{PluginDir: plugins}

	code, out, stderr := run(t, Options{Target: "kql", Format: "sentinel", Host: host, Paths: []string{rules}})
	if code != cli.ExitFailure {
		t.Fatalf("exit %d, want 1 (the keyword rule fails)\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "keywords.yml") || !strings.Contains(stderr, "unsupported-keyword") {
		t.Errorf("the keyword rule's diagnostic is missing:\n%s", stderr)
	}
	if !strings.Contains(stderr, "critical.yml") || !strings.Contains(stderr, "sentinel-severity") {
		t.Errorf("the plugin's per-rule warning is missing:\n%s", stderr)
	}
	docs := decodeSentinel(t, []byte(out))
	byName := map[string]sentinelRule{}
	for _, d := range docs {
		byName[d.Name] = d
	}
	if len(docs) != 4 {
		t.Fatalf("%d documents, want 4 (good, critical, two conditions of two):\n%s", len(docs), out)
	}
	g, ok := byName["Good"]
	if !ok || g.Kind != "Scheduled" || g.Query != `where eventName =~ "CreateFunction"` || g.Severity != "Medium" {
		t.Errorf("Good: %+v", g)
	}
	c := byName["Critical one"]
	if c.Severity != "High" || strings.Join(c.Tactics, ",") != "Execution,InitialAccess" || strings.Join(c.RelevantTechniques, ",") != "T1648" {
		t.Errorf("Critical one: %+v", c)
	}
	if byName["Two (condition 1)"].Query != `where eventName =~ "A"` || byName["Two (condition 2)"].Query != `where eventName =~ "B"` {
		t.Errorf("Two: %+v", docs)
	}

	// --per-rule: one .yaml per rule at its place in the tree, and the manifest.
	dir := t.TempDir()
	o := Options{Target: "kql", Format: "sentinel", Host: host, Paths: []string{rules}, Output: dir}
	o.Deploy.PerRule = true
	code, _, stderr = run(t, o)
	if code != cli.ExitFailure {
		t.Fatalf("--per-rule: exit %d\n%s", code, stderr)
	}
	m := readManifest(t, dir)
	got := map[string]formats.ManifestEntry{}
	for _, e := range m.Files {
		got[e.Output] = e
	}
	if len(got) != 3 {
		t.Fatalf("manifest: %+v, want aws/good.yaml, aws/two.yaml, aws/critical.yaml", m.Files)
	}
	for name, want := range map[string]int{"aws/good.yaml": 1, "aws/two.yaml": 2, "aws/critical.yaml": 1} {
		e, ok := got[name]
		if !ok || e.Format != "sentinel" || e.Target != "kql" {
			t.Errorf("%s: %+v", name, e)
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if formats.SHA256(data) != e.SHA256 {
			t.Errorf("%s: sha256 differs from the manifest", name)
		}
		if n := len(decodeSentinel(t, data)); n != want {
			t.Errorf("%s: %d documents, want %d", name, n, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "kw")); err == nil {
		t.Errorf("the failed keyword rule has a file")
	}

	// --per-rule in the default format: each rule's queries in DIR/<path>.kql.
	dir = t.TempDir()
	o = Options{Target: "kql", Format: "default", Host: host, Paths: []string{rules}, Output: dir, SkipUnsupported: true}
	o.Deploy.PerRule = true
	if code, _, stderr = run(t, o); code != cli.ExitOK {
		t.Fatalf("--per-rule default: exit %d\n%s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "aws", "two.kql"))
	if err != nil || string(data) != "where eventName =~ \"A\"\nwhere eventName =~ \"B\"\n" {
		t.Errorf("aws/two.kql: %q %v", data, err)
	}
	if m := readManifest(t, dir); len(m.Files) != 3 {
		t.Errorf("manifest %+v", m.Files)
	}
}

// TestPluginFormatUsage: an unknown format of a plugin's target lists the plugin's formats;
// a built-in deployable format is refused for the plugin's target.
func TestPluginFormatUsage(t *testing.T) {
	plugins := testPlugins(t)
	rules := t.TempDir()
	write(t, rules, "good.yml", goodRule)
	host := sigmabridge.HostOptions{PluginDir: plugins}
	code, _, stderr := run(t, Options{Target: "kql", Format: "sentinal", Host: host, Paths: []string{rules}})
	if code != cli.ExitUsage || !strings.Contains(stderr, `unknown format "sentinal"`) || !strings.Contains(stderr, `did you mean "sentinel"`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
	code, _, stderr = run(t, Options{Target: "kql", Format: "elastic-rules", Host: host, Paths: []string{rules}})
	if code != cli.ExitUsage || !strings.Contains(stderr, "not kql") {
		t.Errorf("elastic-rules for kql: exit %d: %s", code, stderr)
	}
	o := Options{Target: "kql", Format: "sentinel", Host: host, Paths: []string{rules}}
	o.Deploy.PerRule = true
	if code, _, stderr = run(t, o); code != cli.ExitUsage || !strings.Contains(stderr, "needs -o DIR") {
		t.Errorf("--per-rule without -o: exit %d: %s", code, stderr)
	}
}

// TestPluginBeforeFormatsIsNamed: a backend built before protocol revision 2 still
// converts, and asking it for a format of its own is a usage error that names the plugin
// and says its protocol revision has no formats (no crash, no garbage).
func TestPluginBeforeFormatsIsNamed(t *testing.T) {
	plugins := testPlugins(t)
	rules := t.TempDir()
	write(t, rules, "good.yml", goodRule)
	host := sigmabridge.HostOptions{PluginDir: plugins}
	code, out, stderr := run(t, Options{Target: "old", Host: host, Paths: []string{rules}})
	if code != cli.ExitOK || out != "Good\n" {
		t.Fatalf("default format: exit %d, out %q\n%s", code, out, stderr)
	}
	code, out, stderr = run(t, Options{Target: "old", Format: "sentinel", Host: host, Paths: []string{rules}})
	if code != cli.ExitUsage || out != "" {
		t.Fatalf("exit %d, out %q", code, out)
	}
	for _, want := range []string{"plugin old", "revision 0", "no formats"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestHostilePluginFormatFileOutsideDir: a plugin that renders a file named ../escape is
// refused as garbage, and nothing is written outside -o DIR.
func TestHostilePluginFormatFileOutsideDir(t *testing.T) {
	plugins := testPlugins(t)
	rules := t.TempDir()
	write(t, rules, "good.yml", goodRule)
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	code, _, stderr := run(t, Options{Target: "badrender", Format: "evil", Host: sigmabridge.HostOptions{PluginDir: plugins},
		Paths: []string{rules}, Output: dir + string(filepath.Separator)})
	if code != cli.ExitFailure || !strings.Contains(stderr, "plugin badrender answered garbage") || !strings.Contains(stderr, "../escape") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(parent, "escape")); err == nil {
		t.Errorf("a file was written outside -o DIR")
	}
}
