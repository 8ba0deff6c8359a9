package splunk

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/splunk/splfields"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// CorrelationTypes: every type but value_percentile, whose nearest-rank definition
// (translator/evaluator/correlate.go) no Splunk percentile function is documented to
// compute.
func (Backend) CorrelationTypes() []ir.CorrelationType {
	return []ir.CorrelationType{ir.EventCount, ir.ValueCount, ir.Temporal, ir.TemporalOrdered, ir.ValueSum, ir.ValueAvg}
}

// ConvertCorrelation renders a correlation as one search: the named rules' searches in a
// multisearch (or one search), each event tagged with its rule in sigma_rule, the group-by
// fields (per rule for aliases) in sb_g0, sb_g1..., events without them dropped, then the
// events in time order through streamstats with a time_window of the timespan, so each
// event closes its own trailing window (exact, no fixed buckets). temporal_ordered carries
// the latest possible start of the chain from rule to rule with streamstats last().
func (Backend) ConvertCorrelation(c *ir.Correlation, rules []*ir.Rule) ([]backends.Query, diag.List) {
	var diags diag.List
	var subs []string
	for i, r := range rules {
		q, ds := backends.OneCondition(Backend{}, c, r)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		subs = append(subs, q.Text+" | eval sigma_rule="+quote(c.Refs[i].Name))
	}
	fields := append([]string{}, c.GroupBy...)
	for _, a := range c.Aliases {
		for _, f := range a {
			fields = append(fields, f)
		}
	}
	if c.Field != "" {
		fields = append(fields, c.Field)
	}
	for _, f := range fields {
		if p := fieldNameProblem(f); p != "" {
			diags = append(diags, backends.CorrDiag(c, Target, diag.UnsupportedFieldName, "field %q %s", f, p))
		}
	}
	if len(rules) > 0 && rules[0].Deployment.Mapping != nil {
		// convert --fields: a correlation field must be extracted under its own name. One
		// only extracted with {} is an array's values, which a group-by or value field
		// does not take as one value.
		m := rules[0].Deployment.Mapping
		for _, f := range fields {
			out, code, msg := splfields.Resolve(&ir.Exists{Field: f}, m)
			switch {
			case code != "":
				diags = append(diags, backends.CorrDiag(c, Target, code, "correlation field %s: %s", f, msg))
			case ir.Field(out) != f:
				diags = append(diags, backends.CorrDiag(c, Target, diag.FieldsFieldType, "correlation field %s: the description lists it only as the array field %s, whose several values a group-by or value field does not take as one (fields %s)", f, ir.Field(out), m.Source))
			}
		}
	}
	for _, ref := range c.Refs {
		if !searchSafeText(ref.Name, false) {
			diags = append(diags, backends.CorrDiag(c, Target, diag.UnsupportedValue, "rule name %q cannot be written in SPL", ref.Name))
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	var b strings.Builder
	if len(subs) == 1 {
		b.WriteString(subs[0])
	} else {
		b.WriteString("| multisearch")
		for _, s := range subs {
			b.WriteString(" [search " + s + "]")
		}
	}
	var by []string
	for gi, g := range c.GroupBy {
		name := fmt.Sprintf("sb_g%d", gi)
		by = append(by, name)
		if _, ok := c.Aliases[g]; ok {
			var cases []string
			for i, ref := range c.Refs {
				cases = append(cases, "sigma_rule="+quote(ref.Name), fieldRef(c.FieldFor(i, g)))
			}
			fmt.Fprintf(&b, " | eval %s=case(%s)", name, strings.Join(cases, ", "))
		} else {
			fmt.Fprintf(&b, " | eval %s=%s", name, fieldRef(g))
		}
		fmt.Fprintf(&b, " | where isnotnull(%s)", name)
	}
	switch c.Type {
	case ir.ValueCount:
		fmt.Fprintf(&b, " | eval sb_f=%s | where isnotnull(sb_f)", fieldRef(c.Field))
	case ir.ValueSum, ir.ValueAvg:
		fmt.Fprintf(&b, " | eval sb_f=%s | where isnum(sb_f)", fieldRef(c.Field))
	}
	b.WriteString(" | sort 0 _time")
	byClause := ""
	if len(by) > 0 {
		byClause = " by " + strings.Join(by, " ")
	}
	span := strconv.FormatInt(int64(c.Timespan.Seconds()), 10)
	window := fmt.Sprintf(" | streamstats time_window=%ss ", span)
	switch c.Type {
	case ir.EventCount:
		b.WriteString(window + "count as sb_value" + byClause)
	case ir.ValueCount:
		b.WriteString(window + "dc(sb_f) as sb_value" + byClause)
	case ir.ValueSum:
		b.WriteString(window + "sum(sb_f) as sb_value" + byClause)
	case ir.ValueAvg:
		b.WriteString(window + "avg(sb_f) as sb_value" + byClause)
	case ir.Temporal:
		b.WriteString(window + "dc(sigma_rule) as sb_value" + byClause)
	case ir.TemporalOrdered:
		prev := ""
		for i, ref := range c.Refs {
			cond := "sigma_rule=" + quote(ref.Name)
			val := "_time"
			if prev != "" {
				cond += " AND isnotnull(" + prev + ")"
				val = prev
			}
			fmt.Fprintf(&b, " | eval sb_s%d=if(%s, %s, null())", i, cond, val)
			if i < len(c.Refs)-1 {
				prev = fmt.Sprintf("sb_p%d", i)
				fmt.Fprintf(&b, " | streamstats current=f last(sb_s%d) as %s%s", i, prev, byClause)
			}
		}
		last := len(c.Refs) - 1
		fmt.Fprintf(&b, " | where isnotnull(sb_s%d) AND _time-sb_s%d<=%s | eval sb_value=%d", last, last, span, len(c.Refs))
		return []backends.Query{{Text: b.String()}}, diags
	}
	var conds []string
	for _, t := range c.Condition.Terms() {
		op := map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "="}[t[0]]
		conds = append(conds, "sb_value"+op+t[1])
	}
	b.WriteString(" | where " + strings.Join(conds, " AND "))
	return []backends.Query{{Text: b.String()}}, diags
}
