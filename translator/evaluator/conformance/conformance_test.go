package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodCase = `description: d
rule: |
  title: t
  detection:
    sel:
      a: x
    condition: sel
events: |
  {"a": "x"}

  {"a": "y"}
matches: [0]
condition_matches:
  0: [0]
`

func writeCase(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeCase(t, dir, "b/second.yml", goodCase)
	writeCase(t, dir, "a/first.yml", goodCase)
	writeCase(t, dir, "a/notes.md", "not a case")
	cases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 || cases[0].Name != "a/first" || cases[1].Name != "b/second" {
		t.Fatalf("cases %+v", cases)
	}
	c := cases[0]
	if len(c.Events) != 2 || string(c.Events[1]) != `{"a": "y"}` || len(c.Matches) != 1 || c.ConditionMatches[0][0] != 0 {
		t.Errorf("case read wrongly: %+v", c)
	}
	if !strings.Contains(string(c.Rule), "title: t\n") {
		t.Errorf("rule text not kept verbatim: %q", c.Rule)
	}
}

func TestLoadRejectsMalformedCases(t *testing.T) {
	bad := map[string]string{
		"no description":    strings.Replace(goodCase, "description: d", "description: ''", 1),
		"not a JSON event":  strings.Replace(goodCase, `{"a": "y"}`, `{a: y}`, 1),
		"index too big":     strings.Replace(goodCase, "matches: [0]", "matches: [2]", 1),
		"not ascending":     strings.Replace(goodCase, "matches: [0]", "matches: [1, 0]", 1),
		"unknown key":       goodCase + "expected: [0]\n",
		"error with events": strings.Replace(goodCase, "matches: [0]", "error: invalid-value", 1),
		"no events":         strings.Replace(strings.Replace(goodCase, `  {"a": "x"}`, "", 1), `  {"a": "y"}`, "", 1),
	}
	for name, text := range bad {
		t.Run(name, func(t *testing.T) {
			path := writeCase(t, t.TempDir(), "c.yml", text)
			if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("malformed case accepted or error does not name the file: %v", err)
			}
		})
	}
}
