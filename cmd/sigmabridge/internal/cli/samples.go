package cli

import (
	"io/fs"
	"os"
	"path"
	"strings"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
	"github.com/sigmabridge/sigmabridge/translator/samples"
)

// PackPlaceholders is the pipeline with the placeholder values the built-in pack's samples
// assume (testdata/rules/placeholders.yml, embedded).
func PackPlaceholders() (*pipeline.Pipeline, error) {
	data, err := fs.ReadFile(sigmabridge.PackSamples, "placeholders.yml")
	if err != nil {
		return nil, err
	}
	return pipeline.Parse("testdata/rules/placeholders.yml", data)
}

// RulePipeline chains the pipelines named on the command line; for the built-in pack
// (builtin true) the pack's placeholder values come first. It returns nil when there is
// nothing to apply; the error is a usage error.
func RulePipeline(builtin bool, names []string) (*pipeline.Pipeline, error) {
	var ps []*pipeline.Pipeline
	if builtin {
		p, err := PackPlaceholders()
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	for _, n := range names {
		p, err := pipeline.Load(n)
		if err != nil {
			return nil, UsageError{Err: err}
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil, nil
	}
	return pipeline.Chain(ps...), nil
}

// Processed is a rule set after a pipeline: the rules that went through it, and for each
// input rule its place among them or the pipeline's errors.
type Processed struct {
	// Rules are the rules the pipeline accepted, in input order.
	Rules []*ir.Rule
	// Index maps an input rule to its position in Rules, or -1 when the pipeline failed it.
	Index []int
	// Failures are the pipeline's errors per input rule.
	Failures [][]string
}

// ApplyPipeline runs chain (nil: no pipeline) over every rule.
func ApplyPipeline(chain *pipeline.Pipeline, rules []*ir.Rule) Processed {
	p := Processed{Index: make([]int, len(rules)), Failures: make([][]string, len(rules))}
	for i, r := range rules {
		pr, ds := chain.Apply(r)
		if ds.HasErrors() {
			p.Index[i] = -1
			for _, d := range ds.Errors() {
				p.Failures[i] = append(p.Failures[i], d.String())
			}
			continue
		}
		p.Index[i] = len(p.Rules)
		p.Rules = append(p.Rules, pr)
	}
	return p
}

// RuleManifest finds a rule's samples: in the embedded tree for the built-in pack, on
// disk otherwise. It returns nil, nil when the rule has none.
func RuleManifest(r *ir.Rule, builtin bool) (*samples.Manifest, error) {
	if builtin {
		rel := strings.TrimPrefix(r.Path, BuiltinPrefix+"/")
		dir := strings.TrimSuffix(rel, path.Ext(rel))
		if _, err := fs.Stat(sigmabridge.PackSamples, path.Join(dir, samples.ManifestName)); err != nil {
			return nil, nil
		}
		return samples.ReadManifest(sigmabridge.PackSamples, dir, path.Join("testdata/rules", dir))
	}
	dir := samples.Locate(r.Path)
	if dir == "" {
		return nil, nil
	}
	return samples.ReadManifest(os.DirFS(dir), ".", dir)
}
