package rules

import (
	"github.com/sigmabridge/sigmabridge/samples"
	"io/fs"
	"os"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// placeholderPipeline gives the pack's %placeholders% the values the samples assume.
const placeholderPipeline = samplesRoot + "/placeholders.yml"

// TestSamplesAgainstEvaluator runs every sample of every single-event rule through the
// loader, the placeholder pipeline, the input adapters and the evaluator, and checks the
// verdict the manifest expects: a match sample has at least one record the rule matches, a
// no_match sample has none.
func TestSamplesAgainstEvaluator(t *testing.T) {
	pl, err := pipeline.ParseFile(placeholderPipeline)
	if err != nil {
		t.Fatal(err)
	}
	for _, pf := range loadPack(t) {
		if pf.isCorrelationFile() {
			continue
		}
		t.Run(pf.path, func(t *testing.T) {
			prog := compileRule(t, pf.path, pl)
			if prog == nil {
				return
			}
			dir := sampleDir(pf.path)
			m, err := samples.ReadManifest(os.DirFS(dir), ".", dir)
			if err != nil {
				t.Fatal(err)
			}
			v := samples.Run(m, 0, samples.ProgramMatch(prog))
			for _, f := range v.Failures {
				t.Error(f)
			}
		})
	}
}

// compileRule loads one rule file of the pack, resolves its placeholders and compiles it.
func compileRule(t *testing.T, rulePath string, pl *pipeline.Pipeline) *evaluator.Program {
	t.Helper()
	data, err := fs.ReadFile(FS, rulePath)
	if err != nil {
		t.Fatal(err)
	}
	rules, diags := translator.LoadBytes(rulePath, data)
	if diags.HasErrors() || len(rules) != 1 {
		t.Errorf("load: %d rules, diagnostics:\n%v", len(rules), diags)
		return nil
	}
	processed, diags := pl.Apply(rules[0])
	if diags.HasErrors() {
		t.Errorf("placeholder pipeline:\n%v", diags)
		return nil
	}
	prog, errs := evaluator.Compile([]*ir.Rule{processed})
	if len(errs) > 0 || prog.Len() != 1 {
		t.Errorf("compile: %v", errs)
		return nil
	}
	return prog
}
