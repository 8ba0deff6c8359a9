package check

import (
	"github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// checkCorrelations renders every correlation with each built-in target of the report's
// columns (the plugin protocol does not carry correlations to backends yet: a plugin's
// column says so as unsupported) and runs its sample sequences through the detector
// plugin, which evaluates them (in process when det is nil). The base rules of a
// correlation (generate: false) have no samples of their own: the correlation's samples
// test them, so their sample verdict is the correlations'.
func checkCorrelations(det *sigmabridge.Detector, set *ir.RuleSet, setup *profile.Setup, proc sigmabridge.Prepared, results []*RuleResult, builtinPack bool, columns []string) []*RuleResult {
	var out []*RuleResult
	base := set.Base()
	for _, c := range set.Correlations {
		for _, ref := range c.Refs {
			if ref.Rule >= 0 && base[ref.Rule] {
				r := results[ref.Rule]
				r.BaseOf = append(r.BaseOf, c.Title)
				r.Samples = SampleResult{Passed: true}
			}
		}
	}
	conv := map[string][]sigmabridge.CorrelationResult{}
	for _, col := range columns {
		if b, err := backends.Get(col); err == nil {
			conv[col] = sigmabridge.ConvertCorrelations(b, setup, set)
		}
	}
	for ci, c := range set.Correlations {
		res := &RuleResult{ID: c.ID, Title: c.Title, Path: c.Path, Lint: []Finding{}, Targets: map[string]*TargetResult{}}
		for _, col := range columns {
			tr := &TargetResult{Plugin: col}
			res.Targets[col] = tr
			rs, ok := conv[col]
			if !ok {
				tr.Unsupported = true
				tr.Error = &ErrorInfo{Code: diag.UnsupportedCorrelation, Message: "the plugin protocol does not carry correlations"}
				continue
			}
			r := rs[ci]
			if errs := r.Diags.Errors(); len(errs) > 0 {
				tr.Error = &ErrorInfo{Code: errs[0].Code, Message: joinMessages(errs)}
				tr.Unsupported = r.Unsupported
				continue
			}
			tr.OK = true
			for _, q := range r.Queries {
				tr.Queries = append(tr.Queries, q.Text)
			}
		}
		v := sigmabridge.RunCorrelationSamplesWith(det, setup, proc, set, ci, builtinPack, evaluator.CorrelatorOptions{})
		res.Samples = SampleResult{Positives: v.Positives, Negatives: v.Negatives, Failures: v.Failures, Passed: len(v.Failures) == 0}
		out = append(out, res)
	}
	return out
}
