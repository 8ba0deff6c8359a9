package pipeline

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// ApplyCorrelation maps the field names of a correlation rule (group-by fields, alias targets
// and the value field) the way the pipeline maps them in the rules it references; rules holds
// those base rules as loaded (before any pipeline), found by name or id. An alias target is
// mapped in the context of its own rule; any other field must map to the same single field in
// every referenced rule, or the correlation fails with a diagnostic.
func (p *Pipeline) ApplyCorrelation(c *ir.Correlation, rules []*ir.Rule) (*ir.Correlation, diag.List) {
	out := *c
	out.Rules = slices.Clone(c.Rules)
	out.GroupBy = slices.Clone(c.GroupBy)
	out.Condition = slices.Clone(c.Condition)
	out.Aliases = make(map[string]map[string]string, len(c.Aliases))
	var diags diag.List
	fail := func(format string, args ...any) {
		d := diag.Diagnostic{Path: c.Path, Line: c.Line, RuleID: c.ID, Code: diag.PipelineError}
		d.Message = "pipeline " + p.Name + ": " + fmt.Sprintf(format, args...)
		diags = append(diags, d)
	}
	byRef := map[string]*ir.Rule{}
	for _, ref := range c.Rules {
		idx := slices.IndexFunc(rules, func(r *ir.Rule) bool { return r.Name == ref || r.ID == ref })
		if idx < 0 {
			fail("correlation refers to rule %q, which was not given", ref)
			continue
		}
		byRef[ref] = rules[idx]
	}
	single := func(r *ir.Rule, field string) (string, bool) {
		mapped := p.mapFieldFor(r, field)
		if len(mapped) != 1 {
			fail("field %s maps to %d fields (%s) in rule %s; a correlation needs exactly one", field, len(mapped), strings.Join(mapped, ", "), ruleLabel(r))
			return "", false
		}
		return mapped[0], true
	}
	for alias, perRule := range c.Aliases {
		m := make(map[string]string, len(perRule))
		for ref, field := range perRule {
			m[ref] = field
			if r, ok := byRef[ref]; ok {
				if f, ok := single(r, field); ok {
					m[ref] = f
				}
			}
		}
		out.Aliases[alias] = m
	}
	common := func(field string) string {
		var result string
		var from []string
		for _, ref := range c.Rules {
			r, ok := byRef[ref]
			if !ok {
				continue
			}
			f, ok := single(r, field)
			if !ok {
				return field
			}
			if result != "" && f != result {
				fail("field %s maps to %s in some referenced rules and %s in others; use an alias", field, result, f)
				return field
			}
			result = f
			from = append(from, ref)
		}
		if len(from) == 0 {
			return field
		}
		return result
	}
	for i, g := range out.GroupBy {
		if _, isAlias := c.Aliases[g]; isAlias {
			continue
		}
		out.GroupBy[i] = common(g)
	}
	if c.ValueField != "" {
		if _, isAlias := c.Aliases[c.ValueField]; !isAlias {
			out.ValueField = common(c.ValueField)
		}
	}
	if len(c.Aliases) == 0 {
		out.Aliases = maps.Clone(c.Aliases)
	}
	return &out, diags
}

// mapFieldFor returns the names the pipeline gives to field in rule r, by running the pipeline
// on a copy of r whose `fields` list holds only that field (field mappings rename the list
// too, under the same rule and field name conditions).
func (p *Pipeline) mapFieldFor(r *ir.Rule, field string) []string {
	probe := *r
	probe.Fields = []string{field}
	mapped, _ := p.Apply(&probe)
	return mapped.Fields
}

func ruleLabel(r *ir.Rule) string {
	if r.Name != "" {
		return r.Name
	}
	return r.ID
}
