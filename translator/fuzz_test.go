package translator

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// fuzzSearchNames are the searches FuzzCondition's conditions can name.
var fuzzSearchNames = []string{"a", "b", "sel", "sel_2", "filter", "filter-x", "_hidden", "them1"}

// loaderCodes are the codes the loader may report.
var loaderCodes = map[string]bool{
	diag.ReadError: true, diag.YAMLError: true, diag.RuleStructure: true, diag.ConditionSyntax: true,
	diag.UnknownIdentifier: true, diag.NoMatchingSearch: true, diag.UnknownModifier: true,
	diag.InvalidModifier: true, diag.InvalidValue: true, diag.LegacyAggregation: true,
	diag.CorrelationUnsupp: true, diag.FilterUnsupported: true, diag.RuleTooLarge: true,
	diag.ConditionTooLong: true, diag.ConditionTooDeep: true, diag.DetectionTooDeep: true,
	diag.DetectionTooLarge: true, diag.CorrelationStructure: true, diag.CorrelationType: true,
	diag.CorrelationReference: true, diag.CorrelationTimespan: true, diag.CorrelationCondition: true,
	diag.CorrelationField: true, diag.FilterReference: true,
}

func fuzzSearches() (map[string]*search, []*search) {
	m := map[string]*search{}
	var order []*search
	for _, name := range fuzzSearchNames {
		s := &search{name: name, tree: &ir.Exists{Field: name}}
		m[name] = s
		order = append(order, s)
	}
	return m, order
}

// printCondition prints a parsed tree back as a condition over the searches (each search
// is an Exists of its own name).
func printCondition(n ir.Node, sb *strings.Builder) {
	switch n := n.(type) {
	case *ir.Exists:
		sb.WriteString(n.Field)
	case *ir.Not:
		sb.WriteString("not ")
		if _, leaf := n.Child.(*ir.Exists); leaf {
			printCondition(n.Child, sb)
			return
		}
		sb.WriteString("(")
		printCondition(n.Child, sb)
		sb.WriteString(")")
	case *ir.And, *ir.Or:
		op := " and "
		if _, or := n.(*ir.Or); or {
			op = " or "
		}
		for i, c := range ir.Children(n) {
			if i > 0 {
				sb.WriteString(op)
			}
			if _, leaf := c.(*ir.Exists); leaf {
				printCondition(c, sb)
				continue
			}
			sb.WriteString("(")
			printCondition(c, sb)
			sb.WriteString(")")
		}
	}
}

func depthOf(n ir.Node) int {
	d := 0
	for _, c := range ir.Children(n) {
		d = max(d, depthOf(c))
	}
	return d + 1
}

// FuzzCondition parses arbitrary conditions. It must never panic or recurse without bound,
// report errors only with loader codes at the condition's line, return a tree exactly when
// there is no error, stay within the nesting limit, and mean the same when its tree is
// printed back and parsed again.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{
		"a", "a and b", "a or b and not sel", "1 of sel* and not 1 of filter*", "all of them",
		"any of them", "(a or b) and not (sel or filter)", "not not a", "a | count() > 5",
		"a near b", "1 of x*", "2 of a", "sel and", "((a)", "A AND B", "all of sel*",
		strings.Repeat("(", MaxConditionDepth) + "a" + strings.Repeat(")", MaxConditionDepth),
		strings.Repeat("(", MaxConditionDepth+1) + "a" + strings.Repeat(")", MaxConditionDepth+1),
		strings.Repeat("not ", 40) + "a", "a or " + strings.Repeat("b and (", 20) + "a" + strings.Repeat(")", 20),
		"_hidden or them1", "1 of them1", "filter-x and sel_2", "a\tand\nb", "a ) b", "?",
	} {
		f.Add(s)
	}
	searches, order := fuzzSearches()
	f.Fuzz(func(t *testing.T, cond string) {
		node := &yaml.Node{Kind: yaml.ScalarNode, Value: cond, Line: 7, Column: 14}
		tree, diags := lowerCondition("f.yml", sigma.ParseConditionNode(node), searches, order)
		for _, d := range diags {
			if !loaderCodes[string(d.Code)] || d.Path != "f.yml" || d.Line != 7 || d.Message == "" {
				t.Fatalf("diagnostic %+v", d)
			}
		}
		if (tree == nil) != diags.HasErrors() {
			t.Fatalf("tree %v with diagnostics %v", tree, diags)
		}
		if tree == nil {
			return
		}
		if d := depthOf(tree); d > MaxConditionDepth+1 {
			t.Fatalf("a tree %d deep got through the parser", d)
		}
		var sb strings.Builder
		printCondition(tree, &sb)
		again, ds := lowerCondition("f.yml", sigma.ParseConditionNode(&yaml.Node{Kind: yaml.ScalarNode, Value: sb.String(), Line: 1}), searches, order)
		if ds.HasErrors() {
			if len(sb.String()) > MaxConditionBytes || ds[0].Code == diag.ConditionTooDeep {
				return // printing may be longer or nest differently than the original
			}
			t.Fatalf("%q printed as %q does not parse: %v", cond, sb.String(), ds)
		}
		if again.String() != tree.String() {
			t.Fatalf("%q means %s; printed as %q it means %s", cond, tree, sb.String(), again)
		}
	})
}

// FuzzLoadBytes loads arbitrary files. It must never panic or recurse without bound,
// report only loader codes naming the file, and return only rules whose every condition is
// within the IR's limits and prints.
func FuzzLoadBytes(f *testing.F) {
	for _, s := range []string{
		hostileDoc("t", "a and b", ""),
		hostileDoc("t", "1 of them", "  c:\n    f|contains|windash: '-a /b'\n"),
		hostileDoc("t", "a", "  k:\n    - foo\n    - 'ba*r'\n") + "---\n" + hostileDoc("u", "not a", ""),
		"title: x\ndetection:\n  s:\n    f|re|i: '^a.*b$'\n    g|cidr: 10.0.0.0/8\n    h|gt: 5\n  condition: s\n",
		"title: x\ndetection:\n  s: [{a: 1}, {b: null}]\n  t:\n    x|exists: false\n    y|fieldref|startswith: z\n  condition: s or t\n",
		"title: x\ndetection:\n  s: &v {a: 1}\n  t: *v\n  condition: s and t\n",
		"correlation: {type: event_count}\n", "action: global\n", "detection: []\n", "- a\n- b\n",
		"title: x\ndetection:\n  s:\n    f|base64offset|contains: abc\n    g|utf16le|base64: d\n    h|expand: '%var%'\n  condition: s\n",
		"title: x\ndetection:\n  s:\n    f|minute: 5\n    g|cased: A\n    h|all|contains: [a, b]\n    i|neq: [1, 2]\n  condition: s\n",
		"{\"title\": \"j\", \"detection\": {\"s\": {\"a\": 1}, \"condition\": \"s\"}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return // large files are TestHostile's; small ones keep the fuzzer fast
		}
		rules, diags := LoadBytes("f.yml", data)
		for _, d := range diags {
			if !loaderCodes[string(d.Code)] || d.Path != "f.yml" || d.Message == "" {
				t.Fatalf("diagnostic %+v", d)
			}
		}
		for _, r := range rules {
			if r.Path != "f.yml" || len(r.Conditions) == 0 {
				t.Fatalf("rule %+v", r)
			}
			for _, c := range r.Conditions {
				if c == nil {
					t.Fatal("a nil condition")
				}
				if e := ir.CheckLimits(c); e != nil {
					t.Fatalf("a loaded rule is over the limits: %v", e)
				}
				_ = c.String()
			}
		}
	})
}
