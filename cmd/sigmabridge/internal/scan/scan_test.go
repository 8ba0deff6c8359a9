package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/testbin"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
)

const rule = `title: Lambda Create
id: 7a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
level: high
tags: [attack.execution, attack.t1648]
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName|startswith: CreateFunction}
  condition: sel
`

func setup(t *testing.T) (string, string) {
	dir := t.TempDir()
	r := filepath.Join(dir, "r.yml")
	if err := os.WriteFile(r, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "logs.jsonl")
	data := `{"eventName":"createfunction20150331"}
{"eventName":"Invoke"}
{broken
{"eventName":"CreateFunction"}
`
	if err := os.WriteFile(logs, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return r, logs
}

// modes runs f with the detector plugin (the default) and in process.
func modes(t *testing.T, f func(t *testing.T, base Options)) {
	t.Run("plugin", func(t *testing.T) { f(t, Options{Executable: testbin.Path(t)}) })
	t.Run("in-process", func(t *testing.T) { f(t, Options{InProcess: true}) })
}

func runScan(t *testing.T, o Options) (int, string, string) {
	var out, errb bytes.Buffer
	o.Stdout, o.Stderr = &out, &errb
	if o.Stdin == nil {
		o.Stdin = strings.NewReader("")
	}
	if o.Format == "" {
		o.Format = "jsonl"
	}
	if o.Input == "" {
		o.Input = "jsonl"
	}
	code, err := Run(context.Background(), &o)
	if err != nil {
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

func TestScanMatchesAndNamesBadLines(t *testing.T) { modes(t, testScanMatchesAndNamesBadLines) }

func testScanMatchesAndNamesBadLines(t *testing.T, o Options) {
	r, logs := setup(t)
	missing := filepath.Join(filepath.Dir(logs), "missing.jsonl")
	o.Rules, o.Files = []string{r}, []string{logs, missing}
	code, out, stderr := runScan(t, o)
	if code != cli.ExitFailure {
		t.Errorf("exit %d, want 1 (bad line, missing file)", code)
	}
	if !strings.Contains(stderr, logs+":3:") || !strings.Contains(stderr, missing+": no such file") {
		t.Errorf("stderr %q", stderr)
	}
	var lines []jsonMatch
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m jsonMatch
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 || lines[0].Line != 1 || lines[1].Line != 4 || lines[0].Level != "high" ||
		lines[0].RuleID != "7a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e" || len(lines[0].Tags) != 2 || lines[0].File != logs {
		t.Errorf("matches %+v", lines)
	}
}

func TestScanStdinAndExitZeroWithoutMatches(t *testing.T) { modes(t, testScanStdin) }

func testScanStdin(t *testing.T, o Options) {
	r, _ := setup(t)
	o.Rules = []string{r}
	o.Stdin = strings.NewReader(`[{"eventName":"Invoke"},{"eventName":"CreateFunction"}]`)
	code, out, _ := runScan(t, o)
	if code != cli.ExitOK || !strings.Contains(out, `"line":2`) || !strings.Contains(out, `"file":"<stdin>"`) {
		t.Errorf("exit %d out %q", code, out)
	}
	o.Stdin = strings.NewReader(`{"eventName":"Invoke"}`)
	code, out, _ = runScan(t, o)
	if code != cli.ExitOK || out != "" {
		t.Errorf("no match: exit %d out %q", code, out)
	}
}

func TestScanUsageErrors(t *testing.T) {
	r, _ := setup(t)
	for _, o := range []Options{{Rules: []string{r}, Format: "xml", InProcess: true}, {Rules: []string{r}, Input: "nope"}, {Rules: []string{r}, Pipelines: []string{"/no/such/pipeline.yml"}}} {
		if code, _, _ := runScan(t, o); code != cli.ExitUsage {
			t.Errorf("%+v: exit %d, want 2", o, code)
		}
	}
}

func TestScanBuiltinPackOnSamples(t *testing.T) { modes(t, testScanBuiltin) }

func testScanBuiltin(t *testing.T, o Options) {
	// The built-in pack runs with no rule argument; a pack sample event matches.
	data, err := os.ReadFile("../../../../testdata/rules/aws/lambda_policy_any_principal/pos_01_principal_star_no_condition.jsonl")
	if err != nil {
		t.Skipf("sample not present: %v", err)
	}
	o.Stdin = bytes.NewReader(data)
	code, out, _ := runScan(t, o)
	if code != cli.ExitOK || !strings.Contains(out, "Any Principal") {
		t.Errorf("exit %d out %q", code, out)
	}
}

func TestScanDetectorPluginMissing(t *testing.T) {
	r, logs := setup(t)
	code, _, stderr := runScan(t, Options{Rules: []string{r}, Files: []string{logs}, Executable: filepath.Join(t.TempDir(), "gone")})
	if code != cli.ExitFailure || !strings.Contains(stderr, "evaluator") {
		t.Errorf("exit %d, stderr %q: want 1 and the plugin named", code, stderr)
	}
}

// TestHostileTextInOutput: a rule title and a file name holding escape sequences and
// newlines reach the table escaped, and the jsonl output stays one valid JSON object a line.
func TestHostileTextInOutput(t *testing.T) {
	dir := t.TempDir()
	r := filepath.Join(dir, "r.yml")
	hostile := strings.Replace(rule, "title: Lambda Create", `title: "Lambda \e]0;owned\a\e[2J Create\nsecond line \u202e"`, 1)
	if err := os.WriteFile(r, []byte(hostile), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "logs\x1b[31m.jsonl")
	if err := os.WriteFile(logs, []byte(`{"eventName":"CreateFunction"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runScan(t, Options{Rules: []string{r}, Files: []string{logs}, Format: "table", InProcess: true})
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("exit %d, output %q, stderr %q: want one table line", code, out, stderr)
	}
	for _, bad := range []string{"\x1b", "\a", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("table output holds %q raw: %q", bad, out)
		}
	}
	if !strings.Contains(out, `\x1b]0;owned\a`) || !strings.Contains(out, `\n`) {
		t.Errorf("table output does not show the escapes: %q", out)
	}
	code, out, _ = runScan(t, Options{Rules: []string{r}, Files: []string{logs}, Format: "jsonl", InProcess: true})
	var m jsonMatch
	if code != 0 || strings.Count(out, "\n") != 1 || json.Unmarshal([]byte(out), &m) != nil || !strings.Contains(m.Title, "\x1b]0;owned") || m.File != logs {
		t.Errorf("jsonl output %q is not one JSON line carrying the title and file as they are", out)
	}
}
