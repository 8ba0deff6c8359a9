package sigmabridge

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/sigmabridge/sigmabridge/internal/parallel"
	"github.com/sigmabridge/sigmabridge/internal/suggest"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// Setup prepares rules for target under prof (nil: none) and the pipelines named (a
// built-in name or a pipeline YAML file each). The error names a pipeline that could not be
// loaded, or says why the profile's own pipelines could not be built.
func Setup(prof *profile.Profile, target profile.Target, pipelines []string) (*profile.Setup, error) {
	s := &profile.Setup{Profile: prof, Target: target}
	for _, n := range pipelines {
		p, err := pipeline.Load(n)
		if err != nil {
			if _, statErr := os.Stat(n); errors.Is(statErr, fs.ErrNotExist) {
				return nil, unknownPipeline(n)
			}
			return nil, fmt.Errorf("pipeline %s: %w", n, err)
		}
		s.Pipelines = append(s.Pipelines, p)
	}
	if err := s.Build(); err != nil {
		return nil, err
	}
	return s, nil
}

// unknownPipeline is the error for -p NAME that is neither a built-in pipeline nor a file:
// it lists the built-in names and the nearest one.
func unknownPipeline(name string) error {
	names := pipeline.BuiltinNames()
	return fmt.Errorf("pipeline %s: unknown: no built-in pipeline and no file has that name%s (built-in: %s; 'sigmabridge list pipelines' says what each is for)",
		name, suggest.Hint(name, names), strings.Join(names, ", "))
}

// SamplesSetup prepares rules whose samples are about to run. The built-in pack's samples
// assume PackProfile, so they run under it whatever the user's profile; other rules run
// under user (nil: none).
func SamplesSetup(builtin bool, user *profile.Profile, pipelines []string) (*profile.Setup, error) {
	if !builtin {
		return Setup(user, profile.NoTarget, pipelines)
	}
	pp, err := PackProfile()
	if err != nil {
		return nil, err
	}
	return Setup(pp, profile.NoTarget, pipelines)
}

// Prepared is a rule set after its setup: the rules that went through it, and for each
// input rule its place among them, the pipelines' diagnostics, or the values it lacks.
type Prepared struct {
	// Rules are the rules the setup accepted, in input order.
	Rules []*ir.Rule
	// Index maps an input rule to its position in Rules, or -1 when the pipelines failed it
	// or it is inactive.
	Index []int
	// Diags are the pipelines' diagnostics per input rule (errors when Index is -1 and the
	// rule is not inactive).
	Diags []diag.List
	// Inactive are the rules left out for want of profile values (not failures).
	Inactive []profile.Left

	// deployment chains the setup's pipelines: the event transform of a rule's samples
	// (Shape) is read from it.
	deployment *pipeline.Pipeline
}

// Shape returns the event transform that brings a sample of input rule r into the shape of
// the deployment the setup's pipelines are written for (pipeline.Shape): the pipeline-applied
// rule is run on events so transformed. Without pipelines it is the identity.
func (p Prepared) Shape(r *ir.Rule) *pipeline.Shape {
	if p.deployment == nil {
		return &pipeline.Shape{}
	}
	return p.deployment.Shape(r)
}

// Prepare applies s to every rule, in parallel, keeping the input order.
func Prepare(s *profile.Setup, rules []*ir.Rule) Prepared {
	outs := make([]profile.Outcome, len(rules))
	_ = parallel.For(context.Background(), len(rules), func(i int) { outs[i] = s.Apply(rules[i]) })
	p := Prepared{Index: make([]int, len(rules)), Diags: make([]diag.List, len(rules))}
	if len(s.Pipelines) > 0 {
		p.deployment = pipeline.Chain(s.Pipelines...)
	}
	for i, o := range outs {
		p.Index[i] = -1
		p.Diags[i] = o.Diags
		switch {
		case len(o.Inactive) > 0:
			p.Inactive = append(p.Inactive, profile.Left{Rule: rules[i], Needs: o.Inactive})
		case !o.Failed():
			p.Index[i] = len(p.Rules)
			p.Rules = append(p.Rules, o.Rule)
		}
	}
	return p
}

// Needs returns the profile values input rule r lacks, or nil when it is active.
func (p Prepared) Needs(r *ir.Rule) []profile.Need {
	for _, l := range p.Inactive {
		if l.Rule == r {
			return l.Needs
		}
	}
	return nil
}

// Failures returns the pipelines' errors about input rule i, one line each.
func (p Prepared) Failures(i int) []string {
	var out []string
	for _, d := range p.Diags[i].Errors() {
		out = append(out, d.String())
	}
	return out
}

// ErrPipelineMismatch is wrapped by the error of CheckPipelineTargets.
var ErrPipelineMismatch = errors.New("pipeline made for other targets")

// CheckPipelineTargets returns an error when a pipeline named (a built-in name or a file)
// declares the targets it is for (allowed_backends) and target is not one of them: a
// pipeline written for another SIEM's field names would give queries on fields the target's
// data does not have. A pipeline that declares no targets fits every target. The error wraps
// ErrPipelineMismatch and names the pipeline's targets.
func CheckPipelineTargets(target string, pipelines []string) error {
	for _, n := range pipelines {
		p, err := pipeline.Load(n)
		if err != nil {
			return fmt.Errorf("pipeline %s: %w", n, err)
		}
		if len(p.AllowedBackends) == 0 || slices.Contains(p.AllowedBackends, target) {
			continue
		}
		return fmt.Errorf("%w: pipeline %s is for %s, not %s", ErrPipelineMismatch, n, strings.Join(p.AllowedBackends, ", "), target)
	}
	return nil
}
