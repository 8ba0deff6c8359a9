package translator

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenIR lowers every golden rule and compares the canonical IR with
// testdata/golden/ir/<rule>.txt.
func TestGoldenIR(t *testing.T) {
	files, err := filepath.Glob("../testdata/golden/rules/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden rules: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yml")
		t.Run(name, func(t *testing.T) {
			rules, diags := LoadFile(f)
			var b strings.Builder
			for _, d := range diags {
				b.WriteString("diag " + string(d.Code) + ": " + d.Message + "\n")
			}
			for _, r := range rules {
				for _, c := range r.Conditions {
					b.WriteString(c.String() + "\n")
				}
			}
			golden := filepath.Join("../testdata/golden/ir", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("IR of %s differs from %s\n--- got\n%s--- want\n%s", f, golden, got, want)
			}
		})
	}
}
