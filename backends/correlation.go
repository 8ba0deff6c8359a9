package backends

import (
	"fmt"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Correlator is a Backend that renders correlation rules.
type Correlator interface {
	Backend
	// CorrelationTypes lists the types the target renders exactly (some may still be
	// refused for a particular rule: several rules, aliases, a chain).
	CorrelationTypes() []ir.CorrelationType
	// ConvertCorrelation renders c over its named rules (already through the pipeline,
	// rules[i] for c.Refs[i]; nil for a ref to another correlation) as one query, or
	// reports why it cannot with Target class diagnostics.
	ConvertCorrelation(c *ir.Correlation, rules []*ir.Rule) ([]Query, diag.List)
}

// CorrDiag builds an Error diagnostic for correlation c on the given target.
func CorrDiag(c *ir.Correlation, target string, code diag.Code, format string, args ...any) diag.Diagnostic {
	return diag.Diagnostic{Path: c.Path, Line: c.Line, RuleID: c.ID, Target: target, Code: code,
		Message: c.Label() + ": " + fmt.Sprintf(format, args...)}
}

// ConvertCorrelation renders c with b, or gives one unsupported-correlation diagnostic
// when b does not render correlations or not this type, and the diagnostics of the named
// rules when one of them is missing.
func ConvertCorrelation(b Backend, c *ir.Correlation, rules []*ir.Rule) ([]Query, diag.List) {
	cb, ok := b.(Correlator)
	if !ok {
		return nil, diag.List{CorrDiag(c, b.Name(), diag.UnsupportedCorrelation, "target %s does not render correlation rules", b.Name())}
	}
	supported := false
	for _, t := range cb.CorrelationTypes() {
		supported = supported || t == c.Type
	}
	if !supported {
		return nil, diag.List{CorrDiag(c, b.Name(), diag.UnsupportedCorrelation, "target %s cannot express %s correlations exactly", b.Name(), c.Type)}
	}
	for i, r := range c.Refs {
		if r.Correlation >= 0 || i >= len(rules) || rules[i] == nil {
			return nil, diag.List{CorrDiag(c, b.Name(), diag.UnsupportedCorrelation, "names correlation %q: chained correlations are evaluated by scan and test, not rendered as one query", r.Name)}
		}
	}
	return cb.ConvertCorrelation(c, rules)
}

// OneCondition returns the single query of rule r rendered by b, or a diagnostic: a rule
// named by a correlation must have one condition.
func OneCondition(b Backend, c *ir.Correlation, r *ir.Rule) (Query, diag.List) {
	qs, ds := b.Convert(r)
	if ds.HasErrors() {
		return Query{}, ds
	}
	if len(qs) != 1 {
		return Query{}, append(ds, CorrDiag(c, b.Name(), diag.UnsupportedCorrelation, "rule %q has %d conditions; a rule named by a correlation needs one", r.Title, len(qs)))
	}
	return qs[0], ds
}

// RefRules returns the rules a correlation names, in Refs order (nil for a correlation).
func RefRules(set *ir.RuleSet, c *ir.Correlation) []*ir.Rule {
	out := make([]*ir.Rule, len(c.Refs))
	for i, r := range c.Refs {
		if r.Rule >= 0 {
			out[i] = set.Rules[r.Rule]
		}
	}
	return out
}
