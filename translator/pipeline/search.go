package pipeline

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// searchMap is the `conditions` map of add_condition: a Sigma search whose keys are field
// names with optional modifiers and whose values are a scalar or a list (an Or, or an And with
// the `all` modifier). The entries are ANDed.
type searchMap struct {
	entries []searchEntry
}

type searchEntry struct {
	field     string
	modifiers []string
	values    []*yaml.Node
	line      int
}

// supportedSearchModifiers are the modifiers add_condition accepts. A pipeline condition is a
// log-source or index constraint, so the value-encoding modifiers (base64, wide, windash...)
// are left to rules.
var supportedSearchModifiers = []string{
	"contains", "startswith", "endswith", "all", "cased", "exists", "re", "i", "m", "s",
	"cidr", "gt", "gte", "lt", "lte", "expand",
}

// parseSearchMap reads the conditions mapping of add_condition.
func parseSearchMap(n *yaml.Node) (*searchMap, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: conditions must be a mapping of field names to values", n.Line)
	}
	if len(n.Content) == 0 {
		return nil, fmt.Errorf("line %d: conditions is empty", n.Line)
	}
	sm := &searchMap{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		parts := strings.Split(k.Value, "|")
		e := searchEntry{field: parts[0], modifiers: parts[1:], line: k.Line}
		if e.field == "" {
			return nil, fmt.Errorf("line %d: a condition needs a field name", k.Line)
		}
		for _, m := range e.modifiers {
			if !slices.Contains(supportedSearchModifiers, m) {
				return nil, fmt.Errorf("line %d: modifier %q is not supported in add_condition (supported: %s)",
					k.Line, m, strings.Join(supportedSearchModifiers, ", "))
			}
		}
		switch v.Kind {
		case yaml.ScalarNode:
			e.values = []*yaml.Node{v}
		case yaml.SequenceNode:
			if len(v.Content) == 0 {
				return nil, fmt.Errorf("line %d: empty value list for %s", v.Line, k.Value)
			}
			for _, c := range v.Content {
				if c.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("line %d: values of %s must be scalars", c.Line, k.Value)
				}
			}
			e.values = v.Content
		default:
			return nil, fmt.Errorf("line %d: the value of %s must be a scalar or a list", v.Line, k.Value)
		}
		sm.entries = append(sm.entries, e)
	}
	if _, err := sm.lower(nil); err != nil {
		return nil, err
	}
	return sm, nil
}

// lower builds the IR of the search; subst, when set, rewrites every string value first
// (add_condition templates).
func (sm *searchMap) lower(subst func(string) string) (ir.Node, error) {
	var all []ir.Node
	for _, e := range sm.entries {
		n, err := e.lower(subst)
		if err != nil {
			return nil, err
		}
		all = append(all, n)
	}
	return ir.NewAnd(all...), nil
}

func (e searchEntry) has(m string) bool { return slices.Contains(e.modifiers, m) }

func (e searchEntry) lower(subst func(string) string) (ir.Node, error) {
	var leaves []ir.Node
	for _, v := range e.values {
		n, err := e.leaf(v, subst)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %v", v.Line, e.field, err)
		}
		leaves = append(leaves, n)
	}
	if e.has("all") {
		return ir.NewAnd(leaves...), nil
	}
	return ir.NewOr(leaves...), nil
}

func (e searchEntry) leaf(v *yaml.Node, subst func(string) string) (ir.Node, error) {
	text := v.Value
	tag := v.ShortTag()
	if tag == "!!str" && subst != nil {
		text = subst(text)
	}
	switch {
	case e.has("exists"):
		switch tag {
		case "!!bool":
			ex := &ir.Exists{Field: e.field}
			if text == "true" {
				return ex, nil
			}
			return &ir.Not{Child: ex}, nil
		}
		return nil, fmt.Errorf("exists needs true or false, not %q", text)
	case tag == "!!null":
		return &ir.Null{Field: e.field}, nil
	case e.has("re"):
		flags := ir.RegexFlags{I: e.has("i"), M: e.has("m"), S: e.has("s")}
		return &ir.Regex{Field: e.field, Pattern: text, Flags: flags}, nil
	case e.has("cidr"):
		p, err := netip.ParsePrefix(text)
		if err != nil {
			return nil, fmt.Errorf("invalid CIDR %q", text)
		}
		return &ir.CIDR{Field: e.field, Prefix: p.Masked()}, nil
	}
	for _, op := range []struct {
		mod string
		op  ir.CompareOp
	}{{"gt", ir.GT}, {"gte", ir.GTE}, {"lt", ir.LT}, {"lte", ir.LTE}} {
		if e.has(op.mod) {
			num, err := ir.ParseNum(text)
			if err != nil {
				return nil, fmt.Errorf("%s needs a number, not %q", op.mod, text)
			}
			return &ir.Compare{Field: e.field, Op: op.op, Value: num}, nil
		}
	}
	m := &ir.Match{Field: e.field, Cased: e.has("cased")}
	shaped := e.has("contains") || e.has("startswith") || e.has("endswith")
	switch {
	case tag == "!!int" || tag == "!!float":
		m.Pattern = ir.LiteralPattern(text)
		if !shaped {
			m.Kind = ir.Number
		}
	case tag == "!!bool":
		m.Pattern = ir.LiteralPattern(text)
		if !shaped {
			m.Kind = ir.Bool
		}
	case e.has("expand"):
		m.Pattern = parseWithPlaceholders(text)
	default:
		m.Pattern = ir.ParseSigmaString(text)
	}
	m.Pattern = m.Pattern.Wrap(e.has("contains") || e.has("endswith"), e.has("contains") || e.has("startswith"))
	return m, nil
}

// parseWithPlaceholders parses a Sigma string in which `%name%` is a placeholder.
func parseWithPlaceholders(s string) ir.Pattern {
	var p ir.Pattern
	for {
		start := strings.IndexByte(s, '%')
		if start < 0 {
			break
		}
		end := strings.IndexByte(s[start+1:], '%')
		if end < 0 {
			break
		}
		name := s[start+1 : start+1+end]
		if name == "" {
			p = append(p, ir.ParseSigmaString(s[:start+1])...)
			s = s[start+1:]
			continue
		}
		p = append(p, ir.ParseSigmaString(s[:start])...)
		p = append(p, ir.Segment{Kind: ir.Placeholder, Text: name})
		s = s[start+end+2:]
	}
	p = append(p, ir.ParseSigmaString(s)...)
	return p.Normalize()
}
