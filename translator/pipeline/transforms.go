package pipeline

import (
	"slices"
	"strconv"
	"strings"

	"github.com/sigmabridge/sigmabridge/internal/jsontree"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// transformation is what an item does to a rule once its rule conditions match.
type transformation interface {
	apply(ctx *applyCtx, it *Item)
}

// ---- field names ----

// fieldNameFunc maps one field name ("" for a keyword) to its replacements; ok is false when
// the function does not touch the name. An empty result drops the field.
type fieldNameFunc func(field string) (out []string, ok bool)

// fieldNameTransform covers field_name_mapping, field_name_prefix_mapping, field_name_prefix
// and field_name_suffix: it renames the fields of detection items, of FieldRef references and
// of the rule's `fields` list. A one-to-many result becomes an Or of the item per field.
type fieldNameTransform struct {
	fn fieldNameFunc
	// shape says what the transformation does to an event (shape.go).
	shape shapeOp
}

func mappingFunc(pairs []mappingPair) fieldNameFunc {
	return func(field string) ([]string, bool) {
		for _, p := range pairs {
			if p.keyword == (field == "") && p.from == field {
				return p.to, true
			}
		}
		return nil, false
	}
}

func prefixMappingFunc(pairs []mappingPair) fieldNameFunc {
	return func(field string) ([]string, bool) {
		if field == "" {
			return nil, false
		}
		for _, p := range pairs {
			if rest, ok := strings.CutPrefix(field, p.from); ok {
				out := make([]string, len(p.to))
				for i, t := range p.to {
					out[i] = t + rest
				}
				return out, true
			}
		}
		return nil, false
	}
}

func affixFunc(prefix, suffix string) fieldNameFunc {
	return func(field string) ([]string, bool) {
		if field == "" {
			return nil, false
		}
		return []string{prefix + field + suffix}, true
	}
}

// mapName applies the function to one field name under the item's field name conditions and
// records the mapping.
func (ctx *applyCtx) mapName(it *Item, fn fieldNameFunc, field string) ([]string, bool) {
	out, ok := fn(field)
	if !ok || !it.matchField(ctx, field) {
		return nil, false
	}
	ctx.trackMapping(it, field, out)
	return out, true
}

// trackMapping records a field-name mapping for strict_field_mapping_failure and for
// processing_item_applied field name conditions.
func (ctx *applyCtx) trackMapping(it *Item, from string, to []string) {
	if from != "" {
		ctx.mapped[from] = true
	}
	for _, t := range to {
		ctx.mapped[t] = true
	}
	if len(to) == 1 && to[0] == from {
		return
	}
	prev := ctx.fieldApplied[from]
	delete(ctx.fieldApplied, from)
	for _, t := range to {
		set := map[string]bool{}
		for k := range prev {
			set[k] = true
		}
		if it.ID != "" {
			set[it.ID] = true
		}
		ctx.fieldApplied[t] = set
	}
}

func (t fieldNameTransform) apply(ctx *applyCtx, it *Item) {
	if len(ctx.rule.Fields) > 0 {
		var fields []string
		changed := false
		for _, f := range ctx.rule.Fields {
			if out, ok := ctx.mapName(it, t.fn, f); ok {
				fields = append(fields, out...)
				changed = true
			} else {
				fields = append(fields, f)
			}
		}
		if changed {
			ctx.rule.Fields = fields
			ctx.fieldsOwned = true
		}
	}
	ctx.eachItem(it, func(leaf ir.Node) (ir.Node, bool) { return t.mapLeaf(ctx, it, leaf) })
}

func (t fieldNameTransform) mapLeaf(ctx *applyCtx, it *Item, leaf ir.Node) (ir.Node, bool) {
	switch n := leaf.(type) {
	case *ir.Keyword:
		fields, ok := ctx.mapName(it, t.fn, "")
		if !ok {
			return nil, false
		}
		// A keyword searches for a substring; mapped to fields it keeps that meaning.
		alts := make([]ir.Node, len(fields))
		for i, f := range fields {
			alts[i] = &ir.Match{Field: f, Pattern: n.Pattern.Wrap(true, true), Cased: n.Cased, Pos: n.Pos}
		}
		return orOf(alts), true
	case *ir.FieldRef:
		fields, okF := ctx.mapName(it, t.fn, n.Field)
		refs, okR := ctx.mapName(it, t.fn, n.Ref)
		if !okF && !okR {
			return nil, false
		}
		if !okF {
			fields = []string{n.Field}
		}
		if !okR {
			refs = []string{n.Ref}
		}
		var alts []ir.Node
		for _, f := range fields {
			for _, r := range refs {
				c := *n
				c.Field, c.Ref = f, r
				alts = append(alts, &c)
			}
		}
		return orOf(alts), true
	case *ir.And, *ir.CIDR, *ir.Compare, *ir.Exists, *ir.Match, *ir.Not, *ir.Null, *ir.Or, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	field := ir.Field(leaf)
	if field == "" {
		return nil, false
	}
	fields, ok := ctx.mapName(it, t.fn, field)
	if !ok {
		return nil, false
	}
	if len(fields) == 1 && fields[0] == field {
		return nil, false
	}
	alts := make([]ir.Node, len(fields))
	for i, f := range fields {
		alts[i] = leaf.(ir.Leaf).WithField(f)
	}
	return orOf(alts), true
}

// orOf is the Or of nodes: nil for none, the node itself for one.
func orOf(nodes []ir.Node) ir.Node {
	switch len(nodes) {
	case 0:
		return nil
	case 1:
		return nodes[0]
	}
	return &ir.Or{Children: nodes}
}

// ---- detection items ----

// dropDetectionItem removes the selected detection items (drop_detection_item).
type dropDetectionItem struct{}

func (dropDetectionItem) apply(ctx *applyCtx, it *Item) {
	ctx.eachItem(it, func(ir.Node) (ir.Node, bool) { return nil, true })
}

// mapString replaces string values equal (in Sigma notation, case-sensitively) to a key with
// the mapped value or values (map_string); several values are an Or.
type mapString struct {
	pairs []mappingPair
}

func (t mapString) apply(ctx *applyCtx, it *Item) {
	ctx.eachItem(it, func(leaf ir.Node) (ir.Node, bool) {
		s, ok := stringValue(leaf)
		if !ok {
			return nil, false
		}
		idx := slices.IndexFunc(t.pairs, func(p mappingPair) bool { return !p.keyword && p.from == s })
		if idx < 0 {
			return nil, false
		}
		var alts []ir.Node
		for _, v := range t.pairs[idx].to {
			alts = append(alts, withPattern(leaf, ir.ParseSigmaString(v)))
		}
		return orOf(alts), true
	})
}

// withPattern returns a copy of a string Match or Keyword with another pattern.
func withPattern(n ir.Node, p ir.Pattern) ir.Node {
	switch t := n.(type) {
	case *ir.Match:
		c := *t
		c.Pattern = p
		return &c
	case *ir.Keyword:
		c := *t
		c.Pattern = p
		return &c
	case *ir.And, *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Not, *ir.Null, *ir.Or, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return n
}

// convertType changes the value type of Match items (convert_type): "str" prints numbers and
// booleans as strings; "num" turns numeric strings into numbers.
type convertType struct {
	target string
}

func (t convertType) apply(ctx *applyCtx, it *Item) {
	ctx.eachItem(it, func(leaf ir.Node) (ir.Node, bool) {
		m, ok := leaf.(*ir.Match)
		if !ok {
			return nil, false
		}
		c := *m
		switch t.target {
		case "str":
			if m.Kind == ir.String {
				return nil, false
			}
			c.Kind = ir.String
		case "num":
			if m.Kind == ir.Number {
				return nil, false
			}
			if m.Pattern.Shape() != ir.ShapeExact {
				ctx.errorf(it, leaf, diag.InvalidValue, "cannot convert %s to a number: it has wildcards", m.Pattern)
				return nil, false
			}
			if _, err := strconv.ParseFloat(m.Pattern.Literal(), 64); err != nil {
				ctx.errorf(it, leaf, diag.InvalidValue, "cannot convert %q to a number", m.Pattern.Literal())
				return nil, false
			}
			c.Kind = ir.Number
		}
		return &c, true
	})
}

// ---- placeholders ----

// placeholderTransform resolves `%name%` placeholders: value_placeholders from the pipeline
// variables (a list means an Or of the values), wildcard_placeholders with `*`, and
// query_expression_placeholders, which sigmabridge reports as unsupported.
type placeholderTransform struct {
	kind             string
	include, exclude []string
}

func (t placeholderTransform) handles(name string) bool {
	switch {
	case t.include != nil:
		return slices.Contains(t.include, name)
	case t.exclude != nil:
		return !slices.Contains(t.exclude, name)
	}
	return true
}

func (t placeholderTransform) apply(ctx *applyCtx, it *Item) {
	folds := false
	defer func() {
		if folds {
			ctx.foldConstants(it)
		}
	}()
	ctx.eachItem(it, func(leaf ir.Node) (ir.Node, bool) {
		var pat ir.Pattern
		switch n := leaf.(type) {
		case *ir.Match:
			pat = n.Pattern
		case *ir.Keyword:
			pat = n.Pattern
		case *ir.And, *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Not, *ir.Null, *ir.Or, *ir.Regex, *ir.TimePart:
			return nil, false
		}
		if !slices.ContainsFunc(pat, func(s ir.Segment) bool { return s.Kind == ir.Placeholder && t.handles(s.Text) }) {
			return nil, false
		}
		switch t.kind {
		case "wildcard_placeholders":
			out := make(ir.Pattern, 0, len(pat))
			for _, s := range pat {
				if s.Kind == ir.Placeholder && t.handles(s.Text) {
					s = ir.Segment{Kind: ir.AnyString}
				}
				out = append(out, s)
			}
			return withPattern(leaf, out.Normalize()), true
		case "value_placeholders":
			pats := []ir.Pattern{{}}
			for _, s := range pat {
				if s.Kind != ir.Placeholder || !t.handles(s.Text) {
					for i := range pats {
						pats[i] = append(pats[i], s)
					}
					continue
				}
				vals, err := placeholderValues(ctx.p.Vars, s.Text)
				if err != "" {
					ctx.errorf(it, leaf, diag.UnresolvedPlaceholder, "%s", err)
					return nil, false
				}
				if len(vals) == 0 {
					// An empty value list: the item matches nothing. fold removes the
					// constant from the tree before any backend sees it.
					folds = true
					return matchNothing, true
				}
				var next []ir.Pattern
				for _, p := range pats {
					for _, v := range vals {
						next = append(next, append(slices.Clone(p), v...))
					}
				}
				pats = next
			}
			alts := make([]ir.Node, len(pats))
			for i, p := range pats {
				alts[i] = withPattern(leaf, p.Normalize())
			}
			return orOf(alts), true
		}
		ctx.errorf(it, leaf, diag.Unsupported,
			"query_expression_placeholders is not supported: resolve %s with value_placeholders or wildcard_placeholders",
			pat.String())
		return nil, false
	})
}

// placeholderValues returns the values of a placeholder variable as Sigma patterns (a value may
// hold wildcards, as in pySigma).
func placeholderValues(vars map[string]any, name string) ([]ir.Pattern, string) {
	v, ok := vars[name]
	if !ok {
		return nil, "placeholder %" + name + "% has no value: the pipeline variables do not define " + strconv.Quote(name)
	}
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	out := make([]ir.Pattern, 0, len(list))
	for _, item := range list {
		switch x := item.(type) {
		case string:
			out = append(out, ir.ParseSigmaString(x))
		case int, int64, uint64, float64:
			out = append(out, ir.LiteralPattern(formatScalar(x)))
		default:
			return nil, "placeholder variable " + strconv.Quote(name) + " holds a value that is not a string or number"
		}
	}
	return out, ""
}

func formatScalar(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// ---- conditions, log source, state, attributes ----

// addCondition ANDs a detection (a Sigma search map) to every condition of the rule
// (add_condition); negated ANDs its negation. With template, $category, $product and $service
// in the values are replaced by the rule's log source first.
type addCondition struct {
	search   *sigma.Search
	tree     ir.Node // lowered once when there is no template
	template bool
	negated  bool
}

func (t addCondition) apply(ctx *applyCtx, it *Item) {
	tree := t.tree
	if t.template {
		ls := ctx.rule.Logsource
		var ds diag.List
		tree, ds = lowerConditions(ctx.rule.Path, substituted(t.search, func(s string) string { return substituteLogsource(s, ls) }))
		if ds.HasErrors() {
			for _, d := range ds {
				ctx.errorf(it, nil, d.Code, "add_condition template: %s", d.Message)
			}
			return
		}
	}
	ctx.inherit(nil, tree, it.ID)
	if t.negated {
		tree = ir.NewNot(tree)
	}
	for i, c := range ctx.rule.Conditions {
		if c != nil {
			ctx.rule.Conditions[i] = ir.NewAnd(tree, c)
		}
	}
}

// substituteLogsource does what Python's string.Template.safe_substitute does for add_condition
// templates: $name and ${name} for category, product and service (an unset one prints "None",
// as in pySigma); $$ is a dollar sign; anything else is left as it is.
func substituteLogsource(s string, ls ir.Logsource) string {
	val := func(name string) (string, bool) {
		var v string
		switch name {
		case "category":
			v = ls.Category
		case "product":
			v = ls.Product
		case "service":
			v = ls.Service
		default:
			return "", false
		}
		if v == "" {
			v = "None"
		}
		return v, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		rest := s[i+1:]
		if strings.HasPrefix(rest, "$") {
			b.WriteByte('$')
			i++
			continue
		}
		if strings.HasPrefix(rest, "{") {
			if end := strings.IndexByte(rest, '}'); end > 0 {
				if v, ok := val(rest[1:end]); ok {
					b.WriteString(v)
					i += end + 1
					continue
				}
			}
			b.WriteByte('$')
			continue
		}
		n := 0
		for n < len(rest) && (rest[n] == '_' || rest[n] >= 'a' && rest[n] <= 'z' || rest[n] >= 'A' && rest[n] <= 'Z' || n > 0 && rest[n] >= '0' && rest[n] <= '9') {
			n++
		}
		if v, ok := val(rest[:n]); ok && n > 0 {
			b.WriteString(v)
			i += n
			continue
		}
		b.WriteByte('$')
	}
	return b.String()
}

// changeLogsource replaces the rule's log source (change_logsource); attributes it does not
// name become empty, as in pySigma.
type changeLogsource struct {
	ls ir.Logsource
}

func (t changeLogsource) apply(ctx *applyCtx, _ *Item) { ctx.rule.Logsource = t.ls }

// setState sets a pipeline state value in the rule's Deployment (set_state); the value was
// checked when the pipeline was parsed.
type setState struct {
	key string
	val any
}

func (t setState) apply(ctx *applyCtx, _ *Item) {
	if err := ctx.rule.Deployment.Set(t.key, deepCopy(t.val)); err != nil {
		panic("pipeline: set_state checked at parse time: " + err.Error())
	}
}

// deepCopy copies YAML-decoded values so no two rules share a list or map.
func deepCopy(v any) any { return jsontree.Map(v, func(leaf any) any { return leaf }) }

// setCustomAttribute sets rule.Custom[attribute] (set_custom_attribute).
type setCustomAttribute struct {
	attribute string
	value     any
}

func (t setCustomAttribute) apply(ctx *applyCtx, _ *Item) {
	ctx.ownCustom()
	ctx.rule.Custom[t.attribute] = deepCopy(t.value)
}

// fieldList edits the rule's `fields` list: add_field, remove_field and set_field.
type fieldList struct {
	kind   string
	fields []string
}

func (t fieldList) apply(ctx *applyCtx, _ *Item) {
	ctx.ownFields()
	switch t.kind {
	case "add_field":
		ctx.rule.Fields = append(ctx.rule.Fields, t.fields...)
	case "remove_field":
		ctx.rule.Fields = slices.DeleteFunc(ctx.rule.Fields, func(f string) bool { return slices.Contains(t.fields, f) })
	case "set_field":
		ctx.rule.Fields = slices.Clone(t.fields)
	}
}

// ---- failures ----

// ruleFailure fails the rule with the pipeline's message (rule_failure): the way a pipeline
// declares that it does not support something. Processing stops there.
type ruleFailure struct {
	message string
	code    diag.Code
}

func (t ruleFailure) apply(ctx *applyCtx, it *Item) {
	ctx.errorf(it, nil, t.code, "%s", t.message)
	ctx.stopped = true
}

// detectionItemFailure fails the rule at each selected detection item (detection_item_failure);
// when it selected any, processing stops after this item, as in pySigma.
type detectionItemFailure struct {
	message string
	code    diag.Code
}

func (t detectionItemFailure) apply(ctx *applyCtx, it *Item) {
	ctx.eachItem(it, func(leaf ir.Node) (ir.Node, bool) {
		ctx.errorf(it, leaf, t.code, "%s (%s)", t.message, leaf)
		ctx.stopped = true
		return nil, false
	})
}

// strictFieldMapping fails the rule when a field it reads was neither the source nor the
// target of a field-name mapping of this pipeline (strict_field_mapping_failure).
type strictFieldMapping struct{}

func (strictFieldMapping) apply(ctx *applyCtx, it *Item) {
	var missing []string
	for _, f := range fieldsOf(ctx.rule.Conditions) {
		if !ctx.mapped[f] {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		ctx.errorf(it, nil, diag.UnsupportedFieldName, "the pipeline has no mapping for field(s) %s", strings.Join(missing, ", "))
	}
}
