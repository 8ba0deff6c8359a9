package eql

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmatch"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/esrender"
	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Target is the backend's name on the command line.
const Target = "eql"

// Backend renders rules as EQL event queries. It has no state; the zero value is ready.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name returns "eql".
func (Backend) Name() string { return Target }

var dialect = infix.Dialect{And: " and ", Or: " or ", Not: "not ", Open: "(", Close: ")"}

// Convert renders one `<category> where <condition>` query per condition of r, or reports
// every construct EQL cannot express exactly. The category is the pipeline state
// "event_category" when it is set, otherwise `any`.
func (Backend) Convert(r *ir.Rule) ([]backends.Query, diag.List) {
	category := category(r)
	return backends.ConvertEach(r, nil, func(cond ir.Node) (string, bool, diag.List) {
		text, ds := Render(r, cond)
		return category + " where " + text, false, ds
	})
}

var plainCategory = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func category(r *ir.Rule) string {
	s := r.Deployment.EventCategory
	if s == "" {
		return "any"
	}
	if plainCategory.MatchString(s) && !keywords[strings.ToLower(s)] {
		return s
	}
	return quote(s)
}

// Render renders one detection tree of r as an EQL condition.
func Render(r *ir.Rule, tree ir.Node) (string, diag.List) {
	rd := renderer{Target: esrender.New(r, Target)}
	e := rd.node(ir.Simplify(tree))
	if rd.diags.HasErrors() {
		return "", rd.diags
	}
	return e.Text, rd.diags
}

// renderer renders one rule: each leaf returns its comparison or its diagnostics, and the
// walk over the tree gathers them in diags.
type renderer struct {
	esrender.Target
	diags diag.List
}

// node renders a simplified tree. The comparisons under one OR that test the same field
// with the same operator are merged into one list lookup: f : ("a", "b*").
func (rd *renderer) node(n ir.Node) infix.Expr {
	switch n := n.(type) {
	case *ir.And:
		parts := make([]infix.Expr, len(n.Children))
		for i, c := range n.Children {
			parts[i] = rd.node(c)
		}
		return dialect.Combine(infix.AndOp, parts...)
	case *ir.Or:
		var parts []comparison
		lists := map[[2]string]int{} // field and operator -> index in parts
		for _, c := range n.Children {
			if len(ir.Children(c)) > 0 {
				parts = append(parts, comparison{rendered: rd.node(c)})
				continue
			}
			cmp := rd.walkLeaf(c)
			if key := [2]string{cmp.field, cmp.op}; cmp.op != "" {
				if i, ok := lists[key]; ok {
					parts[i].values = append(parts[i].values, cmp.values...)
					continue
				}
				lists[key] = len(parts)
			}
			parts = append(parts, cmp)
		}
		exprs := make([]infix.Expr, len(parts))
		for i, p := range parts {
			exprs[i] = p.expr()
		}
		return dialect.Combine(infix.OrOp, exprs...)
	case *ir.Not:
		if ex, ok := n.Child.(*ir.Exists); ok {
			return rd.walkLeaf(&ir.Null{Field: ex.Field, Pos: ex.Pos}).expr()
		}
		return dialect.Negate(rd.node(n.Child))
	case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Match, *ir.Null, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return rd.walkLeaf(n).expr()
}

// walkLeaf renders a leaf and gathers its diagnostics.
func (rd *renderer) walkLeaf(n ir.Node) comparison {
	c, ds := rd.leaf(n)
	rd.diags = append(rd.diags, ds...)
	return c
}

// comparison is a rendered leaf. A comparison of a field with string operands, true when
// one of them compares true (field, op, values set), can join a list lookup; any other leaf
// (or subtree) is only rendered.
type comparison struct {
	field, op string
	values    []string
	rendered  infix.Expr
}

func (c comparison) expr() infix.Expr {
	if c.op != "" {
		return listExpr(c.field, c.op, c.values)
	}
	return c.rendered
}

// listExpr writes the comparisons of one field with one operator and several values.
func listExpr(field, op string, values []string) infix.Expr {
	if len(values) == 1 {
		return infix.AtomExpr(field + " " + op + " " + values[0])
	}
	if op == "==" {
		op = "in"
	}
	return infix.AtomExpr(field + " " + op + " (" + strings.Join(values, ", ") + ")")
}

func cmp(f, op, value string) (comparison, diag.List) {
	return comparison{field: f, op: op, values: []string{value}}, nil
}

// regexps is the regex comparison of field f with the expressions chunks gives: one, or a
// list of them when the expression had to be split to fit Elasticsearch's length limit.
func (rd *renderer) regexps(n ir.Node, f, op string, chunks func() ([]string, error)) (comparison, diag.List) {
	res, ds := rd.Regexps(n, chunks)
	if ds != nil {
		return comparison{}, ds
	}
	c := comparison{field: field(f), op: op}
	for _, re := range res {
		c.values = append(c.values, quote(re))
	}
	return c, nil
}

// globRegexps is regexps for the regular expression of a glob pattern.
func (rd *renderer) globRegexps(n *ir.Match, op string, fold esmatch.Fold) (comparison, diag.List) {
	return rd.regexps(n, n.Field, op, esrender.GlobRegexps(n.Pattern, fold))
}

func text(s string) (comparison, diag.List) { return comparison{rendered: infix.AtomExpr(s)}, nil }

// flattened is what EQL cannot ask of a flattened field: anything, as none of it is verified.
func flattened(n ir.Node, m esmatch.Mapping) (diag.Code, string) {
	for _, f := range esmatch.LeafFields(n) {
		if obj := m.FlattenedObject(f); obj != "" {
			return diag.UnsupportedFlattened, fmt.Sprintf("%s: field %s is in the flattened object %s (pipeline state %s or the index mapping); what EQL can ask of a flattened field is not verified", n, f, obj, ir.StateFlattened)
		}
	}
	return "", ""
}

func (rd *renderer) leaf(n ir.Node) (comparison, diag.List) {
	n, ds := rd.Typed(n)
	if ds != nil {
		return comparison{}, ds
	}
	if ds := rd.CheckLeaf(n, nil, flattened); ds != nil {
		return comparison{}, ds
	}
	switch n := n.(type) {
	case *ir.Match:
		return rd.match(n)
	case *ir.Keyword:
		return comparison{}, rd.Fail(n, diag.UnsupportedKeyword, "keyword %q: EQL has no condition over all fields of an event", n.Pattern.String())
	case *ir.Regex:
		re, ds := rd.Regexp(n, true)
		if ds != nil {
			return comparison{}, ds
		}
		if re.Intersection {
			// query_string, the regexp query and ES|QL's RLIKE take Lucene's & (verified on
			// Elasticsearch 8.19); EQL documents only the standard operators for regex, and
			// the QL layer evaluates a regex it does not push down with java.util.regex,
			// where & is a literal character.
			return comparison{}, rd.Fail(n, diag.UnsupportedRegex, "field %s: the word boundaries of %q need Lucene's intersection operator &, which EQL's regex does not document (and evaluates with java.util.regex, where & is literal, when it cannot push the test down)", n.Field, n.Pattern)
		}
		if re.CaseInsensitive {
			return rd.regexps(n, n.Field, "regex~", re.Chunks)
		}
		return rd.regexps(n, n.Field, "regex", re.Chunks)
	case *ir.CIDR:
		if rd.Mapping.IP[n.Field] {
			// EQL pushes cidrMatch on a field down as a terms query with the block.
			block, err := esmatch.IPFieldCIDR(n.Prefix)
			if err != nil {
				return comparison{}, rd.Fail(n, diag.UnsupportedCIDR, "%s: %v", n, err)
			}
			return text("cidrMatch(" + field(n.Field) + ", " + quote(block) + ")")
		}
		// cidrMatch needs an ip-typed field; most string fields are keyword, so match the
		// spellings of the addresses in the prefix instead.
		return rd.regexps(n, n.Field, "regex", esrender.CIDRRegexps(n))
	case *ir.Compare:
		if ds := rd.CheckNumber(n); ds != nil {
			return comparison{}, ds
		}
		return text(field(n.Field) + " " + n.Op.String() + " " + n.Value.Text)
	case *ir.Exists:
		return text("?" + field(n.Field) + " != null")
	case *ir.Null:
		return text("?" + field(n.Field) + " == null")
	case *ir.FieldRef:
		return comparison{}, rd.Fail(n, diag.UnsupportedFieldRef, "%s: EQL cannot compare a field with another field", n)
	case *ir.TimePart:
		return comparison{}, rd.Fail(n, diag.UnsupportedTimePart, "%s: EQL has no function extracting a part of a timestamp", n)
	case *ir.And, *ir.Not, *ir.Or:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return comparison{}, rd.Fail(n, diag.Unsupported, "%s: no EQL form", n)
}

func (rd *renderer) match(n *ir.Match) (comparison, diag.List) {
	if ds := rd.CheckPlaceholders(n, n.Pattern); ds != nil {
		return comparison{}, ds
	}
	f := field(n.Field)
	switch n.Kind {
	case ir.Number:
		if ds := rd.CheckNumber(n); ds != nil {
			return comparison{}, ds
		}
		return cmp(f, "==", n.Pattern.Literal())
	case ir.Bool:
		return cmp(f, "==", n.Pattern.Literal())
	}
	p := n.Pattern
	if p.Shape() == ir.ShapeAny {
		return text("?" + f + " != null")
	}
	// EQL wildcard patterns (`:`, like, like~) have no escape: a literal * or ? in them is a
	// wildcard. Such values go through a regex, where it can be escaped.
	literalWildcard := strings.ContainsAny(p.Literal(), "*?")
	if n.Cased {
		switch {
		case !p.HasWildcard():
			return cmp(f, "==", quote(p.Literal()))
		case !literalWildcard:
			return cmp(f, "like", quote(wildcardValue(p)))
		}
		return rd.globRegexps(n, "regex", esmatch.FoldNone)
	}
	switch {
	case esmatch.PatternNativeFoldExact(p) && !literalWildcard:
		// `:` is case-insensitive, and folds exactly the letters of this pattern.
		return cmp(f, ":", quote(wildcardValue(p)))
	case esmatch.PatternNativeFoldSafe(p):
		// regex~ folds the ASCII letters; the others are spelled out as orbit classes.
		return rd.globRegexps(n, "regex~", esmatch.FoldNonNative)
	}
	return rd.globRegexps(n, "regex", esmatch.FoldAll)
}

// wildcardValue writes p as an EQL wildcard pattern: `*` and `?` as themselves, literals
// as they are (a backslash is an ordinary character there).
func wildcardValue(p ir.Pattern) string {
	var b strings.Builder
	esmatch.WritePattern(&b, p, func(text string) { b.WriteString(text) }, "*", "?")
	return b.String()
}

// keywords are EQL words that cannot stand as a bare identifier.
var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "where": true, "in": true, "like": true, "regex": true,
	"true": true, "false": true, "null": true, "any": true, "sequence": true, "sample": true,
	"by": true, "with": true, "maxspan": true, "until": true, "join": true, "of": true,
	"runs": true, "seq": true, "fork": true,
}

// field writes a field name, in backticks unless it is a plain dotted identifier.
func field(name string) string { return esrender.Identifier(name, keywords) }

// quote writes s as an EQL string literal: the grammar's escapes for \ " and the control
// characters it names, everything else as it is (a string may hold any other character).
func quote(s string) string { return esrender.Quote(s, escapes) }

var escapes = map[rune]string{'\n': `\n`, '\r': `\r`, '\t': `\t`, '\b': `\b`, '\f': `\f`}
