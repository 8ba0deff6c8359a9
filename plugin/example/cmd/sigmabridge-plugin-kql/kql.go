package main

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Diagnostic codes of this backend: the stable codes of package diag, whose class table says
// they mean "the target cannot express this" (diag.IsUnsupported). A plugin may report a code
// of its own, but the host then counts the rule as failed, not as unsupported.
const (
	codeUnsupportedValue   = diag.UnsupportedValue
	codeUnsupportedKeyword = diag.UnsupportedKeyword
	codeUnsupportedFields  = diag.UnsupportedFieldRef
	codeUnsupportedTime    = diag.UnsupportedTimePart
	codeUnsupportedExists  = diag.Unsupported
	codeUnsupportedRegex   = diag.UnsupportedRegex
	codePlaceholder        = diag.UnresolvedPlaceholder
)

// unsupported is a construct KQL cannot express exactly; it fails the rule.
type unsupported struct {
	node    ir.Node
	code    diag.Code
	message string
}

// convertRule renders each condition of r as `[TABLE | ]where EXPR`. The table comes from
// the pipeline state "table" when it is a string.
func convertRule(target, _ string, r *ir.Rule) ([]plugin.Query, plugin.Diagnostics) {
	var (
		queries []plugin.Query
		diags   plugin.Diagnostics
	)
	prefix := ""
	if t, ok := r.Deployment.Extra["table"].(string); ok && t != "" {
		prefix = t + "\n| "
	}
	for i, c := range r.Conditions {
		var problems []unsupported
		expr := render(c, &problems)
		for _, p := range problems {
			pos := ir.Position(p.node)
			line := r.Line
			if pos.Line > 0 {
				line = pos.Line
			}
			diags = append(diags, plugin.Diagnostic{Path: r.Path, Line: line, Col: pos.Col, RuleID: r.ID,
				Target: target, Code: p.code, Message: p.message})
		}
		if len(problems) == 0 {
			queries = append(queries, plugin.Query{Condition: i, Text: prefix + "where " + expr})
		}
	}
	if len(diags) > 0 {
		return nil, diags
	}
	return queries, nil
}

func render(n ir.Node, problems *[]unsupported) string {
	fail := func(code diag.Code, format string, args ...any) string {
		*problems = append(*problems, unsupported{node: n, code: code, message: fmt.Sprintf(format, args...)})
		return "false"
	}
	switch n := n.(type) {
	case *ir.And:
		return join(n.Children, " and ", problems)
	case *ir.Or:
		return join(n.Children, " or ", problems)
	case *ir.Not:
		return "not(" + render(n.Child, problems) + ")"
	case *ir.Match:
		if names := n.Pattern.Placeholders(); len(names) > 0 {
			return fail(codePlaceholder, "placeholder %%%s%% has no value (apply a pipeline)", names[0])
		}
		if n.Kind != ir.String {
			return fail(codeUnsupportedValue, "this example backend compares strings only, not the %s value %s of %s",
				map[ir.ValueKind]string{ir.Number: "number", ir.Bool: "boolean"}[n.Kind], n.Pattern, n.Field)
		}
		return renderMatch(n, fail)
	case *ir.Regex:
		flags := n.Flags.String()
		pattern := n.Pattern
		if flags != "" {
			pattern = "(?" + flags + ")" + pattern
		}
		if _, err := syntax.Parse(pattern, syntax.Perl); err != nil {
			return fail(codeUnsupportedRegex, "%v", err)
		}
		return fmt.Sprintf("%s matches regex %s", field(n.Field), quote(pattern))
	case *ir.CIDR:
		fn := "ipv4_is_in_range"
		if n.Prefix.Addr().Is6() {
			fn = "ipv6_is_in_range"
		}
		return fmt.Sprintf("%s(%s, %s)", fn, field(n.Field), quote(n.Prefix.Masked().String()))
	case *ir.Compare:
		return fmt.Sprintf("toreal(%s) %s %s", field(n.Field), n.Op, n.Value.Text)
	case *ir.Keyword:
		return fail(codeUnsupportedKeyword, "keyword searches are not supported by this example backend")
	case *ir.Exists, *ir.Null:
		return fail(codeUnsupportedExists, "KQL does not tell an empty string from a missing field")
	case *ir.FieldRef:
		return fail(codeUnsupportedFields, "field references are not supported by this example backend")
	case *ir.TimePart:
		return fail(codeUnsupportedTime, "timestamp parts are not supported by this example backend")
	}
	return fail(codeUnsupportedValue, "unknown node %T", n)
}

func join(children []ir.Node, op string, problems *[]unsupported) string {
	parts := make([]string, len(children))
	for i, c := range children {
		parts[i] = render(c, problems)
	}
	return "(" + strings.Join(parts, op) + ")"
}

// renderMatch uses KQL's string operators for the simple shapes (case-insensitive unless
// cased) and an anchored RE2 regex for any other glob.
func renderMatch(n *ir.Match, fail func(code diag.Code, format string, args ...any) string) string {
	cs := ""
	if n.Cased {
		cs = "_cs"
	}
	f := field(n.Field)
	lit := n.Pattern.Literal()
	switch n.Pattern.Shape() {
	case ir.ShapeExact:
		if lit == "" {
			return fail(codeUnsupportedValue, "KQL does not tell an empty string from a missing field (%s)", n.Field)
		}
		if n.Cased {
			return fmt.Sprintf("%s == %s", f, quote(lit))
		}
		return fmt.Sprintf("%s =~ %s", f, quote(lit))
	case ir.ShapePrefix:
		return fmt.Sprintf("%s startswith%s %s", f, cs, quote(lit))
	case ir.ShapeSuffix:
		return fmt.Sprintf("%s endswith%s %s", f, cs, quote(lit))
	case ir.ShapeContains:
		return fmt.Sprintf("%s contains%s %s", f, cs, quote(lit))
	case ir.ShapeAny:
		return fail(codeUnsupportedValue, "KQL does not tell an empty string from a missing field (%s: *)", n.Field)
	}
	var re strings.Builder
	re.WriteString("(?s")
	if !n.Cased {
		re.WriteString("i")
	}
	re.WriteString(")^")
	for _, s := range n.Pattern {
		switch s.Kind {
		case ir.Lit:
			re.WriteString(regexp.QuoteMeta(s.Text))
		case ir.AnyString:
			re.WriteString(".*")
		case ir.AnyChar:
			re.WriteString(".")
		}
	}
	re.WriteString("$")
	return fmt.Sprintf("%s matches regex %s", f, quote(re.String()))
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// field renders a dotted path: identifiers bare, other names as ['name'].
func field(path string) string {
	var b strings.Builder
	for i, part := range strings.Split(path, ".") {
		if identifier.MatchString(part) {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(part)
			continue
		}
		b.WriteString("['" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(part) + "']")
	}
	return b.String()
}

// quote renders a KQL string literal.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
