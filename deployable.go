package sigmabridge

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// ConvertItems converts like Convert and also returns, for each result that converted, the
// formats.Item a deployable format renders (nil for the others): the rule as its pipelines
// and profile left it, its place in the rule tree (sources, by rule path) and its queries.
// With macros set the queries are rendered with formats.MacroIndex as their only index and
// no sourcetype or source: a Splunk format puts the Deployment's in a macro of the rule's
// log source, which takes the placeholder's place, so the query combines it exactly as the
// backend combines an index.
func ConvertItems(ctx context.Context, b backends.Backend, s *profile.Setup, rules []*ir.Rule, sources map[string]string, macros bool) ([]Result, []*formats.Item, error) {
	rec := &recorder{Backend: b, macros: macros, prepared: map[string]*ir.Rule{}}
	results, _, err := Convert(ctx, rec, s, rules)
	if err != nil {
		return nil, nil, err
	}
	items := make([]*formats.Item, len(results))
	for i, res := range results {
		if res.Failed || len(res.Inactive) > 0 {
			continue
		}
		p := rec.get(res.Rule)
		if p == nil {
			return nil, nil, fmt.Errorf("%s: the backend converted a rule it was not given", res.Rule.Path)
		}
		items[i] = &formats.Item{Rule: p, Source: sources[res.Rule.Path], Queries: res.Queries}
	}
	return results, items, nil
}

// recorder is a backend that keeps the prepared rules it converts, and with macros set
// converts them with the macro placeholder for index, sourcetype and source.
type recorder struct {
	backends.Backend
	macros   bool
	mu       sync.Mutex
	prepared map[string]*ir.Rule
}

func ruleKey(r *ir.Rule) string { return fmt.Sprintf("%s\x00%d", r.Path, r.Doc) }

func (c *recorder) Convert(r *ir.Rule) ([]backends.Query, diag.List) {
	c.mu.Lock()
	c.prepared[ruleKey(r)] = r
	c.mu.Unlock()
	if c.macros {
		r = r.Clone()
		r.Deployment.Index, r.Deployment.Sourcetype, r.Deployment.Source = []string{formats.MacroIndex}, nil, nil
	}
	return c.Backend.Convert(r)
}

func (c *recorder) get(r *ir.Rule) *ir.Rule {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prepared[ruleKey(r)]
}

// RuleSources maps each rule file's path to its path inside its rule tree, slash-separated:
// below the directory argument it was found in, the base name of a file argument, and
// below rules/ for the built-in pack (paths empty). These are the only names a --per-rule
// output is built from.
func RuleSources(paths []string, files []ruleset.File) map[string]string {
	out := make(map[string]string, len(files))
	for _, f := range files {
		if f.FS != nil {
			out[f.Path] = strings.TrimPrefix(f.Path, BuiltinPrefix+"/")
			continue
		}
		rel := filepath.Base(f.Path)
		for _, p := range paths {
			if filepath.Clean(p) == filepath.Clean(f.Path) {
				break
			}
			if r, err := filepath.Rel(p, f.Path); err == nil && filepath.IsLocal(r) {
				rel = r
				break
			}
		}
		out[f.Path] = filepath.ToSlash(rel)
	}
	return out
}

// ConvertCorrelationItems renders every correlation of set with b (as ConvertCorrelations
// does) and returns, for each that converted, the formats.Item a deployable format renders:
// the correlation as a rule (formats.CorrelationRule), its place in the rule tree, its
// queries, and the prepared rules it names (Bases), which feed it and are not deployed on
// their own. With macros set, the k-th named rule is rendered with formats.CorrMacroIndex(k)
// as its only index and no sourcetype or source, so that a Splunk format puts that rule's
// log source macro in its place.
func ConvertCorrelationItems(b backends.Backend, s *profile.Setup, set *ir.RuleSet, sources map[string]string, macros bool) ([]CorrelationResult, []*formats.Item) {
	prep := Prepare(s, set.Rules)
	mapped, mdiags := PrepareCorrelations(s, set)
	out := make([]CorrelationResult, len(set.Correlations))
	items := make([]*formats.Item, len(set.Correlations))
	for i, c := range set.Correlations {
		res := CorrelationResult{Corr: c, Diags: mdiags[i]}
		if mapped[i] != nil {
			c = mapped[i]
		}
		bases := make([]*ir.Rule, len(c.Refs))
		rules := make([]*ir.Rule, len(c.Refs))
		for j, ref := range c.Refs {
			if ref.Rule < 0 {
				continue
			}
			p := prep.Index[ref.Rule]
			if p < 0 {
				res.Diags = append(res.Diags, prep.Diags[ref.Rule]...)
				res.Diags = append(res.Diags, backends.CorrDiag(c, b.Name(), diag.PipelineUnsupported, "the pipelines failed rule %q, which it names", ref.Name))
				continue
			}
			bases[j], rules[j] = prep.Rules[p], prep.Rules[p]
			if macros {
				r := prep.Rules[p].Clone()
				r.Deployment.Index, r.Deployment.Sourcetype, r.Deployment.Source = []string{formats.CorrMacroIndex(j)}, nil, nil
				rules[j] = r
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
		} else {
			items[i] = &formats.Item{Rule: formats.CorrelationRule(c), Source: sources[c.Path], Queries: res.Queries, Correlation: c, Bases: bases}
		}
		out[i] = res
	}
	return out, items
}
