// Package hostile_test runs each command's library entry point on a batch holding one
// hostile rule among good ones, through the real plugins where the command uses them.
package hostile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/bench/growthtest"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/check"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/convert"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/lint"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/ruletest"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/scan"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/testbin"
	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// goodRule is a rule with samples beside it that match eventName.
func goodRule(dir, name, title, eventName string) error {
	files := map[string]string{
		name + ".yml": fmt.Sprintf("title: %s\nid: %s\nstatus: test\ndescription: d\nauthor: a\ndate: 2026-01-01\n"+
			"logsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: %s}\n  condition: sel\n"+
			"falsepositives: [none]\nlevel: low\n", title, uuidFor(name), eventName),
		name + "/samples.yml": "samples:\n  - {file: pos.jsonl, expect: match}\n  - {file: neg.jsonl, expect: no_match}\n",
		name + "/pos.jsonl":   fmt.Sprintf(`{"eventName":%q}`+"\n", eventName),
		name + "/neg.jsonl":   `{"eventName":"Other"}` + "\n",
	}
	for n, body := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func uuidFor(name string) string {
	return fmt.Sprintf("%08x-0000-4000-8000-000000000000", len(name)*7919+int(name[0]))
}

// alternating is `sel and (sel or (sel and ... sel))` nested depth deep.
func alternating(depth int) string {
	var sb strings.Builder
	for i := range depth {
		sb.WriteString([2]string{"sel and (", "sel or ("}[i%2])
	}
	sb.WriteString("sel" + strings.Repeat(")", depth))
	return sb.String()
}

// batch writes two good rules and a hostile one whose condition is cond, and returns the
// directory and the hostile condition's line.
func batch(t *testing.T, cond string) (string, int) {
	t.Helper()
	dir := t.TempDir()
	if err := goodRule(dir, "alpha", "Alpha rule", "CreateFunction"); err != nil {
		t.Fatal(err)
	}
	if err := goodRule(dir, "omega", "Omega rule", "DeleteFunction"); err != nil {
		t.Fatal(err)
	}
	hostile := "title: Hostile rule\nid: 00000000-1111-4000-8000-000000000000\nlogsource: {product: aws, service: cloudtrail}\n" +
		"detection:\n  sel: {eventName: Invoke}\n  condition: " + cond + "\nlevel: low\n"
	if err := os.WriteFile(filepath.Join(dir, "beta.yml"), []byte(hostile), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, 6
}

// hostileCases are the rules: a condition nested past the depth limit, the
// 5,000-level one that broke the plugin protocol, and 600k parentheses (1.2 MB).
var hostileCases = []struct {
	name, cond, code string
}{
	{"1,500 alternating levels", alternating(1500), diag.ConditionTooDeep},
	{"5,000 alternating levels", alternating(5000), diag.ConditionTooLong},
	{"600k parentheses", strings.Repeat("(", 600_000) + "sel" + strings.Repeat(")", 600_000), diag.ConditionTooLong},
}

// wantDiag is what every command prints about the hostile rule.
func wantDiag(dir string, line int, code string) string {
	return fmt.Sprintf("%s:%d: %s: ", filepath.Join(dir, "beta.yml"), line, code)
}

func TestHostileDeepRuleConvert(t *testing.T) {
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			dir, line := batch(t, c.cond)
			outFile := filepath.Join(t.TempDir(), "queries.txt")
			var stdout, stderr bytes.Buffer
			code, err := convert.Run(&convert.Options{Target: "splunk", Format: "default", Output: outFile,
				Paths: []string{dir}, Stdout: &stdout, Stderr: &stderr})
			if err != nil || code != cli.ExitFailure {
				t.Fatalf("exit %d, %v: %s", code, err, stderr.String())
			}
			if !strings.Contains(stderr.String(), wantDiag(dir, line, c.code)) {
				t.Errorf("stderr does not name %s: %s", wantDiag(dir, line, c.code), stderr.String())
			}
			out, err := os.ReadFile(outFile)
			if err != nil {
				t.Fatalf("the output of the other rules was not written: %v", err)
			}
			if !strings.Contains(string(out), "CreateFunction") || !strings.Contains(string(out), "DeleteFunction") ||
				strings.Count(strings.TrimSpace(string(out)), "\n") != 1 {
				t.Errorf("output: %q, want one query for each good rule", out)
			}
		})
	}
}

func TestHostileDeepRuleLint(t *testing.T) {
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			dir, line := batch(t, c.cond)
			var stdout, stderr bytes.Buffer
			code, err := lint.Run(&lint.Options{Format: "json", Paths: []string{dir}, Stdout: &stdout, Stderr: &stderr})
			if err != nil || code != cli.ExitFailure {
				t.Fatalf("exit %d, %v: %s", code, err, stderr.String())
			}
			var rep struct {
				Findings []struct {
					Path, Check, Severity string
					Line                  int
				}
			}
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range rep.Findings {
				if f.Severity != "error" {
					continue
				}
				if filepath.Base(f.Path) != "beta.yml" {
					t.Errorf("a good rule has an error: %+v", f)
				}
				found = found || f.Check == c.code && f.Line == line
			}
			if !found {
				t.Errorf("no %s finding at line %d: %+v", c.code, line, rep.Findings)
			}
		})
	}
}

// scanLog holds one event for each good rule and one for the hostile rule's search.
func scanLog(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "events.jsonl")
	events := `{"eventName":"CreateFunction"}` + "\n" + `{"eventName":"Invoke"}` + "\n" + `{"eventName":"DeleteFunction"}` + "\n"
	if err := os.WriteFile(p, []byte(events), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHostileDeepRuleScan(t *testing.T) {
	for _, c := range hostileCases {
		for _, inProcess := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s in-process=%v", c.name, inProcess), func(t *testing.T) {
				dir, line := batch(t, c.cond)
				var stdout, stderr bytes.Buffer
				o := &scan.Options{Rules: []string{dir}, Format: "jsonl", Input: "jsonl", Files: []string{scanLog(t)},
					InProcess: inProcess, Executable: testbin.Path(t), PluginDir: t.TempDir(), Stdout: &stdout, Stderr: &stderr}
				code, err := scan.Run(context.Background(), o)
				if err != nil || code != cli.ExitFailure { // 1: a rule failed to load
					t.Fatalf("exit %d, %v: %s", code, err, stderr.String())
				}
				if !strings.Contains(stderr.String(), wantDiag(dir, line, c.code)) || strings.Contains(stderr.String(), "garbage") {
					t.Errorf("stderr: %s", stderr.String())
				}
				lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
				if len(lines) != 2 || !strings.Contains(lines[0], "Alpha rule") || !strings.Contains(lines[1], "Omega rule") {
					t.Errorf("matches: %q, want Alpha then Omega", lines)
				}
			})
		}
	}
}

func TestHostileDeepRuleCheck(t *testing.T) {
	dir, line := batch(t, hostileCases[0].cond)
	var stdout, stderr bytes.Buffer
	code, err := check.Run(context.Background(), &check.Options{Paths: []string{dir}, Format: "json",
		Host: sigmabridge.HostOptions{Executable: testbin.Path(t), PluginDir: t.TempDir()}, Stdout: &stdout, Stderr: &stderr})
	if err != nil || code != cli.ExitFailure {
		t.Fatalf("exit %d, %v: %s", code, err, stderr.String())
	}
	var rep check.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Plugins) != 0 {
		t.Errorf("plugins blamed: %+v", rep.Plugins)
	}
	good, hostile := 0, 0
	for _, r := range rep.Rules {
		switch filepath.Base(r.Path) {
		case "beta.yml":
			hostile++
			if r.OK || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], wantDiag(dir, line, diag.ConditionTooDeep)) {
				t.Errorf("the hostile rule: %+v", r)
			}
		default:
			good++
			if !r.OK || !r.Samples.Passed || len(r.Targets) < 5 {
				t.Errorf("a good rule failed: %+v", r)
			}
		}
	}
	if good != 2 || hostile != 1 {
		t.Errorf("%d good and %d hostile rules in the report", good, hostile)
	}
}

func TestHostileDeepRuleTest(t *testing.T) {
	dir, line := batch(t, hostileCases[2].cond)
	var stdout, stderr bytes.Buffer
	code, err := ruletest.Run(context.Background(), &ruletest.Options{Paths: []string{dir}, Format: "json",
		Host: sigmabridge.HostOptions{Executable: testbin.Path(t), PluginDir: t.TempDir()}, Stdout: &stdout, Stderr: &stderr})
	if err != nil || code != cli.ExitFailure {
		t.Fatalf("exit %d, %v: %s", code, err, stderr.String())
	}
	if !strings.Contains(stderr.String(), wantDiag(dir, line, diag.ConditionTooLong)) {
		t.Errorf("stderr: %s", stderr.String())
	}
	var rep ruletest.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Passed != 2 || rep.Failed != 1 {
		t.Errorf("report: %+v, want the two good rules passed and the hostile one failed", rep)
	}
	for _, r := range rep.Rules {
		if filepath.Base(r.Path) == "beta.yml" && (r.Passed || len(r.Failures) != 1 || !strings.Contains(r.Failures[0], wantDiag(dir, line, diag.ConditionTooLong))) {
			t.Errorf("the hostile rule: %+v", r)
		}
	}
}

// TestHostileDeepRuleGrowth: convert's cost grows linearly with the hostile rule's
// length, and loading the 600k-parenthesis batch stays under a memory cap.
func TestHostileDeepRuleGrowth(t *testing.T) {
	dir := t.TempDir()
	hostile := filepath.Join(dir, "deep.yml")
	growthtest.Linear(t, 1<<12, 1<<19, func(n int) {
		src := "title: Deep\nlogsource: {product: aws}\ndetection:\n  sel: {eventName: x}\n  condition: " + alternating(n) + "\n"
		if err := os.WriteFile(hostile, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if code, _ := convert.Run(&convert.Options{Target: "splunk", Format: "default", Paths: []string{hostile},
			Stdout: &stdout, Stderr: &stderr}); code != cli.ExitFailure {
			t.Fatalf("depth %d: exit %d", n, code)
		}
	})
	dir600k, _ := batch(t, hostileCases[2].cond)
	growthtest.MaxAllocated(t, 64<<20, "convert on a batch with a 600k-parenthesis rule", func() {
		var stdout, stderr bytes.Buffer
		convert.Run(&convert.Options{Target: "splunk", Format: "default", Paths: []string{dir600k}, Stdout: &stdout, Stderr: &stderr})
	})
}
