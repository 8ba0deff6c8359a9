package translator

import (
	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// search is one named search of a detection, lowered.
type search struct {
	name string
	tree ir.Node // nil when the search failed to lower
}

// lowerDetection lowers every search of a detection block and then every condition.
// detLine is the line of the `detection:` key, used for problems of the block as a whole.
func lowerDetection(path string, det *sigma.Detection, detLine int) ([]ir.Node, diag.List) {
	var diags diag.List
	searches := map[string]*search{}
	var order []*search
	b := newBudget()
	for _, s := range det.Searches {
		if b.over() {
			break // the rule has failed
		}
		tree, ds := lowerSearch(path, s, b)
		diags = append(diags, ds...)
		ls := &search{name: s.Name, tree: tree}
		searches[ls.name] = ls
		order = append(order, ls)
	}
	diags = append(diags, det.Diags...)
	if det.Node.Kind != yaml.MappingNode || det.TooManySearches || b.over() {
		return nil, diags // reported: not a mapping, too many searches, over ir.MaxNodes
	}
	if det.CondKey == nil {
		diags.Add(path, detLine, diag.RuleStructure, "detection has no condition")
		return nil, diags
	}
	if len(order) == 0 {
		diags.Add(path, detLine, diag.RuleStructure, "detection defines no search")
		return nil, diags
	}
	var conds []ir.Node
	for _, c := range det.Conditions {
		tree, ds := lowerCondition(path, c, searches, order)
		diags = append(diags, ds...)
		if tree == nil {
			continue
		}
		// A condition may name a search many times and nest the searches' own trees:
		// the limits hold for the tree as every consumer walks it.
		if e := ir.CheckLimits(tree); e != nil {
			diags = append(diags, treeLimitDiag(path, c, e))
			continue
		}
		conds = append(conds, tree)
	}
	return conds, diags
}

// LowerSearch lowers one search outside a rule (a pipeline's add_condition) exactly as a
// rule's search is lowered, under the same node budget.
func LowerSearch(path string, s *sigma.Search) (ir.Node, diag.List) {
	return lowerSearch(path, s, newBudget())
}

// lowerSearch lowers one search: a map (AND of field items), a list of maps (OR of maps)
// or a list of keywords (OR of keywords).
func lowerSearch(path string, s *sigma.Search, b *budget) (ir.Node, diag.List) {
	if s.Err != nil {
		return nil, diag.List{*s.Err}
	}
	var diags diag.List
	if s.Keywords != nil {
		var kws []ir.Node
		for _, v := range s.Keywords.Values {
			if b.over() {
				break
			}
			if v.Err != nil {
				diags = append(diags, *v.Err)
				continue
			}
			n, ds := lowerItem(path, v.Node, "", nil, []sigma.Value{v}, true, b)
			diags = append(diags, ds...)
			if n != nil {
				kws = append(kws, n)
			}
		}
		if diags.HasErrors() {
			return nil, diags
		}
		return ir.NewOr(kws...), diags
	}
	if s.Value.Kind == yaml.MappingNode {
		return lowerMap(path, s.Maps[0], b)
	}
	var alts []ir.Node
	for _, m := range s.Maps {
		if b.over() {
			break
		}
		n, ds := lowerMap(path, m, b)
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

// lowerMap lowers one map of field items into the AND of the items.
func lowerMap(path string, m *sigma.Map, b *budget) (ir.Node, diag.List) {
	if m.Err != nil {
		return nil, diag.List{*m.Err}
	}
	var diags diag.List
	var items []ir.Node
	for _, it := range m.Items {
		if b.over() {
			break
		}
		if it.Err != nil {
			diags = append(diags, *it.Err)
			continue
		}
		ok := true
		for _, v := range it.Values {
			if v.Err != nil {
				diags = append(diags, *v.Err)
				ok = false
			}
		}
		if !ok {
			continue
		}
		n, ds := lowerItem(path, it.Key, it.Field, it.Modifiers, it.Values, false, b)
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
