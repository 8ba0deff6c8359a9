package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// conditionSet is one of an item's three condition groups (rule, detection item, field name):
// conditions linked by `and` (default) or `or`, or by a boolean expression over their names,
// optionally negated.
type conditionSet[C any] struct {
	conds []C
	// names are the identifiers of the conditions when they were given as a mapping.
	names []string
	expr  *boolExpr
	or    bool
	not   bool
}

func (s conditionSet[C]) eval(f func(C) bool) bool {
	var res bool
	switch {
	case s.expr != nil:
		res = s.expr.eval(func(i int) bool { return f(s.conds[i]) })
	case s.or:
		res = slices.ContainsFunc(s.conds, f)
	default:
		res = true
		for _, c := range s.conds {
			if !f(c) {
				res = false
				break
			}
		}
	}
	if s.not {
		res = !res
	}
	return res
}

// ruleCondition decides whether an item applies to a rule.
type ruleCondition interface {
	matchRule(ctx *applyCtx) bool
}

// detectionCondition decides whether an item applies to a detection item (a leaf node).
type detectionCondition interface {
	matchItem(ctx *applyCtx, leaf ir.Node) bool
}

// fieldCondition decides whether an item applies to a field name; for a detection item it
// matches the item's field or the field a FieldRef refers to.
type fieldCondition interface {
	matchField(ctx *applyCtx, field string) bool
	matchItem(ctx *applyCtx, leaf ir.Node) bool
}

// ---- rule conditions ----

// logsourceCondition matches when every logsource attribute it names equals the rule's.
type logsourceCondition struct {
	category, product, service *string
}

func (c logsourceCondition) matchRule(ctx *applyCtx) bool {
	return matchLogsource(c, ctx.rule.Logsource)
}

func matchLogsource(c logsourceCondition, ls ir.Logsource) bool {
	eq := func(want *string, have string) bool { return want == nil || *want == have }
	return eq(c.category, ls.Category) && eq(c.product, ls.Product) && eq(c.service, ls.Service)
}

// containsFieldCondition matches when some detection item reads the field.
type containsFieldCondition struct{ field string }

func (c containsFieldCondition) matchRule(ctx *applyCtx) bool {
	found := false
	for _, t := range ctx.rule.Conditions {
		if t == nil {
			continue
		}
		ir.Inspect(t, func(n ir.Node) bool {
			if isLeaf(n) && ir.Field(n) == c.field {
				found = true
			}
			return !found
		})
	}
	return found
}

// containsItemCondition matches when some detection item compares the field with the value.
type containsItemCondition struct {
	field string
	value scalar
}

func (c containsItemCondition) matchRule(ctx *applyCtx) bool {
	found := false
	for _, t := range ctx.rule.Conditions {
		if t == nil {
			continue
		}
		ir.Inspect(t, func(n ir.Node) bool {
			if m, ok := n.(*ir.Match); ok && m.Field == c.field && c.value.equalsMatch(m) {
				found = true
			}
			return !found
		})
	}
	return found
}

// appliedRuleCondition matches when the item with the id was applied to the rule.
type appliedRuleCondition struct{ id string }

func (c appliedRuleCondition) matchRule(ctx *applyCtx) bool { return ctx.applied[c.id] }

// stateCondition compares a pipeline state value (set_state) with a value. It serves as a rule,
// detection item and field name condition.
type stateCondition struct {
	key string
	val any
	op  string
}

func (c stateCondition) match(ctx *applyCtx) bool {
	have, ok := ctx.rule.Deployment.Get(c.key)
	if !ok {
		return false
	}
	return compareValues(have, c.val, c.op)
}

func (c stateCondition) matchRule(ctx *applyCtx) bool            { return c.match(ctx) }
func (c stateCondition) matchItem(ctx *applyCtx, _ ir.Node) bool { return c.match(ctx) }
func (c stateCondition) matchField(ctx *applyCtx, _ string) bool { return c.match(ctx) }
func (c constCondition) matchRule(*applyCtx) bool                { return bool(c) }
func (c tagCondition) matchRule(ctx *applyCtx) bool              { return slices.Contains(ctx.rule.Tags, string(c)) }
func (c attributeCondition) matchRule(ctx *applyCtx) bool        { return c.match(ctx.rule) }
func (c appliedItemCondition) matchItem(ctx *applyCtx, n ir.Node) bool {
	return ctx.nodeApplied[n][c.id]
}

// constCondition is is_sigma_rule (true) or is_sigma_correlation_rule (false) for a rule.
type constCondition bool

// tagCondition matches a rule carrying the tag.
type tagCondition string

// attributeCondition compares a rule attribute (or custom attribute) with a value.
type attributeCondition struct {
	attribute string
	value     any
	op        string
}

var levelOrder = map[string]int{"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
var statusOrder = map[string]int{"unsupported": 1, "deprecated": 2, "experimental": 3, "test": 4, "stable": 5}

func (c attributeCondition) match(r *ir.Rule) bool {
	var have any
	switch c.attribute {
	case "id":
		have = r.ID
	case "name":
		have = r.Name
	case "title":
		have = r.Title
	case "description":
		have = r.Description
	case "author":
		have = r.Author
	case "tags":
		have = toAnySlice(r.Tags)
	case "references":
		have = toAnySlice(r.References)
	case "falsepositives":
		have = toAnySlice(r.FalsePositives)
	case "fields":
		have = toAnySlice(r.Fields)
	case "level", "status":
		order := levelOrder
		v := r.Level
		if c.attribute == "status" {
			order, v = statusOrder, r.Status
		}
		want, ok := c.value.(string)
		if !ok || v == "" {
			return false
		}
		a, b := order[strings.ToLower(v)], order[strings.ToLower(want)]
		if a == 0 || b == 0 {
			return false
		}
		return compareValues(float64(a), float64(b), c.op)
	case "date", "modified":
		v := r.Date
		if c.attribute == "modified" {
			v = r.Modified
		}
		want, ok := c.value.(string)
		if !ok || v == "" {
			return false
		}
		norm := func(s string) string { return strings.ReplaceAll(s, "/", "-") }
		return compareValues(norm(v), norm(want), c.op)
	default:
		v, ok := r.Custom[c.attribute]
		if !ok {
			return false
		}
		have = v
	}
	if list, ok := have.([]any); ok {
		switch c.op {
		case "in":
			return slices.ContainsFunc(list, func(x any) bool { return compareValues(x, c.value, "eq") })
		case "not_in":
			return !slices.ContainsFunc(list, func(x any) bool { return compareValues(x, c.value, "eq") })
		case "ne":
			return true
		}
		return false
	}
	if s, ok := have.(string); ok {
		switch c.op {
		case "eq":
			return s == fmt.Sprint(c.value)
		case "ne":
			return s != fmt.Sprint(c.value)
		}
		return false
	}
	return compareValues(have, c.value, c.op)
}

func toAnySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// compareValues compares two YAML-decoded values with eq, ne, gt, gte, lt or lte. Numbers
// compare numerically, strings lexically; values of different kinds are only ever "ne".
func compareValues(a, b any, op string) bool {
	if x, ok := toFloat(a); ok {
		if y, ok := toFloat(b); ok {
			return compareOrdered(x, y, op)
		}
	}
	if x, ok := a.(string); ok {
		if y, ok := b.(string); ok {
			return compareOrdered(x, y, op)
		}
	}
	eq := fmt.Sprintf("%T:%v", a, a) == fmt.Sprintf("%T:%v", b, b)
	switch op {
	case "eq":
		return eq
	case "ne":
		return !eq
	}
	return false
}

// compareOrdered applies op to two numbers or two strings with Go's own operators (so a
// NaN is equal to nothing).
func compareOrdered[T float64 | string](x, y T, op string) bool {
	switch op {
	case "eq":
		return x == y
	case "ne":
		return x != y
	case "gt":
		return x > y
	case "gte":
		return x >= y
	case "lt":
		return x < y
	case "lte":
		return x <= y
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// ---- detection item conditions ----

// valueCondition is a condition on a detection item's value. In the IR each leaf carries one
// value (a Sigma value list is an Or of leaves), so pySigma's any/all choice is the same test.
type valueCondition struct {
	kind   string // match_string, match_value, contains_wildcard, is_null
	re     *regexp.Regexp
	negate bool
	value  scalar
}

func (c valueCondition) matchItem(_ *applyCtx, leaf ir.Node) bool {
	switch c.kind {
	case "match_string":
		res := false
		if s, ok := stringValue(leaf); ok {
			res = c.re.MatchString(s)
		}
		if c.negate {
			return !res
		}
		return res
	case "match_value":
		m, ok := leaf.(*ir.Match)
		return ok && c.value.equalsMatch(m)
	case "contains_wildcard":
		switch n := leaf.(type) {
		case *ir.Match:
			return n.Kind == ir.String && n.Pattern.HasWildcard()
		case *ir.Keyword:
			return n.Pattern.HasWildcard()
		case *ir.And, *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Not, *ir.Null, *ir.Or, *ir.Regex, *ir.TimePart:
			// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
		}
		return false
	case "is_null":
		_, ok := leaf.(*ir.Null)
		return ok
	}
	return false
}

// stringValue returns the Sigma-notation string value of a string Match or Keyword.
func stringValue(leaf ir.Node) (string, bool) {
	switch n := leaf.(type) {
	case *ir.Match:
		if n.Kind == ir.String {
			return n.Pattern.String(), true
		}
	case *ir.Keyword:
		return n.Pattern.String(), true
	case *ir.And, *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Not, *ir.Null, *ir.Or, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return "", false
}

// appliedItemCondition matches a detection item produced by the item with the id.
type appliedItemCondition struct{ id string }

// scalar is a plain value from a condition: a string (Sigma notation), number or boolean,
// read as a rule's value is (sigma.ReadValue).
type scalar struct{ sigma.Value }

func (s scalar) equalsMatch(m *ir.Match) bool {
	switch s.Kind {
	case sigma.Number:
		if m.Kind != ir.Number {
			return false
		}
		v, err := strconv.ParseFloat(m.Pattern.Literal(), 64)
		return err == nil && v == s.Num
	case sigma.Bool:
		return m.Kind == ir.Bool && m.Pattern.Literal() == s.Text
	}
	return m.Kind == ir.String && m.Pattern.String() == s.Text
}

// ---- field name conditions ----

// includeFieldsCondition matches field names in a list (plain) or matching a regular
// expression anchored at the start (re, like Python's re.match). exclude inverts it.
type includeFieldsCondition struct {
	fields  []string
	res     []*regexp.Regexp
	exclude bool
}

func (c includeFieldsCondition) matchField(_ *applyCtx, field string) bool {
	res := false
	if field != "" {
		if c.res != nil {
			res = slices.ContainsFunc(c.res, func(re *regexp.Regexp) bool { return re.MatchString(field) })
		} else {
			res = slices.Contains(c.fields, field)
		}
	}
	if c.exclude {
		return !res
	}
	return res
}

func (c includeFieldsCondition) matchItem(ctx *applyCtx, leaf ir.Node) bool {
	if c.matchField(ctx, ir.Field(leaf)) {
		return true
	}
	if fr, ok := leaf.(*ir.FieldRef); ok {
		return c.matchField(ctx, fr.Ref)
	}
	return false
}

// appliedFieldCondition matches a field name produced by the item with the id; for a
// detection item, an item produced by it.
type appliedFieldCondition struct{ id string }

func (c appliedFieldCondition) matchField(ctx *applyCtx, field string) bool {
	return ctx.fieldApplied[field][c.id]
}

func (c appliedFieldCondition) matchItem(ctx *applyCtx, leaf ir.Node) bool {
	return ctx.nodeApplied[leaf][c.id]
}

// ---- condition expressions (rule_cond_expr and friends) ----

// boolExpr is a parsed condition expression over condition names: a rule condition without
// `x of`, read by the rule condition parser (package sigma).
type boolExpr struct {
	expr sigma.Expr
	idx  map[string]int // condition name → index
}

func (b *boolExpr) eval(f func(int) bool) bool { return b.evalNode(b.expr, f) }

// evalNode recurses once per `(` and `not`, at most MaxExprDepth times: a chain `a and b
// and c ...` is one n-ary node.
func (b *boolExpr) evalNode(e sigma.Expr, f func(int) bool) bool {
	switch e := e.(type) {
	case *sigma.Ref:
		return f(b.idx[e.Text])
	case *sigma.Not:
		return !b.evalNode(e.X, f)
	case *sigma.And:
		for _, x := range e.Xs {
			if !b.evalNode(x, f) {
				return false
			}
		}
		return true
	case *sigma.Or:
		for _, x := range e.Xs {
			if b.evalNode(x, f) {
				return true
			}
		}
		return false
	}
	panic(fmt.Sprintf("pipeline: unknown condition node %T", e))
}

// The bounds on a condition expression are those of a rule's condition
// (translator.MaxConditionBytes and translator.MaxConditionDepth).
const (
	MaxExprBytes = sigma.MaxConditionBytes
	MaxExprDepth = sigma.MaxConditionDepth
)

// parseBoolExpr parses `a and not (b or c)`: not binds tighter than and, and than or. Every
// name must be one of names and every name must be used (as pySigma requires).
func parseBoolExpr(src string, names []string) (*boolExpr, error) {
	c := sigma.ParseCondition(src, sigma.Grammar{})
	if c.Err != nil {
		switch c.Err.Code {
		case diag.ConditionTooLong:
			return nil, fmt.Errorf("condition expression of %d bytes: over the limit of %d (pipeline.MaxExprBytes)", len(src), MaxExprBytes)
		case diag.ConditionTooDeep:
			return nil, fmt.Errorf("a condition expression nests `(` and `not` deeper than the limit of %d (pipeline.MaxExprDepth)", MaxExprDepth)
		}
		return nil, fmt.Errorf("condition expression %q, column %d: %s", src, c.Err.Col, c.Err.Message)
	}
	b := &boolExpr{expr: c.Expr, idx: make(map[string]int, len(names))}
	for i, n := range names {
		b.idx[n] = i
	}
	used := map[string]bool{}
	for _, r := range c.Refs {
		if _, ok := b.idx[r.Text]; !ok {
			return nil, fmt.Errorf("condition expression %q: condition %q is not defined", src, r.Text)
		}
		used[r.Text] = true
	}
	for _, n := range names {
		if !used[n] {
			return nil, fmt.Errorf("condition expression %q does not use condition %q", src, n)
		}
	}
	return b, nil
}
