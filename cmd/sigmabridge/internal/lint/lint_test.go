package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	sigmalint "github.com/sigmabridge/sigmabridge/lint"
)

// cleanRule has no finding at all.
const cleanRule = `title: Lambda Function Created By A Human
id: 5b0c7a4e-8f7e-4a57-9b7e-2f1f3c0d9a11
status: experimental
description: A Lambda function was created by an IAM user rather than by automation.
author: sigmabridge tests
date: 2026-01-02
tags:
  - attack.execution
  - attack.t1648
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName|startswith: CreateFunction
  condition: selection
level: medium
`

// problemRule has a dangling search (error, line 16), an upper-case operator (warning,
// line 18) and an unknown modifier the loader rejects (error, line 15).
const problemRule = `title: Lambda Layer Published By A Human
id: 7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a
status: experimental
description: A Lambda layer version was published by an IAM user.
author: sigmabridge tests
date: 2026-01-02
tags:
  - attack.execution
  - attack.t1648
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName|startswit: PublishLayerVersion
  filter:
    userIdentity.type: AssumedRole
  condition: selection AND selection
level: medium
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

func run(t *testing.T, o Options) (int, string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	o.Stdout, o.Stderr = &out, &errb
	if o.Format == "" {
		o.Format = "table"
	}
	code, err := Run(&o)
	return code, out.String(), errb.String(), err
}

func TestBuiltinPackHasNoErrors(t *testing.T) {
	code, out, stderr, err := run(t, Options{})
	if err != nil || code != cli.ExitOK {
		t.Fatalf("exit %d, %v; findings:\n%s", code, err, out)
	}
	if !strings.Contains(stderr, " 0 errors") {
		t.Errorf("summary %q does not report 0 errors", stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line != "" && !strings.HasPrefix(line, sigmabridge.BuiltinPrefix+"/") {
			t.Errorf("finding outside the built-in pack: %s", line)
		}
	}
}

func TestTableReportsEveryFileAndExitsOne(t *testing.T) {
	dir := t.TempDir()
	clean := write(t, dir, "aws/lambda_function_created.yml", cleanRule)
	bad := write(t, dir, "aws/lambda_layer_published.yml", problemRule)
	broken := write(t, dir, "aws/broken_yaml_rule.yml", "title: [unclosed\n")
	code, out, stderr, err := run(t, Options{Paths: []string{dir}})
	if err != nil || code != cli.ExitFailure {
		t.Fatalf("exit %d, %v, want %d", code, err, cli.ExitFailure)
	}
	for _, want := range []string{
		bad + ":15: unknown-modifier: ",
		bad + ":16: dangling-search: ",
		bad + ":18: warning: condition-operator-case: ",
		broken + ":1: yaml-error: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, clean) {
		t.Errorf("the clean rule has findings:\n%s", out)
	}
	if !strings.Contains(stderr, "3 files") || !strings.Contains(stderr, "3 errors") || !strings.Contains(stderr, "1 warning") {
		t.Errorf("summary %q, want 3 files, 3 errors, 1 warning", stderr)
	}
}

func TestWarningsAloneExitZero(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "aws/lambda_function_created.yml", strings.Replace(cleanRule, "condition: selection", "condition: 1 OF selection*", 1))
	code, out, _, err := run(t, Options{Paths: []string{dir}})
	if err != nil || code != cli.ExitOK {
		t.Fatalf("exit %d, %v, want 0 for warnings only:\n%s", code, err, out)
	}
	if !strings.Contains(out, "warning: condition-operator-case") {
		t.Errorf("the warning is not printed:\n%s", out)
	}
}

func TestJSON(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, dir, "aws/lambda_layer_published.yml", problemRule)
	code, out, _, err := run(t, Options{Paths: []string{dir}, Format: "json"})
	if err != nil || code != cli.ExitFailure {
		t.Fatalf("exit %d, %v", code, err)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
		Errors   int              `json:"errors"`
		Warnings int              `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if doc.Errors != 2 || doc.Warnings != 1 || len(doc.Findings) != 3 {
		t.Fatalf("errors %d, warnings %d, %d findings; want 2, 1, 3:\n%s", doc.Errors, doc.Warnings, len(doc.Findings), out)
	}
	f := doc.Findings[1] // sorted by line: unknown-modifier (15), dangling-search (16), ...
	want := map[string]any{"path": bad, "line": float64(16), "check": "dangling-search", "severity": "error", "rule_id": "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a"}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("finding %s = %v, want %v", k, f[k], v)
		}
	}
	if msg, _ := f["message"].(string); !strings.Contains(msg, `"filter"`) {
		t.Errorf("message %q does not name the search", msg)
	}
	if doc.Findings[2]["severity"] != "warning" {
		t.Errorf("the operator-case finding has severity %v, want warning", doc.Findings[2]["severity"])
	}

	// No findings: an empty list, not null.
	clean := write(t, t.TempDir(), "aws/lambda_function_created.yml", cleanRule)
	_, out, _, _ = run(t, Options{Paths: []string{clean}, Format: "json"})
	if !strings.Contains(out, `"findings": []`) {
		t.Errorf("no findings should print an empty list:\n%s", out)
	}
}

func TestDisable(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "aws/lambda_layer_published.yml", problemRule)
	code, out, _, err := run(t, Options{Paths: []string{dir}, Disable: []string{"unknown-modifier", "dangling-search"}})
	if err != nil || code != cli.ExitOK {
		t.Fatalf("exit %d, %v, want 0 once both errors are disabled:\n%s", code, err, out)
	}
	if strings.Contains(out, "dangling-search") || strings.Contains(out, "unknown-modifier") {
		t.Errorf("disabled checks reported:\n%s", out)
	}
	code, _, _, err = run(t, Options{Paths: []string{dir}, Disable: []string{"no-such-check"}})
	var ue cli.UsageError
	if code != cli.ExitUsage || !errors.As(err, &ue) {
		t.Errorf("unknown check: exit %d, %v; want a usage error", code, err)
	}
}

func TestListChecks(t *testing.T) {
	code, out, _, err := run(t, Options{ListChecks: true})
	if err != nil || code != cli.ExitOK {
		t.Fatalf("exit %d, %v", code, err)
	}
	for _, c := range sigmalint.Checks() {
		if !strings.Contains(out, "\n"+c.Name+" ") {
			t.Errorf("check %s is not listed", c.Name)
		}
	}
	_, out, _, _ = run(t, Options{ListChecks: true, Format: "json"})
	var list []struct{ Name, Severity, Source, Summary string }
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("--list-checks -f json: %v\n%s", err, out)
	}
	if len(list) != len(sigmalint.Checks()) {
		t.Errorf("%d checks in JSON, want %d", len(list), len(sigmalint.Checks()))
	}
	for _, c := range list {
		if c.Name == "dangling-search" && (c.Severity != "error" || c.Source != "lint") {
			t.Errorf("dangling-search listed as %+v", c)
		}
		if c.Name == "yaml-error" && c.Source != "loader" {
			t.Errorf("yaml-error listed as %+v", c)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for name, o := range map[string]Options{
		"format":          {Format: "xml"},
		"list with paths": {ListChecks: true, Paths: []string{"rules"}},
	} {
		code, _, _, err := run(t, o)
		var ue cli.UsageError
		if code != cli.ExitUsage || !errors.As(err, &ue) {
			t.Errorf("%s: exit %d, %v; want a usage error", name, code, err)
		}
	}
}

func TestMissingPathAndEmptyInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no_such_rules")
	code, out, _, _ := run(t, Options{Paths: []string{missing}})
	if code != cli.ExitFailure || !strings.Contains(out, missing+": read-error: ") {
		t.Errorf("missing path: exit %d, output %q; want 1 and a read-error finding", code, out)
	}
	empty := t.TempDir()
	code, _, _, err := run(t, Options{Paths: []string{empty}})
	if code != cli.ExitUsage || err == nil || err.Error() != empty+": no Sigma rules (*.yml, *.yaml) in this directory" {
		t.Errorf("empty directory: exit %d, %v; want 2 and a message naming it", code, err)
	}
}

// The command as main wires it: flags, exit codes through cli.Execute.
func TestCommand(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "aws/lambda_layer_published.yml", problemRule)
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"lint", dir}, cli.ExitFailure, "dangling-search"},
		{[]string{"lint", "-f", "json", dir}, cli.ExitFailure, `"errors": 2`},
		{[]string{"lint", "--disable", "dangling-search", "--disable", "unknown-modifier", dir}, cli.ExitOK, "condition-operator-case"},
		{[]string{"lint", "--list-checks"}, cli.ExitOK, "escaped-wildcard"},
		{[]string{"lint", "--no-such-flag"}, cli.ExitUsage, ""},
	} {
		root := cli.NewRoot()
		root.AddCommand(NewCommand())
		var out, errb bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errb)
		root.SetArgs(tc.args)
		if code := cli.Execute(root); code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, out.String(), errb.String())
		}
		if !strings.Contains(out.String(), tc.out) {
			t.Errorf("%v: output lacks %q:\n%s", tc.args, tc.out, out.String())
		}
	}
}

// TestHostileTerminalText: findings about a file whose name and title hold escape
// sequences and C1 controls are printed escaped, in the table and in JSON alike.
func TestHostileTerminalText(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "evil\x1b[2J.yml", strings.Replace(problemRule, "title: Lambda Layer Published By A Human", "title: \"\\e]0;owned\\a \\N csi\\u009b31m\"", 1))
	for _, format := range []string{"table", "json"} {
		_, out, stderr, err := run(t, Options{Format: format, Paths: []string{dir}})
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(out+stderr, "\x1b\x07\u0085\u009b") {
			t.Errorf("%s: raw control character in the output:\n%q\n%q", format, out, stderr)
		}
		if !strings.Contains(out, `evil\`) {
			t.Errorf("%s: the file is not named: %q", format, out)
		}
		if format == "json" {
			var rep jsonReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Findings) == 0 || !strings.Contains(rep.Findings[0].Path, "evil\x1b[2J.yml") {
				t.Errorf("json: %v %+v", err, rep)
			}
		}
	}
}
