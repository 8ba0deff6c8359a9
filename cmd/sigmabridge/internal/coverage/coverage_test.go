package coverage

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
)

func run(t *testing.T, o Options) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	o.Stdout, o.Stderr = &out, &errb
	if o.Name == "" {
		o.Name = "n"
	}
	code, err := Run(&o)
	if err != nil {
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

func TestCoverageOfThePack(t *testing.T) {
	code, out, stderr := run(t, Options{})
	if code != cli.ExitOK || stderr != "" {
		t.Fatalf("exit %d %q", code, stderr)
	}
	var layer struct {
		Versions   map[string]string `json:"versions"`
		Techniques []struct {
			ID    string `json:"techniqueID"`
			Score int    `json:"score"`
		} `json:"techniques"`
	}
	if err := json.Unmarshal([]byte(out), &layer); err != nil {
		t.Fatal(err)
	}
	if layer.Versions["layer"] != "4.5" || len(layer.Techniques) < 5 {
		t.Errorf("layer %+v", layer)
	}
	p := filepath.Join(t.TempDir(), "cov.md")
	if code, _, _ := run(t, Options{Markdown: true, Output: p}); code != cli.ExitOK {
		t.Fatalf("exit %d", code)
	}
	md, _ := os.ReadFile(p)
	if !strings.Contains(string(md), "| [T1648](https://attack.mitre.org/techniques/T1648/) | Serverless Execution | Execution | 85 |") {
		// 64 detection rules and 21 correlations
		t.Errorf("markdown %s", md)
	}
}

func TestCoverageNamesUnknownTagsAndLoadErrors(t *testing.T) {
	dir := t.TempDir()
	rule := "title: X\nid: 3f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e\ntags: [attack.t1648, attack.t9999]\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {a: b}\n  condition: sel\n"
	if err := os.WriteFile(filepath.Join(dir, "x.yml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, Options{Paths: []string{dir}, Markdown: true})
	if code != cli.ExitOK || !strings.Contains(stderr, "x.yml:1: tag attack.t9999 names no tactic or technique") || !strings.Contains(out, "T1648") {
		t.Errorf("exit %d, out %q, stderr %q", code, out, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.yml"), []byte("title: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run(t, Options{Paths: []string{dir}, Markdown: true}); code != cli.ExitFailure || !strings.Contains(out, "T1648") {
		t.Errorf("with a broken rule: exit %d, out %q; want 1 and the rest counted", code, out)
	}
	if code, _, _ := run(t, Options{Name: "a\nb"}); code != cli.ExitUsage {
		t.Errorf("a name with a line break: exit %d", code)
	}
}

// TestCoverageCountsCorrelations: a correlation counts under its own tags and level, and a
// rule that only feeds it does not count.
func TestCoverageCountsCorrelations(t *testing.T) {
	dir := t.TempDir()
	doc := `title: Base
id: 0b6c3c2e-1f7a-4d8e-9a55-2f0f6d1c9a01
name: base_rule
tags: [attack.t1070]
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: DeleteFunction}
  condition: sel
---
title: Burst
id: 5e1d7a40-3c2b-4f6a-8e9d-1a2b3c4d5e6f
tags: [attack.t1648]
level: high
correlation:
  type: event_count
  rules: [base_rule]
  group-by: [userIdentity.arn]
  timespan: 5m
  condition: {gte: 3}
`
	if err := os.WriteFile(filepath.Join(dir, "c.yml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, Options{Paths: []string{dir}, Markdown: true})
	if code != cli.ExitOK || stderr != "" {
		t.Fatalf("exit %d %q", code, stderr)
	}
	if !strings.Contains(out, "| Serverless Execution | Execution | 1 | 1 high | 3 |") || strings.Contains(out, "T1070") {
		t.Errorf("want the correlation counted for T1648 and its base rule not for T1070:\n%s", out)
	}
	code, out, _ = run(t, Options{Paths: []string{dir}})
	if code != cli.ExitOK || !strings.Contains(out, "0 Sigma rules and 1 correlation") {
		t.Errorf("layer description: exit %d %s", code, out)
	}
}
