package ruletest

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/testbin"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
)

func runTest(t *testing.T, o Options) (int, string, string) {
	if !o.InProcess {
		o.Host.Executable = testbin.Path(t)
	}
	var out, errb bytes.Buffer
	o.Stdout, o.Stderr = &out, &errb
	if o.Format == "" {
		o.Format = "json"
	}
	code, err := Run(context.Background(), &o)
	if err != nil {
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

func TestBuiltinPackPasses(t *testing.T) {
	t.Run("plugin", func(t *testing.T) { testBuiltinPackPasses(t, Options{}) })
	t.Run("in-process", func(t *testing.T) { testBuiltinPackPasses(t, Options{InProcess: true}) })
}

func testBuiltinPackPasses(t *testing.T, o Options) {
	code, out, stderr := runTest(t, o)
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != cli.ExitOK || rep.Failed != 0 || rep.Passed < 35 {
		t.Errorf("exit %d, %d passed, %d failed; stderr %s", code, rep.Passed, rep.Failed, stderr)
	}
	for _, r := range rep.Rules {
		if r.Positives == 0 || r.Negatives == 0 {
			t.Errorf("%s: %d positives, %d negatives", r.Path, r.Positives, r.Negatives)
		}
	}
}

const rule = `title: Create
id: 8a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: CreateFunction}
  condition: sel
`

func write(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSamplesBesideRule(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "create.yml"), rule)
	write(t, filepath.Join(dir, "create", "samples.yml"), "rule_id: 8a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e\nsamples:\n  - {file: pos.jsonl, expect: match}\n  - {file: neg.jsonl, expect: no_match, near_miss: true}\n")
	write(t, filepath.Join(dir, "create", "pos.jsonl"), `{"eventName":"CREATEFUNCTION"}`+"\n")
	write(t, filepath.Join(dir, "create", "neg.jsonl"), `{"eventName":"CreateFunctionUrlConfig"}`+"\n")
	code, out, _ := runTest(t, Options{Paths: []string{dir}, Format: "table"})
	if code != cli.ExitOK || !strings.Contains(out, "PASS") || !strings.Contains(out, "1 passed, 0 failed") {
		t.Errorf("exit %d\n%s", code, out)
	}

	// A negative that fires fails the rule, with the file named.
	write(t, filepath.Join(dir, "create", "neg.jsonl"), `{"eventName":"createfunction"}`+"\n")
	code, out, _ = runTest(t, Options{Paths: []string{dir}})
	var rep Report
	_ = json.Unmarshal([]byte(out), &rep)
	if code != cli.ExitFailure || rep.Failed != 1 || len(rep.Rules[0].Failures) != 1 ||
		!strings.Contains(rep.Rules[0].Failures[0], filepath.Join(dir, "create", "neg.jsonl")+": expected no match") {
		t.Errorf("exit %d %+v", code, rep)
	}
}

func TestRuleWithoutSamplesFails(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "lonely.yml"), rule)
	write(t, filepath.Join(dir, "broken.yml"), strings.Replace(rule, "eventName:", "eventName|nope:", 1))
	code, out, stderr := runTest(t, Options{Paths: []string{dir}})
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != cli.ExitFailure || rep.Failed != 2 || rep.Passed != 0 {
		t.Errorf("exit %d %+v", code, rep)
	}
	if !strings.Contains(out, "no samples") || !strings.Contains(stderr, "unknown-modifier") {
		t.Errorf("out %s stderr %s", out, stderr)
	}
}

// TestHostileTerminalText: a title holding an escape sequence and a tab is printed escaped
// in the table, in its own column.
func TestHostileTerminalText(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "create.yml"), strings.Replace(rule, "title: Create", "title: \"Create\\e[2J\\tTAB\"", 1))
	write(t, filepath.Join(dir, "create", "samples.yml"), "rule_id: 8a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e\nsamples:\n  - {file: pos.jsonl, expect: match}\n  - {file: neg.jsonl, expect: no_match, near_miss: true}\n")
	write(t, filepath.Join(dir, "create", "pos.jsonl"), `{"eventName":"CreateFunction"}`+"\n")
	write(t, filepath.Join(dir, "create", "neg.jsonl"), `{"eventName":"CreateFunction"}`+"\n")
	for _, format := range []string{"table", "json"} {
		_, out, stderr := runTest(t, Options{Paths: []string{dir}, Format: format, InProcess: true})
		if strings.ContainsAny(out+stderr, "\x1b") {
			t.Errorf("%s: raw escape in the output:\n%q", format, out)
		}
		if format == "table" && !strings.Contains(out, `Create\x1b[2J\tTAB`) {
			t.Errorf("table: the title is not shown escaped in one column:\n%s", out)
		}
	}
}

func TestTableCountsRealAndConstructedPerPlatform(t *testing.T) {
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules", "aws")
	write(t, filepath.Join(rulesDir, "create.yml"), rule)
	write(t, filepath.Join(rulesDir, "create", "samples.yml"), "rule_id: 8a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e\nsamples:\n"+
		"  - {file: pos_real.jsonl, expect: match, provenance: real, source: 'example/repo:path.json', licence: Apache-2.0}\n"+
		"  - {file: pos.jsonl, expect: match, provenance: constructed}\n"+
		"  - {file: neg.jsonl, expect: no_match, near_miss: true, provenance: constructed}\n"+
		"  - {file: neg_limit.jsonl, expect: no_match, provenance: constructed, known_limitation: true, covered_by: rules/aws/other.yml}\n")
	write(t, filepath.Join(rulesDir, "create", "pos_real.jsonl"), `{"eventName":"CreateFunction"}`+"\n")
	write(t, filepath.Join(rulesDir, "create", "pos.jsonl"), `{"eventName":"CREATEFUNCTION"}`+"\n")
	write(t, filepath.Join(rulesDir, "create", "neg.jsonl"), `{"eventName":"CreateFunctionUrlConfig"}`+"\n")
	write(t, filepath.Join(rulesDir, "create", "neg_limit.jsonl"), `{"eventName":"DeleteFunction"}`+"\n")
	code, out, _ := runTest(t, Options{Paths: []string{filepath.Join(dir, "rules")}})
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != cli.ExitOK {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	want := PlatformCount{Platform: "aws", Rules: 1, RealPositives: 1, ConstructedPositives: 1, ConstructedNegatives: 2}
	if len(rep.Platforms) != 1 || rep.Platforms[0] != want || rep.Rules[0].Limitations != 1 {
		t.Errorf("platforms %+v, limitations %d; want [%+v], 1", rep.Platforms, rep.Rules[0].Limitations, want)
	}
	code, out, _ = runTest(t, Options{Paths: []string{filepath.Join(dir, "rules")}, Format: "table"})
	if code != cli.ExitOK || !strings.Contains(out, "1+0") || !regexp.MustCompile(`(?m)^aws\s+1\s+1\s+0\s+1\s+2\s*$`).MatchString(out) {
		t.Errorf("exit %d, table lacks the per-platform counts:\n%s", code, out)
	}
}
