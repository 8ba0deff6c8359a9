package translator

import (
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
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
	if d := checkRuleSize(path, data); d != nil {
		return nil, diag.List{*d}
	}
	return Lower(sigma.Parse(path, data))
}

// LoadSetBytes is LoadBytes for every document kind: rules, correlations and filters, not
// yet resolved (Resolve).
func LoadSetBytes(path string, data []byte) (*ir.RuleSet, diag.List) {
	if d := checkRuleSize(path, data); d != nil {
		return &ir.RuleSet{}, diag.List{*d}
	}
	return LowerSet(sigma.Parse(path, data))
}

// Lower lowers every rule document of a parsed file into the IR. It never stops at the first
// problem: all diagnostics of all documents are returned, and rules that lowered cleanly are
// returned even when others in the file failed.
//
// Correlation and filter documents are lowered and checked too (their diagnostics are
// returned) but only the detection rules come back: LowerSet returns all three.
func Lower(f *sigma.File) ([]*ir.Rule, diag.List) {
	set, diags := LowerSet(f)
	return set.Rules, diags
}

// standardKeys are the top-level rule attributes with a place in ir.Rule.
var standardKeys = map[string]bool{
	"title": true, "id": true, "name": true, "status": true, "description": true,
	"author": true, "date": true, "modified": true, "level": true, "references": true,
	"tags": true, "falsepositives": true, "fields": true, "logsource": true,
	"detection": true, "related": true, "license": true, "taxonomy": true, "scope": true,
}

// lowerDocument lowers one document. It returns a nil rule when the document is not a
// convertible detection rule (all reasons are in the diagnostics).
func lowerDocument(path string, doc *sigma.Document) (*ir.Rule, diag.List) {
	var diags diag.List
	node := doc.Node
	if doc.Kind == sigma.KindInvalid {
		diags.Add(path, node.Line, diag.RuleStructure, "a Sigma rule must be a YAML mapping, got %s", sigma.KindName(node))
		return nil, diags
	}
	top := doc.Value
	r := &ir.Rule{Path: path, Line: node.Line, Doc: doc.Index}
	r.Title = sigma.ScalarString(top("title"))
	r.ID = sigma.ScalarString(top("id"))
	r.Name = sigma.ScalarString(top("name"))

	label := func() string {
		switch {
		case r.Title != "":
			return fmt.Sprintf("rule %q", r.Title)
		case r.ID != "":
			return "rule " + r.ID
		}
		return "rule"
	}

	if a := top("action"); doc.Kind == sigma.KindLegacy {
		diags.Add(path, doc.KeyLine("action"), diag.RuleStructure,
			"legacy multi-document `action: %s` is not Sigma 2.x; merge the documents into one rule", sigma.ScalarString(a))
		return nil, diags
	}

	r.Status = sigma.ScalarString(top("status"))
	r.Description = sigma.ScalarString(top("description"))
	r.Author = sigma.ScalarString(top("author"))
	r.Date = sigma.ScalarString(top("date"))
	r.Modified = sigma.ScalarString(top("modified"))
	r.Level = sigma.ScalarString(top("level"))
	r.References = sigma.StringList(top("references"))
	r.Tags = sigma.StringList(top("tags"))
	r.FalsePositives = sigma.StringList(top("falsepositives"))
	r.Fields = sigma.StringList(top("fields"))
	if ls := top("logsource"); ls != nil {
		if ls.Kind != yaml.MappingNode {
			diags.Add(path, ls.Line, diag.RuleStructure, "logsource must be a mapping, got %s", sigma.KindName(ls))
		} else {
			get := func(key string) string { return sigma.ScalarString(sigma.MappingValue(ls, key)) }
			r.Logsource = ir.Logsource{
				Category: get("category"), Product: get("product"),
				Service: get("service"), Definition: get("definition"),
			}
		}
	}
	for _, e := range doc.Entries {
		k := e.Key.Value
		if standardKeys[k] {
			continue
		}
		var v any
		if err := e.Value.Decode(&v); err == nil {
			if r.Custom == nil {
				r.Custom = map[string]any{}
			}
			r.Custom[k] = v
		}
	}

	if doc.Detection == nil {
		diags.Add(path, node.Line, diag.RuleStructure, "%s has no detection", label())
		return nil, diags
	}
	conds, ds := lowerDetection(path, doc.Detection, doc.KeyLine("detection"))
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
