package cli

import (
	"io/fs"
	"os"
	"path"
	"strings"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
	"github.com/sigmabridge/sigmabridge/translator/samples"
)

// Processed is a rule set after its setup: the rules that went through it, and for each
// input rule its place among them, the pipelines' errors, or the values it lacks.
type Processed struct {
	// Rules are the rules the setup accepted, in input order.
	Rules []*ir.Rule
	// Index maps an input rule to its position in Rules, or -1 when the pipelines failed it
	// or it is inactive.
	Index []int
	// Failures are the pipelines' errors per input rule.
	Failures [][]string
	// Inactive are the rules left out for want of profile values (not failures).
	Inactive []profile.Left
}

// ApplySetup prepares every rule with s.
func ApplySetup(s *profile.Setup, rules []*ir.Rule) Processed {
	p := Processed{Index: make([]int, len(rules)), Failures: make([][]string, len(rules))}
	for i, r := range rules {
		o := s.Apply(r)
		if len(o.Inactive) > 0 {
			p.Index[i] = -1
			p.Inactive = append(p.Inactive, profile.Left{Rule: r, Needs: o.Inactive})
			continue
		}
		if o.Failed() {
			p.Index[i] = -1
			for _, d := range o.Diags.Errors() {
				p.Failures[i] = append(p.Failures[i], d.String())
			}
			continue
		}
		p.Index[i] = len(p.Rules)
		p.Rules = append(p.Rules, o.Rule)
	}
	return p
}

// IsInactive reports whether input rule i was left out for want of values.
func (p Processed) IsInactive(r *ir.Rule) bool {
	for _, l := range p.Inactive {
		if l.Rule == r {
			return true
		}
	}
	return false
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
