package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// ParseFile reads a pipeline file.
func ParseFile(path string) (*Pipeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var l diag.List
		l.Add(path, 0, diag.ReadError, "%v", err)
		return nil, l.Err()
	}
	return Parse(path, data)
}

// Parse reads a pipeline from YAML in pySigma's processing-pipeline format; path names the
// source in diagnostics. Every problem is reported (as `path:line: code: message` lines in the
// returned error), not just the first. Transformation and condition types sigmabridge does not
// know are errors, never silently ignored.
func Parse(path string, data []byte) (*Pipeline, error) {
	var errs diag.List
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			errs.Add(path, 0, diag.PipelineError, "the pipeline file is empty")
		} else {
			errs = append(errs, yamlDiag(path, err))
		}
		return nil, errs.Err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		errs.Add(path, extra.Line, diag.PipelineError, "a pipeline file holds one YAML document")
	} else if !errors.Is(err, io.EOF) {
		errs = append(errs, yamlDiag(path, err))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		errs.Add(path, root.Line, diag.PipelineError, "a pipeline must be a mapping with name, priority, vars and transformations")
		return nil, errs.Err()
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	p := &Pipeline{Name: base, Vars: map[string]any{}, Source: path}
	top := newParams(path, root, &errs, "pipeline", nil)
	if s, ok := top.str("name", false); ok {
		p.Name = s
	}
	if n := top.node("priority", false); n != nil {
		v, err := strconv.Atoi(n.Value)
		if err != nil || n.Kind != yaml.ScalarNode {
			top.errorf(n, "priority must be an integer, not %q", n.Value)
		}
		p.Priority = v
	}
	if n := top.node("vars", false); n != nil {
		if n.Kind != yaml.MappingNode {
			top.errorf(n, "vars must be a mapping of names to values")
		} else if err := n.Decode(&p.Vars); err != nil {
			top.errorf(n, "vars: %v", err)
		}
	}
	p.AllowedBackends = top.strList("allowed_backends", false)
	for _, key := range []string{"postprocessing", "finalizers"} {
		if n := top.node(key, false); n != nil && len(n.Content) > 0 {
			p.Notes = append(p.Notes, diag.Diagnostic{
				Path: path, Line: n.Line, Code: diag.PipelineError, Severity: diag.Warning,
				Message: fmt.Sprintf("%s is ignored: sigmabridge shapes queries with its output formats (-f), not with query post-processing", key),
			})
		}
	}
	if n := top.node("transformations", false); n != nil {
		if n.Kind != yaml.SequenceNode {
			top.errorf(n, "transformations must be a list")
		} else {
			for _, itemNode := range n.Content {
				if it := parseItem(path, p.Name, itemNode, &errs); it != nil {
					p.Items = append(p.Items, it)
				}
			}
		}
	}
	top.finish()
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs.Err()
	}
	return p, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlDiag turns a YAML decoder error into a diagnostic with the line it names.
func yamlDiag(path string, err error) diag.Diagnostic {
	line := 0
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.Replace(msg, m[0]+": ", "", 1)
	}
	return diag.Diagnostic{Path: path, Line: line, Code: diag.YAMLError, Message: msg}
}

// itemKeys are the keys of a processing item that are not transformation parameters.
var itemKeys = []string{
	"id", "type",
	"rule_conditions", "rule_cond_expr", "rule_cond_op", "rule_cond_not",
	"detection_item_conditions", "detection_item_cond_expr", "detection_item_cond_op", "detection_item_cond_not",
	"field_name_conditions", "field_name_cond_expr", "field_name_cond_op", "field_name_cond_not",
}

func parseItem(path, pipelineName string, n *yaml.Node, errs *diag.List) *Item {
	if n.Kind != yaml.MappingNode {
		errs.Add(path, n.Line, diag.PipelineError, "a transformation must be a mapping with a type")
		return nil
	}
	before := len(*errs)
	it := &Item{Source: path, Line: n.Line, Pipeline: pipelineName}
	head := newParams(path, n, errs, "transformation", nil)
	it.ID, _ = head.str("id", false)
	typ, ok := head.str("type", true)
	if !ok {
		return nil
	}
	it.Type = typ
	what := "transformation " + typ
	if it.ID != "" {
		what += fmt.Sprintf(" (id %s)", it.ID)
	}
	cp := newParams(path, n, errs, what, nil)
	cp.used["id"], cp.used["type"] = true, true
	it.ruleConds = parseConditions(cp, "rule", ruleConditionBuilders)
	it.itemConds = parseConditions(cp, "detection_item", detectionConditionBuilders)
	it.fieldConds = parseConditions(cp, "field_name", fieldConditionBuilders)

	build, known := transformationBuilders[typ]
	if !known {
		typeNode := head.vals["type"]
		if slices.Contains(unsupportedPySigmaTypes, typ) {
			head.errorf(typeNode, "pySigma transformation type %q is not supported by sigmabridge", typ)
		} else {
			head.errorf(typeNode, "unknown transformation type %q (known: %s)", typ, strings.Join(knownTypes(), ", "))
		}
		return nil
	}
	tp := newParams(path, n, errs, what, itemKeys)
	it.transform = build(tp)
	tp.finish()
	if len(*errs) > before {
		return nil
	}
	return it
}

func knownTypes() []string {
	var out []string
	for k := range transformationBuilders {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unsupportedPySigmaTypes are pySigma transformations sigmabridge does not implement; a
// pipeline using one fails to load with a message saying so.
var unsupportedPySigmaTypes = []string{
	"field_name_transform", "hashes_fields", "replace_string", "regex", "set_value", "nest", "case",
}

type transformationBuilder func(p *params) transformation

var transformationBuilders map[string]transformationBuilder

func init() {
	transformationBuilders = map[string]transformationBuilder{
		"field_name_mapping": func(p *params) transformation {
			pairs := p.mapping("mapping", true, true)
			return fieldNameTransform{fn: mappingFunc(pairs), shape: shapeOp{kind: opRename, pairs: pairs}}
		},
		"field_name_prefix_mapping": func(p *params) transformation {
			pairs := p.mapping("mapping", true, false)
			return fieldNameTransform{fn: prefixMappingFunc(pairs), shape: shapeOp{kind: opRenamePrefix, pairs: pairs}}
		},
		"field_name_prefix": func(p *params) transformation {
			s, _ := p.str("prefix", true)
			return fieldNameTransform{fn: affixFunc(s, ""), shape: shapeOp{kind: opWrap, text: s}}
		},
		"field_name_suffix": func(p *params) transformation {
			s, _ := p.str("suffix", true)
			return fieldNameTransform{fn: affixFunc("", s), shape: shapeOp{kind: opUnsupported, text: "field_name_suffix"}}
		},
		"drop_detection_item": func(*params) transformation { return dropDetectionItem{} },
		"wildcard_placeholders": func(p *params) transformation {
			return placeholderParams(p, "wildcard_placeholders")
		},
		"value_placeholders": func(p *params) transformation {
			return placeholderParams(p, "value_placeholders")
		},
		"query_expression_placeholders": func(p *params) transformation {
			p.str("expression", true)
			p.node("mapping", false)
			return placeholderParams(p, "query_expression_placeholders")
		},
		"add_condition": func(p *params) transformation {
			t := addCondition{template: p.boolean("template"), negated: p.boolean("negated")}
			p.str("name", false)
			n := p.node("conditions", true)
			if n == nil {
				return t
			}
			s, tree, ds := readAddCondition(p.path, n)
			for _, d := range ds {
				// A template's values are checked once they are substituted (apply).
				if !t.template || d.Code != diag.InvalidValue {
					p.errs.Add(p.path, d.Line, d.Code, "%s: %s", p.what, d.Message)
				}
			}
			t.search, t.tree = s, tree
			return t
		},
		"change_logsource": func(p *params) transformation {
			var ls ir.Logsource
			ls.Category, _ = p.str("category", false)
			ls.Product, _ = p.str("product", false)
			ls.Service, _ = p.str("service", false)
			return changeLogsource{ls: ls}
		},
		"set_state": func(p *params) transformation {
			key, _ := p.str("key", true)
			val := p.anyValue("val", true)
			var probe ir.Deployment
			if err := probe.Set(key, val); err != nil {
				p.errorf(p.node("val", false), "%v", err)
			}
			return setState{key: key, val: val}
		},
		"set_custom_attribute": func(p *params) transformation {
			key, _ := p.str("attribute", true)
			return setCustomAttribute{attribute: key, value: p.anyValue("value", true)}
		},
		"add_field": func(p *params) transformation {
			return fieldList{kind: "add_field", fields: p.strList("field", true)}
		},
		"remove_field": func(p *params) transformation {
			return fieldList{kind: "remove_field", fields: p.strList("field", true)}
		},
		"set_field": func(p *params) transformation {
			return fieldList{kind: "set_field", fields: p.strList("fields", true)}
		},
		"map_string": func(p *params) transformation {
			return mapString{pairs: p.mapping("mapping", true, false)}
		},
		"convert_type": func(p *params) transformation {
			target, _ := p.str("target_type", true)
			if target != "str" && target != "num" && target != "" {
				p.errorf(p.vals["target_type"], "target_type must be str or num, not %q", target)
			}
			return convertType{target: target}
		},
		"rule_failure": func(p *params) transformation {
			msg, _ := p.str("message", true)
			return ruleFailure{message: msg, code: failureCode(p)}
		},
		"detection_item_failure": func(p *params) transformation {
			msg, _ := p.str("message", true)
			return detectionItemFailure{message: msg, code: failureCode(p)}
		},
		"strict_field_mapping_failure": func(*params) transformation { return strictFieldMapping{} },

		// sigmabridge extensions (extensions.go).
		"sigmabridge_missing_field_sentinel": func(p *params) transformation {
			f, _ := p.str("field", true)
			s, _ := p.str("sentinel", true)
			return missingFieldSentinel{field: f, sentinel: s}
		},
		"sigmabridge_flattened_object": func(p *params) transformation {
			pre, _ := p.str("prefix", true)
			field, _ := p.str("field", false)
			f, _ := p.str("rendered_field", false)
			return flattenedObject{prefix: pre, field: field, renderedField: f}
		},
		"sigmabridge_warning": func(p *params) transformation {
			msg, _ := p.str("message", true)
			return warningTransform{message: msg}
		},
	}
}

// failureCode is the diagnostic code of a failure item: pipeline-unsupported, or the `code`
// parameter (a sigmabridge extension) when given.
func failureCode(p *params) diag.Code {
	if c, ok := p.str("code", false); ok && c != "" {
		return diag.Code(c)
	}
	return diag.PipelineUnsupported
}

func placeholderParams(p *params, kind string) transformation {
	t := placeholderTransform{kind: kind}
	if p.node("include", false) != nil {
		t.include = p.strList("include", false)
		if t.include == nil {
			t.include = []string{}
		}
	}
	if n := p.node("exclude", false); n != nil {
		if t.include != nil {
			p.errorf(n, "include and exclude cannot be used together")
		}
		t.exclude = p.strList("exclude", false)
		if t.exclude == nil {
			t.exclude = []string{}
		}
	}
	return t
}

// ---- conditions ----

type conditionBuilder[C any] func(p *params) (C, bool)

var ruleConditionBuilders = map[string]conditionBuilder[ruleCondition]{
	"logsource": func(p *params) (ruleCondition, bool) {
		var c logsourceCondition
		c.category = p.optStr("category")
		c.product = p.optStr("product")
		c.service = p.optStr("service")
		return c, true
	},
	"contains_field": func(p *params) (ruleCondition, bool) {
		f, ok := p.str("field", true)
		return containsFieldCondition{field: f}, ok
	},
	"contains_detection_item": func(p *params) (ruleCondition, bool) {
		f, ok := p.str("field", true)
		v, ok2 := p.scalar("value")
		return containsItemCondition{field: f, value: v}, ok && ok2
	},
	"processing_item_applied": func(p *params) (ruleCondition, bool) {
		id, ok := p.str("processing_item_id", true)
		return appliedRuleCondition{id: id}, ok
	},
	"processing_state": func(p *params) (ruleCondition, bool) { return stateParams(p) },
	"is_sigma_rule":    func(*params) (ruleCondition, bool) { return constCondition(true), true },
	"is_sigma_correlation_rule": func(*params) (ruleCondition, bool) {
		return constCondition(false), true
	},
	"rule_attribute": func(p *params) (ruleCondition, bool) {
		attr, ok := p.str("attribute", true)
		val := p.anyValue("value", true)
		op := opParam(p, "eq", "ne", "gte", "gt", "lte", "lt", "in", "not_in")
		return attributeCondition{attribute: attr, value: val, op: op}, ok
	},
	"tag": func(p *params) (ruleCondition, bool) {
		t, ok := p.str("tag", true)
		return tagCondition(t), ok
	},
}

var detectionConditionBuilders = map[string]conditionBuilder[detectionCondition]{
	"match_string": func(p *params) (detectionCondition, bool) {
		c := valueCondition{kind: "match_string", negate: p.boolean("negate")}
		valueCond(p)
		pat, ok := p.str("pattern", true)
		if !ok {
			return c, false
		}
		re, err := regexp.Compile(`^(?:` + pat + `)`)
		if err != nil {
			p.errorf(p.vals["pattern"], "invalid regular expression %q: %v", pat, err)
			return c, false
		}
		c.re = re
		return c, true
	},
	"match_value": func(p *params) (detectionCondition, bool) {
		valueCond(p)
		v, ok := p.scalar("value")
		return valueCondition{kind: "match_value", value: v}, ok
	},
	"contains_wildcard": func(p *params) (detectionCondition, bool) {
		valueCond(p)
		return valueCondition{kind: "contains_wildcard"}, true
	},
	"is_null": func(p *params) (detectionCondition, bool) {
		valueCond(p)
		return valueCondition{kind: "is_null"}, true
	},
	"processing_item_applied": func(p *params) (detectionCondition, bool) {
		id, ok := p.str("processing_item_id", true)
		return appliedItemCondition{id: id}, ok
	},
	"processing_state": func(p *params) (detectionCondition, bool) { return stateParams(p) },
}

var fieldConditionBuilders = map[string]conditionBuilder[fieldCondition]{
	"include_fields": func(p *params) (fieldCondition, bool) { return fieldsParams(p, false) },
	"exclude_fields": func(p *params) (fieldCondition, bool) { return fieldsParams(p, true) },
	"processing_item_applied": func(p *params) (fieldCondition, bool) {
		id, ok := p.str("processing_item_id", true)
		return appliedFieldCondition{id: id}, ok
	},
	"processing_state": func(p *params) (fieldCondition, bool) { return stateParams(p) },
}

// valueCond reads pySigma's any/all `cond` parameter of value conditions. Each IR leaf holds
// one value, so both choices test the same thing.
func valueCond(p *params) {
	if s, ok := p.str("cond", false); ok && s != "any" && s != "all" {
		p.errorf(p.vals["cond"], "cond must be any or all, not %q", s)
	}
}

func stateParams(p *params) (stateCondition, bool) {
	key, ok := p.str("key", true)
	val := p.anyValue("val", true)
	return stateCondition{key: key, val: val, op: opParam(p, "eq", "ne", "gte", "gt", "lte", "lt")}, ok
}

func opParam(p *params, allowed ...string) string {
	op, ok := p.str("op", false)
	if !ok {
		return allowed[0]
	}
	if !slices.Contains(allowed, op) {
		p.errorf(p.vals["op"], "op must be one of %s, not %q", strings.Join(allowed, ", "), op)
	}
	return op
}

func fieldsParams(p *params, exclude bool) (fieldCondition, bool) {
	c := includeFieldsCondition{fields: p.strList("fields", true), exclude: exclude}
	mode, _ := p.str("mode", false)
	switch mode {
	case "", "plain":
	case "re":
		for _, f := range c.fields {
			re, err := regexp.Compile(`^(?:` + f + `)`)
			if err != nil {
				p.errorf(p.vals["fields"], "invalid regular expression %q: %v", f, err)
				return c, false
			}
			c.res = append(c.res, re)
		}
	default:
		p.errorf(p.vals["mode"], "mode must be plain or re, not %q", mode)
	}
	return c, c.fields != nil
}

// parseConditions reads one condition group of an item: `<prefix>_conditions` (a list, or a
// mapping of names used by `<prefix>_cond_expr`), `<prefix>_cond_op` and `<prefix>_cond_not`.
func parseConditions[C any](ip *params, prefix string, builders map[string]conditionBuilder[C]) conditionSet[C] {
	var set conditionSet[C]
	group := prefix + "_conditions"
	exprKey, opKey, notKey := prefix+"_cond_expr", prefix+"_cond_op", prefix+"_cond_not"
	n := ip.node(group, false)
	exprNode := ip.node(exprKey, false)
	if op, ok := ip.str(opKey, false); ok {
		switch op {
		case "and":
		case "or":
			set.or = true
		default:
			ip.errorf(ip.vals[opKey], "%s must be and or or, not %q", opKey, op)
		}
		if exprNode != nil {
			ip.errorf(exprNode, "%s and %s cannot be used together", exprKey, opKey)
		}
	}
	set.not = ip.boolean(notKey)
	if n == nil {
		if exprNode != nil {
			ip.errorf(exprNode, "%s needs %s given as a mapping", exprKey, group)
		}
		return set
	}
	var entries []*yaml.Node
	switch n.Kind {
	case yaml.SequenceNode:
		entries = n.Content
		if exprNode != nil {
			ip.errorf(exprNode, "%s needs %s given as a mapping of names to conditions", exprKey, group)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			set.names = append(set.names, n.Content[i].Value)
			entries = append(entries, n.Content[i+1])
		}
	default:
		ip.errorf(n, "%s must be a list or a mapping", group)
		return set
	}
	for _, e := range entries {
		if e.Kind != yaml.MappingNode {
			ip.errorf(e, "a condition must be a mapping with a type")
			continue
		}
		cp := newParams(ip.path, e, ip.errs, prefix+" condition", nil)
		typ, ok := cp.str("type", true)
		if !ok {
			continue
		}
		build, known := builders[typ]
		if !known {
			var names []string
			for k := range builders {
				names = append(names, k)
			}
			sort.Strings(names)
			cp.errorf(cp.vals["type"], "unknown %s condition type %q (known: %s)", strings.ReplaceAll(prefix, "_", " "), typ, strings.Join(names, ", "))
			continue
		}
		cp.what = prefix + " condition " + typ
		c, ok := build(cp)
		cp.finish()
		if ok {
			set.conds = append(set.conds, c)
		}
	}
	if exprNode != nil && n.Kind == yaml.MappingNode && len(set.conds) == len(set.names) {
		e, err := parseBoolExpr(exprNode.Value, set.names)
		if err != nil {
			ip.errorf(exprNode, "%v", err)
		}
		set.expr = e
	}
	return set
}

// ---- parameter access with line numbers ----

// params reads the keys of one YAML mapping, reports wrong types and, in finish, keys nobody
// asked for (as pySigma rejects unexpected parameters).
type params struct {
	path string
	what string
	self *yaml.Node
	vals map[string]*yaml.Node
	keys map[string]*yaml.Node
	used map[string]bool
	errs *diag.List
}

func newParams(path string, n *yaml.Node, errs *diag.List, what string, skip []string) *params {
	p := &params{path: path, what: what, self: n, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}, used: map[string]bool{}, errs: errs}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if _, dup := p.vals[k.Value]; dup {
			p.errorf(k, "duplicate key %q", k.Value)
		}
		p.vals[k.Value] = n.Content[i+1]
		p.keys[k.Value] = k
	}
	for _, s := range skip {
		p.used[s] = true
	}
	return p
}

func (p *params) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	} else if p.self != nil {
		line = p.self.Line
	}
	p.errs.Add(p.path, line, diag.PipelineError, "%s: %s", p.what, fmt.Sprintf(format, args...))
}

func (p *params) node(key string, required bool) *yaml.Node {
	p.used[key] = true
	n, ok := p.vals[key]
	if !ok {
		if required {
			p.errorf(nil, "missing parameter %q", key)
		}
		return nil
	}
	return n
}

func (p *params) str(key string, required bool) (string, bool) {
	n := p.node(key, required)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.errorf(n, "%s must be a string", key)
		return "", false
	}
	return n.Value, true
}

func (p *params) optStr(key string) *string {
	s, ok := p.str(key, false)
	if !ok {
		return nil
	}
	return &s
}

func (p *params) boolean(key string) bool {
	n := p.node(key, false)
	if n == nil {
		return false
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		p.errorf(n, "%s must be true or false", key)
	}
	return b
}

// strList reads a string or a list of strings.
func (p *params) strList(key string, required bool) []string {
	n := p.node(key, required)
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				p.errorf(c, "%s must be a list of strings", key)
				return nil
			}
			out = append(out, c.Value)
		}
		return out
	}
	p.errorf(n, "%s must be a string or a list of strings", key)
	return nil
}

func (p *params) anyValue(key string, required bool) any {
	n := p.node(key, required)
	if n == nil {
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		p.errorf(n, "%s: %v", key, err)
	}
	return v
}

// scalar reads a plain string, number or boolean value.
func (p *params) scalar(key string) (scalar, bool) {
	n := p.node(key, true)
	if n == nil {
		return scalar{}, false
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s must be a string, number or boolean", key)
		return scalar{}, false
	}
	v := sigma.ReadValue(p.path, n)
	if v.Kind == sigma.Null || v.Err != nil {
		v = sigma.Value{Kind: sigma.String, Text: n.Value}
	}
	return scalar{v}, true
}

// mappingPair is one entry of a field or value mapping; keyword marks the YAML `null` key
// (pySigma maps keywords, which have no field, with it).
type mappingPair struct {
	from    string
	keyword bool
	to      []string
}

// mapping reads a mapping of strings to a string or a list of strings, keeping its order.
func (p *params) mapping(key string, required, allowNullKey bool) []mappingPair {
	n := p.node(key, required)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping", key)
		return nil
	}
	var out []mappingPair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		pair := mappingPair{from: k.Value}
		if k.ShortTag() == "!!null" {
			if !allowNullKey {
				p.errorf(k, "%s: a null key is not allowed here", key)
				continue
			}
			pair.keyword, pair.from = true, ""
		}
		switch v.Kind {
		case yaml.ScalarNode:
			pair.to = []string{v.Value}
		case yaml.SequenceNode:
			pair.to = []string{}
			for _, c := range v.Content {
				if c.Kind != yaml.ScalarNode {
					p.errorf(c, "%s: %s must map to a string or a list of strings", key, k.Value)
					continue
				}
				pair.to = append(pair.to, c.Value)
			}
		default:
			p.errorf(v, "%s: %s must map to a string or a list of strings", key, k.Value)
			continue
		}
		out = append(out, pair)
	}
	return out
}

// finish reports keys that no reader asked for.
func (p *params) finish() {
	var unknown []string
	for k := range p.vals {
		if !p.used[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		p.errorf(p.keys[k], "unknown parameter %q", k)
	}
}
