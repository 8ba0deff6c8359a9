package convert

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
)

const goodRule = `title: Good
id: 3f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: CreateFunction}
  condition: sel
`

const twoConditions = `title: Two
id: 4f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  a: {eventName: A}
  b: {eventName: B}
  condition: [a, b]
`

const badModifier = `title: Bad
id: 5f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName|contians: CreateFunction}
  condition: sel
`

const keywordRule = `title: Keywords
id: 6f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  kw: [evil]
  condition: kw
`

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, o Options) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	o.Stdout, o.Stderr = &out, &errb
	if o.Format == "" {
		o.Format = "default"
	}
	code, err := Run(&o)
	if err != nil {
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

func TestConvertExitCodesAndBatch(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a/good.yml", goodRule)
	bad := write(t, dir, "b/bad.yml", badModifier)
	write(t, dir, "c/two.yaml", twoConditions)
	write(t, dir, "notes.txt", "not a rule")

	code, out, stderr := run(t, Options{Target: "splunk", Paths: []string{dir}})
	if code != cli.ExitFailure {
		t.Errorf("exit %d, want 1 when one rule fails", code)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 {
		t.Errorf("want 3 queries (good + two conditions), got %q", out)
	}
	if !strings.Contains(stderr, bad+":5: unknown-modifier:") {
		t.Errorf("stderr does not name the file and line: %q", stderr)
	}

	code, _, _ = run(t, Options{Target: "splunk", Paths: []string{filepath.Join(dir, "a")}})
	if code != cli.ExitOK {
		t.Errorf("exit %d, want 0", code)
	}
	code, _, stderr = run(t, Options{Target: "nosuch", Paths: []string{dir}})
	if code != cli.ExitUsage || !strings.Contains(stderr, `unknown target "nosuch"`) {
		t.Errorf("exit %d %q, want usage error", code, stderr)
	}
	code, _, stderr = run(t, Options{Target: "splunk", Format: "xml", Paths: []string{dir}})
	if code != cli.ExitUsage {
		t.Errorf("exit %d %q, want usage error for an unknown format", code, stderr)
	}
}

func TestConvertMissingPathStillConvertsTheRest(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.yml", goodRule)
	missing := filepath.Join(dir, "missing.yml")
	code, out, stderr := run(t, Options{Target: "lucene", Paths: []string{missing, good}})
	if code != cli.ExitFailure {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, missing+": read-error:") || strings.TrimSpace(out) == "" {
		t.Errorf("stdout %q stderr %q", out, stderr)
	}
	if !strings.Contains(stderr, "lucene: 1 rule converted, 0 failed, 0 skipped as unsupported, 1 file with load errors") {
		t.Errorf("summary: %q", stderr)
	}
}

// TestConvertEmptyInputIsAnError: a directory with no rule is a usage error naming it,
// never the built-in pack instead.
func TestConvertEmptyInputIsAnError(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := run(t, Options{Target: "splunk", Paths: []string{dir}})
	if code != cli.ExitUsage || !strings.Contains(stderr, dir+": no Sigma rules (*.yml, *.yaml) in this directory") || out != "" {
		t.Errorf("exit %d %q %q", code, stderr, out)
	}
}

func TestConvertJSONL(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "good.yml", goodRule)
	write(t, dir, "bad.yml", badModifier)
	write(t, dir, "two.yml", twoConditions)
	code, out, _ := run(t, Options{Target: "splunk", Format: "jsonl", Paths: []string{dir}})
	if code != cli.ExitFailure {
		t.Errorf("exit %d", code)
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 4 {
		t.Fatalf("want 4 lines (bad error, good, two queries), got %d: %s", len(lines), out)
	}
	errLine := lines[0]
	e, ok := errLine["error"].(map[string]any)
	if !ok || e["code"] != "unknown-modifier" || errLine["id"] != "5f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e" || errLine["target"] != "splunk" {
		t.Errorf("error line %v", errLine)
	}
	if lines[1]["query"] != `eventName="CreateFunction"` || lines[1]["title"] != "Good" {
		t.Errorf("query line %v", lines[1])
	}
}

func TestConvertOutputFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	rules := write(t, dir, "r/good.yml", goodRule)
	out := write(t, dir, "out.spl", "previous content\n")
	code, stdout, _ := run(t, Options{Target: "splunk", Output: out, Paths: []string{rules}})
	if code != cli.ExitOK || stdout != "" {
		t.Fatalf("exit %d stdout %q", code, stdout)
	}
	got, _ := os.ReadFile(out)
	if string(got) != "eventName=\"CreateFunction\"\n" {
		t.Errorf("output file %q", got)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	// A usage error leaves the file untouched.
	if code, _, _ := run(t, Options{Target: "nosuch", Output: out, Paths: []string{rules}}); code != cli.ExitUsage {
		t.Fatalf("exit %d", code)
	}
	if again, _ := os.ReadFile(out); string(again) != string(got) {
		t.Errorf("file changed by a failed run")
	}
}

func TestConvertSkipUnsupported(t *testing.T) {
	dir := t.TempDir()
	kw := write(t, dir, "kw.yml", keywordRule)
	write(t, dir, "good.yml", goodRule)
	code, _, _ := run(t, Options{Target: "eql", Paths: []string{dir}})
	if code != cli.ExitFailure {
		t.Errorf("eql keyword rule: exit %d, want 1", code)
	}
	code, _, stderr := run(t, Options{Target: "eql", SkipUnsupported: true, Paths: []string{dir}})
	if code != cli.ExitOK || !strings.Contains(stderr, kw) || !strings.Contains(stderr, "1 skipped") {
		t.Errorf("exit %d stderr %q, want 0 with the skip reported", code, stderr)
	}
	// --skip-unsupported never hides a broken rule.
	write(t, dir, "bad.yml", badModifier)
	if code, _, _ := run(t, Options{Target: "eql", SkipUnsupported: true, Paths: []string{dir}}); code != cli.ExitFailure {
		t.Errorf("exit %d, want 1 for a broken rule", code)
	}
}

func TestConvertBuiltinPackIsDefault(t *testing.T) {
	_, out, stderr := run(t, Options{Target: "splunk", Pipelines: []string{"splunk_t1648"}})
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); n < 35 {
		t.Errorf("built-in pack gave %d queries; stderr:\n%s", n, stderr)
	}
}
