package plugin

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sigmabridge/sigmabridge/internal/parallel"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// RuleBackend is a Backend built from a function that converts one rule at a time, the
// shape of most backends. Convert checks the target and format against Description and
// converts the rules of a batch in parallel.
type RuleBackend struct {
	// Description is returned by Describe. It needs at least one target; a backend with no
	// Formats supports "default".
	Description BackendDescription
	// ConvertRule renders one rule for target in format ("" is the default). It must be
	// safe for concurrent use.
	ConvertRule func(target, format string, r *ir.Rule) ([]Query, Diagnostics)
	// RenderFormat, when set, renders the formats of Description.FormatDescriptions
	// (Renderer); Render checks the target and format first. It must be safe for
	// concurrent use.
	RenderFormat func(ctx context.Context, req *RenderRequest) (*RenderResponse, error)
	// ConvertCorrelation, if set, renders one correlation over its named rules (rules[i]
	// for c.Refs[i]; nil for a chain or a rule that could not be sent) for the types
	// Description.CorrelationTypes lists. It must be safe for concurrent use.
	ConvertCorrelation func(target, format string, c *ir.Correlation, rules []*ir.Rule) ([]Query, Diagnostics)
}

var _ Renderer = (*RuleBackend)(nil)

// Render checks the request's target and format against Description and renders it with
// RenderFormat. Without RenderFormat it fails with ErrNoFormats.
func (b *RuleBackend) Render(ctx context.Context, req *RenderRequest) (*RenderResponse, error) {
	if b.RenderFormat == nil || len(b.Description.FormatDescriptions) == 0 {
		return nil, ErrNoFormats
	}
	if !slices.Contains(b.Description.Targets, req.Target) {
		return nil, fmt.Errorf("unknown target %q (this plugin serves %v)", req.Target, b.Description.Targets)
	}
	f, ok := b.Description.Format(req.Format)
	if !ok {
		var names []string
		for _, f := range b.Description.FormatDescriptions {
			names = append(names, f.Name)
		}
		return nil, fmt.Errorf("unknown format %q (this plugin renders %v)", req.Format, names)
	}
	if !f.TakesTarget(req.Target) {
		return nil, fmt.Errorf("format %s does not take target %s (it takes %v)", f.Name, req.Target, f.Targets)
	}
	return b.RenderFormat(ctx, req)
}

var _ CorrelationBackend = (*RuleBackend)(nil)

// Describe returns the description.
func (b *RuleBackend) Describe(context.Context, *DescribeRequest) (*BackendDescription, error) {
	d := b.Description
	if len(d.Formats) == 0 {
		d.Formats = []string{"default"}
	}
	if b.ConvertCorrelation == nil {
		d.CorrelationTypes = nil
	}
	return &d, nil
}

// ConvertCorrelations converts every correlation with ConvertCorrelation; without it, the
// call is unimplemented.
func (b *RuleBackend) ConvertCorrelations(ctx context.Context, req *ConvertCorrelationsRequest) (*ConvertResponse, error) {
	if b.ConvertCorrelation == nil {
		return nil, status.Error(codes.Unimplemented, "the backend renders no correlations")
	}
	if err := b.check(req.Target, req.Format); err != nil {
		return nil, err
	}
	resp := &ConvertResponse{Results: make([]ConvertResult, len(req.Correlations))}
	err := parallel.For(ctx, len(req.Correlations), func(i int) {
		c := req.Correlations[i]
		rules := make([]*ir.Rule, len(c.Refs))
		for j, ref := range c.Refs {
			if ref.Rule >= 0 && ref.Rule < len(req.Rules) {
				rules[j] = req.Rules[ref.Rule]
			}
		}
		qs, ds := b.ConvertCorrelation(req.Target, req.Format, c, rules)
		resp.Results[i] = ConvertResult{Queries: qs, Diagnostics: ds}
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// check refuses a target or format the description does not list.
func (b *RuleBackend) check(target, format string) error {
	if !slices.Contains(b.Description.Targets, target) {
		return fmt.Errorf("unknown target %q (this plugin serves %v)", target, b.Description.Targets)
	}
	formats := b.Description.Formats
	if len(formats) == 0 {
		formats = []string{"default"}
	}
	if format != "" && !slices.Contains(formats, format) {
		return fmt.Errorf("unknown format %q (this plugin supports %v)", format, formats)
	}
	return nil
}

// Convert converts every rule with ConvertRule, GOMAXPROCS rules at a time, stopping when
// ctx is done.
func (b *RuleBackend) Convert(ctx context.Context, req *ConvertRequest) (*ConvertResponse, error) {
	if err := b.check(req.Target, req.Format); err != nil {
		return nil, err
	}
	resp := &ConvertResponse{Results: make([]ConvertResult, len(req.Rules))}
	err := parallel.For(ctx, len(req.Rules), func(i int) {
		qs, ds := b.ConvertRule(req.Target, req.Format, req.Rules[i])
		resp.Results[i] = ConvertResult{Queries: qs, Diagnostics: ds}
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
