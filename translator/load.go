package translator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// LoadFile reads a Sigma file (possibly several YAML documents) and lowers every rule in it.
// It never stops at the first problem: all diagnostics of all documents are returned, and
// rules that lowered cleanly are returned even when others in the file failed.
// A file longer than MaxRuleFileBytes is not read past the limit.
func LoadFile(path string) ([]*ir.Rule, diag.List) {
	data, d := ReadRuleFile(path)
	if d != nil {
		return nil, diag.List{*d}
	}
	return LoadBytes(path, data)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// LoadBytes lowers the Sigma rules in data; path is used in diagnostics and Rule.Path. Data
// longer than MaxRuleFileBytes is refused whole (diag.RuleTooLarge).
func LoadBytes(path string, data []byte) ([]*ir.Rule, diag.List) {
	var (
		rules []*ir.Rule
		diags diag.List
	)
	if d := checkRuleSize(path, data); d != nil {
		return nil, diag.List{*d}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 0; ; doc++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			diags = append(diags, yamlDiag(path, err))
			break // the decoder cannot resynchronise after a syntax error
		}
		if len(root.Content) == 0 {
			continue // an empty document, e.g. a trailing `---`
		}
		rule, ds := loadDocument(path, doc, root.Content[0])
		diags = append(diags, ds...)
		if rule != nil {
			rules = append(rules, rule)
		}
	}
	return rules, diags
}

// yamlDiag turns a yaml.v3 error ("yaml: line 7: did not find expected key") into a
// diagnostic carrying the line.
func yamlDiag(path string, err error) diag.Diagnostic {
	msg := err.Error()
	line := 0
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if _, e := fmt.Sscanf(rest[:i], "%d", &line); e == nil {
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return diag.Diagnostic{Path: path, Line: line, Code: diag.YAMLError, Message: msg}
}

// standardKeys are the top-level rule attributes with a place in ir.Rule.
var standardKeys = map[string]bool{
	"title": true, "id": true, "name": true, "status": true, "description": true,
	"author": true, "date": true, "modified": true, "level": true, "references": true,
	"tags": true, "falsepositives": true, "fields": true, "logsource": true,
	"detection": true, "related": true, "license": true, "taxonomy": true, "scope": true,
}

// loadDocument lowers one YAML document. It returns a nil rule when the document is not a
// convertible detection rule (all reasons are in the diagnostics).
func loadDocument(path string, doc int, node *yaml.Node) (*ir.Rule, diag.List) {
	var diags diag.List
	if node.Kind != yaml.MappingNode {
		diags.Add(path, node.Line, diag.RuleStructure, "a Sigma rule must be a YAML mapping, got %s", kindName(node))
		return nil, diags
	}
	top := mappingIndex(node)
	r := &ir.Rule{Path: path, Line: node.Line, Doc: doc}
	r.Title = scalarString(top["title"])
	r.ID = scalarString(top["id"])
	r.Name = scalarString(top["name"])

	label := func() string {
		switch {
		case r.Title != "":
			return fmt.Sprintf("rule %q", r.Title)
		case r.ID != "":
			return "rule " + r.ID
		}
		return "rule"
	}

	if c := top["correlation"]; c != nil {
		diags.Add(path, keyLine(node, "correlation"), diag.CorrelationUnsupp,
			"%s is a correlation rule; correlation rules are recognised but not converted yet", label())
		return nil, diags
	}
	if f := top["filter"]; f != nil {
		diags.Add(path, keyLine(node, "filter"), diag.FilterUnsupported,
			"%s is a Sigma filter; filters are recognised but not applied yet", label())
		return nil, diags
	}
	if a := top["action"]; a != nil && top["detection"] == nil {
		diags.Add(path, keyLine(node, "action"), diag.RuleStructure,
			"legacy multi-document `action: %s` is not Sigma 2.x; merge the documents into one rule", scalarString(a))
		return nil, diags
	}

	r.Status = scalarString(top["status"])
	r.Description = scalarString(top["description"])
	r.Author = scalarString(top["author"])
	r.Date = scalarString(top["date"])
	r.Modified = scalarString(top["modified"])
	r.Level = scalarString(top["level"])
	r.References = stringList(top["references"])
	r.Tags = stringList(top["tags"])
	r.FalsePositives = stringList(top["falsepositives"])
	r.Fields = stringList(top["fields"])
	if ls := top["logsource"]; ls != nil {
		if ls.Kind != yaml.MappingNode {
			diags.Add(path, ls.Line, diag.RuleStructure, "logsource must be a mapping, got %s", kindName(ls))
		} else {
			m := mappingIndex(ls)
			r.Logsource = ir.Logsource{
				Category: scalarString(m["category"]), Product: scalarString(m["product"]),
				Service: scalarString(m["service"]), Definition: scalarString(m["definition"]),
			}
		}
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i].Value
		if standardKeys[k] {
			continue
		}
		var v any
		if err := node.Content[i+1].Decode(&v); err == nil {
			if r.Custom == nil {
				r.Custom = map[string]any{}
			}
			r.Custom[k] = v
		}
	}

	det := top["detection"]
	if det == nil {
		diags.Add(path, node.Line, diag.RuleStructure, "%s has no detection", label())
		return nil, diags
	}
	conds, ds := lowerDetection(path, det, keyLine(node, "detection"))
	diags = append(diags, ds...)
	for i := range diags {
		diags[i].RuleID = r.ID
	}
	if diags.HasErrors() {
		return nil, diags
	}
	r.Conditions = conds
	return r, diags
}

// mappingIndex maps each key of a mapping node to its value node (aliases resolved).
func mappingIndex(n *yaml.Node) map[string]*yaml.Node {
	m := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := n.Content[i+1]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		m[n.Content[i].Value] = v
	}
	return m
}

// keyLine returns the line of key in a mapping node.
func keyLine(n *yaml.Node, key string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i].Line
		}
	}
	return n.Line
}

func scalarString(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

func stringList(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return []string{n.Value}
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind == yaml.ScalarNode {
				out = append(out, c.Value)
			}
		}
		return out
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}
