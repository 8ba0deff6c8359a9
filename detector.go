package sigmabridge

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/builtin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/samples"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// HostOptions say where plugins come from.
type HostOptions struct {
	// PluginDir is the plugin directory ("" means $SIGMABRIDGE_PLUGIN_DIR, then the
	// per-user default).
	PluginDir string
	// Executable serves the built-in plugins (default: this executable, which must then be
	// the sigmabridge command).
	Executable string
	// CallTimeout is the deadline of one plugin call (0: the host's default).
	CallTimeout time.Duration
}

// OpenHost returns a plugin host over the plugin directory and the built-in plugins of
// the executable. The caller must Close it.
func OpenHost(o HostOptions) (*host.Manager, error) {
	dir, err := host.ResolveDir(o.PluginDir)
	if err != nil {
		return nil, err
	}
	exe := o.Executable
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("locating the sigmabridge executable: %w", err)
		}
	}
	return host.New(host.Config{Dir: dir, Builtins: builtin.Specs(exe), CallTimeout: o.CallTimeout})
}

// DetectorOptions choose the detector.
type DetectorOptions struct {
	// InProcess matches with the library evaluator in this process; otherwise the built-in
	// detector plugin is launched through the plugin host.
	InProcess bool
	Host      HostOptions
	// Correlation configures the evaluation of correlations (LoadDetectorSet).
	Correlation evaluator.CorrelatorOptions
}

// Detector is a loaded rule set, in the detector plugin or in process.
type Detector struct {
	// Loaded is the number of rules that loaded.
	Loaded int
	// Errors are the diagnostics of the rules that did not load, by their index in the
	// rules given to LoadDetector.
	Errors map[int]diag.List

	// CorrelationErr is set when the set had correlations the detector plugin cannot
	// evaluate: a *host.PluginError with the Unimplemented failure, naming the plugin. The
	// rules are loaded regardless; the correlations are not.
	CorrelationErr error

	ctx  context.Context
	prog *evaluator.Program
	m    *host.Manager
	det  *host.Detector
	// set is the rule set whose correlations the plugin evaluates (nil: none).
	set *ir.RuleSet
}

// LoadDetector loads rules into the detector o chooses. The caller must Close it.
func LoadDetector(ctx context.Context, o DetectorOptions, rules []*ir.Rule) (*Detector, error) {
	return LoadDetectorSet(ctx, o, rules, nil)
}

// LoadDetectorSet is LoadDetector that also loads the correlations of set into a detector
// plugin, which then evaluates them over the streams given to it (Correlates). set is the
// prepared set (PreparedSet) whose rules are those of rules, or nil where a rule is not
// among them; a correlation naming such a rule sees it never match, as in process. In
// process, the correlations are left to the caller's evaluator.Correlator.
func LoadDetectorSet(ctx context.Context, o DetectorOptions, rules []*ir.Rule, set *ir.RuleSet) (*Detector, error) {
	if o.InProcess {
		prog, errs := evaluator.Compile(rules)
		d := &Detector{ctx: ctx, prog: prog, Loaded: prog.Len(), Errors: map[int]diag.List{}}
		for _, e := range errs {
			d.Errors[e.Index] = e.Diags
		}
		return d, nil
	}
	m, err := OpenHost(o.Host)
	if err != nil {
		return nil, err
	}
	d, err := PluginDetectorSet(ctx, m, rules, set, o.Correlation)
	if err != nil {
		m.Close()
		return nil, err
	}
	d.m = m
	return d, nil
}

// PluginDetector loads rules into the built-in detector plugin of an open host, which the
// caller keeps and closes.
func PluginDetector(ctx context.Context, m *host.Manager, rules []*ir.Rule) (*Detector, error) {
	return PluginDetectorSet(ctx, m, rules, nil, evaluator.CorrelatorOptions{})
}

// PluginDetectorSet is PluginDetector with the correlations of set (see LoadDetectorSet).
// A plugin that cannot evaluate them gets the rules alone, and CorrelationErr says why.
func PluginDetectorSet(ctx context.Context, m *host.Manager, rules []*ir.Rule, set *ir.RuleSet, o evaluator.CorrelatorOptions) (*Detector, error) {
	return NamedPluginDetectorSet(ctx, m, builtin.DetectorName, rules, set, o)
}

// NamedPluginDetectorSet is PluginDetectorSet with the detector plugin called name.
func NamedPluginDetectorSet(ctx context.Context, m *host.Manager, name string, rules []*ir.Rule, set *ir.RuleSet, o evaluator.CorrelatorOptions) (*Detector, error) {
	det, err := m.Detector(ctx, name)
	if err != nil {
		return nil, err
	}
	var corrErr error
	corrs := correlationsOver(rules, set)
	resp, err := det.LoadSet(ctx, rules, corrs, plugin.CorrelationOptions{TimeFields: o.TimeFields, MaxLateness: o.MaxLateness, MaxGroups: o.MaxGroups})
	if err != nil && len(corrs) > 0 && host.HasFailure(err, host.Unimplemented) {
		corrErr = err
		resp, err = det.Load(ctx, rules)
	}
	if err != nil {
		return nil, err
	}
	d := &Detector{ctx: ctx, det: det, Loaded: resp.Loaded, Errors: map[int]diag.List{}, CorrelationErr: corrErr}
	if len(corrs) > 0 && corrErr == nil {
		d.set = set
	}
	for _, e := range resp.Errors {
		d.Errors[e.RuleIndex] = append(d.Errors[e.RuleIndex], e.Diagnostic)
	}
	return d, nil
}

// Program is the in-process program, or nil when the detector is a plugin.
func (d *Detector) Program() *evaluator.Program { return d.prog }

// Plugin is the detector plugin, or nil when the detector runs in process.
func (d *Detector) Plugin() *host.Detector { return d.det }

// Match matches a batch of events and returns, for each, the indexes of the rules it
// matched; it has the shape of samples.MatchFunc. A plugin call runs under the context
// the detector was loaded with.
func (d *Detector) Match(events [][]byte) ([][]int, error) {
	if d.prog != nil {
		return samples.ProgramMatch(d.prog)(events)
	}
	resp, err := d.det.Match(d.ctx, events)
	if err != nil {
		return nil, err
	}
	if len(resp.Errors) > 0 {
		return nil, fmt.Errorf("event %d: %s", resp.Errors[0].Event+1, resp.Errors[0].Message)
	}
	out := make([][]int, len(events))
	for _, mt := range resp.Matches {
		out[mt.Event] = append(out[mt.Event], mt.Rule)
	}
	return out, nil
}

// correlationsOver returns the correlations of set with their rule references moved from
// set.Rules to rules (by identity); a rule not among rules becomes -1/-1, which never
// matches.
func correlationsOver(rules []*ir.Rule, set *ir.RuleSet) []*ir.Correlation {
	if set == nil || len(set.Correlations) == 0 {
		return nil
	}
	at := make(map[*ir.Rule]int, len(rules))
	for i, r := range rules {
		at[r] = i
	}
	out := make([]*ir.Correlation, len(set.Correlations))
	for i, c := range set.Correlations {
		mc := *c
		mc.Refs = make([]ir.CorrelationRef, len(c.Refs))
		for j, ref := range c.Refs {
			if ref.Rule >= 0 {
				ref.Correlation = -1
				if k, ok := at[set.Rules[ref.Rule]]; ok && set.Rules[ref.Rule] != nil {
					ref.Rule = k
				} else {
					ref.Rule = -1
				}
			}
			mc.Refs[j] = ref
		}
		out[i] = &mc
	}
	return out
}

// Correlates reports whether the detector plugin evaluates the set's correlations: scans
// then stream through it (host.ScanOptions.Correlate) and CorrelationSet names the
// alerts' correlations.
func (d *Detector) Correlates() bool { return d.set != nil }

// CorrelationSet is the set whose correlations the plugin evaluates (nil: none); an
// alert's Correlation indexes its Correlations.
func (d *Detector) CorrelationSet() *ir.RuleSet { return d.set }

// Close stops the plugin host the detector started, if any.
func (d *Detector) Close() {
	if d.m != nil {
		d.m.Close()
	}
}

// RunCorrelationSamplesWith is RunCorrelationSamples through det when its plugin evaluates
// the correlations (loaded with LoadDetectorSet from PreparedSet(s, p, set)): each sample
// sequence is a stream of its own through the plugin, with the same verdicts as in process.
// Otherwise (in process, no plugin, or a plugin that cannot) it is RunCorrelationSamples;
// with a plugin that cannot, the verdict fails with det.CorrelationErr.
func RunCorrelationSamplesWith(det *Detector, s *profile.Setup, p Prepared, set *ir.RuleSet, ci int, builtin bool, opts evaluator.CorrelatorOptions) samples.Verdict {
	if det != nil && det.CorrelationErr != nil {
		return samples.Verdict{Failures: []string{"not run: " + det.CorrelationErr.Error()}}
	}
	if det == nil || !det.Correlates() {
		return RunCorrelationSamples(s, p, set, ci, builtin, opts)
	}
	c := set.Correlations[ci]
	m, _, failed := correlationSamplesOf(s, p, set, ci, builtin)
	if failed != nil {
		return *failed
	}
	for _, ref := range c.Refs {
		if ref.Rule < 0 {
			continue
		}
		if ds := det.Errors[p.Index[ref.Rule]]; len(ds) > 0 {
			return samples.Verdict{Failures: []string{ds.Err().Error()}}
		}
	}
	// As in process: under a deployment pipeline an event is brought into the shape of each
	// log source the correlation names and observed with that log source's rules only (by
	// their index in the loaded rules), its time read from the event as it came.
	shapes := correlationShapes(p, set, c, opts)
	loaded := make([][]int, len(shapes)) // each shape's rules by their index in the loaded rules
	for j, sh := range shapes {
		for _, ri := range sh.rules {
			loaded[j] = append(loaded[j], p.Index[ri])
		}
	}
	simple := len(shapes) == 0 || (len(shapes) == 1 && shapes[0].shape.Identity())
	match := func(events [][]byte) ([][]int, error) {
		st, err := det.det.OpenStream()
		if err != nil {
			return nil, err
		}
		defer st.Close()
		out := make([][]int, len(events))
		ids := make([]string, len(events))
		at := map[string]int{}
		for i := range events {
			ids[i] = fmt.Sprint(i)
			at[ids[i]] = i
		}
		var alerts []plugin.Alert
		send := func(evs [][]byte, se host.StreamEvents, first int) error {
			resp, err := st.Match(det.ctx, evs, se)
			if err != nil {
				return err
			}
			if len(resp.Errors) > 0 {
				return fmt.Errorf("event %d: %s", first+resp.Errors[0].Event+1, resp.Errors[0].Message)
			}
			if len(resp.CorrelationErrors) > 0 {
				return fmt.Errorf("event %d: %s", first+resp.CorrelationErrors[0].Event+1, resp.CorrelationErrors[0].Message)
			}
			alerts = append(alerts, resp.Alerts...)
			return nil
		}
		if simple {
			if err := send(events, host.StreamEvents{IDs: ids}, 0); err != nil {
				return nil, err
			}
		} else {
			for i, ev := range events {
				for j, sh := range shapes {
					e, err := sh.shape.Apply(ev)
					if err != nil {
						return nil, fmt.Errorf("event %d: %v", i+1, err)
					}
					t := rawTime(ev, sh.timeField)
					if err := send([][]byte{e}, host.StreamEvents{IDs: ids[i : i+1], Times: []time.Time{t}, Rules: loaded[j]}, i); err != nil {
						return nil, err
					}
				}
			}
		}
		end, err := st.End(det.ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range append(alerts, end.Alerts...) {
			if a.Correlation == ci && len(a.Events) > 0 {
				out[at[a.Events[len(a.Events)-1].ID]] = []int{0}
			}
		}
		return out, nil
	}
	return samples.Run(m, 0, match)
}

// rawTime reads an event's time from field of the event as it came (zero when it has
// none: the plugin then reads the shaped event, and names the event if it has none either).
func rawTime(event []byte, field string) time.Time {
	fields, err := evaluator.JSONFields(event)
	if err != nil {
		return time.Time{}
	}
	ts, _ := fields(field)
	t, _ := evaluator.ParseTime(ts)
	return t
}
