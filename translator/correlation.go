package translator

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// MaxTimespan is the longest correlation timespan accepted: the evaluator keeps the events
// of one timespan per group, so the bound is also its memory bound in time.
const MaxTimespan = 31 * 24 * time.Hour

// MaxCorrelationRules is the most rules one correlation may name.
const MaxCorrelationRules = 64

// LowerSet lowers every document of a parsed file: detection rules, correlation rules and
// filters. References between them are left as written; RuleSet resolution (Resolve) binds
// them once every file is loaded, because a correlation may name rules of other files.
func LowerSet(f *sigma.File) (*ir.RuleSet, diag.List) {
	set := &ir.RuleSet{}
	var diags diag.List
	for _, doc := range f.Docs {
		switch doc.Kind {
		case sigma.KindCorrelation:
			c, ds := lowerCorrelation(f.Path, doc)
			diags = append(diags, ds...)
			if c != nil {
				set.Correlations = append(set.Correlations, c)
			}
		case sigma.KindFilter:
			flt, ds := lowerFilter(f.Path, doc)
			diags = append(diags, ds...)
			if flt != nil {
				set.Filters = append(set.Filters, flt)
			}
		default:
			rule, ds := lowerDocument(f.Path, doc)
			diags = append(diags, ds...)
			if rule != nil {
				set.Rules = append(set.Rules, rule)
			}
		}
	}
	if f.Err != nil {
		diags = append(diags, *f.Err)
	}
	return set, diags
}

// correlationKeys are the keys a correlation block may hold.
var correlationKeys = map[string]bool{
	"type": true, "rules": true, "group-by": true, "timespan": true, "timeframe": true,
	"condition": true, "aliases": true, "generate": true, "field": true, "percentile": true,
}

func lowerCorrelation(path string, doc *sigma.Document) (*ir.Correlation, diag.List) {
	var diags diag.List
	c := &ir.Correlation{
		Path: path, Line: doc.Node.Line, Doc: doc.Index,
		ID: doc.Scalar("id"), Name: doc.Scalar("name"), Title: doc.Scalar("title"),
		Level: doc.Scalar("level"), Status: doc.Scalar("status"), Description: doc.Scalar("description"),
		Tags: sigma.StringList(doc.Value("tags")), FalsePositives: sigma.StringList(doc.Value("falsepositives")),
		Author: sigma.ScalarString(doc.Value("author")), References: sigma.StringList(doc.Value("references")),
	}
	add := func(line int, code diag.Code, format string, args ...any) {
		diags = append(diags, diag.Diagnostic{Path: path, Line: line, RuleID: c.ID, Code: code,
			Message: c.Label() + ": " + fmt.Sprintf(format, args...)})
	}
	n := doc.Value("correlation")
	if n.Kind != yaml.MappingNode {
		add(doc.KeyLine("correlation"), diag.CorrelationStructure, "the correlation block must be a mapping, got %s", sigma.KindName(n))
		return nil, diags
	}
	m := sigma.MappingIndex(n)
	line := func(key string) int {
		if l := sigma.KeyLine(n, key); l > 0 {
			return l
		}
		return n.Line
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !correlationKeys[k] {
			add(n.Content[i].Line, diag.CorrelationStructure, "unknown key %q in the correlation block", k)
		}
	}

	// type
	typ := m["type"]
	c.Type = ir.CorrelationType(sigma.ScalarString(typ))
	switch {
	case typ == nil:
		add(n.Line, diag.CorrelationType, "the correlation has no type (one of %s)", typeNames())
	case !c.Type.Valid():
		add(line("type"), diag.CorrelationType, "unknown correlation type %q (one of %s)", sigma.ScalarString(typ), typeNames())
	}

	// rules
	rn := m["rules"]
	var names []string
	switch {
	case rn == nil:
		add(n.Line, diag.CorrelationStructure, "the correlation names no rules (`rules`)")
	case rn.Kind == yaml.ScalarNode && rn.Tag != "!!null":
		names = []string{rn.Value}
	case rn.Kind == yaml.SequenceNode:
		for _, e := range rn.Content {
			e = sigma.Resolve(e)
			if e.Kind != yaml.ScalarNode || e.Value == "" {
				add(e.Line, diag.CorrelationStructure, "each entry of `rules` must be a rule name or id, got %s", sigma.KindName(e))
				continue
			}
			names = append(names, e.Value)
		}
	default:
		add(line("rules"), diag.CorrelationStructure, "`rules` must be a list of rule names or ids, got %s", sigma.KindName(rn))
	}
	if len(names) > MaxCorrelationRules {
		add(line("rules"), diag.CorrelationStructure, "%d rules named, more than the limit of %d", len(names), MaxCorrelationRules)
		names = nil
	}
	seen := map[string]bool{}
	for _, nm := range names {
		if seen[nm] {
			add(line("rules"), diag.CorrelationReference, "rule %q is named twice", nm)
			continue
		}
		seen[nm] = true
		c.Refs = append(c.Refs, ir.CorrelationRef{Name: nm, Rule: -1, Correlation: -1})
	}
	if c.Type.IsTemporal() && len(c.Refs) == 1 {
		add(line("rules"), diag.CorrelationReference, "a %s correlation needs at least two rules, got one", c.Type)
	}

	// timespan (Sigma 2.x; `timeframe` is the older spelling)
	tsKey := "timespan"
	ts := m["timespan"]
	if ts == nil && m["timeframe"] != nil {
		tsKey, ts = "timeframe", m["timeframe"]
	}
	if ts == nil {
		add(n.Line, diag.CorrelationTimespan, "the correlation has no timespan (like 30s, 5m, 1h, 1d)")
	} else if d, err := ParseTimespan(sigma.ScalarString(ts)); err != nil {
		add(line(tsKey), diag.CorrelationTimespan, "%v", err)
	} else {
		c.Timespan = d
	}

	// group-by
	if g := m["group-by"]; g != nil {
		switch {
		case g.Kind == yaml.ScalarNode && g.Tag != "!!null" && g.Value != "":
			c.GroupBy = []string{g.Value}
		case g.Kind == yaml.SequenceNode:
			for _, e := range g.Content {
				e = sigma.Resolve(e)
				if e.Kind != yaml.ScalarNode || e.Value == "" {
					add(e.Line, diag.CorrelationField, "each group-by entry must be a field name, got %s", sigma.KindName(e))
					continue
				}
				c.GroupBy = append(c.GroupBy, e.Value)
			}
		default:
			add(line("group-by"), diag.CorrelationField, "`group-by` must be a list of field names, got %s", sigma.KindName(g))
		}
	}

	// aliases: alias -> { rule name: field }
	if a := m["aliases"]; a != nil {
		if a.Kind != yaml.MappingNode {
			add(line("aliases"), diag.CorrelationField, "`aliases` must be a mapping of alias to {rule: field}, got %s", sigma.KindName(a))
		} else {
			c.Aliases = map[string]map[string]string{}
			for i := 0; i+1 < len(a.Content); i += 2 {
				name, v := a.Content[i].Value, sigma.Resolve(a.Content[i+1])
				if v.Kind != yaml.MappingNode {
					add(a.Content[i].Line, diag.CorrelationField, "alias %q must map each rule to a field, got %s", name, sigma.KindName(v))
					continue
				}
				per := map[string]string{}
				for j := 0; j+1 < len(v.Content); j += 2 {
					rule, f := v.Content[j].Value, sigma.Resolve(v.Content[j+1])
					if !seen[rule] {
						add(v.Content[j].Line, diag.CorrelationField, "alias %q gives a field for %q, which the correlation does not name", name, rule)
						continue
					}
					if f.Kind != yaml.ScalarNode || f.Value == "" {
						add(f.Line, diag.CorrelationField, "alias %q: the field for %q must be a field name, got %s", name, rule, sigma.KindName(f))
						continue
					}
					per[rule] = f.Value
				}
				for _, r := range c.Refs {
					if _, ok := per[r.Name]; !ok {
						add(a.Content[i].Line, diag.CorrelationField, "alias %q gives no field for rule %q", name, r.Name)
					}
				}
				c.Aliases[name] = per
			}
			for name := range c.Aliases {
				found := false
				for _, g := range c.GroupBy {
					found = found || g == name
				}
				if !found {
					add(line("aliases"), diag.CorrelationField, "alias %q is not used in group-by", name)
				}
			}
		}
	}

	// generate
	if g := m["generate"]; g != nil {
		switch {
		case g.Kind == yaml.ScalarNode && (g.Value == "true" || g.Value == "false"):
			c.Generate = g.Value == "true"
		default:
			add(line("generate"), diag.CorrelationStructure, "`generate` must be true or false, got %q", sigma.ScalarString(g))
		}
	}

	// condition (and field, which Sigma 2.x puts inside it; older files beside it)
	lowerCorrelationCondition(c, m, line, add)
	if diags.HasErrors() {
		return nil, diags
	}
	return c, diags
}

func lowerCorrelationCondition(c *ir.Correlation, m map[string]*yaml.Node, line func(string) int, add func(int, diag.Code, string, ...any)) {
	cond := m["condition"]
	field := sigma.ScalarString(m["field"])
	fieldLine := line("field")
	pct := m["percentile"]
	if cond != nil && cond.Kind != yaml.MappingNode {
		add(line("condition"), diag.CorrelationCondition, "the condition must be a mapping like {gte: 3}, got %s", sigma.KindName(cond))
		return
	}
	bounds := 0
	if cond != nil {
		for i := 0; i+1 < len(cond.Content); i += 2 {
			k, v := cond.Content[i], sigma.Resolve(cond.Content[i+1])
			switch k.Value {
			case "field":
				if v.Kind != yaml.ScalarNode || v.Value == "" {
					add(k.Line, diag.CorrelationField, "`field` must be a field name, got %s", sigma.KindName(v))
					continue
				}
				field, fieldLine = v.Value, k.Line
				continue
			case "percentile":
				pct = v
				continue
			case "gt", "gte", "lt", "lte", "eq":
			default:
				add(k.Line, diag.CorrelationCondition, "unknown condition operator %q (gt, gte, lt, lte, eq)", k.Value)
				continue
			}
			x, err := strconv.ParseFloat(sigma.ScalarString(v), 64)
			if v.Kind != yaml.ScalarNode || err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				add(v.Line, diag.CorrelationCondition, "%s needs a number, got %q", k.Value, sigma.ScalarString(v))
				continue
			}
			r := &c.Condition
			bounds++
			switch k.Value {
			case "gt", "gte":
				if r.HasMin {
					add(k.Line, diag.CorrelationCondition, "two lower bounds (%s and an earlier gt/gte/eq)", k.Value)
				}
				r.HasMin, r.MinIncl, r.Min = true, k.Value == "gte", x
			case "lt", "lte":
				if r.HasMax {
					add(k.Line, diag.CorrelationCondition, "two upper bounds (%s and an earlier lt/lte/eq)", k.Value)
				}
				r.HasMax, r.MaxIncl, r.Max = true, k.Value == "lte", x
			case "eq":
				if r.HasMin || r.HasMax {
					add(k.Line, diag.CorrelationCondition, "eq cannot be combined with another bound")
				}
				*r = ir.Range{HasMin: true, MinIncl: true, Min: x, HasMax: true, MaxIncl: true, Max: x}
			}
		}
		r := c.Condition
		if r.HasMin && r.HasMax && (r.Min > r.Max || (r.Min == r.Max && !(r.MinIncl && r.MaxIncl))) {
			add(line("condition"), diag.CorrelationCondition, "the condition %s holds for no value", r)
		}
	}
	switch {
	case c.Type == ir.TemporalOrdered && bounds > 0:
		add(line("condition"), diag.CorrelationCondition, "a temporal_ordered correlation takes no condition: every rule must match, in order")
	case c.Type.IsTemporal():
		if bounds == 0 {
			// Every named rule must have matched.
			c.Condition = ir.Range{HasMin: true, MinIncl: true, Min: float64(len(c.Refs))}
		}
	case c.Type.Valid() && bounds == 0:
		add(line("condition"), diag.CorrelationCondition, "a %s correlation needs a condition with a bound (gt, gte, lt, lte or eq)", c.Type)
	}
	if c.Type.NeedsField() {
		if field == "" {
			add(line("condition"), diag.CorrelationField, "a %s correlation needs `field` in its condition", c.Type)
		}
		c.Field = field
	} else if field != "" && c.Type.Valid() {
		add(fieldLine, diag.CorrelationField, "`field` has no meaning for a %s correlation", c.Type)
	}
	if c.Type == ir.ValuePercentile {
		x, err := strconv.ParseFloat(sigma.ScalarString(pct), 64)
		switch {
		case pct == nil:
			add(line("condition"), diag.CorrelationCondition, "value_percentile needs `percentile` (0 to 100)")
		case err != nil || x < 0 || x > 100 || math.IsNaN(x):
			add(pct.Line, diag.CorrelationCondition, "percentile must be a number from 0 to 100, got %q", sigma.ScalarString(pct))
		default:
			c.Percentile = x
		}
	} else if pct != nil {
		add(pct.Line, diag.CorrelationCondition, "`percentile` has no meaning for a %s correlation", c.Type)
	}
}

func typeNames() string {
	var s []string
	for _, t := range ir.CorrelationTypes {
		s = append(s, string(t))
	}
	return strings.Join(s, ", ")
}

// ParseTimespan reads a Sigma timespan: a positive integer followed by s, m, h, d or w
// (30s, 5m, 1h, 1d), at most MaxTimespan.
func ParseTimespan(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("timespan %q is not a number followed by s, m, h, d or w (like 5m)", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 32)
	if unit == 0 || err != nil {
		return 0, fmt.Errorf("timespan %q is not a number followed by s, m, h, d or w (like 5m)", s)
	}
	if n == 0 {
		return 0, fmt.Errorf("timespan %q is zero", s)
	}
	d := time.Duration(n) * unit
	if d > MaxTimespan || d/unit != time.Duration(n) {
		return 0, fmt.Errorf("timespan %q is longer than the limit of %s", s, MaxTimespan)
	}
	return d, nil
}

func lowerFilter(path string, doc *sigma.Document) (*ir.Filter, diag.List) {
	var diags diag.List
	f := &ir.Filter{Path: path, Line: doc.Node.Line, ID: doc.Scalar("id"), Name: doc.Scalar("name"), Title: doc.Scalar("title")}
	label := "filter"
	if f.Title != "" {
		label = fmt.Sprintf("filter %q", f.Title)
	}
	n := doc.Value("filter")
	if n.Kind != yaml.MappingNode || doc.Filter == nil {
		diags.Add(path, doc.KeyLine("filter"), diag.RuleStructure, "%s: the filter block must be a mapping, got %s", label, sigma.KindName(n))
		return nil, diags
	}
	if ls := doc.Value("logsource"); ls != nil && ls.Kind == yaml.MappingNode {
		lm := sigma.MappingIndex(ls)
		f.Logsource = ir.Logsource{Category: sigma.ScalarString(lm["category"]), Product: sigma.ScalarString(lm["product"]),
			Service: sigma.ScalarString(lm["service"]), Definition: sigma.ScalarString(lm["definition"])}
	}
	f.Rules = doc.Filter.Rules
	if len(f.Rules) == 0 {
		diags.Add(path, doc.KeyLine("filter"), diag.FilterReference, "%s names no rule (`rules` under `filter`)", label)
	}
	conds, ds := lowerDetection(path, doc.Filter.Detection, doc.KeyLine("filter"))
	diags = append(diags, ds...)
	for i := range diags {
		diags[i].RuleID = f.ID
	}
	if diags.HasErrors() || len(conds) == 0 {
		return nil, diags
	}
	f.Condition = conds[0]
	if len(conds) > 1 {
		f.Condition = &ir.Or{Children: conds}
	}
	return f, diags
}

// Resolve binds the references of a loaded set: each correlation's rules (by name first,
// then id, across every file of the set; a correlation may name another correlation), and
// each filter's rules, whose conditions become `condition and not filter`. A correlation
// with an unknown, ambiguous or circular reference is removed with a diagnostic, as are the
// correlations that name it; a filter naming an unknown rule is reported and the rules it
// does name are filtered.
func Resolve(set *ir.RuleSet) diag.List {
	var diags diag.List
	type target struct{ rule, corr int }
	byName := map[string][]target{}
	byID := map[string][]target{}
	for i, r := range set.Rules {
		if r.Name != "" {
			byName[r.Name] = append(byName[r.Name], target{i, -1})
		}
		if r.ID != "" {
			byID[r.ID] = append(byID[r.ID], target{i, -1})
		}
	}
	for i, c := range set.Correlations {
		if c.Name != "" {
			byName[c.Name] = append(byName[c.Name], target{-1, i})
		}
		if c.ID != "" {
			byID[c.ID] = append(byID[c.ID], target{-1, i})
		}
	}
	lookup := func(ref string) ([]target, string) {
		if t := byName[ref]; len(t) > 0 {
			return t, "name"
		}
		return byID[ref], "id"
	}
	bad := make([]bool, len(set.Correlations))
	for i, c := range set.Correlations {
		for j := range c.Refs {
			ts, by := lookup(c.Refs[j].Name)
			switch {
			case len(ts) == 0:
				diags = append(diags, corrDiag(c, diag.CorrelationReference, "no rule or correlation has the name or id %q", c.Refs[j].Name))
				bad[i] = true
			case len(ts) > 1:
				diags = append(diags, corrDiag(c, diag.CorrelationReference, "%d rules have the %s %q", len(ts), by, c.Refs[j].Name))
				bad[i] = true
			case ts[0].corr == i:
				diags = append(diags, corrDiag(c, diag.CorrelationReference, "names itself (%q)", c.Refs[j].Name))
				bad[i] = true
			default:
				c.Refs[j].Rule, c.Refs[j].Correlation = ts[0].rule, ts[0].corr
			}
		}
	}
	// Cycles, and correlations that depend on a bad one.
	state := make([]uint8, len(set.Correlations)) // 0 new, 1 on the path, 2 done
	var visit func(i int) bool
	visit = func(i int) bool {
		switch state[i] {
		case 1:
			return false
		case 2:
			return !bad[i]
		}
		state[i] = 1
		ok := !bad[i]
		for _, r := range set.Correlations[i].Refs {
			if r.Correlation >= 0 && !visit(r.Correlation) {
				if state[r.Correlation] == 1 {
					diags = append(diags, corrDiag(set.Correlations[i], diag.CorrelationReference, "is part of a cycle through %q", r.Name))
				} else if ok {
					diags = append(diags, corrDiag(set.Correlations[i], diag.CorrelationReference, "names %q, which failed", r.Name))
				}
				ok = false
			}
		}
		state[i] = 2
		bad[i] = !ok
		return ok
	}
	for i := range set.Correlations {
		visit(i)
	}
	// Keep the good ones and renumber the references to correlations.
	newIndex := make([]int, len(set.Correlations))
	var kept []*ir.Correlation
	for i, c := range set.Correlations {
		newIndex[i] = -1
		if !bad[i] {
			newIndex[i] = len(kept)
			kept = append(kept, c)
		}
	}
	for _, c := range kept {
		for j := range c.Refs {
			if c.Refs[j].Correlation >= 0 {
				c.Refs[j].Correlation = newIndex[c.Refs[j].Correlation]
			}
		}
	}
	set.Correlations = kept

	// Filters: rule AND NOT filter, for each rule named.
	for _, f := range set.Filters {
		for _, ref := range f.Rules {
			ts, _ := lookup(ref)
			var rules []int
			for _, t := range ts {
				if t.rule >= 0 {
					rules = append(rules, t.rule)
				}
			}
			if len(rules) == 0 {
				diags.Add(f.Path, f.Line, diag.FilterReference, "filter %q names %q, which is no rule of the set", f.Title, ref)
				continue
			}
			sort.Ints(rules)
			for _, i := range rules {
				r := set.Rules[i].Clone()
				for k, cond := range r.Conditions {
					r.Conditions[k] = &ir.And{Children: []ir.Node{cond, &ir.Not{Child: f.Condition}}}
				}
				set.Rules[i] = r
			}
		}
	}
	return diags
}

func corrDiag(c *ir.Correlation, code diag.Code, format string, args ...any) diag.Diagnostic {
	return diag.Diagnostic{Path: c.Path, Line: c.Line, RuleID: c.ID, Code: code, Message: c.Label() + ": " + fmt.Sprintf(format, args...)}
}
