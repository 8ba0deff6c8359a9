package check

import (
	"context"
	"strings"

	"github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// checkCorrelations renders every correlation with the backend plugin of each of the
// report's columns (ConvertCorrelations of the protocol; a plugin that renders none says
// so as unsupported) and runs its sample sequences through the detector plugin, which
// evaluates them (in process when det is nil). The base rules of a
// correlation (generate: false) have no samples of their own: the correlation's samples
// test them, so their sample verdict is the correlations'.
func checkCorrelations(ctx context.Context, m *host.Manager, det *sigmabridge.Detector, set *ir.RuleSet, setup *profile.Setup, proc sigmabridge.Prepared, results []*RuleResult, builtinPack bool, columns []string) []*RuleResult {
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
	failed := map[string]error{}
	for _, col := range columns {
		// A column is "target", or "plugin:target" when two plugins serve the target.
		var b *host.Backend
		var err error
		target := col
		if name, t, ok := strings.Cut(col, ":"); ok {
			target = t
			b, err = m.Backend(ctx, name)
		} else {
			b, err = m.BackendForTarget(ctx, col)
		}
		if err == nil {
			conv[col], err = sigmabridge.ConvertCorrelationsWithPlugin(ctx, b, target, setup, set)
		}
		if err != nil {
			failed[col] = err
		}
	}
	for ci, c := range set.Correlations {
		res := &RuleResult{ID: c.ID, Title: c.Title, Path: c.Path, Lint: []Finding{}, Targets: map[string]*TargetResult{}}
		for _, col := range columns {
			tr := &TargetResult{Plugin: col}
			res.Targets[col] = tr
			if err := failed[col]; err != nil {
				tr.Error = &ErrorInfo{Code: "plugin-error", Message: err.Error()}
				continue
			}
			rs := conv[col]
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
