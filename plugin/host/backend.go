package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// ConvertBatch is the number of rules sent in one Convert call.
const ConvertBatch = 256

// Backend is a running backend plugin as the host uses it.
type Backend struct {
	inst *instance
	raw  plugin.Backend
	desc *plugin.BackendDescription
}

// Name is the plugin's name.
func (b *Backend) Name() string { return b.inst.spec.Name }

// Description is the plugin's answer to Describe.
func (b *Backend) Description() plugin.BackendDescription { return *b.desc }

// ProtocolVersion is the negotiated protocol version.
func (b *Backend) ProtocolVersion() int { return b.inst.version }

// Convert converts rules for target in format ("" is the default), ConvertBatch rules per
// call, and returns one result per rule. An error is a *PluginError (the plugin crashed,
// hung, answered garbage or refused the batch) or a rule the protocol cannot carry.
func (b *Backend) Convert(ctx context.Context, target, format string, rules []*ir.Rule) ([]plugin.ConvertResult, error) {
	if !slices.Contains(b.desc.Targets, target) {
		return nil, pluginErr(b.Name(), CallFailed, "does not serve target %q (it serves %v)", target, b.desc.Targets)
	}
	out := make([]plugin.ConvertResult, 0, len(rules))
	for start := 0; start < len(rules); start += ConvertBatch {
		batch := rules[start:min(start+ConvertBatch, len(rules))]
		var resp *plugin.ConvertResponse
		err := b.inst.call(ctx, "Convert", func(ctx context.Context) error {
			var err error
			resp, err = b.raw.Convert(ctx, &plugin.ConvertRequest{Target: target, Format: format, Rules: batch})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("converting rules %d-%d: %w", start+1, start+len(batch), err)
		}
		for i := range resp.Results {
			for j := range resp.Results[i].Diagnostics {
				d := &resp.Results[i].Diagnostics[j]
				if d.Target == "" {
					d.Target = target
				}
			}
		}
		out = append(out, resp.Results...)
	}
	return out, nil
}

// Render renders rules (prepared for target) in the plugin's own format, with sources[i]
// the place of rules[i] in its rule tree. A plugin that renders no formats (a protocol
// revision before plugin.RevisionFormats, or none described) is an Unimplemented
// *PluginError naming it; so is a format it does not describe. The response has one result
// per rule.
func (b *Backend) Render(ctx context.Context, target, format string, rules []*ir.Rule, sources []string) (*plugin.RenderResponse, error) {
	if err := b.CheckFormat(target, format); err != nil {
		return nil, err
	}
	var (
		resp      *plugin.RenderResponse
		noFormats error
	)
	err := b.inst.call(ctx, "Render", func(ctx context.Context) error {
		r, ok := b.raw.(plugin.Renderer)
		if !ok {
			noFormats = plugin.ErrNoFormats
			return nil
		}
		var err error
		resp, err = r.Render(ctx, &plugin.RenderRequest{Target: target, Format: format, Rules: rules, Sources: sources})
		if errors.Is(err, plugin.ErrNoFormats) {
			// The plugin does not implement Render although it described formats.
			noFormats, err = err, nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if noFormats != nil {
		return nil, pluginErr(b.Name(), Unimplemented, "%v", noFormats)
	}
	if len(resp.Results) != len(rules) {
		return nil, b.inst.fail(pluginErr(b.Name(), Garbage, "Render answered %d results for %d rules", len(resp.Results), len(rules)))
	}
	for i := range resp.Results {
		for j := range resp.Results[i].Diagnostics {
			if d := &resp.Results[i].Diagnostics[j]; d.Target == "" {
				d.Target = target
			}
		}
	}
	return resp, nil
}

// CheckFormat says why the plugin cannot render target in format, naming the plugin: it
// speaks a protocol revision without formats, or does not describe the format for target.
func (b *Backend) CheckFormat(target, format string) error {
	if rev := b.desc.ProtocolRevision; rev < plugin.RevisionFormats {
		return pluginErr(b.Name(), Unimplemented, "it speaks plugin protocol %d revision %d, which has no formats (revision %d has): it offers no format %q",
			b.desc.ProtocolVersion, rev, plugin.RevisionFormats, format)
	}
	f, ok := b.desc.Format(format)
	if !ok {
		var names []string
		for _, f := range b.desc.FormatDescriptions {
			names = append(names, f.Name)
		}
		return pluginErr(b.Name(), Unimplemented, "it offers no format %q (it offers: %s)", format, strings.Join(names, ", "))
	}
	if !slices.Contains(b.desc.Targets, target) || !f.TakesTarget(target) {
		return pluginErr(b.Name(), Unimplemented, "its format %s does not take target %q", format, target)
	}
	return nil
}

// ConvertCorrelations renders correlations (references index rules, the rules they name
// after the pipelines) for target, one result per correlation. The plugin says itself why
// it refuses a type or a rule (as the built-in backends do in process); one that does not
// implement the call (built before it, or rendering no correlation) gives each result an
// unsupported-correlation diagnostic naming the plugin. An error is a *PluginError (crashed, hung, garbage, refused).
func (b *Backend) ConvertCorrelations(ctx context.Context, target, format string, corrs []*ir.Correlation, rules []*ir.Rule) ([]plugin.ConvertResult, error) {
	if !slices.Contains(b.desc.Targets, target) {
		return nil, pluginErr(b.Name(), CallFailed, "does not serve target %q (it serves %v)", target, b.desc.Targets)
	}
	out := make([]plugin.ConvertResult, len(corrs))
	unsupported := func(i int, why string) {
		c := corrs[i]
		out[i] = plugin.ConvertResult{Diagnostics: diag.List{{Path: c.Path, Line: c.Line, RuleID: c.ID, Target: target,
			Code: diag.UnsupportedCorrelation, Message: fmt.Sprintf("%s: plugin %s %s", c.Label(), b.Name(), why)}}}
	}
	if len(corrs) == 0 {
		return out, nil
	}
	cb, ok := b.raw.(plugin.CorrelationBackend)
	if !ok {
		return nil, pluginErr(b.Name(), Unimplemented, "ConvertCorrelations: the protocol client has none")
	}
	// Described types are for humans: a plugin may refuse a listed type for one rule,
	// and says so, so every correlation is sent.
	var resp *plugin.ConvertResponse
	err := b.inst.call(ctx, "ConvertCorrelations", func(ctx context.Context) error {
		var err error
		resp, err = cb.ConvertCorrelations(ctx, &plugin.ConvertCorrelationsRequest{Target: target, Format: format, Rules: rules, Correlations: corrs})
		return err
	})
	if HasFailure(err, Unimplemented) {
		for i := range corrs {
			unsupported(i, "renders no correlations (it does not implement ConvertCorrelations)")
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for j, res := range resp.Results {
		for k := range res.Diagnostics {
			if res.Diagnostics[k].Target == "" {
				res.Diagnostics[k].Target = target
			}
		}
		out[j] = res
	}
	return out, nil
}
