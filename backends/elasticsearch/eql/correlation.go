package eql

import (
	"fmt"
	"strings"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// CorrelationTypes: temporal_ordered only, as a sequence. EQL has no unordered join, and
// its sequences do not count or aggregate.
func (Backend) CorrelationTypes() []ir.CorrelationType {
	return []ir.CorrelationType{ir.TemporalOrdered}
}

// ConvertCorrelation renders temporal_ordered as `sequence with maxspan=<t>` with one
// bracketed query per rule, each with its own `by` fields (aliases), and `!= null` on
// every join field so an event without one joins nothing, as in the evaluator.
//
// EQL sequences differ from the evaluator in one way, which the output does not hide:
// a sequence consumes its events, so a, b, b gives one sequence where the evaluator
// reports both windows that end with a b.
func (Backend) ConvertCorrelation(c *ir.Correlation, rules []*ir.Rule) ([]backends.Query, diag.List) {
	var diags diag.List
	var b strings.Builder
	fmt.Fprintf(&b, "sequence with maxspan=%ds", int64(c.Timespan.Seconds()))
	for i, r := range rules {
		q, ds := backends.OneCondition(Backend{}, c, r)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		var by, notNull []string
		for _, g := range c.GroupBy {
			f := field(c.FieldFor(i, g))
			by = append(by, f)
			notNull = append(notNull, f+" != null")
		}
		text := q.Text
		if len(notNull) > 0 {
			cat, cond, _ := strings.Cut(text, " where ")
			text = cat + " where (" + cond + ") and " + strings.Join(notNull, " and ")
		}
		b.WriteString(" [" + text + "]")
		if len(by) > 0 {
			b.WriteString(" by " + strings.Join(by, ", "))
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return []backends.Query{{Text: b.String()}}, diags
}
