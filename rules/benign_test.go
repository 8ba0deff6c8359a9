package rules

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

const (
	benignRoot   = "../testdata/benign"
	benignReport = benignRoot + "/REPORT.md"
)

// benignFile is one entry of testdata/benign/manifest.yml.
type benignFile struct {
	File           string `yaml:"file"`
	Platform       string `yaml:"platform"`
	Format         string `yaml:"format"`
	Records        int    `yaml:"records"`
	Source         string `yaml:"source"`
	Licence        string `yaml:"licence"`
	Transformation string `yaml:"transformation"`
}

// TestBenignCorpus runs the whole pack (under the samples' profile) over the benign corpus:
// published records that are not T1648 attacks. A high or critical hit fails the test; the
// hit counts per rule are the pack's noise estimate and are kept in testdata/benign/REPORT.md.
func TestBenignCorpus(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(benignRoot, "manifest.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Files []benignFile `yaml:"files"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&man); err != nil {
		t.Fatalf("%s/manifest.yml: %v", benignRoot, err)
	}

	pl, err := pipeline.ParseFile(placeholderPipeline)
	if err != nil {
		t.Fatal(err)
	}
	var compiled []*ir.Rule
	var names, levels []string
	for _, pf := range loadPack(t) {
		if pf.isCorrelationFile() || len(pf.docs) != 1 {
			continue
		}
		r := ruleFor(t, pf.path, pl)
		if r == nil {
			continue
		}
		compiled = append(compiled, r)
		names = append(names, strings.TrimSuffix(pf.path, ".yml"))
		levels = append(levels, pf.docs[0].Level)
	}
	prog, errs := evaluator.Compile(compiled)
	if len(errs) > 0 {
		t.Fatalf("compile: %v", errs)
	}
	matcher := prog.NewMatcher()

	// The same program must fire on an attack record, or a silent corpus proves nothing.
	attack := samplesRoot + "/aws/lambda_policy_any_principal/pos_05_real_stratus_backdoor_function.json"
	fired := false
	fh, err := os.Open(attack)
	if err != nil {
		t.Fatal(err)
	}
	err = input.Read("", attack, fh, func(rec input.Record) error {
		ms, err := matcher.MatchJSON(rec.JSON)
		for _, m := range ms {
			fired = fired || names[m.RuleIndex] == "aws/lambda_policy_any_principal"
		}
		return err
	})
	fh.Close()
	if err != nil || !fired {
		t.Fatalf("%s: the pack's program does not fire on a known attack record (err %v)", attack, err)
	}

	hits := make([]int, len(names))
	perPlatform := map[string]int{}
	var total int
	for _, f := range man.Files {
		where := filepath.Join(benignRoot, f.File)
		if f.Source == "" || f.Licence == "" {
			t.Errorf("%s: the manifest names no source or licence", where)
		}
		if !slices.Contains(platforms, f.Platform) {
			t.Errorf("%s: platform %q is not one of %v", where, f.Platform, platforms)
		}
		fh, err := os.Open(where)
		if err != nil {
			t.Error(err)
			continue
		}
		n := 0
		err = input.Read(f.Format, where, fh, func(rec input.Record) error {
			n++
			ms, err := matcher.MatchJSON(rec.JSON)
			if err != nil {
				return err
			}
			for _, m := range ms {
				hits[m.RuleIndex]++
				if l := levels[m.RuleIndex]; l == "high" || l == "critical" {
					t.Errorf("%s:%d: %s rule rules/%s.yml fires on a benign record", where, rec.Line, l, names[m.RuleIndex])
				}
			}
			return nil
		})
		fh.Close()
		if err != nil {
			t.Errorf("%s: %v", where, err)
		}
		if n != f.Records {
			t.Errorf("%s: %d records, the manifest says %d", where, n, f.Records)
		}
		perPlatform[f.Platform] += n
		total += n
	}
	if total < 300 {
		t.Errorf("the benign corpus holds %d records, want at least 300", total)
	}
	for _, p := range platforms {
		if perPlatform[p] == 0 {
			t.Errorf("the benign corpus has no %s records", p)
		}
	}

	got := renderBenignReport(man.Files, perPlatform, total, names, levels, hits)
	if *update {
		if err := os.WriteFile(benignReport, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(benignReport)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./rules/ -run TestBenignCorpus -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: regenerate it with go test ./rules/ -run TestBenignCorpus -update", benignReport)
	}
}

// ruleFor loads one rule file of the pack and resolves its placeholders.
func ruleFor(t *testing.T, rulePath string, pl *pipeline.Pipeline) *ir.Rule {
	t.Helper()
	data, err := FS.ReadFile(rulePath)
	if err != nil {
		t.Fatal(err)
	}
	rules, diags := translator.LoadBytes(rulePath, data)
	if diags.HasErrors() || len(rules) != 1 {
		t.Errorf("%s: load: %d rules, diagnostics:\n%v", rulePath, len(rules), diags)
		return nil
	}
	processed, diags := pl.Apply(rules[0])
	if diags.HasErrors() {
		t.Errorf("%s: placeholder pipeline:\n%v", rulePath, diags)
		return nil
	}
	return processed
}

func renderBenignReport(files []benignFile, perPlatform map[string]int, total int, names, levels []string, hits []int) []byte {
	var w bytes.Buffer
	fmt.Fprintf(&w, "# Benign corpus: the pack's noise estimate\n\n")
	fmt.Fprintf(&w, "Generated by `go test ./rules/ -run TestBenignCorpus -update`. Every standalone rule of the pack runs,\n")
	fmt.Fprintf(&w, "under the samples' profile (`testdata/rules/profile.yml`), over every record of `manifest.yml`; the test\n")
	fmt.Fprintf(&w, "fails on any hit of a high or critical rule. Do not edit by hand.\n\n")
	fmt.Fprintf(&w, "| platform | records |\n|---|---|\n")
	for _, p := range platforms {
		fmt.Fprintf(&w, "| %s | %d |\n", p, perPlatform[p])
	}
	fmt.Fprintf(&w, "| total | %d |\n\n", total)
	fmt.Fprintf(&w, "## Sources\n\n| file | records | licence | source | transformation |\n|---|---|---|---|---|\n")
	for _, f := range files {
		fmt.Fprintf(&w, "| `%s` | %d | %s | %s | %s |\n", f.File, f.Records, mdCell(f.Licence), mdCell(f.Source), mdCell(f.Transformation))
	}
	fmt.Fprintf(&w, "\n## Hits per rule\n\nRules with no hit are not listed.\n\n| rule | level | hits |\n|---|---|---|\n")
	var any bool
	for i, n := range names {
		if hits[i] > 0 {
			any = true
			fmt.Fprintf(&w, "| `%s` | %s | %d |\n", n, levels[i], hits[i])
		}
	}
	if !any {
		fmt.Fprintf(&w, "| (none) | | 0 |\n")
	}
	return w.Bytes()
}
