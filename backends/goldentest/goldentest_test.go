package goldentest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// fakeBackend renders each condition as its canonical IR and fails rules whose title
// starts with "fail".
type fakeBackend struct{}

func (fakeBackend) Name() string { return "fake" }

func (fakeBackend) Convert(r *ir.Rule) ([]backends.Query, diag.List) {
	if strings.HasPrefix(r.Title, "fail") {
		return nil, diag.List{
			{Code: diag.UnsupportedKeyword, Message: "first"},
			{Code: diag.UnsupportedRegex, Message: "second"},
		}
	}
	var qs []backends.Query
	for i, c := range r.Conditions {
		qs = append(qs, backends.Query{Condition: i, Text: c.String()})
	}
	return qs, diag.List{{Code: "note", Message: "just so", Severity: diag.Warning}}
}

func TestOutputFormat(t *testing.T) {
	rules := []*ir.Rule{
		{Title: "ok", Conditions: []ir.Node{&ir.Exists{Field: "a"}, &ir.Null{Field: "b"}}},
		{Title: "fail here", Conditions: []ir.Node{&ir.Exists{Field: "c"}}},
	}
	load := diag.List{{Code: diag.YAMLError, Message: "bad doc"}}
	got := Output(fakeBackend{}, rules, load)
	want := "load yaml-error: bad doc\n" +
		"warning note: just so\nexists(a)\nnull(b)\n" +
		"unsupported-keyword: first\nunsupported-regex: second\n"
	if got != want {
		t.Errorf("Output:\n got %q\nwant %q", got, want)
	}
}

// recorder is a testing.TB that records failures instead of failing the test.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any) { r.failures = append(r.failures, fmt.Sprint(args...)) }

func TestCompareDetectsMismatchAndMissingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.txt")

	rec := &recorder{TB: t}
	Compare(rec, path, "query\n")
	if len(rec.failures) != 1 || !strings.Contains(rec.failures[0], "-update") {
		t.Errorf("missing golden file: failures %q", rec.failures)
	}

	if err := os.WriteFile(path, []byte("other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec = &recorder{TB: t}
	Compare(rec, path, "query\n")
	if len(rec.failures) != 1 || !strings.Contains(rec.failures[0], "--- got\nquery\n--- want\nother\n") {
		t.Errorf("mismatch: failures %q", rec.failures)
	}

	rec = &recorder{TB: t}
	Compare(rec, path, "other\n")
	if len(rec.failures) != 0 {
		t.Errorf("equal output reported as failure: %q", rec.failures)
	}
}

func TestCompareUpdateRewrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "y.txt")
	old := *Update
	*Update = true
	defer func() { *Update = old }()
	Compare(t, path, "new content\n")
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "new content\n" {
		t.Errorf("update wrote %q, %v", data, err)
	}
}

func TestRunDirLoadsRules(t *testing.T) {
	rulesDir, goldenDir := t.TempDir(), t.TempDir()
	rule := "title: r\nlogsource: {product: test}\ndetection:\n  sel:\n    a: 1\n  condition: sel\n"
	if err := os.WriteFile(filepath.Join(rulesDir, "one.yml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "warning note: just so\nnum(a, \"1\")\n"
	if err := os.WriteFile(filepath.Join(goldenDir, "one.txt"), []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	RunDir(t, fakeBackend{}, rulesDir, goldenDir)
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("ModuleRoot %s has no go.mod: %v", root, err)
	}
	if _, err := os.Stat(filepath.Join(root, "backends", "goldentest", "goldentest.go")); err != nil {
		t.Errorf("ModuleRoot %s is not this module's root: %v", root, err)
	}
}
