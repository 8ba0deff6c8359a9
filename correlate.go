package sigmabridge

import (
	"fmt"
	"path"
	"slices"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/samples"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
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
	out, _ := ConvertCorrelationItems(b, s, set, nil, false)
	return out
}

// PreparedSet returns set with its rules replaced by their prepared form p (nil where the
// pipelines failed or left a rule inactive), so rule indexes still name set.Rules, and its
// correlations' fields mapped through s (PrepareCorrelations: one that cannot be mapped
// keeps its fields as written, and its diagnostics are returned).
func PreparedSet(s *profile.Setup, p Prepared, set *ir.RuleSet) (*ir.RuleSet, []diag.List) {
	out := &ir.RuleSet{Rules: make([]*ir.Rule, len(set.Rules)), Filters: set.Filters}
	for i := range set.Rules {
		if j := p.Index[i]; j >= 0 && p.Needs(set.Rules[i]) == nil {
			out.Rules[i] = p.Rules[j]
		}
	}
	mapped, diags := PrepareCorrelations(s, set)
	for i, c := range set.Correlations {
		if mapped[i] != nil {
			c = mapped[i]
		}
		out.Correlations = append(out.Correlations, c)
	}
	return out, diags
}

// Correlate matches one event (a JSON object) with prog, compiled from the rules of the
// set k was made for, and feeds its matches to k. id names the event in alerts. An event
// that feeds a correlation must carry its log source's time field.
func Correlate(prog *evaluator.Program, k *evaluator.Correlator, id string, event []byte) ([]evaluator.Match, []evaluator.Alert, error) {
	ms, err := prog.MatchJSON(event)
	if err != nil {
		return nil, nil, err
	}
	var rules []int
	for _, m := range ms {
		rules = append(rules, m.RuleIndex)
	}
	as, err := Observe(k, id, event, rules)
	return ms, as, err
}

// Observe feeds one event (a JSON object) that matched rules (indexes into the set k was
// made for) to k. Its time is read from the time field of the first matched rule that a
// correlation names; an event no correlation needs is not decoded, and one that is has
// only the fields the correlations read extracted.
func Observe(k *evaluator.Correlator, id string, event []byte, rules []int) ([]evaluator.Alert, error) {
	field := timeFieldOf(k, rules)
	if field == "" {
		return nil, nil
	}
	fields, err := k.Extract(event)
	if err != nil {
		return nil, err
	}
	return ObserveFields(k, id, fields, rules)
}

// ObserveFields is Observe on an event already decoded: fields reads it (a Matcher's
// Fields, when its Program has the correlations' fields: Program.CorrelationFields).
func ObserveFields(k *evaluator.Correlator, id string, fields evaluator.Fields, rules []int) ([]evaluator.Alert, error) {
	field := timeFieldOf(k, rules)
	if field == "" {
		return nil, nil
	}
	ts, _ := fields(field)
	t, ok := evaluator.ParseTime(ts)
	if !ok {
		return nil, fmt.Errorf("%s: the time field %s is missing or not a time (%q)", id, field, ts)
	}
	return k.Observe(evaluator.Event{Time: t, ID: id, Fields: fields}, rules), nil
}

// RunCorrelationSamples runs the samples of set.Correlations[ci]: each sample file is one
// sequence of events, in order, through the prepared rules (in process) and a fresh
// correlator; a match sample must raise an alert of the correlation, a no_match one none.
func RunCorrelationSamples(s *profile.Setup, p Prepared, set *ir.RuleSet, ci int, builtin bool, opts evaluator.CorrelatorOptions) samples.Verdict {
	c := set.Correlations[ci]
	m, ps, failed := correlationSamplesOf(s, p, set, ci, builtin)
	if failed != nil {
		return *failed
	}
	prog, errs := evaluator.Compile(ps.Rules)
	for _, e := range errs {
		for _, ref := range c.Refs {
			if ref.Rule == e.Index {
				return samples.Verdict{Failures: []string{e.Error()}}
			}
		}
	}
	// Under a deployment pipeline each named rule reads the deployment's field names, so an
	// event is brought into the shape of each log source the correlation names (as
	// RunSamples does for one rule) and observed with the rules of that log source only.
	shapes := correlationShapes(p, set, c, opts)
	match := func(events [][]byte) ([][]int, error) {
		k := evaluator.NewCorrelator(ps, opts)
		out := make([][]int, len(events))
		ids := map[string]int{}
		var alerts []evaluator.Alert
		for i, ev := range events {
			id := fmt.Sprint(i)
			ids[id] = i
			if len(shapes) == 0 || (len(shapes) == 1 && shapes[0].shape.Identity()) {
				_, as, err := Correlate(prog, k, id, ev)
				if err != nil {
					return nil, fmt.Errorf("event %d: %v", i+1, err)
				}
				alerts = append(alerts, as...)
				continue
			}
			for _, sh := range shapes {
				e, err := sh.shape.Apply(ev)
				if err != nil {
					return nil, fmt.Errorf("event %d: %v", i+1, err)
				}
				ms, err := prog.MatchJSON(e)
				if err != nil {
					return nil, fmt.Errorf("event %d: %v", i+1, err)
				}
				var rules []int
				for _, m := range ms {
					if slices.Contains(sh.rules, m.RuleIndex) {
						rules = append(rules, m.RuleIndex)
					}
				}
				if len(rules) == 0 {
					continue
				}
				as, err := observeShaped(k, id, ev, e, rules)
				if err != nil {
					return nil, fmt.Errorf("event %d: %v", i+1, err)
				}
				alerts = append(alerts, as...)
			}
		}
		alerts = append(alerts, k.Flush()...)
		for _, a := range alerts {
			if a.Correlation == ci && len(a.Events) > 0 {
				j := ids[a.Events[len(a.Events)-1].ID]
				out[j] = []int{0}
			}
		}
		return out, nil
	}
	return samples.Run(m, 0, match)
}

// observeShaped is Observe on an event brought into a deployment's shape (shaped, from raw):
// the correlations' fields are read from the shaped event, as the pipeline maps them, but the
// time from the event as it came, since the time field is named as the log source writes it
// (evaluator.DefaultTimeFields), not as the deployment does (a Splunk add-on may move it
// under data.).
func observeShaped(k *evaluator.Correlator, id string, raw, shaped []byte, rules []int) ([]evaluator.Alert, error) {
	tf := timeFieldOf(k, rules)
	if tf == "" {
		return nil, nil
	}
	// The extractor reuses its buffers: read the time before extracting the shaped event.
	rf, err := k.Extract(raw)
	if err != nil {
		return nil, err
	}
	ts, tok := rf(tf)
	sf, err := k.Extract(shaped)
	if err != nil {
		return nil, err
	}
	return ObserveFields(k, id, func(path string) (string, bool) {
		if path == tf {
			return ts, tok
		}
		return sf(path)
	}, rules)
}

// PrepareCorrelations maps the fields each correlation of set reads (group-by, aliases,
// field) through s in the context of each rule it names, as the pipelines map the rule's
// own fields: each field is sent through the pipelines as an exists-test of a copy of the
// rule, and must come back as exactly one field. A mapped group-by field becomes an alias
// (one field per rule); a mapped `field` must be the same for every rule. The result is
// indexed like set.Correlations: nil, with diagnostics, for a correlation that cannot be
// mapped (or names a correlation, which keeps its fields as written).
func PrepareCorrelations(s *profile.Setup, set *ir.RuleSet) ([]*ir.Correlation, []diag.List) {
	out := make([]*ir.Correlation, len(set.Correlations))
	diags := make([]diag.List, len(set.Correlations))
	for ci, c := range set.Correlations {
		mc := *c
		mc.Aliases = map[string]map[string]string{}
		ok := true
		mapped := func(ref int, field string) string {
			r := set.Rules[c.Refs[ref].Rule].Clone()
			r.Conditions = []ir.Node{&ir.Exists{Field: field}}
			o := s.Apply(r)
			var found []string
			if !o.Failed() && len(o.Inactive) == 0 {
				collectExists(o.Rule.Conditions[0], &found)
			}
			if len(found) != 1 {
				ok = false
				diags[ci] = append(diags[ci], diag.Diagnostic{Path: c.Path, Line: c.Line, RuleID: c.ID, Code: diag.PipelineError,
					Message: fmt.Sprintf("%s: the pipelines map field %s of rule %q to %d fields (%v); a correlation needs exactly one", c.Label(), field, c.Refs[ref].Name, len(found), found)})
				return field
			}
			return found[0]
		}
		chained := false
		for _, r := range c.Refs {
			chained = chained || r.Rule < 0
		}
		if chained {
			out[ci] = c
			continue
		}
		for _, g := range c.GroupBy {
			per := map[string]string{}
			for i, ref := range c.Refs {
				per[ref.Name] = mapped(i, c.FieldFor(i, g))
			}
			mc.Aliases[g] = per
		}
		if c.Field != "" {
			for i := range c.Refs {
				f := mapped(i, c.Field)
				if i == 0 {
					mc.Field = f
				} else if f != mc.Field {
					ok = false
					diags[ci] = append(diags[ci], diag.Diagnostic{Path: c.Path, Line: c.Line, RuleID: c.ID, Code: diag.PipelineError,
						Message: fmt.Sprintf("%s: the pipelines map field %s to %s and %s in different rules; the aggregated field must be one", c.Label(), c.Field, mc.Field, f)})
				}
			}
		}
		if ok {
			out[ci] = &mc
		}
	}
	return out, diags
}

func collectExists(n ir.Node, out *[]string) {
	if e, ok := n.(*ir.Exists); ok {
		*out = append(*out, e.Field)
	}
	for _, ch := range ir.Children(n) {
		collectExists(ch, out)
	}
}

// timeFieldOf is the time field of the first of rules that a correlation names, or "" when
// none is: the field an event's time is read from.
func timeFieldOf(k *evaluator.Correlator, rules []int) string {
	for _, r := range rules {
		if k.Relevant(r) {
			return k.TimeField(r)
		}
	}
	return ""
}

// correlationSamplesOf finds the samples of set.Correlations[ci] and prepares the set for
// them, or returns the failing verdict: no manifest, one for another rule, or a rule the
// correlation names that the pipelines failed.
func correlationSamplesOf(s *profile.Setup, p Prepared, set *ir.RuleSet, ci int, builtin bool) (*samples.Manifest, *ir.RuleSet, *samples.Verdict) {
	fail := func(msg string) (*samples.Manifest, *ir.RuleSet, *samples.Verdict) {
		return nil, nil, &samples.Verdict{Failures: []string{msg}}
	}
	c := set.Correlations[ci]
	m, err := RuleManifest(&ir.Rule{Path: c.Path, ID: c.ID}, builtin)
	switch {
	case err != nil:
		return fail(err.Error())
	case m == nil:
		return fail(fmt.Sprintf("%s: no samples (expected %s in a directory named like the rule, or in testdata/rules/)", c.Path, samples.ManifestName))
	case m.RuleID != "" && m.RuleID != c.ID:
		return fail(fmt.Sprintf("%s: the manifest is for rule %s, not %s", path.Join(m.Display, samples.ManifestName), m.RuleID, c.ID))
	}
	ps, mdiags := PreparedSet(s, p, set)
	if mdiags[ci].HasErrors() {
		return fail(mdiags[ci].Err().Error())
	}
	for _, ref := range c.Refs {
		if ref.Rule >= 0 && ps.Rules[ref.Rule] == nil {
			return fail(fmt.Sprintf("not run: the pipeline failed rule %q, which the correlation names", ref.Name))
		}
	}
	return m, ps, nil
}

// logsourceShape is one log source a correlation names, under a deployment pipeline: the
// shape its events are brought into (pipeline.Shape), the correlation's rules of that log
// source (indexes in the rule set), and the event-time field read from the event as it came.
type logsourceShape struct {
	shape     *pipeline.Shape
	rules     []int
	timeField string
}

// correlationShapes groups the rules c names by log source, in the order they are named.
func correlationShapes(p Prepared, set *ir.RuleSet, c *ir.Correlation, opts evaluator.CorrelatorOptions) []logsourceShape {
	var shapes []logsourceShape
	byLogsource := map[ir.Logsource]int{}
	for _, ref := range c.Refs {
		if ref.Rule < 0 {
			continue
		}
		r := set.Rules[ref.Rule]
		j, ok := byLogsource[r.Logsource]
		if !ok {
			j = len(shapes)
			byLogsource[r.Logsource] = j
			shapes = append(shapes, logsourceShape{shape: p.Shape(r), timeField: opts.TimeField(r.Logsource)})
		}
		shapes[j].rules = append(shapes[j].rules, ref.Rule)
	}
	return shapes
}
