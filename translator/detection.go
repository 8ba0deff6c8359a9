package translator

import (
	"sort"

	sigma "github.com/bradleyjkemp/sigma-go"
	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// search is one named search of a detection, lowered.
type search struct {
	name string
	line int
	tree ir.Node // nil when the search failed to lower
}

// lowerDetection lowers every search of a detection block and then every condition.
// detLine is the line of the `detection:` key, used for problems of the block as a whole.
func lowerDetection(path string, det *yaml.Node, detLine int) ([]ir.Node, diag.List) {
	var diags diag.List
	if det.Kind != yaml.MappingNode {
		diags.Add(path, det.Line, diag.RuleStructure, "detection must be a mapping, got %s", kindName(det))
		return nil, diags
	}
	searches := map[string]*search{}
	var order []*search
	b := newBudget()
	var condNodes []*yaml.Node
	var condParent *yaml.Node
	for i := 0; i+1 < len(det.Content); i += 2 {
		key, val := det.Content[i], det.Content[i+1]
		if val.Kind == yaml.AliasNode {
			val = val.Alias
		}
		switch key.Value {
		case "condition":
			condParent = val
			switch val.Kind {
			case yaml.ScalarNode:
				condNodes = []*yaml.Node{val}
			case yaml.SequenceNode:
				for _, c := range val.Content {
					if c.Kind != yaml.ScalarNode {
						diags.Add(path, c.Line, diag.RuleStructure, "each condition must be a string")
						continue
					}
					condNodes = append(condNodes, c)
				}
			default:
				diags.Add(path, val.Line, diag.RuleStructure, "condition must be a string or a list of strings")
			}
			continue
		case "timeframe":
			// Only meaningful for the legacy aggregation syntax, which the condition
			// parser rejects with its own diagnostic; a plain condition ignores it, as
			// the reference converter does.
			continue
		}
		s := &search{name: key.Value, line: key.Line}
		if _, dup := searches[s.name]; dup {
			diags.Add(path, key.Line, diag.RuleStructure, "search %q is defined twice", s.name)
			continue
		}
		if len(order) == MaxSearches {
			diags.Add(path, key.Line, diag.DetectionTooLarge, "the detection defines more than the limit of %d searches (translator.MaxSearches)", MaxSearches)
			return nil, diags
		}
		if b.over() {
			continue // the rule has failed; read on only for the condition key
		}
		tree, ds := lowerSearch(path, key, val, b)
		diags = append(diags, ds...)
		s.tree = tree
		searches[s.name] = s
		order = append(order, s)
	}
	if b.over() {
		return nil, diags // the searches alone are over ir.MaxNodes
	}
	if condParent == nil {
		diags.Add(path, detLine, diag.RuleStructure, "detection has no condition")
		return nil, diags
	}
	if len(order) == 0 {
		diags.Add(path, detLine, diag.RuleStructure, "detection defines no search")
		return nil, diags
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].line < order[j].line })
	var conds []ir.Node
	for _, cn := range condNodes {
		tree, ds := parseCondition(path, cn, searches, order)
		diags = append(diags, ds...)
		if tree == nil {
			continue
		}
		// A condition may name a search many times and nest the searches' own trees:
		// the limits hold for the tree as every consumer walks it.
		if e := ir.CheckLimits(tree); e != nil {
			diags = append(diags, treeLimitDiag(path, cn, e))
			continue
		}
		conds = append(conds, tree)
	}
	return conds, diags
}

// lowerSearch lowers one search: a map (AND of field items), a list of maps (OR of
// maps) or a list of keywords (OR of keywords). The structure comes from sigma-go; the
// values are read from the YAML nodes so their types and text survive exactly.
func lowerSearch(path string, key, val *yaml.Node, b *budget) (ir.Node, diag.List) {
	var diags diag.List
	var s sigma.Search
	if err := s.UnmarshalYAML(val); err != nil {
		diags.Add(path, val.Line, diag.RuleStructure, "search %q: %v", key.Value, err)
		return nil, diags
	}
	switch {
	case s.Keywords != nil:
		var kws []ir.Node
		for _, item := range val.Content {
			if b.over() {
				break
			}
			if item.Kind != yaml.ScalarNode {
				diags.Add(path, item.Line, diag.RuleStructure, "search %q: a keyword list may hold only scalars", key.Value)
				continue
			}
			v, d := scalarValue(path, item)
			if d != nil {
				diags = append(diags, *d)
				continue
			}
			n, ds := lowerItem(path, item, "", nil, []value{v}, true, b)
			diags = append(diags, ds...)
			if n != nil {
				kws = append(kws, n)
			}
		}
		if diags.HasErrors() {
			return nil, diags
		}
		return ir.NewOr(kws...), diags
	case val.Kind == yaml.MappingNode:
		n, ds := lowerMap(path, val, s.EventMatchers[0], b)
		return n, ds
	default: // list of maps
		var alts []ir.Node
		for i, m := range val.Content {
			if b.over() {
				break
			}
			if m.Kind != yaml.MappingNode {
				diags.Add(path, m.Line, diag.RuleStructure, "search %q: a list must hold only maps or only scalars", key.Value)
				continue
			}
			n, ds := lowerMap(path, m, s.EventMatchers[i], b)
			diags = append(diags, ds...)
			if n != nil {
				alts = append(alts, n)
			}
		}
		if diags.HasErrors() {
			return nil, diags
		}
		return ir.NewOr(alts...), diags
	}
}

// lowerMap lowers one map of field items into the AND of the items.
func lowerMap(path string, m *yaml.Node, em sigma.EventMatcher, b *budget) (ir.Node, diag.List) {
	var diags diag.List
	if len(m.Content) == 0 {
		diags.Add(path, m.Line, diag.RuleStructure, "an empty map matches nothing; remove it")
		return nil, diags
	}
	var items []ir.Node
	for i, fm := range em {
		if b.over() {
			break
		}
		keyNode, valNode := m.Content[2*i], m.Content[2*i+1]
		if valNode.Kind == yaml.AliasNode {
			valNode = valNode.Alias
		}
		var values []value
		switch valNode.Kind {
		case yaml.ScalarNode:
			v, d := scalarValue(path, valNode)
			if d != nil {
				diags = append(diags, *d)
				continue
			}
			values = []value{v}
		case yaml.SequenceNode:
			if len(valNode.Content) == 0 {
				diags.Add(path, valNode.Line, diag.InvalidValue, "field %q has an empty value list", fm.Field)
				continue
			}
			ok := true
			for _, c := range valNode.Content {
				if c.Kind == yaml.AliasNode {
					c = c.Alias
				}
				if c.Kind != yaml.ScalarNode {
					diags.Add(path, c.Line, diag.InvalidValue, "field %q: a value list may hold only scalars", fm.Field)
					ok = false
					continue
				}
				v, d := scalarValue(path, c)
				if d != nil {
					diags = append(diags, *d)
					ok = false
					continue
				}
				values = append(values, v)
			}
			if !ok {
				continue
			}
		default:
			diags.Add(path, valNode.Line, diag.InvalidValue, "field %q: a value must be a scalar or a list of scalars, got %s", fm.Field, kindName(valNode))
			continue
		}
		n, ds := lowerItem(path, keyNode, fm.Field, fm.Modifiers, values, false, b)
		diags = append(diags, ds...)
		if n != nil {
			items = append(items, n)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return ir.NewAnd(items...), diags
}
