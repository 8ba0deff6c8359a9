package scan

import (
	"cmp"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/testbin"
	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/samples"
)

const corrRules = `title: failed login
id: 5f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0
name: fail
logsource: {product: test}
detection:
  sel: {action: fail}
  condition: sel
---
title: Login burst
id: 6a1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0
level: high
correlation: {type: event_count, rules: [fail], group-by: [user], timespan: 5m, condition: {gte: 3}}
`

// scan reports a correlation match with the events that made it, and not the matches of
// its base rule (generate: false), through the plugin and in process.
func TestScanReportsCorrelationMatches(t *testing.T) { modes(t, testScanReportsCorrelationMatches) }

func testScanReportsCorrelationMatches(t *testing.T, o Options) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "burst.yml")
	logs := filepath.Join(dir, "logs.jsonl")
	events := []string{
		`{"@timestamp":"2026-01-01T00:00:00Z","action":"fail","user":"u1"}`,
		`{"@timestamp":"2026-01-01T00:01:00Z","action":"fail","user":"u2"}`,
		`{"@timestamp":"2026-01-01T00:02:00Z","action":"fail","user":"u1"}`,
		`{"@timestamp":"2026-01-01T00:04:59Z","action":"fail","user":"u1"}`,
		`{"@timestamp":"2026-01-01T00:30:00Z","action":"fail","user":"u2"}`,
	}
	if err := os.WriteFile(rules, []byte(corrRules), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logs, []byte(strings.Join(events, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.Rules, o.Files = []string{rules}, []string{logs}
	code, out, stderr := runScan(t, o)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one correlation match and no base-rule match, got:\n%s", out)
	}
	var a jsonAlert
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
		t.Fatal(err)
	}
	want := []string{logs + ":1", logs + ":3", logs + ":4"}
	if !a.Correlation || a.Title != "Login burst" || a.Group["user"] != "u1" || a.Value != 3 || strings.Join(a.Events, " ") != strings.Join(want, " ") {
		t.Errorf("got %+v, want the burst of u1 over events %v", a, want)
	}
}

// TestScanCorrelationsPluginEqualsInProcess scans the pack over every correlation sample
// sequence (one input each) through the detector plugin, which evaluates the
// correlations, and in process: the output, alerts and their order included, is the same.
func TestScanCorrelationsPluginEqualsInProcess(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "testdata", "rules", "*", "mr_*"))
	if err != nil || len(dirs) < 20 {
		t.Fatalf("%d sample directories (%v)", len(dirs), err)
	}
	// The sequences by input format (jsonl, or a Workspace Reports API activity): scan
	// reads one format per run.
	byFormat := map[string][]string{}
	for _, dir := range dirs {
		m, err := samples.ReadManifest(os.DirFS(dir), ".", dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range m.Samples {
			format := cmp.Or(s.Format, input.JSONL)
			byFormat[format] = append(byFormat[format], filepath.Join(dir, s.File))
		}
	}
	run := func(o Options, format string) (string, string) {
		o.Files, o.Format, o.Input = byFormat[format], "jsonl", format
		code, out, stderr := runScan(t, o)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return out, stderr
	}
	var plug string
	for _, format := range slices.Sorted(maps.Keys(byFormat)) {
		p, pErr := run(Options{Executable: testbin.Path(t)}, format)
		local, localErr := run(Options{InProcess: true}, format)
		if p != local || pErr != localErr {
			t.Errorf("%s: through the plugin:\n%s\n%s\nin process:\n%s\n%s", format, p, pErr, local, localErr)
		}
		plug += p
	}
	if n := strings.Count(plug, `"correlation":true`); n < 20 {
		t.Errorf("%d correlation alerts: the comparison proves little", n)
	}
}
