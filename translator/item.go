package translator

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// valueType is the YAML type of one rule value.
type valueType uint8

const (
	vString valueType = iota
	vNumber
	vBool
	vNull
)

// value is one scalar from a rule, with its type and its text as written.
type value struct {
	typ  valueType
	text string
	num  float64 // for vNumber
}

// scalarValue reads a YAML scalar. Integers are normalised to decimal (YAML allows 0x and
// 0o forms); floats and timestamps keep their text as written.
func scalarValue(path string, n *yaml.Node) (value, *diag.Diagnostic) {
	switch n.Tag {
	case "!!null":
		return value{typ: vNull}, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return value{}, &diag.Diagnostic{Path: path, Line: n.Line, Code: diag.InvalidValue, Message: err.Error()}
		}
		return value{typ: vBool, text: strconv.FormatBool(b)}, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return value{typ: vNumber, text: strconv.FormatInt(i, 10), num: float64(i)}, nil
		}
		var u uint64
		if err := n.Decode(&u); err == nil {
			return value{typ: vNumber, text: strconv.FormatUint(u, 10), num: float64(u)}, nil
		}
		// Too large for 64 bits: keep it as text.
		return value{typ: vString, text: n.Value}, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return value{typ: vString, text: n.Value}, nil
		}
		return value{typ: vNumber, text: n.Value, num: f}, nil
	}
	return value{typ: vString, text: n.Value}, nil
}

// modifier names defined by Sigma 2.x (sigma-appendix-modifiers.md).
var knownModifiers = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "all": true,
	"base64": true, "base64offset": true, "wide": true, "utf16le": true, "utf16be": true, "utf16": true,
	"windash": true, "re": true, "i": true, "m": true, "s": true, "cidr": true, "exists": true,
	"fieldref": true, "gt": true, "gte": true, "lt": true, "lte": true, "cased": true, "expand": true,
	"neq": true, "minute": true, "hour": true, "day": true, "week": true, "month": true, "year": true,
}

// itemSpec is the parsed modifier chain of one detection item.
type itemSpec struct {
	field    string
	keyword  bool
	mods     []string // value transformations, in order
	all      bool
	cased    bool
	neq      bool
	wrapL    bool // contains or endswith: `*` before
	wrapR    bool // contains or startswith: `*` after
	shapeMod string
	// terminal type modifier: "", "re", "cidr", "exists", "fieldref", "cmp", "time"
	kind     string
	reFlags  ir.RegexFlags
	cmpOp    ir.CompareOp
	timeUnit ir.TimeUnit
}

// lowerItem lowers one detection item (a field with modifiers and its values, or a
// keyword value) into an IR tree.
// b is charged with every node made; over it, the item fails with diag.DetectionTooLarge.
func lowerItem(path string, at *yaml.Node, field string, mods []string, values []value, keyword bool, b *budget) (ir.Node, diag.List) {
	var diags diag.List
	pos := ir.Pos{Line: at.Line, Col: at.Column}
	errf := func(code diag.Code, format string, args ...any) (ir.Node, diag.List) {
		diags.Add(path, at.Line, code, format, args...)
		return nil, diags
	}
	spec := itemSpec{field: field, keyword: keyword || field == ""}
	what := "field " + strconv.Quote(field)
	if spec.keyword {
		what = "keyword"
	}
	// Parse the modifier chain.
	var unknown []string
	for _, m := range mods {
		if !knownModifiers[m] {
			unknown = append(unknown, m)
			continue
		}
		switch m {
		case "contains", "startswith", "endswith":
			if spec.shapeMod != "" {
				return errf(diag.InvalidModifier, "%s: %s cannot be combined with %s", what, m, spec.shapeMod)
			}
			spec.shapeMod = m
			spec.wrapL = m != "startswith"
			spec.wrapR = m != "endswith"
			spec.mods = append(spec.mods, m)
		case "all":
			spec.all = true
		case "cased":
			spec.cased = true
		case "neq":
			spec.neq = true
		case "base64", "base64offset", "wide", "utf16le", "utf16be", "utf16", "windash", "expand":
			spec.mods = append(spec.mods, m)
		case "i", "m", "s":
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
		default:
			kind := m
			switch m {
			case "gt", "gte", "lt", "lte":
				kind = "cmp"
				spec.cmpOp = map[string]ir.CompareOp{"gt": ir.GT, "gte": ir.GTE, "lt": ir.LT, "lte": ir.LTE}[m]
			case "minute", "hour", "day", "week", "month", "year":
				kind = "time"
				spec.timeUnit, _ = ir.ParseTimeUnit(m)
			}
			if spec.kind != "" {
				return errf(diag.InvalidModifier, "%s: modifier %s cannot be combined with %s", what, m, mods[indexOfKind(mods, spec.kind)])
			}
			spec.kind = kind
		}
	}
	if len(unknown) > 0 {
		return errf(diag.UnknownModifier, "%s: unknown modifier %s", what, quoteList(unknown))
	}
	if spec.keyword && spec.kind != "" {
		return errf(diag.InvalidModifier, "%s: modifier %s needs a field", what, mods[indexOfKind(mods, spec.kind)])
	}
	if spec.keyword && (spec.shapeMod == "startswith" || spec.shapeMod == "endswith") {
		return errf(diag.InvalidModifier, "keyword: %s has no meaning for a keyword, which matches anywhere", spec.shapeMod)
	}
	if spec.kind != "" && spec.kind != "fieldref" {
		for _, m := range spec.mods {
			return errf(diag.InvalidModifier, "%s: modifier %s cannot be combined with %s", what, m, mods[indexOfKind(mods, spec.kind)])
		}
		if spec.cased && spec.kind != "re" {
			return errf(diag.InvalidModifier, "%s: cased cannot be combined with %s", what, mods[indexOfKind(mods, spec.kind)])
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

func indexOfKind(mods []string, kind string) int {
	for i, m := range mods {
		k := m
		switch m {
		case "gt", "gte", "lt", "lte":
			k = "cmp"
		case "minute", "hour", "day", "week", "month", "year":
			k = "time"
		}
		if k == kind {
			return i
		}
	}
	return 0
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
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
func lowerValue(spec *itemSpec, v value, pos ir.Pos, maxAlts int) (ir.Node, string) {
	f := spec.field
	switch spec.kind {
	case "exists":
		if v.typ != vBool {
			return nil, fmt.Sprintf("exists takes true or false, got %q", v.text)
		}
		if v.text == "true" {
			return &ir.Exists{Field: f, Pos: pos}, ""
		}
		return ir.NewNot(&ir.Exists{Field: f, Pos: pos}), ""
	case "re":
		if v.typ != vString && v.typ != vNumber {
			return nil, "re takes a string"
		}
		if _, err := regexp.Compile(v.text); err != nil {
			return nil, fmt.Sprintf("invalid regular expression %q: %v", v.text, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		return &ir.Regex{Field: f, Pattern: v.text, Flags: spec.reFlags, Pos: pos}, ""
	case "cidr":
		if v.typ != vString {
			return nil, "cidr takes a network in CIDR notation"
		}
		p, err := netip.ParsePrefix(strings.TrimSpace(v.text))
		if err != nil {
			return nil, fmt.Sprintf("invalid CIDR network %q", v.text)
		}
		if p.Masked() != p {
			return nil, fmt.Sprintf("CIDR network %q has host bits set (did you mean %s?)", v.text, p.Masked())
		}
		return &ir.CIDR{Field: f, Prefix: p, Pos: pos}, ""
	case "fieldref":
		if v.typ != vString || v.text == "" {
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
		return &ir.FieldRef{Field: f, Ref: v.text, Shape: shape, Cased: spec.cased, Pos: pos}, ""
	case "cmp":
		n, ok := numericValue(v)
		if !ok {
			return nil, fmt.Sprintf("%s takes a number, got %q", spec.cmpOp, v.text)
		}
		return &ir.Compare{Field: f, Op: spec.cmpOp, Value: n, Pos: pos}, ""
	case "time":
		n, ok := numericValue(v)
		if !ok || n.Value != float64(int(n.Value)) {
			return nil, fmt.Sprintf("%s takes an integer, got %q", spec.timeUnit, v.text)
		}
		return &ir.TimePart{Field: f, Part: spec.timeUnit, Value: int(n.Value), Pos: pos}, ""
	}

	// Plain values, with string transformations.
	if v.typ == vNull {
		if len(spec.mods) > 0 || spec.cased {
			return nil, "null cannot be combined with value modifiers"
		}
		if spec.keyword {
			return nil, "a keyword cannot be null"
		}
		return &ir.Null{Field: f, Pos: pos}, ""
	}
	if (v.typ == vNumber || v.typ == vBool) && len(spec.mods) == 0 && !spec.keyword {
		kind := ir.Number
		if v.typ == vBool {
			kind = ir.Bool
		}
		return &ir.Match{Field: f, Pattern: ir.LiteralPattern(v.text), Kind: kind, Cased: spec.cased, Pos: pos}, ""
	}
	patterns, reason := transformValue(spec.mods, v.text, maxAlts)
	if reason != "" {
		return nil, reason
	}
	var alts []ir.Node
	for _, p := range patterns {
		if spec.keyword {
			alts = append(alts, &ir.Keyword{Pattern: p, Cased: spec.cased, Pos: pos})
		} else {
			alts = append(alts, &ir.Match{Field: f, Pattern: p, Cased: spec.cased, Pos: pos})
		}
	}
	return ir.NewOr(alts...), ""
}

func numericValue(v value) (ir.Num, bool) {
	switch v.typ {
	case vNumber:
		return ir.Num{Text: v.text, Value: v.num}, true
	case vString:
		n, err := ir.ParseNum(strings.TrimSpace(v.text))
		return n, err == nil
	}
	return ir.Num{}, false
}
