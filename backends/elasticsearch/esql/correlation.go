package esql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TimeField is the event time ES|QL correlations read (ECS).
const TimeField = "@timestamp"

// CorrelationTypes: the counting types over one rule. ES|QL has no window functions; the
// exact trailing windows are built by a self-join inside each group (below), which needs
// to know each event's rule only when there is one rule. value_percentile is refused
// because ES|QL's PERCENTILE is approximate.
func (Backend) CorrelationTypes() []ir.CorrelationType {
	return []ir.CorrelationType{ir.EventCount, ir.ValueCount, ir.ValueSum, ir.ValueAvg}
}

// ConvertCorrelation renders an event_count, value_count, value_sum or value_avg
// correlation over one rule as exact sliding windows: the group's events are collected
// with VALUES into keys "<epoch ms>|<value length>|<value>|<_id>", expanded twice into
// every (window end, event) pair, the pairs kept whose event lies in the closed trailing
// timespan of the end, and the condition checked per end. Its cost is quadratic in the
// events of one group over the searched range; it fixes no bucket.
func (Backend) ConvertCorrelation(c *ir.Correlation, rules []*ir.Rule) ([]backends.Query, diag.List) {
	if len(rules) != 1 {
		return nil, diag.List{backends.CorrDiag(c, Target, diag.UnsupportedCorrelation,
			"names %d rules: ES|QL cannot count an event that matches several rules once per rule in one pass", len(rules))}
	}
	q, diags := backends.OneCondition(Backend{}, c, rules[0])
	if diags.HasErrors() {
		return nil, diags
	}
	from, cond, ok := strings.Cut(q.Text, " | WHERE ")
	if !ok {
		return nil, append(diags, backends.CorrDiag(c, Target, diag.UnsupportedCorrelation, "the rule's query has no WHERE"))
	}
	from = strings.Replace(from, " METADATA _id, _index, _version", " METADATA _id", 1)
	var b strings.Builder
	b.WriteString(from + " | WHERE (" + cond + ")")
	var by []string
	for gi, g := range c.GroupBy {
		f := field(c.FieldFor(0, g))
		fmt.Fprintf(&b, " AND %s IS NOT NULL", f)
		by = append(by, fmt.Sprintf("sb_g%d = %s", gi, f))
	}
	value := `""`
	if c.Field != "" {
		fmt.Fprintf(&b, " AND %s IS NOT NULL", field(c.Field))
		value = "TO_STRING(" + field(c.Field) + ")"
	}
	fmt.Fprintf(&b, " | EVAL sb_v = %s | EVAL sb_k = CONCAT(TO_STRING(TO_LONG(%s)), \"|\", TO_STRING(LENGTH(sb_v)), \"|\", sb_v, \"|\", _id)", value, field(TimeField))
	var groups []string
	if len(by) > 0 {
		b.WriteString(" | EVAL " + strings.Join(by, ", "))
		for gi := range c.GroupBy {
			groups = append(groups, fmt.Sprintf("sb_g%d", gi))
		}
	}
	byClause := ""
	if len(groups) > 0 {
		byClause = " BY " + strings.Join(groups, ", ")
	}
	ms := strconv.FormatInt(c.Timespan.Milliseconds(), 10)
	b.WriteString(" | STATS sb_k = VALUES(sb_k)" + byClause)
	b.WriteString(" | EVAL sb_e = sb_k | MV_EXPAND sb_e | MV_EXPAND sb_k")
	b.WriteString(` | EVAL sb_te = TO_LONG(MV_FIRST(SPLIT(sb_e, "|"))), sb_tk = TO_LONG(MV_FIRST(SPLIT(sb_k, "|"))), sb_n = MV_SLICE(SPLIT(sb_k, "|"), 1, 1)`)
	b.WriteString(" | WHERE sb_tk <= sb_te AND sb_tk >= sb_te - " + ms)
	b.WriteString(` | EVAL sb_v = SUBSTRING(sb_k, LENGTH(MV_FIRST(SPLIT(sb_k, "|"))) + LENGTH(sb_n) + 3, TO_INTEGER(sb_n))`)
	agg := map[ir.CorrelationType]string{ir.EventCount: "COUNT(*)", ir.ValueCount: "COUNT_DISTINCT(sb_v)",
		ir.ValueSum: "SUM(TO_DOUBLE(sb_v))", ir.ValueAvg: "AVG(TO_DOUBLE(sb_v))"}[c.Type]
	endBy := append(append([]string{}, groups...), "sb_e")
	b.WriteString(" | STATS sb_value = " + agg + " BY " + strings.Join(endBy, ", "))
	var conds []string
	for _, t := range c.Condition.Terms() {
		op := map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=="}[t[0]]
		conds = append(conds, "sb_value "+op+" "+t[1])
	}
	b.WriteString(" | WHERE " + strings.Join(conds, " AND "))
	b.WriteString(` | EVAL sb_end = TO_DATETIME(TO_LONG(MV_FIRST(SPLIT(sb_e, "|"))))`)
	b.WriteString(" | KEEP sb_end, " + strings.Join(append(groups, "sb_value"), ", ") + " | SORT sb_end | LIMIT 10000")
	return []backends.Query{{Text: b.String()}}, diags
}
