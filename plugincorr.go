package sigmabridge

import (
	"context"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// ConvertCorrelationsWithPlugin is ConvertCorrelations through backend plugin b for
// target: the named rules are prepared with s and the correlations' fields mapped as in
// process, and the plugin renders them (ConvertCorrelations of the backend protocol). The
// error is the plugin's failure (a *host.PluginError); a plugin that renders no
// correlation gives each an unsupported-correlation diagnostic naming it.
func ConvertCorrelationsWithPlugin(ctx context.Context, b *host.Backend, target string, s *profile.Setup, set *ir.RuleSet) ([]CorrelationResult, error) {
	prep := Prepare(s, set.Rules)
	mapped, mdiags := PrepareCorrelations(s, set)
	out := make([]CorrelationResult, len(set.Correlations))
	var send []*ir.Correlation
	var at []int
	for i, c := range set.Correlations {
		res := CorrelationResult{Corr: c, Diags: mdiags[i]}
		if mapped[i] != nil {
			c = mapped[i]
		}
		mc := *c
		mc.Refs = make([]ir.CorrelationRef, len(c.Refs))
		for j, ref := range c.Refs {
			if ref.Rule >= 0 {
				if p := prep.Index[ref.Rule]; p >= 0 {
					ref.Rule = p
				} else {
					res.Diags = append(res.Diags, prep.Diags[ref.Rule]...)
					res.Diags = append(res.Diags, backends.CorrDiag(c, target, diag.PipelineUnsupported, "the pipelines failed rule %q, which it names", ref.Name))
				}
			}
			mc.Refs[j] = ref
		}
		out[i] = res
		if !res.Diags.HasErrors() {
			send, at = append(send, &mc), append(at, i)
		}
	}
	results, err := b.ConvertCorrelations(ctx, target, "", send, prep.Rules)
	if err != nil {
		return nil, err
	}
	for j, r := range results {
		res := &out[at[j]]
		res.Diags = append(res.Diags, r.Diagnostics...)
		res.Queries = r.Queries
	}
	for i := range out {
		res := &out[i]
		for j := range res.Diags {
			if res.Diags[j].Target == "" {
				res.Diags[j].Target = target
			}
		}
		if res.Diags.HasErrors() || len(res.Queries) == 0 {
			res.Failed, res.Unsupported, res.Queries = true, res.Diags.OnlyUnsupported(), nil
		}
	}
	return out, nil
}
