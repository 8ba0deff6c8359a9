package goldentest

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Update rewrites the golden files instead of comparing with them (go test -update).
var Update = flag.Bool("update", false, "rewrite the golden files under testdata/golden/<target>/")

// Run converts every rule file under <module>/testdata/golden/rules/ with b and compares
// the output with <module>/testdata/golden/<b.Name()>/<file basename>.txt, one subtest
// per rule file.
func Run(t *testing.T, b backends.Backend) {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	RunDir(t, b, filepath.Join(root, "testdata", "golden", "rules"), filepath.Join(root, "testdata", "golden", b.Name()))
}

// RunDir is Run with explicit directories for the rules and the golden files.
func RunDir(t *testing.T, b backends.Backend, rulesDir, goldenDir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(rulesDir, "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no rule files in %s", rulesDir)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yml")
		t.Run(name, func(t *testing.T) {
			rules, loadDiags := translator.LoadFile(f)
			Compare(t, filepath.Join(goldenDir, name+".txt"), Output(b, rules, loadDiags))
		})
	}
}

// Output converts rules with b and formats the result as a golden file: loader
// diagnostics first, then for each rule its diagnostics and, if it has no error, its
// queries.
func Output(b backends.Backend, rules []*ir.Rule, loadDiags diag.List) string {
	var s strings.Builder
	for _, d := range loadDiags {
		s.WriteString("load " + formatDiag(d) + "\n")
	}
	for _, r := range rules {
		queries, diags := b.Convert(r)
		for _, d := range diags {
			s.WriteString(formatDiag(d) + "\n")
		}
		if diags.HasErrors() {
			continue
		}
		for _, q := range queries {
			s.WriteString(q.Text + "\n")
		}
	}
	return s.String()
}

func formatDiag(d diag.Diagnostic) string {
	if d.Severity == diag.Warning {
		return "warning " + string(d.Code) + ": " + d.Message
	}
	return string(d.Code) + ": " + d.Message
}

// Compare checks got against the golden file at path, or writes got there when -update
// is set.
func Compare(t testing.TB, path, got string) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
		return
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update to accept)\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// ModuleRoot returns the directory holding go.mod, searching up from the working
// directory (a test runs in its package's directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("goldentest: no go.mod above the working directory")
		}
		dir = parent
	}
}
