package sigmabridge

import (
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// CorrelationResult is the outcome of one correlation on one target.
type CorrelationResult struct {
	Corr    *ir.Correlation
	Queries []backends.Query
	Diags   diag.List
	// Failed is true when the correlation produced no query; Unsupported when only
	// because the target cannot express it.
	Failed, Unsupported bool
}

// ConvertCorrelations renders every correlation of set with the built-in backend b, over
// its named rules prepared with s (the pipelines apply to them as to any rule).
func ConvertCorrelations(b backends.Backend, s *profile.Setup, set *ir.RuleSet) []CorrelationResult {
	prep := Prepare(s, set.Rules)
	out := make([]CorrelationResult, len(set.Correlations))
	for i, c := range set.Correlations {
		res := CorrelationResult{Corr: c}
		rules := make([]*ir.Rule, len(c.Refs))
		for j, ref := range c.Refs {
			if ref.Rule < 0 {
				continue
			}
			if p := prep.Index[ref.Rule]; p >= 0 {
				rules[j] = prep.Rules[p]
			} else {
				res.Diags = append(res.Diags, prep.Diags[ref.Rule]...)
				res.Diags = append(res.Diags, backends.CorrDiag(c, b.Name(), diag.PipelineUnsupported, "the pipelines failed rule %q, which it names", ref.Name))
			}
		}
		if !res.Diags.HasErrors() {
			qs, ds := backends.ConvertCorrelation(b, c, rules)
			res.Diags = append(res.Diags, ds...)
			res.Queries = qs
		}
		for j := range res.Diags {
			if res.Diags[j].Target == "" {
				res.Diags[j].Target = b.Name()
			}
		}
		if res.Diags.HasErrors() || len(res.Queries) == 0 {
			res.Failed, res.Unsupported, res.Queries = true, res.Diags.OnlyUnsupported(), nil
		}
		out[i] = res
	}
	return out
}
