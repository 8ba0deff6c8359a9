package evaluator

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// minSetSize is the number of exact alternatives on one field from which an OR is matched
// through a hash set instead of one comparison each.
const minSetSize = 4

// compiler lowers the detection trees of one rule into cnodes.
type compiler struct {
	trie     *pathTrie
	rule     *ir.Rule
	keywords bool // a Keyword node was compiled
	errs     diag.List
}

func (c *compiler) fail(n ir.Node, code diag.Code, format string, args ...any) {
	line := ir.Position(n).Line
	if line == 0 {
		line = c.rule.Line
	}
	c.errs = append(c.errs, diag.Diagnostic{
		Path:    c.rule.Path,
		Line:    line,
		RuleID:  c.rule.ID,
		Code:    code,
		Message: fmt.Sprintf("rule %q: %s", ruleName(c.rule), fmt.Sprintf(format, args...)),
	})
}

func ruleName(r *ir.Rule) string {
	switch {
	case r.Title != "":
		return r.Title
	case r.ID != "":
		return r.ID
	case r.Name != "":
		return r.Name
	}
	return r.Path
}

// compileNode lowers n; it returns nil after recording an error.
func (c *compiler) compileNode(n ir.Node) cnode {
	switch n := n.(type) {
	case *ir.And:
		return c.compileList(n, n.Children, true)
	case *ir.Or:
		return c.compileList(n, n.Children, false)
	case *ir.Not:
		child := c.compileNode(n.Child)
		if child == nil {
			return nil
		}
		return &notNode{child: child}
	case *ir.Match:
		if len(n.Pattern.Placeholders()) > 0 {
			c.fail(n, diag.UnresolvedPlaceholder, "field %s: placeholder %%%s%% has no value",
				n.Field, n.Pattern.Placeholders()[0])
			return nil
		}
		mn := &matchNode{slot: c.trie.slot(n.Field), g: compileGlob(n.Pattern, !n.Cased), fold: !n.Cased}
		if n.Kind == ir.Number && n.Pattern.Shape() == ir.ShapeExact {
			if num, err := ir.ParseNum(n.Pattern.Literal()); err == nil {
				mn.isNum, mn.num = true, num.Value
			}
		}
		return mn
	case *ir.Keyword:
		if len(n.Pattern.Placeholders()) > 0 {
			c.fail(n, diag.UnresolvedPlaceholder, "keyword: placeholder %%%s%% has no value",
				n.Pattern.Placeholders()[0])
			return nil
		}
		c.keywords = true
		return &keywordNode{g: compileGlob(n.Pattern.Wrap(true, true), !n.Cased), fold: !n.Cased}
	case *ir.Regex:
		re, err := regexp.Compile(regexFlags(n.Flags) + n.Pattern)
		if err != nil {
			c.fail(n, diag.InvalidValue, "field %s: invalid regular expression %q: %v", n.Field, n.Pattern, err)
			return nil
		}
		return &regexNode{slot: c.trie.slot(n.Field), re: re}
	case *ir.CIDR:
		if !n.Prefix.IsValid() {
			c.fail(n, diag.InvalidValue, "field %s: invalid CIDR prefix", n.Field)
			return nil
		}
		return &cidrNode{slot: c.trie.slot(n.Field), prefix: n.Prefix.Masked()}
	case *ir.Compare:
		return &compareNode{slot: c.trie.slot(n.Field), op: n.Op, bound: n.Value.Value}
	case *ir.Exists:
		return &existsNode{slot: c.trie.slot(n.Field)}
	case *ir.Null:
		return &nullNode{slot: c.trie.slot(n.Field)}
	case *ir.FieldRef:
		switch n.Shape {
		case ir.ShapeExact, ir.ShapePrefix, ir.ShapeSuffix, ir.ShapeContains:
		default:
			c.fail(n, diag.InvalidModifier, "fieldref %s: shape %s is not a fieldref shape", n.Field, n.Shape)
			return nil
		}
		return &fieldRefNode{slot: c.trie.slot(n.Field), ref: c.trie.slot(n.Ref), shape: n.Shape, fold: !n.Cased}
	case *ir.TimePart:
		return &timePartNode{slot: c.trie.slot(n.Field), part: n.Part, value: n.Value}
	case nil:
		c.fail(nil, diag.RuleStructure, "empty detection node")
		return nil
	}
	c.fail(n, diag.RuleStructure, "unknown node type %T", n)
	return nil
}

func regexFlags(f ir.RegexFlags) string {
	if s := f.String(); s != "" {
		return "(?" + s + ")"
	}
	return ""
}

// compileList lowers the children of an And (and) or Or, groups exact alternatives on one
// field into a set, and orders children so that cheap tests run first.
func (c *compiler) compileList(n ir.Node, children []ir.Node, and bool) cnode {
	if len(children) == 0 {
		c.fail(n, diag.RuleStructure, "%s with no operand", map[bool]string{true: "and", false: "or"}[and])
		return nil
	}
	var out []cnode
	failed := false
	if !and {
		children = c.groupExact(&out, children)
	}
	for _, ch := range children {
		cn := c.compileNode(ch)
		if cn == nil {
			failed = true
			continue
		}
		out = append(out, cn)
	}
	if failed {
		return nil
	}
	if len(out) == 1 {
		return out[0]
	}
	sort.SliceStable(out, func(i, j int) bool { return nodeCost(out[i]) < nodeCost(out[j]) })
	if and {
		return &andNode{children: out}
	}
	return &orNode{children: out}
}

// groupExact moves case-insensitive exact string matches of an OR into set nodes when a
// field has at least minSetSize of them, and returns the children left.
func (c *compiler) groupExact(out *[]cnode, children []ir.Node) []ir.Node {
	byField := map[string][]string{}
	for _, ch := range children {
		if m, ok := ch.(*ir.Match); ok && setCandidate(m) {
			byField[m.Field] = append(byField[m.Field], foldString(m.Pattern.Literal()))
		}
	}
	var rest []ir.Node
	for _, ch := range children {
		if m, ok := ch.(*ir.Match); ok && setCandidate(m) && len(byField[m.Field]) >= minSetSize {
			continue
		}
		rest = append(rest, ch)
	}
	fields := make([]string, 0, len(byField))
	for f, lits := range byField {
		if len(lits) >= minSetSize {
			fields = append(fields, f)
		}
	}
	sort.Strings(fields)
	for _, f := range fields {
		set := make(map[string]struct{}, len(byField[f]))
		for _, l := range byField[f] {
			set[l] = struct{}{}
		}
		*out = append(*out, &setNode{slot: c.trie.slot(f), set: set})
	}
	return rest
}

func setCandidate(m *ir.Match) bool {
	return !m.Cased && m.Kind == ir.String && m.Pattern.Shape() == ir.ShapeExact
}

// nodeCost is a rough relative cost of evaluating a node, used only to order siblings.
func nodeCost(n cnode) int {
	switch n := n.(type) {
	case *existsNode, *nullNode:
		return 0
	case *setNode:
		return 1
	case *matchNode:
		switch n.g.kind {
		case globExact, globAny:
			return 1
		case globPrefix, globSuffix:
			return 2
		case globContains:
			return 3
		}
		return 5
	case *compareNode:
		return 3
	case *cidrNode, *fieldRefNode, *keywordNode:
		return 6
	case *timePartNode:
		return 7
	case *regexNode:
		return 10
	case *notNode:
		return nodeCost(n.child)
	case *andNode:
		return listCost(n.children)
	case *orNode:
		return listCost(n.children)
	}
	return 10
}

func listCost(cs []cnode) int {
	sum := 0
	for _, c := range cs {
		sum += nodeCost(c)
	}
	return sum
}
