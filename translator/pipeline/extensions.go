package pipeline

import (
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The transformations in this file are sigmabridge extensions of the pySigma format. Their type
// names start with "sigmabridge_" so a pipeline using them is recognisable (pySigma rejects
// them as unknown types).

// missingFieldSentinel (sigmabridge_missing_field_sentinel) adapts presence tests to a data
// source that fills a missing field with a sentinel value: the Splunk Add-on for AWS sets a
// missing CloudTrail errorCode to "success" (T1648.md §2.1 item 16). Absence becomes
// `field = sentinel OR absent` and presence becomes `present AND NOT field = sentinel`:
//
//	Not(Exists f), Null f          ->  Or(Match(f, sentinel), <the absence test>)
//	Exists f, Not(Null f)          ->  And(<the presence test>, Not(Match(f, sentinel)))
//
// A Match of f with the lone wildcard `*` is a presence test too. Trees already in the
// rewritten shape are left alone, so applying the pipeline twice changes nothing.
type missingFieldSentinel struct {
	field, sentinel string
}

func (t missingFieldSentinel) apply(ctx *applyCtx, it *Item) {
	for i, c := range ctx.rule.Conditions {
		if c == nil {
			continue
		}
		ctx.rule.Conditions[i] = rewrite(c, func(n ir.Node) (ir.Node, bool) {
			if t.isRewritten(n) {
				return n, true
			}
			if leaf, ok := t.absence(n); ok && it.matchItem(ctx, leaf) {
				repl := &ir.Or{Children: []ir.Node{t.sentinelMatch(leaf), n}}
				ctx.inherit(leaf, repl, it.ID)
				return repl, true
			}
			if leaf, ok := t.presence(n); ok && it.matchItem(ctx, leaf) {
				repl := &ir.And{Children: []ir.Node{n, &ir.Not{Child: t.sentinelMatch(leaf)}}}
				ctx.inherit(leaf, repl, it.ID)
				return repl, true
			}
			return nil, false
		})
	}
}

func (t missingFieldSentinel) sentinelMatch(at ir.Node) *ir.Match {
	return &ir.Match{Field: t.field, Pattern: ir.LiteralPattern(t.sentinel), Pos: ir.Position(at)}
}

// presence reports whether n tests that the field is present, and returns its leaf.
func (t missingFieldSentinel) presence(n ir.Node) (ir.Node, bool) {
	switch x := n.(type) {
	case *ir.Exists:
		return x, x.Field == t.field
	case *ir.Match:
		return x, x.Field == t.field && x.Kind == ir.String && x.Pattern.Shape() == ir.ShapeAny
	case *ir.Not:
		if nl, ok := x.Child.(*ir.Null); ok && nl.Field == t.field {
			return nl, true
		}
	case *ir.And, *ir.CIDR, *ir.Compare, *ir.FieldRef, *ir.Keyword, *ir.Null, *ir.Or, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return nil, false
}

// absence reports whether n tests that the field is absent, and returns its leaf.
func (t missingFieldSentinel) absence(n ir.Node) (ir.Node, bool) {
	switch x := n.(type) {
	case *ir.Null:
		return x, x.Field == t.field
	case *ir.Not:
		if _, isNull := x.Child.(*ir.Null); isNull {
			return nil, false
		}
		return t.presence(x.Child)
	case *ir.And, *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Match, *ir.Or, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return nil, false
}

func (t missingFieldSentinel) isSentinel(n ir.Node) bool {
	m, ok := n.(*ir.Match)
	return ok && m.Field == t.field && m.Kind == ir.String && !m.Cased &&
		m.Pattern.Shape() == ir.ShapeExact && m.Pattern.Literal() == t.sentinel
}

// isRewritten recognises the two shapes this transformation builds.
func (t missingFieldSentinel) isRewritten(n ir.Node) bool {
	pair := func(cs []ir.Node, first, second func(ir.Node) bool) bool {
		return len(cs) == 2 && (first(cs[0]) && second(cs[1]) || first(cs[1]) && second(cs[0]))
	}
	switch x := n.(type) {
	case *ir.Or:
		return pair(x.Children, t.isSentinel, func(c ir.Node) bool { _, ok := t.absence(c); return ok })
	case *ir.And:
		notSentinel := func(c ir.Node) bool {
			nt, ok := c.(*ir.Not)
			return ok && t.isSentinel(nt.Child)
		}
		return pair(x.Children, notSentinel, func(c ir.Node) bool { _, ok := t.presence(c); return ok })
	case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Match, *ir.Not, *ir.Null, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return false
}

// flattenedObject (sigmabridge_flattened_object) declares that the fields under Prefix (as the
// rule names them) are stored in an Elasticsearch `flattened` field, named Field after field
// mapping (Prefix without its trailing dot when Field is empty). It adds Field to the pipeline
// state flattened_fields, the one place the Elasticsearch backends learn of flattened fields:
// a keyed sub-field answers only term, prefix and exists queries exactly, so each backend
// renders those and fails every other leaf on it with unsupported-flattened (what it can
// render depends on the target: the Query DSL has a case-insensitive term, query_string has
// not). This item refuses nothing itself.
//
// Some stores also keep the object as one string rendered like a Java map,
// `{key=value, other=value}` (Elastic's CloudTrail request_parameters, T1648.md §4.1); with
// RenderedField set, a string match under Prefix that is not exact or prefix shaped
// (contains, endswith, inner wildcards), which no flattened field answers, becomes a match of
// `*k1=*k2=<pattern>*` on that string, with a warning: the substring may run into a later key
// (a widening), and values longer than the field's ignore_above are not indexed. A leaf under
// an odd number of `not`s is left alone: there the widening would narrow the rule (a filter
// matching a later key's text drops an event the rule matches).
type flattenedObject struct {
	prefix, field, renderedField string
}

func (t flattenedObject) apply(ctx *applyCtx, it *Item) {
	field := t.field
	if field == "" {
		field = strings.TrimSuffix(t.prefix, ".")
	}
	ctx.rule.Deployment.Add(ir.StateFlattened, field)
	if t.renderedField == "" {
		return
	}
	negated := negatedLeaves(ctx.rule.Conditions)
	ctx.eachItem(it, func(leaf ir.Node) (ir.Node, bool) {
		name := ir.Field(leaf)
		key, ok := strings.CutPrefix(name, t.prefix)
		if !ok || key == "" || negated[leaf] {
			// Under a `not` the widening would drop events the rule matches: the leaf is
			// left on the flattened field, where the backend says what it cannot answer.
			return nil, false
		}
		n, ok := leaf.(*ir.Match)
		if !ok || n.Kind != ir.String {
			return nil, false
		}
		switch n.Pattern.Shape() {
		case ir.ShapeExact, ir.ShapePrefix, ir.ShapeAny:
			return nil, false
		}
		p := ir.Pattern{{Kind: ir.AnyString}}
		for i, k := range strings.Split(key, ".") {
			if i > 0 {
				p = append(p, ir.Segment{Kind: ir.AnyString})
			}
			p = append(p, ir.Segment{Kind: ir.Lit, Text: k + "="})
		}
		p = append(p, n.Pattern...)
		p = append(p, ir.Segment{Kind: ir.AnyString})
		c := *n
		c.Field, c.Pattern = t.renderedField, p.Normalize()
		ctx.trackMapping(it, name, []string{t.renderedField})
		ctx.warnf(it, leaf, diag.PipelineApproximate,
			"%s is matched as %q in the rendered string %s: it may also match text of a later key, and values longer than the index limit are not searchable",
			n, c.Pattern.String(), t.renderedField)
		return &c, true
	})
}

// warningTransform (sigmabridge_warning) reports a warning at each selected detection item:
// the counterpart of detection_item_failure for mappings that are usable but not exact.
type warningTransform struct {
	message string
}

func (t warningTransform) apply(ctx *applyCtx, it *Item) {
	ctx.eachItem(it, func(leaf ir.Node) (ir.Node, bool) {
		ctx.warnf(it, leaf, diag.PipelineApproximate, "%s (%s)", t.message, leaf)
		return nil, false
	})
}

// negatedLeaves returns the leaves that stand under an odd number of Nots.
func negatedLeaves(conds []ir.Node) map[ir.Node]bool {
	out := map[ir.Node]bool{}
	var walk func(n ir.Node, neg bool)
	walk = func(n ir.Node, neg bool) {
		switch x := n.(type) {
		case *ir.Not:
			walk(x.Child, !neg)
		case *ir.And:
			for _, c := range x.Children {
				walk(c, neg)
			}
		case *ir.Or:
			for _, c := range x.Children {
				walk(c, neg)
			}
		case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Match, *ir.Null, *ir.Regex, *ir.TimePart:
			if neg {
				out[n] = true
			}
		}
	}
	for _, c := range conds {
		if c != nil {
			walk(c, false)
		}
	}
	return out
}
