package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
)

const stdinRuleText = `title: t
id: 9a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: CreateFunction}
  condition: sel
`

func TestRuleFiles(t *testing.T) {
	dir := t.TempDir()
	rule := filepath.Join(dir, "rules", "r.yml")
	logs := filepath.Join(dir, "events.jsonl")
	notes := filepath.Join(dir, "notes.md")
	empty := filepath.Join(dir, "empty")
	for _, p := range []string{rule, logs, notes} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(stdinRuleText), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		paths []string
		want  string
	}{
		{[]string{filepath.Dir(rule), logs}, logs + " is not a Sigma rule file (*.yml, *.yaml); it looks like a log: 'sigmabridge scan RULES... --logs " + logs + "' matches logs against rules"},
		{[]string{notes}, notes + " is not a Sigma rule file (*.yml, *.yaml)"},
		{[]string{rule, empty}, empty + ": no Sigma rules (*.yml, *.yaml) in this directory"},
		{[]string{"-", "-"}, "- (standard input) is given twice"},
	} {
		_, _, err := RuleFiles(tc.paths, strings.NewReader(stdinRuleText))
		var ue UsageError
		if !errors.As(err, &ue) || err.Error() != tc.want {
			t.Errorf("%v: %v, want the usage error %q", tc.paths, err, tc.want)
		}
	}
	// A missing path is a diagnostic; the rest still loads. - is one rule named <stdin>.
	missing := filepath.Join(dir, "gone.yml")
	rules, files, diags, err := LoadRules([]string{missing, rule, "-"}, strings.NewReader(stdinRuleText))
	if err != nil || len(files) != 2 || len(rules) != 2 || rules[1].Path != StdinName || len(diags) != 1 ||
		diags[0].Code != diag.ReadError || diags[0].Path != missing {
		t.Errorf("err %v, files %v, %d rules, diags %v", err, files, len(rules), diags)
	}
	// No argument is the built-in pack.
	if files, _, err := RuleFiles(nil, nil); err != nil || len(files) < 40 || !strings.HasPrefix(files[0].Path, "rules/") {
		t.Errorf("built-in pack: %v, %d files", err, len(files))
	}
}

// TestHostileStdinRuleIsBounded: a rule on stdin is read up to the loader's size limit plus
// one byte, never further, and refused as rule-too-large.
func TestHostileStdinRuleIsBounded(t *testing.T) {
	r := &countingZeros{}
	_, _, diags, err := LoadRules([]string{"-"}, r)
	if err != nil || len(diags) != 1 || diags[0].Code != diag.RuleTooLarge || diags[0].Path != StdinName {
		t.Fatalf("err %v diags %v", err, diags)
	}
	if r.n != translator.MaxRuleFileBytes+1 {
		t.Errorf("read %d bytes, want %d", r.n, translator.MaxRuleFileBytes+1)
	}
}

// countingZeros is an endless stream of spaces that counts what was read.
type countingZeros struct{ n int }

func (c *countingZeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	c.n += len(p)
	return len(p), nil
}
