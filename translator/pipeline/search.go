package pipeline

import (
	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// readAddCondition reads the `conditions` map of add_condition: a Sigma search, read by
// package sigma and lowered by translator.LowerSearch exactly as a rule's search is, so an
// item (its modifiers, placeholders under expand, invalid values) means the same in a
// pipeline as in a rule. The diagnostics keep the loader's codes.
func readAddCondition(path string, n *yaml.Node) (*sigma.Search, ir.Node, diag.List) {
	var diags diag.List
	if n.Kind != yaml.MappingNode {
		diags.Add(path, n.Line, diag.PipelineError, "conditions must be a mapping of field names to values")
		return nil, nil, diags
	}
	if len(n.Content) == 0 {
		diags.Add(path, n.Line, diag.PipelineError, "conditions is empty")
		return nil, nil, diags
	}
	s := sigma.ParseSearch(path, &yaml.Node{Kind: yaml.ScalarNode, Value: "conditions", Line: n.Line, Column: n.Column}, n)
	tree, diags := lowerConditions(path, s)
	return s, tree, diags
}

// lowerConditions lowers add_condition's search. Its leaves carry no position: they do not
// come from the rule they are added to.
func lowerConditions(path string, s *sigma.Search) (ir.Node, diag.List) {
	tree, diags := translator.LowerSearch(path, s)
	if diags.HasErrors() {
		return nil, diags
	}
	return rewrite(tree, func(n ir.Node) (ir.Node, bool) {
		if l, ok := n.(ir.Leaf); ok {
			return l.WithPos(ir.Pos{}), true
		}
		return nil, false
	}), diags
}

// substituted returns a copy of the search with subst applied to every string value
// (add_condition templates); s is not changed.
func substituted(s *sigma.Search, subst func(string) string) *sigma.Search {
	out := *s
	out.Maps = make([]*sigma.Map, len(s.Maps))
	for i, m := range s.Maps {
		mc := *m
		mc.Items = make([]*sigma.Item, len(m.Items))
		for j, it := range m.Items {
			ic := *it
			ic.Values = make([]sigma.Value, len(it.Values))
			for k, v := range it.Values {
				if v.Kind == sigma.String {
					v.Text = subst(v.Text)
				}
				ic.Values[k] = v
			}
			mc.Items[j] = &ic
		}
		out.Maps[i] = &mc
	}
	return &out
}
