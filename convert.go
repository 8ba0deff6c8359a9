package sigmabridge

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/sigmabridge/sigmabridge/backends"
	_ "github.com/sigmabridge/sigmabridge/backends/all" // the built-in targets
	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/builtin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// Result is the outcome of one rule on one target.
type Result struct {
	Rule    *ir.Rule
	Queries []backends.Query
	// Diags are the pipelines' and the backend's diagnostics.
	Diags diag.List
	// Failed is true when the rule produced no queries.
	Failed bool
	// Unsupported is true when it failed only because the target cannot express it.
	Unsupported bool
	// Inactive lists the profile values the rule lacks: it was left out, not failed.
	Inactive []profile.Need
}

// Convert prepares every rule with s and converts it with b in this process, in parallel;
// the results keep the input order. inactive lists, in the same order, the rules left out
// for want of profile values (their results say so too). The error is ctx's.
func Convert(ctx context.Context, b backends.Backend, s *profile.Setup, rules []*ir.Rule) (results []Result, inactive []profile.Left, err error) {
	prep := Prepare(s, rules)
	resp, err := builtin.Backend(b).Convert(ctx, &plugin.ConvertRequest{Target: b.Name(), Rules: prep.Rules})
	if err != nil {
		return nil, nil, err
	}
	needs := map[*ir.Rule][]profile.Need{}
	for _, l := range prep.Inactive {
		needs[l.Rule] = l.Needs
	}
	out := make([]Result, len(rules))
	for i, r := range rules {
		res := Result{Rule: r, Diags: prep.Diags[i], Inactive: needs[r]}
		p := prep.Index[i]
		switch {
		case res.Inactive != nil:
		case p < 0:
			res.Failed = true
		default:
			cr := resp.Results[p]
			ds := slices.Clone(cr.Diagnostics)
			for j := range ds {
				if ds[j].Target == "" {
					ds[j].Target = b.Name()
				}
			}
			res.Diags = append(res.Diags, ds...)
			if ds.HasErrors() || len(cr.Queries) == 0 {
				res.Failed, res.Unsupported = true, ds.OnlyUnsupported()
			} else {
				res.Queries = cr.Queries
			}
		}
		out[i] = res
	}
	return out, prep.Inactive, nil
}

// PluginRun is one target of one backend plugin over a rule set.
type PluginRun struct {
	Plugin, Target string
	// Results has one entry per rule converted, unless Err is set.
	Results []plugin.ConvertResult
	Err     error
}

// ConvertThroughPlugins converts rules through every backend plugin of m (built-in and
// external) and every target each serves, each plugin in its own goroutine. External
// plugins that serve no backend (a detector) are left out; the other plugins that could
// not be used are the problems. Runs come in target order: the built-in targets in
// backends.Names() order, then the others by name.
func ConvertThroughPlugins(ctx context.Context, m *host.Manager, rules []*ir.Rule) (runs []PluginRun, problems []error) {
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, spec := range m.Specs() {
		if spec.Problem != nil || (spec.Builtin && !slices.Contains(spec.Kinds, plugin.KindBackend)) {
			continue
		}
		wg.Add(1)
		go func(spec host.Spec) {
			defer wg.Done()
			b, err := m.Backend(ctx, spec.Name)
			if err != nil {
				if !spec.Builtin && host.HasFailure(err, host.WrongKind) {
					return // an external detector
				}
				mu.Lock()
				problems = append(problems, err)
				mu.Unlock()
				return
			}
			for _, target := range b.Description().Targets {
				run := PluginRun{Plugin: spec.Name, Target: target}
				run.Results, run.Err = b.Convert(ctx, target, "", rules)
				mu.Lock()
				runs = append(runs, run)
				mu.Unlock()
			}
		}(spec)
	}
	wg.Wait()
	builtins := backends.Names()
	key := func(r PluginRun) string {
		if i := slices.Index(builtins, r.Target); i >= 0 {
			return fmt.Sprintf("0%04d", i)
		}
		return "1" + r.Target + "\x00" + r.Plugin
	}
	sort.SliceStable(runs, func(a, b int) bool { return key(runs[a]) < key(runs[b]) })
	return runs, problems
}
