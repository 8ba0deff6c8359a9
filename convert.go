package sigmabridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/sigmabridge/sigmabridge/backends"
	_ "github.com/sigmabridge/sigmabridge/backends/all" // the built-in targets
	"github.com/sigmabridge/sigmabridge/internal/suggest"
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
	return convertWith(b.Name(), s, rules, func(prepared []*ir.Rule) ([]plugin.ConvertResult, error) {
		resp, err := builtin.Backend(b).Convert(ctx, &plugin.ConvertRequest{Target: b.Name(), Rules: prepared})
		if err != nil {
			return nil, err
		}
		return resp.Results, nil
	})
}

// ConvertPlugin is Convert through target of the external backend plugin t.Plugin of m
// (see FindTarget). The error is the plugin's (it crashed, hung, or answered garbage).
func ConvertPlugin(ctx context.Context, m *host.Manager, t Target, s *profile.Setup, rules []*ir.Rule) (results []Result, inactive []profile.Left, err error) {
	b, err := m.Backend(ctx, t.Plugin)
	if err != nil {
		return nil, nil, err
	}
	return ConvertBackendPlugin(ctx, b, t.Name, s, rules)
}

// ConvertBackendPlugin is ConvertPlugin through target of b, a backend plugin already
// running.
func ConvertBackendPlugin(ctx context.Context, b *host.Backend, target string, s *profile.Setup, rules []*ir.Rule) (results []Result, inactive []profile.Left, err error) {
	return convertWith(target, s, rules, func(prepared []*ir.Rule) ([]plugin.ConvertResult, error) {
		res, err := b.Convert(ctx, target, "", prepared)
		if err == nil && len(res) != len(prepared) {
			err = fmt.Errorf("plugin %s answered %d results for %d rules", b.Name(), len(res), len(prepared))
		}
		return res, err
	})
}

// convertWith prepares rules with s, converts the prepared ones with conv and puts the
// results back in input order.
func convertWith(target string, s *profile.Setup, rules []*ir.Rule, conv func([]*ir.Rule) ([]plugin.ConvertResult, error)) ([]Result, []profile.Left, error) {
	prep := Prepare(s, rules)
	results, err := conv(prep.Rules)
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
			// A pipeline failed it: unsupported when every error only says that a pipeline
			// cannot carry it (pipeline-unsupported, diag.IsUnsupported).
			res.Failed, res.Unsupported = true, res.Diags.OnlyUnsupported()
		default:
			cr := results[p]
			ds := slices.Clone(cr.Diagnostics)
			for j := range ds {
				if ds[j].Target == "" {
					ds[j].Target = target
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

// Target is a target convert can write: a built-in backend, or a target an external
// backend plugin serves.
type Target struct {
	Name string
	// Backend is the built-in backend, nil for a plugin's target.
	Backend backends.Backend
	// Plugin is the external plugin that serves the target ("" for a built-in one).
	Plugin string
	// Description and Formats are the plugin's (untrusted text: print it escaped).
	Description string
	Formats     []string
	// Own are the formats the plugin renders itself (plugin.Renderer), and Revision the
	// protocol revision it speaks: before plugin.RevisionFormats it renders none.
	Own      []plugin.FormatDescription
	Revision int
}

// PluginTargets lists the targets the external backend plugins of m serve, by target name
// then plugin. Each plugin is started to ask it. A plugin that is refused or fails to
// describe itself is one of the problems, and so is an unsafe plugin directory; one that
// serves only a detector is left out.
func PluginTargets(ctx context.Context, m *host.Manager) (targets []Target, problems []error) {
	problems = m.Problems() // an unsafe plugin directory, refused plugins
	for _, spec := range m.Specs() {
		if spec.Builtin || spec.Problem != nil {
			continue
		}
		info := m.Describe(ctx, spec.Name)
		if info.Backend == nil {
			if info.Err != nil {
				problems = append(problems, info.Err)
			}
			continue
		}
		for _, t := range info.Backend.Targets {
			targets = append(targets, Target{Name: t, Plugin: spec.Name, Description: info.Backend.Description, Formats: info.Backend.Formats,
				Own: info.Backend.FormatDescriptions, Revision: info.Backend.ProtocolRevision})
		}
	}
	sort.SliceStable(targets, func(a, b int) bool { return targets[a].Name < targets[b].Name })
	return targets, problems
}

// FindTarget returns the built-in target name or, when there is none, the external backend
// plugin of the host o opens that serves it (the built-ins win a clash). m is that host, to
// convert through and then Close; it is nil for a built-in target. The error names the
// known targets (and the nearest one), and says why plugins that could serve it were not
// asked.
func FindTarget(ctx context.Context, name string, o HostOptions) (t Target, m *host.Manager, err error) {
	if b, err := backends.Get(name); err == nil {
		return Target{Name: name, Backend: b}, nil, nil
	}
	known := backends.Names()
	m, err = OpenHost(o)
	var problems []error
	if err != nil {
		problems = append(problems, err)
	} else {
		var ts []Target
		ts, problems = PluginTargets(ctx, m)
		for _, x := range ts {
			if x.Name == name {
				return x, m, nil
			}
			if !slices.Contains(known, x.Name) {
				known = append(known, x.Name)
			}
		}
		m.Close()
	}
	msg := fmt.Sprintf("unknown target %q (known: %s)%s; an external backend's targets are known once its plugin is pinned in the plugin directory (--plugin-dir, 'sigmabridge plugins list')",
		name, strings.Join(known, ", "), suggest.Hint(name, known))
	for _, p := range problems {
		msg += "\n  a plugin was not asked: " + p.Error()
	}
	return Target{}, nil, errors.New(msg)
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
