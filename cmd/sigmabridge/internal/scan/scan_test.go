package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/testbin"

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

// watchedStdout records what scan wrote.
type watchedStdout struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *watchedStdout) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *watchedStdout) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// hostileStdin is a bad first line and then many JSON lines, one of them a match; before it
// gives its first byte it notes what scan had written by then.
type hostileStdin struct {
	out      *watchedStdout
	seen     string
	started  bool
	lines, i int
	cur      []byte
}

func (h *hostileStdin) Read(p []byte) (int, error) {
	if !h.started {
		h.started, h.seen = true, h.out.String()
		h.cur = []byte("{\"eventName\": \"cut off\n")
	}
	for len(h.cur) == 0 {
		if h.i == h.lines {
			return 0, io.EOF
		}
		name := "Invoke"
		if h.i == h.lines-1 {
			name = "CreateFunction"
		}
		h.cur = fmt.Appendf(nil, "{\"eventName\":%q,\"n\":%d,\"pad\":\"%s\"}\n", name, h.i, strings.Repeat("x", 200))
		h.i++
	}
	n := copy(p, h.cur)
	h.cur = h.cur[n:]
	return n, nil
}

// TestHostileBadFirstLineKeepsEarlierMatches: the match of an earlier file is written out
// before the next input is read, and a bad first line followed by a large input is read
// line by line, its match found; both ways of matching.
func TestHostileBadFirstLineKeepsEarlierMatches(t *testing.T) { modes(t, testHostileBadFirstLine) }

func testHostileBadFirstLine(t *testing.T, o Options) {
	r, logs := setup(t)
	out := &watchedStdout{}
	stdin := &hostileStdin{out: out, lines: 100000}
	o.Rules, o.Files, o.Stdin, o.Stdout, o.Stderr, o.Format, o.Input = []string{r}, []string{logs, "-"}, stdin, out, io.Discard, "jsonl", "jsonl"
	code, err := Run(context.Background(), &o)
	if err != nil || code != cli.ExitFailure {
		t.Fatalf("exit %d, error %v; want 1 (bad lines)", code, err)
	}
	if n := strings.Count(stdin.seen, "\n"); n != 2 {
		t.Errorf("%d matches of the first file were written before the next input was read, want 2: %q", n, stdin.seen)
	}
	if all := out.String(); strings.Count(all, "\n") != 3 || !strings.Contains(all, `"file":"<stdin>","line":100001`) {
		t.Errorf("output %q: want the two earlier matches and the match on stdin line 100001", all)
	}
}
