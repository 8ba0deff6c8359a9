package translator

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/internal/suggest"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// itemSpec is the parsed modifier chain of one detection item.
type itemSpec struct {
	field    string
	keyword  bool
	mods     []string // value transformations, in order
	all      bool
	cased    bool
	neq      bool
	shapeMod string // contains, startswith or endswith
	// kind is the class of the type modifier (sigma.Modifier.Class): "", "re", "cidr",
	// "exists", "fieldref", "cmp" or "time"; kindMod is that modifier as written.
	kind, kindMod string
	reFlags       ir.RegexFlags
	cmpOp         ir.CompareOp
	timeUnit      ir.TimeUnit
}

// lowerItem lowers one detection item (a field with modifiers and its values, or a
// keyword value) into an IR tree.
// b is charged with every node made; over it, the item fails with diag.DetectionTooLarge.
func lowerItem(path string, at *yaml.Node, field string, mods []string, values []sigma.Value, keyword bool, b *budget) (ir.Node, diag.List) {
	var diags diag.List
	pos := ir.Pos{Line: at.Line, Col: at.Column}
	errf := func(code diag.Code, format string, args ...any) (ir.Node, diag.List) {
		diags.Add(path, at.Line, code, format, args...)
		return nil, diags
	}
	spec := itemSpec{field: field, keyword: keyword || field == ""}
	what := itemName{field: field, keyword: spec.keyword} // formatted only for a diagnostic
	// Parse the modifier chain (sigma.LookupModifier says what each one is).
	var unknown []string
	for _, m := range mods {
		mod, ok := sigma.LookupModifier(m)
		if !ok {
			unknown = append(unknown, m)
			continue
		}
		switch mod.Kind {
		case sigma.ModShape:
			if spec.shapeMod != "" {
				return errf(diag.InvalidModifier, "%s: %s cannot be combined with %s", what, m, spec.shapeMod)
			}
			spec.shapeMod = m
			spec.mods = append(spec.mods, m)
		case sigma.ModFlag:
			switch m {
			case "all":
				spec.all = true
			case "cased":
				spec.cased = true
			case "neq":
				spec.neq = true
			}
		case sigma.ModTransform:
			spec.mods = append(spec.mods, m)
		case sigma.ModRegexFlag:
			if spec.kind != "re" {
				return errf(diag.InvalidModifier, "%s: the regex flag %q must follow the re modifier", what, m)
			}
			switch m {
			case "i":
				spec.reFlags.I = true
			case "m":
				spec.reFlags.M = true
			case "s":
				spec.reFlags.S = true
			}
		case sigma.ModType:
			switch mod.Class {
			case "cmp":
				spec.cmpOp = map[string]ir.CompareOp{"gt": ir.GT, "gte": ir.GTE, "lt": ir.LT, "lte": ir.LTE}[m]
			case "time":
				spec.timeUnit, _ = ir.ParseTimeUnit(m)
			}
			if spec.kind != "" {
				return errf(diag.InvalidModifier, "%s: modifier %s cannot be combined with %s", what, m, spec.kindMod)
			}
			spec.kind, spec.kindMod = mod.Class, m
		}
	}
	if len(unknown) > 0 {
		return errf(diag.UnknownModifier, "%s: unknown modifier %s", what, unknownModifiers(unknown))
	}
	if spec.keyword && spec.kind != "" {
		return errf(diag.InvalidModifier, "%s: modifier %s needs a field", what, spec.kindMod)
	}
	if spec.keyword && (spec.shapeMod == "startswith" || spec.shapeMod == "endswith") {
		return errf(diag.InvalidModifier, "keyword: %s has no meaning for a keyword, which matches anywhere", spec.shapeMod)
	}
	if spec.kind != "" && spec.kind != "fieldref" {
		for _, m := range spec.mods {
			return errf(diag.InvalidModifier, "%s: modifier %s cannot be combined with %s", what, m, spec.kindMod)
		}
		if spec.cased && spec.kind != "re" {
			return errf(diag.InvalidModifier, "%s: cased cannot be combined with %s", what, spec.kindMod)
		}
	}
	if spec.kind == "fieldref" {
		for _, m := range spec.mods {
			if m != "contains" && m != "startswith" && m != "endswith" {
				return errf(diag.InvalidModifier, "%s: fieldref cannot be combined with %s", what, m)
			}
		}
	}
	if spec.kind == "re" && spec.cased {
		return errf(diag.InvalidModifier, "%s: re is already case-sensitive; cased does not apply", what)
	}

	nodes := make([]ir.Node, 0, len(values))
	for _, v := range values {
		n, d := lowerValue(&spec, v, pos, b.left)
		if d == overBudget {
			b.exceeded(path, at, &diags)
			break
		}
		if d != "" {
			diags.Add(path, at.Line, diag.InvalidValue, "%s: %s", what, d)
			continue
		}
		if !b.take(countNodes(n), path, at, &diags) {
			break
		}
		nodes = append(nodes, n)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	var combined ir.Node
	if spec.all {
		combined = ir.NewAnd(nodes...)
	} else {
		combined = ir.NewOr(nodes...)
	}
	if spec.neq {
		// Spec 2.1: "the field is different from the specified values": with a list,
		// different from every one of them.
		combined = ir.NewNot(combined)
	}
	return combined, diags
}

// itemName names an item in a diagnostic: `field "CommandLine"` or `keyword`.
type itemName struct {
	field   string
	keyword bool
}

func (n itemName) String() string {
	if n.keyword {
		return "keyword"
	}
	return "field " + strconv.Quote(n.field)
}

// unknownModifiers quotes the unknown modifiers, each with the one it was probably meant to
// be: `"contians"; did you mean "contains"?` for one, `"startwith" (did you mean
// "startswith"?), "zz"` for several.
func unknownModifiers(unknown []string) string {
	names := sigma.ModifierNames()
	if len(unknown) == 1 {
		return strconv.Quote(unknown[0]) + suggest.Hint(unknown[0], names)
	}
	q := make([]string, len(unknown))
	for i, m := range unknown {
		q[i] = strconv.Quote(m)
		if s := suggest.Closest(m, names); s != "" {
			q[i] += " (did you mean " + strconv.Quote(s) + "?)"
		}
	}
	return strings.Join(q, ", ")
}

// overBudget is lowerValue's reason when the value's modifiers expand it into more
// alternatives than the rule has nodes left.
const overBudget = "\x00over budget"

// countNodes counts the nodes of a tree lowerValue made (an Or of leaves, a Not).
func countNodes(n ir.Node) int {
	c := 0
	ir.Inspect(n, func(ir.Node) bool { c++; return true })
	return c
}

// lowerValue lowers one value under the item's modifiers. A non-empty string result is the
// reason the value is invalid, or overBudget when its modifiers expand it into more than
// maxAlts alternatives.
func lowerValue(spec *itemSpec, v sigma.Value, pos ir.Pos, maxAlts int) (ir.Node, string) {
	f := spec.field
	switch spec.kind {
	case "exists":
		if v.Kind != sigma.Bool {
			return nil, fmt.Sprintf("exists takes true or false, got %q", v.Text)
		}
		if v.Text == "true" {
			return &ir.Exists{Field: f, Pos: pos}, ""
		}
		return ir.NewNot(&ir.Exists{Field: f, Pos: pos}), ""
	case "re":
		if v.Kind != sigma.String && v.Kind != sigma.Number {
			return nil, "re takes a string"
		}
		if _, err := regexp.Compile(v.Text); err != nil {
			return nil, fmt.Sprintf("invalid regular expression %q: %v", v.Text, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		return &ir.Regex{Field: f, Pattern: v.Text, Flags: spec.reFlags, Pos: pos}, ""
	case "cidr":
		if v.Kind != sigma.String {
			return nil, "cidr takes a network in CIDR notation"
		}
		p, err := netip.ParsePrefix(strings.TrimSpace(v.Text))
		if err != nil {
			return nil, fmt.Sprintf("invalid CIDR network %q", v.Text)
		}
		if p.Masked() != p {
			return nil, fmt.Sprintf("CIDR network %q has host bits set (did you mean %s?)", v.Text, p.Masked())
		}
		return &ir.CIDR{Field: f, Prefix: p, Pos: pos}, ""
	case "fieldref":
		if v.Kind != sigma.String || v.Text == "" {
			return nil, "fieldref takes the name of another field"
		}
		shape := ir.ShapeExact
		switch spec.shapeMod {
		case "contains":
			shape = ir.ShapeContains
		case "startswith":
			shape = ir.ShapePrefix
		case "endswith":
			shape = ir.ShapeSuffix
		}
		return &ir.FieldRef{Field: f, Ref: v.Text, Shape: shape, Cased: spec.cased, Pos: pos}, ""
	case "cmp":
		n, ok := numericValue(v)
		if !ok {
			return nil, fmt.Sprintf("%s takes a number, got %q", spec.cmpOp, v.Text)
		}
		return &ir.Compare{Field: f, Op: spec.cmpOp, Value: n, Pos: pos}, ""
	case "time":
		n, ok := numericValue(v)
		if !ok || n.Value != float64(int(n.Value)) {
			return nil, fmt.Sprintf("%s takes an integer, got %q", spec.timeUnit, v.Text)
		}
		return &ir.TimePart{Field: f, Part: spec.timeUnit, Value: int(n.Value), Pos: pos}, ""
	}

	// Plain values, with string transformations.
	if v.Kind == sigma.Null {
		if len(spec.mods) > 0 || spec.cased {
			return nil, "null cannot be combined with value modifiers"
		}
		if spec.keyword {
			return nil, "a keyword cannot be null"
		}
		return &ir.Null{Field: f, Pos: pos}, ""
	}
	if (v.Kind == sigma.Number || v.Kind == sigma.Bool) && len(spec.mods) == 0 && !spec.keyword {
		kind := ir.Number
		if v.Kind == sigma.Bool {
			kind = ir.Bool
		}
		return &ir.Match{Field: f, Pattern: ir.LiteralPattern(v.Text), Kind: kind, Cased: spec.cased, Pos: pos}, ""
	}
	patterns, reason := transformValue(spec.mods, v.Text, maxAlts)
	if reason != "" {
		return nil, reason
	}
	alts := make([]ir.Node, 0, len(patterns))
	for _, p := range patterns {
		if spec.keyword {
			alts = append(alts, &ir.Keyword{Pattern: p, Cased: spec.cased, Pos: pos})
		} else {
			alts = append(alts, &ir.Match{Field: f, Pattern: p, Cased: spec.cased, Pos: pos})
		}
	}
	return ir.NewOr(alts...), ""
}

func numericValue(v sigma.Value) (ir.Num, bool) {
	switch v.Kind {
	case sigma.Number:
		return ir.Num{Text: v.Text, Value: v.Num}, true
	case sigma.String:
		n, err := ir.ParseNum(strings.TrimSpace(v.Text))
		return n, err == nil
	}
	return ir.Num{}, false
}
