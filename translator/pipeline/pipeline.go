package pipeline

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Pipeline is a loaded processing pipeline: an ordered list of items, each a transformation
// guarded by conditions, plus the variables placeholders are resolved from. A Pipeline is never
// changed after loading; Apply may be called from many goroutines at once.
type Pipeline struct {
	// Name is the pipeline's `name`, or the file name when the YAML has none.
	Name string
	// Priority orders pipelines when several are chained: lower runs first (pySigma's
	// convention: 10 log source, 20 backend pre-processing, 50 backend, 60 output format).
	Priority int
	// Vars are the values placeholders (`%name%`) are replaced with.
	Vars map[string]any
	// AllowedBackends is the pipeline's `allowed_backends` list (informational).
	AllowedBackends []string
	// Items are the processing items in the order they run.
	Items []*Item
	// Notes are load-time warnings about parts of the YAML that are read but not applied
	// (postprocessing and finalizers work on rendered queries, which sigmabridge's output
	// formats do instead).
	Notes diag.List
	// Source is the file the pipeline was read from, or "builtin:<name>".
	Source string
}

// Item is one processing item: a transformation and the conditions that decide where it applies.
type Item struct {
	// ID is the item's `id`; other items refer to it in processing_item_applied conditions.
	ID string
	// Type is the transformation type as written in the YAML.
	Type string
	// Source and Line locate the item's definition.
	Source string
	Line   int
	// Pipeline is the name of the pipeline the item came from.
	Pipeline string

	transform  transformation
	ruleConds  conditionSet[ruleCondition]
	itemConds  conditionSet[detectionCondition]
	fieldConds conditionSet[fieldCondition]
}

// Chain combines pipelines into one, as pySigma does when several are given: ordered by
// priority (stable, so equal priorities keep the given order), items concatenated, variables
// merged with later pipelines overriding earlier ones.
func Chain(ps ...*Pipeline) *Pipeline {
	sorted := slices.Clone(ps)
	slices.SortStableFunc(sorted, func(a, b *Pipeline) int { return cmp.Compare(a.Priority, b.Priority) })
	out := &Pipeline{Vars: map[string]any{}}
	var names, sources []string
	for i, p := range sorted {
		if i == 0 {
			out.Priority = p.Priority
		}
		names = append(names, p.Name)
		sources = append(sources, p.Source)
		out.Items = append(out.Items, p.Items...)
		maps.Copy(out.Vars, p.Vars)
		out.Notes = append(out.Notes, p.Notes...)
		out.AllowedBackends = append(out.AllowedBackends, p.AllowedBackends...)
	}
	out.Name = strings.Join(names, "+")
	out.Source = strings.Join(sources, "+")
	return out
}

// Apply runs the pipeline over r and returns the processed rule: a new Rule whose trees are
// new where anything changed (shared nodes are never edited). When a diagnostic has Error
// severity the rule is not convertible with this pipeline; a rule_failure item stops the
// processing at that item. A nil pipeline returns r unchanged.
func (p *Pipeline) Apply(r *ir.Rule) (*ir.Rule, diag.List) {
	if p == nil {
		return r, nil
	}
	ctx := newApplyCtx(p, r)
	for _, it := range p.Items {
		if !it.matchRule(ctx) {
			continue
		}
		it.transform.apply(ctx, it)
		if it.ID != "" {
			ctx.applied[it.ID] = true
		}
		if ctx.stopped {
			break
		}
	}
	for i, c := range ctx.rule.Conditions {
		if c == nil && !ctx.constant[i] {
			ctx.errorf(nil, nil, diag.PipelineError, "condition %d: every detection item was dropped by the pipeline", i+1)
		} else if e := ir.CheckLimits(c); e != nil {
			// Fanned-out mappings and added conditions can take a tree past the IR's
			// bounds (ir/doc.go): the rule fails here, as the plugin host would refuse it.
			var code diag.Code = diag.DetectionTooLarge
			if e.Depth {
				code = diag.DetectionTooDeep
			}
			ctx.errorf(nil, nil, code, "condition %d after the pipeline: %v", i+1, e)
		}
	}
	return ctx.rule, ctx.diags
}

// applyCtx is the state of one Apply call. Nothing in it outlives the call.
type applyCtx struct {
	p       *Pipeline
	rule    *ir.Rule
	diags   diag.List
	stopped bool
	// constant holds the conditions folded to a constant (reported as constant-condition).
	constant map[int]bool

	// applied holds the ids of items that were applied to the rule.
	applied map[string]bool
	// fieldApplied maps a current field name to the ids of the items that produced it.
	fieldApplied map[string]map[string]bool
	// nodeApplied maps a detection item (leaf) created by this call to the ids of the items
	// that produced it.
	nodeApplied map[ir.Node]map[string]bool
	// mapped holds every field that was the source or the target of a field-name mapping.
	mapped map[string]bool

	fieldsOwned, customOwned bool
}

func newApplyCtx(p *Pipeline, r *ir.Rule) *applyCtx {
	c := r.Clone()
	return &applyCtx{
		p:            p,
		rule:         c,
		applied:      map[string]bool{},
		fieldApplied: map[string]map[string]bool{},
		nodeApplied:  map[ir.Node]map[string]bool{},
		mapped:       map[string]bool{},
	}
}

// ownFields makes rule.Fields safe to change.
func (ctx *applyCtx) ownFields() {
	if !ctx.fieldsOwned {
		ctx.rule.Fields = slices.Clone(ctx.rule.Fields)
		ctx.fieldsOwned = true
	}
}

// ownCustom makes rule.Custom safe to change.
func (ctx *applyCtx) ownCustom() {
	if !ctx.customOwned {
		ctx.rule.Custom = maps.Clone(ctx.rule.Custom)
		if ctx.rule.Custom == nil {
			ctx.rule.Custom = map[string]any{}
		}
		ctx.customOwned = true
	}
}

// report adds a diagnostic about the rule, located at node n when it has a position.
func (ctx *applyCtx) report(sev diag.Severity, it *Item, n ir.Node, code diag.Code, format string, args ...any) {
	line, col := ctx.rule.Line, 0
	if n != nil {
		if pos := ir.Position(n); pos.Line > 0 {
			line, col = pos.Line, pos.Col
		}
	}
	msg := fmt.Sprintf(format, args...)
	if it != nil {
		msg = fmt.Sprintf("pipeline %s, %s: %s", it.Pipeline, it.describe(), msg)
	}
	ctx.diags = append(ctx.diags, diag.Diagnostic{
		Path: ctx.rule.Path, Line: line, Col: col, RuleID: ctx.rule.ID,
		Code: code, Message: msg, Severity: sev,
	})
}

func (ctx *applyCtx) errorf(it *Item, n ir.Node, code diag.Code, format string, args ...any) {
	ctx.report(diag.Error, it, n, code, format, args...)
}

func (ctx *applyCtx) warnf(it *Item, n ir.Node, code diag.Code, format string, args ...any) {
	ctx.report(diag.Warning, it, n, code, format, args...)
}

// describe names the item for messages: its id, or its type and where it is defined.
func (it *Item) describe() string {
	if it.ID != "" {
		return fmt.Sprintf("item %q (%s)", it.ID, it.Type)
	}
	return fmt.Sprintf("%s item at %s:%d", it.Type, it.Source, it.Line)
}

// matchRule evaluates the item's rule conditions. An item without rule conditions applies to
// every rule, even when rule_cond_not is set (as in pySigma).
func (it *Item) matchRule(ctx *applyCtx) bool {
	if len(it.ruleConds.conds) == 0 {
		return true
	}
	return it.ruleConds.eval(func(c ruleCondition) bool { return c.matchRule(ctx) })
}

// matchItem evaluates the detection item and field name conditions for one leaf.
func (it *Item) matchItem(ctx *applyCtx, leaf ir.Node) bool {
	if !it.itemConds.eval(func(c detectionCondition) bool { return c.matchItem(ctx, leaf) }) {
		return false
	}
	return it.fieldConds.eval(func(c fieldCondition) bool { return c.matchItem(ctx, leaf) })
}

// matchField evaluates the field name conditions for one field name ("" is a keyword's
// absent field).
func (it *Item) matchField(ctx *applyCtx, field string) bool {
	return it.fieldConds.eval(func(c fieldCondition) bool { return c.matchField(ctx, field) })
}

// isLeaf reports whether n is a detection item (any node but And, Or and Not).
func isLeaf(n ir.Node) bool {
	_, ok := n.(ir.Leaf)
	return ok
}

// rewrite returns n with every node for which f reports handled replaced by f's result; a nil
// result drops the node (an And or Or whose children are all dropped is dropped, as is a Not
// of a dropped node). Unchanged subtrees are returned as they are; nodes are never edited.
// The shape of inner nodes is kept (no flattening), so a later pass can recognise what an
// earlier one built.
func rewrite(n ir.Node, f func(ir.Node) (ir.Node, bool)) ir.Node {
	if repl, handled := f(n); handled {
		return repl
	}
	switch t := n.(type) {
	case *ir.And:
		kids, changed := rewriteAll(t.Children, f)
		if !changed {
			return n
		}
		return rebuild(kids, func(cs []ir.Node) ir.Node { return &ir.And{Children: cs} })
	case *ir.Or:
		kids, changed := rewriteAll(t.Children, f)
		if !changed {
			return n
		}
		return rebuild(kids, func(cs []ir.Node) ir.Node { return &ir.Or{Children: cs} })
	case *ir.Not:
		c := rewrite(t.Child, f)
		if c == t.Child {
			return n
		}
		if c == nil {
			return nil
		}
		return &ir.Not{Child: c}
	case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Match, *ir.Null, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return n
}

func rewriteAll(nodes []ir.Node, f func(ir.Node) (ir.Node, bool)) ([]ir.Node, bool) {
	out := make([]ir.Node, 0, len(nodes))
	changed := false
	for _, c := range nodes {
		nc := rewrite(c, f)
		if nc != c {
			changed = true
		}
		if nc != nil {
			out = append(out, nc)
		}
	}
	return out, changed
}

func rebuild(kids []ir.Node, mk func([]ir.Node) ir.Node) ir.Node {
	switch len(kids) {
	case 0:
		return nil
	case 1:
		return kids[0]
	}
	return mk(kids)
}

// eachItem calls f for every detection item of every condition that the item's detection item
// and field name conditions select, and puts f's result in its place (nil drops the item).
// f returns false when it leaves the item unchanged.
func (ctx *applyCtx) eachItem(it *Item, f func(leaf ir.Node) (ir.Node, bool)) {
	for i, c := range ctx.rule.Conditions {
		if c == nil {
			continue
		}
		ctx.rule.Conditions[i] = rewrite(c, func(n ir.Node) (ir.Node, bool) {
			if !isLeaf(n) {
				return nil, false
			}
			if !it.matchItem(ctx, n) {
				return n, true
			}
			repl, changed := f(n)
			if !changed {
				return n, true
			}
			ctx.inherit(n, repl, it.ID)
			return repl, true
		})
	}
}

// inherit records that the leaves of repl were produced from old by item id.
func (ctx *applyCtx) inherit(old, repl ir.Node, id string) {
	if repl == nil {
		return
	}
	prev := ctx.nodeApplied[old]
	ir.Inspect(repl, func(n ir.Node) bool {
		if !isLeaf(n) {
			return true
		}
		set := ctx.nodeApplied[n]
		if set == nil {
			set = map[string]bool{}
			ctx.nodeApplied[n] = set
		}
		for k := range prev {
			set[k] = true
		}
		if id != "" {
			set[id] = true
		}
		return false
	})
}

// fields returns every field name the rule's trees read (FieldRef references included).
func fieldsOf(conds []ir.Node) []string {
	seen := map[string]bool{}
	var out []string
	add := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, c := range conds {
		if c == nil {
			continue
		}
		ir.Inspect(c, func(n ir.Node) bool {
			add(ir.Field(n))
			if fr, ok := n.(*ir.FieldRef); ok {
				add(fr.Ref)
			}
			return true
		})
	}
	return out
}
