package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/diag"
)

func corpusFiles(tb testing.TB) []ruleset.File {
	root := os.Getenv("SIGMABRIDGE_CORPUS")
	if root == "" {
		tb.Skip("SIGMABRIDGE_CORPUS is not set; point it at a SigmaHQ rules checkout (e.g. /work/shared/corpus/sigmahq) to lint the corpus")
	}
	files, diags := ruleset.Discover([]string{root})
	if len(diags) > 0 {
		tb.Fatalf("discovering %s: %v", root, diags.Err())
	}
	if len(files) < 100 {
		tb.Fatalf("only %d rule files under %s", len(files), root)
	}
	return files
}

// corpusCPUBudget bounds the CPU time of linting the whole corpus. It is measured as
// process CPU time, so other work on a shared machine does not make the test flaky.
const corpusCPUBudget = 6 * time.Second

// TestCorpus lints the SigmaHQ corpus with a broken file in the middle and a rule with a
// problem at the end, and checks that everything is reported, with file and line.
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	dir := t.TempDir()
	write := func(name, text string) ruleset.File {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return ruleset.File{Path: p}
	}
	broken := write("broken_yaml_rule.yml", "title: [unclosed\n")
	dangling := write("dangling_search_rule.yml", edit(validRule, "condition: selection and not filter", "condition: selection"))
	mid := len(files) / 2
	batch := append(append(append([]ruleset.File{}, files[:mid]...), broken), files[mid:]...)
	batch = append(batch, dangling)

	cpu0, start := cpuTime(), time.Now()
	rep := Run(batch, Config{})
	cpu, wall := cpuTime()-cpu0, time.Since(start)
	t.Logf("%d files, %d documents: %d errors, %d warnings in %v (%v CPU)", rep.Files, rep.Documents, rep.Errors, rep.Warnings, wall, cpu)

	if rep.Files != len(batch) || rep.Documents < len(files) {
		t.Errorf("read %d files and %d documents, want %d files and at least %d documents", rep.Files, rep.Documents, len(batch), len(files))
	}
	withFindings := map[string]bool{}
	for _, f := range rep.Findings {
		withFindings[f.Path] = true
		if f.Path == "" || f.Line <= 0 {
			t.Errorf("finding without file and line: %s", f)
			continue
		}
		if want := fmt.Sprintf("%s:%d: ", f.Path, f.Line); !strings.HasPrefix(f.String(), want) {
			t.Errorf("finding printed as %q, want it to start with %q", f.String(), want)
		}
		if _, ok := Lookup(f.Check); !ok {
			t.Errorf("finding of an unlisted check %q: %s", f.Check, f)
		}
	}
	if len(withFindings) < 10 {
		t.Errorf("findings in only %d files of the corpus", len(withFindings))
	}
	if got := findingsIn(rep, broken.Path, diag.YAMLError); len(got) != 1 {
		t.Errorf("the broken file has %d yaml-error findings, want 1", len(got))
	}
	if got := findingsIn(rep, dangling.Path, "dangling-search"); len(got) != 1 || got[0].Line != 20 {
		t.Errorf("the last file's dangling search was not reported at line 20: %v", got)
	}
	later := 0
	for _, f := range files[mid:] {
		if withFindings[f.Path] {
			later++
		}
	}
	if later == 0 {
		t.Errorf("no findings in any corpus file after the broken one")
	}

	budget := corpusCPUBudget
	if raceDetector {
		budget *= 10
	}
	if cpu > budget {
		t.Errorf("linting the corpus took %v of CPU, more than %v", cpu, budget)
	}
}

func findingsIn(rep *Report, path, check string) []Finding {
	var out []Finding
	for _, f := range rep.Findings {
		if f.Path == path && f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

func BenchmarkCorpus(b *testing.B) {
	files := corpusFiles(b)
	b.ResetTimer()
	for b.Loop() {
		Run(files, Config{})
	}
}
