package all_test

import (
	"path/filepath"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/goldentest"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// piped is a backend that applies a pipeline before converting, as `convert -p` does; the
// pipeline's diagnostics come first.
type piped struct {
	backends.Backend
	p *pipeline.Pipeline
}

func (b piped) Convert(r *ir.Rule) ([]backends.Query, diag.List) {
	out, ds := b.p.Apply(r)
	if ds.HasErrors() {
		return nil, ds
	}
	qs, ds2 := b.Backend.Convert(out)
	return qs, append(ds, ds2...)
}

// TestGenericPipelineGoldens converts the rules under testdata/golden/pipelines/rules/ with
// every generic pipeline for each target it is for, and compares with
// testdata/golden/pipelines/<pipeline>/<target>/<rule>.txt (go test -update rewrites them).
func TestGenericPipelineGoldens(t *testing.T) {
	root, err := goldentest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "testdata", "golden", "pipelines")
	for _, gp := range genericPipelines {
		p, err := pipeline.Builtin(gp.name)
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range gp.targets {
			b, err := backends.Get(target)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(gp.name+"/"+target, func(t *testing.T) {
				goldentest.RunDir(t, piped{b, p}, filepath.Join(dir, "rules"), filepath.Join(dir, gp.name, target))
			})
		}
	}
}
