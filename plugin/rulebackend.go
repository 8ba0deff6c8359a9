package plugin

import (
	"context"
	"fmt"
	"slices"

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

var _ Backend = (*RuleBackend)(nil)

// Describe returns the description.
func (b *RuleBackend) Describe(context.Context, *DescribeRequest) (*BackendDescription, error) {
	d := b.Description
	if len(d.Formats) == 0 {
		d.Formats = []string{"default"}
	}
	return &d, nil
}

// Convert converts every rule with ConvertRule, GOMAXPROCS rules at a time, stopping when
// ctx is done.
func (b *RuleBackend) Convert(ctx context.Context, req *ConvertRequest) (*ConvertResponse, error) {
	if !slices.Contains(b.Description.Targets, req.Target) {
		return nil, fmt.Errorf("unknown target %q (this plugin serves %v)", req.Target, b.Description.Targets)
	}
	formats := b.Description.Formats
	if len(formats) == 0 {
		formats = []string{"default"}
	}
	if req.Format != "" && !slices.Contains(formats, req.Format) {
		return nil, fmt.Errorf("unknown format %q (this plugin supports %v)", req.Format, formats)
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
