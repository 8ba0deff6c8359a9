package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// conditionSet is one of an item's three condition groups (rule, detection item, field name):
// conditions linked by `and` (default) or `or`, or by a boolean expression over their names,
// optionally negated.
type conditionSet[C any] struct {
	conds []C
	// names are the identifiers of the conditions when they were given as a mapping.
	names []string
	expr  boolExpr
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
	}
	if x, ok := a.(string); ok {
		if y, ok := b.(string); ok {
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

// scalar is a plain value from a condition: a string (Sigma notation), number or boolean.
type scalar struct {
	kind ir.ValueKind
	text string
	num  float64
}

func (s scalar) equalsMatch(m *ir.Match) bool {
	switch s.kind {
	case ir.Number:
		if m.Kind != ir.Number {
			return false
		}
		v, err := strconv.ParseFloat(m.Pattern.Literal(), 64)
		return err == nil && v == s.num
	case ir.Bool:
		return m.Kind == ir.Bool && m.Pattern.Literal() == s.text
	}
	return m.Kind == ir.String && m.Pattern.String() == s.text
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

// boolExpr is a parsed condition expression over condition indexes.
type boolExpr interface {
	eval(f func(int) bool) bool
}

type (
	exprRef struct{ idx int }
	exprNot struct{ x boolExpr }
	// exprAnd and exprOr are n-ary, so a long chain `a and b and c ...` is one level.
	exprAnd struct{ xs []boolExpr }
	exprOr  struct{ xs []boolExpr }
)

func (e exprRef) eval(f func(int) bool) bool { return f(e.idx) }
func (e exprNot) eval(f func(int) bool) bool { return !e.x.eval(f) }
func (e exprAnd) eval(f func(int) bool) bool {
	for _, x := range e.xs {
		if !x.eval(f) {
			return false
		}
	}
	return true
}
func (e exprOr) eval(f func(int) bool) bool {
	for _, x := range e.xs {
		if x.eval(f) {
			return true
		}
	}
	return false
}

var exprToken = regexp.MustCompile(`\s*(\(|\)|[A-Za-z0-9_-]+)`)

// The bounds on a condition expression, as on a rule's condition (translator.MaxConditionBytes
// and translator.MaxConditionDepth): the parser and eval recurse once per level.
const (
	MaxExprBytes = 16 << 10
	MaxExprDepth = 32
)

// parseBoolExpr parses `a and not (b or c)`: not binds tighter than and, and than or. Every
// name must be one of names and every name must be used (as pySigma requires).
func parseBoolExpr(src string, names []string) (boolExpr, error) {
	if len(src) > MaxExprBytes {
		return nil, fmt.Errorf("condition expression of %d bytes: over the limit of %d (pipeline.MaxExprBytes)", len(src), MaxExprBytes)
	}
	var toks []string
	rest := src
	for strings.TrimSpace(rest) != "" {
		m := exprToken.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			return nil, fmt.Errorf("condition expression %q: unexpected %q", src, strings.TrimSpace(rest))
		}
		toks = append(toks, rest[m[2]:m[3]])
		rest = rest[m[1]:]
	}
	p := &exprParser{toks: toks, names: names, used: map[string]bool{}, src: src}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("condition expression %q: unexpected %q", src, p.toks[p.pos])
	}
	for _, n := range names {
		if !p.used[n] {
			return nil, fmt.Errorf("condition expression %q does not use condition %q", src, n)
		}
	}
	return e, nil
}

type exprParser struct {
	toks  []string
	pos   int
	depth int // `(` and `not` open around pos
	names []string
	used  map[string]bool
	src   string
}

func (p *exprParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *exprParser) or() (boolExpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	if p.peek() != "or" {
		return l, nil
	}
	e := exprOr{xs: []boolExpr{l}}
	for p.peek() == "or" {
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		e.xs = append(e.xs, r)
	}
	return e, nil
}

func (p *exprParser) and() (boolExpr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	if p.peek() != "and" {
		return l, nil
	}
	e := exprAnd{xs: []boolExpr{l}}
	for p.peek() == "and" {
		p.pos++
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		e.xs = append(e.xs, r)
	}
	return e, nil
}

// enter opens a nesting level, failing beyond MaxExprDepth; the caller decrements depth.
func (p *exprParser) enter() error {
	p.depth++
	if p.depth > MaxExprDepth {
		return fmt.Errorf("a condition expression nests `(` and `not` deeper than the limit of %d (pipeline.MaxExprDepth)", MaxExprDepth)
	}
	return nil
}

func (p *exprParser) not() (boolExpr, error) {
	if p.peek() == "not" {
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return exprNot{x}, nil
	}
	return p.atom()
}

func (p *exprParser) atom() (boolExpr, error) {
	t := p.peek()
	switch t {
	case "":
		return nil, fmt.Errorf("condition expression %q ends early", p.src)
	case "(":
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("condition expression %q: missing )", p.src)
		}
		p.pos++
		return e, nil
	case ")", "and", "or", "not":
		return nil, fmt.Errorf("condition expression %q: unexpected %q", p.src, t)
	}
	p.pos++
	idx := slices.Index(p.names, t)
	if idx < 0 {
		return nil, fmt.Errorf("condition expression %q: condition %q is not defined", p.src, t)
	}
	p.used[t] = true
	return exprRef{idx}, nil
}
