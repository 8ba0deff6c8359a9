package splunk

import (
	"encoding/json"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

var hostileValues = []string{
	`say "hello"`,
	`" | delete index=main | search "`,
	`"`,
	`\`,
	`ends with backslash\`,
	`\*`,
	`\\`,
	`C:\Windows\`,
	`trailing \\`,
	`pipe | and [brackets] {braces} (parens) <angles>`,
	"line1\nline2\r\ttab",
	"back`tick` and `macro(x)`",
	`$(sub) $token$ %p%`,
	`AND OR NOT ( ) =`,
	`single ' quote`,
	`literal * star and ? question`,
	`unicode Ünïcödé 日本語 İstanbul ß`,
	"nul\x00 and del\x7f",
	``,
}

var hostileShapes = []struct {
	name        string
	left, right bool
}{{"exact", false, false}, {"contains", true, true}, {"startswith", false, true}, {"endswith", true, false}}

// globRegexp turns a pattern into an anchored, case-insensitive Go regexp: the reference
// for what a rendered leaf must match.
func globRegexp(p ir.Pattern) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?is)\A`)
	for _, s := range p {
		switch s.Kind {
		case ir.Lit:
			b.WriteString(regexp.QuoteMeta(s.Text))
		case ir.AnyString:
			b.WriteString(`.*`)
		case ir.AnyChar:
			b.WriteString(`.`)
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

// swapASCIICase changes the case of ASCII letters only, so the result is EqualFold-equal.
func swapASCIICase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return unicode.ToUpper(r)
		case r >= 'A' && r <= 'Z':
			return unicode.ToLower(r)
		}
		return r
	}, s)
}

// leaves returns the leaf texts of a parsed expression.
func leaves(n *splNode) []string {
	if n.op == "" {
		return []string{n.leaf}
	}
	var out []string
	for _, k := range n.kids {
		out = append(out, leaves(k)...)
	}
	return out
}

// searchLeafPattern reads `field="value"` back into the field and the pattern it means to
// `search`: unescaped, `*` a wildcard.
func searchLeafPattern(t *testing.T, leaf string) (string, ir.Pattern) {
	t.Helper()
	field, rest, ok := strings.Cut(leaf, "=")
	if !ok {
		t.Fatalf("search leaf %q is not field=value", leaf)
	}
	if rest == "*" {
		return field, ir.Pattern{{Kind: ir.AnyString}}
	}
	v, tail, err := unquoteSPL(rest)
	if err != nil || tail != "" {
		t.Fatalf("search leaf %q: value is not one SPL string (%v, rest %q)", leaf, err, tail)
	}
	var p ir.Pattern
	for i, part := range strings.Split(v, "*") {
		if i > 0 {
			p = append(p, ir.Segment{Kind: ir.AnyString})
		}
		p = append(p, ir.Segment{Kind: ir.Lit, Text: part})
	}
	return field, p.Normalize()
}

var mvfindLeaf = regexp.MustCompile(`^isnotnull\(mvfind\('([^']*)', (".*")\)\)$`)

// whereLeafRegexp reads isnotnull(mvfind('field', "regex")) back into the field and the
// compiled regex (the PCRE this backend prints for patterns is also valid Go syntax).
func whereLeafRegexp(t *testing.T, leaf string) (string, *regexp.Regexp) {
	t.Helper()
	m := mvfindLeaf.FindStringSubmatch(leaf)
	if m == nil {
		t.Fatalf("where leaf %q is not isnotnull(mvfind('field', \"...\"))", leaf)
	}
	re, tail, err := unquoteSPL(m[2])
	if err != nil || tail != "" {
		t.Fatalf("where leaf %q: regex is not one SPL string (%v, rest %q)", leaf, err, tail)
	}
	if strings.ContainsAny(re, "\"`") {
		t.Errorf("regex %q holds a raw quote or backtick", re)
	}
	compiled, err := regexp.Compile(re)
	if err != nil {
		t.Fatalf("where leaf %q: %v", leaf, err)
	}
	return m[1], compiled
}

// TestHostileValues renders hostile values in every shape, on a plain field and on a field
// with dashes, and proves that the query is one well-formed search plus at most one where
// stage, that nothing escapes a string, and that the leaves match the value literally.
func TestHostileValues(t *testing.T) {
	for _, field := range []string{"CommandLine", "x-ms-mail-application"} {
		for _, v := range hostileValues {
			for _, shape := range hostileShapes {
				p := ir.LiteralPattern(v).Wrap(shape.left, shape.right)
				m := &ir.Match{Field: field, Pattern: p}
				checkHostile(t, m, v, shape.left, shape.right)
			}
		}
	}
}

func checkHostile(t *testing.T, m *ir.Match, v string, left, right bool) {
	t.Helper()
	q := convertOne(t, m)
	ctx := m.String() + " -> " + q
	for _, r := range q {
		if r == '`' || r < ' ' || r == 0x7f {
			t.Fatalf("%s: raw %q in the query", ctx, r)
		}
	}
	stages, err := splitPipes(q)
	if err != nil {
		t.Fatalf("%s: %v", ctx, err)
	}
	if len(stages) > 2 || len(stages) == 2 && !strings.HasPrefix(stages[1], "where ") {
		t.Fatalf("%s: stages %q: a command escaped its string", ctx, stages)
	}
	sample := v
	if left {
		sample = "pre" + sample
	}
	if right {
		sample += "post"
	}
	want := globRegexp(m.Pattern)
	if !want.MatchString(sample) {
		t.Fatalf("test bug: %q does not match %s", sample, m.Pattern)
	}
	var negatives []string
	if !left {
		negatives = append(negatives, "x"+sample)
	}
	if !right {
		negatives = append(negatives, sample+"x")
	}
	if v != "" {
		negatives = append(negatives, strings.Replace(sample, v, v[1:], 1))
	}

	if stages[0] != "*" {
		tree, err := parseBothWays(stages[0])
		if err != nil {
			t.Fatalf("%s: search: %v", ctx, err)
		}
		for _, leaf := range leaves(tree) {
			f, pat := searchLeafPattern(t, leaf)
			if f != m.Field {
				t.Errorf("%s: search field %q", ctx, f)
			}
			if len(stages) == 1 {
				// Exact: the search value is the pattern itself.
				if pat.String() != m.Pattern.String() {
					t.Errorf("%s: search value means %s, want %s", ctx, pat, m.Pattern)
				}
			} else if !globRegexp(pat).MatchString(sample) {
				// A prefilter: it must let every matching value through.
				t.Errorf("%s: search prefilter %s rejects %q", ctx, pat, sample)
			}
		}
	}
	if len(stages) == 1 {
		return
	}
	tree, err := parseBothWays(strings.TrimPrefix(stages[1], "where "))
	if err != nil {
		t.Fatalf("%s: where: %v", ctx, err)
	}
	ls := leaves(tree)
	if len(ls) != 1 {
		t.Fatalf("%s: where has %d leaves", ctx, len(ls))
	}
	f, re := whereLeafRegexp(t, ls[0])
	if f != m.Field {
		t.Errorf("%s: where field %q", ctx, f)
	}
	for _, s := range []string{sample, swapASCIICase(sample)} {
		if !re.MatchString(s) {
			t.Errorf("%s: where regex %s rejects %q", ctx, re, s)
		}
	}
	for _, s := range negatives {
		if want.MatchString(s) {
			continue
		}
		if re.MatchString(s) {
			t.Errorf("%s: where regex %s accepts %q", ctx, re, s)
		}
	}
}

// TestHostileFieldNames pins the field names SPL cannot hold and the ones it quotes.
func TestHostileFieldNames(t *testing.T) {
	for _, f := range []string{`a'b`, `a"b`, `a\b`, "a`b", `a|b`, "a\nb", ""} {
		_, diags := Backend{}.Convert(&ir.Rule{Conditions: []ir.Node{&ir.Exists{Field: f}}})
		if len(diags) != 1 || diags[0].Code != "unsupported-field-name" {
			t.Errorf("field %q: diagnostics %v, want one unsupported-field-name", f, diags)
		}
	}
	got := convertOne(t, &ir.Exists{Field: "x-ms-mail-application"})
	if want := `* | where isnotnull('x-ms-mail-application')`; got != want {
		t.Errorf("dashed field: got %q want %q", got, want)
	}
	got = convertOne(t, &ir.Match{Field: "Field Name", Pattern: ir.LiteralPattern("v")})
	if want := `* | where isnotnull(mvfind('Field Name', "(?i)\\Av\\z"))`; got != want {
		t.Errorf("field with a space: got %q want %q", got, want)
	}
}

// TestHostileSearchDirectives renders leaves of every kind on fields named like the
// search command's time modifiers and operators, in several cases, and on names only
// `where` can hold: no such name stands before `=` in the search (the interpreter refuses
// it), and on events with the field set, set otherwise, multivalued and missing, the
// interpreted SPL agrees with the evaluator.
func TestHostileSearchDirectives(t *testing.T) {
	names := []string{"earliest", "Earliest", "LATEST", "latest", "_index_earliest", "now", "starttime", "timeformat",
		"daysago", "AND", "and", "Or", "NOT", "not", "IN", "a b", "a=b", "x-ms-mail-application", "1st", "earliest_ok"}
	for _, f := range names {
		leaves := []ir.Node{
			&ir.Match{Field: f, Pattern: ir.LiteralPattern("-1d")},
			&ir.Match{Field: f, Pattern: ir.LiteralPattern("v").Wrap(true, true)},
			&ir.Match{Field: f, Pattern: ir.LiteralPattern("4624"), Kind: ir.Number},
			&ir.Exists{Field: f},
			&ir.Null{Field: f},
			&ir.Compare{Field: f, Op: ir.GT, Value: ir.Num{Text: "10", Value: 10}},
			&ir.CIDR{Field: f, Prefix: netip.MustParsePrefix("10.0.0.0/8")},
			&ir.And{Children: []ir.Node{&ir.Match{Field: f, Pattern: ir.LiteralPattern("x?")}, &ir.Exists{Field: "other"}}},
		}
		events := []map[string]any{
			{f: "-1d"}, {f: "-1D", "other": 1}, {f: "xvx"}, {f: "x1", "other": "o"}, {f: 4624}, {f: 11}, {f: "10.1.2.3"},
			{f: []any{"a", "v"}}, {f: "", "other": "o"}, {"other": "o"}, {},
		}
		for _, leaf := range leaves {
			for _, tree := range []ir.Node{leaf, &ir.Not{Child: leaf}} {
				q := convertOne(t, tree)
				stages, _ := splitPipes(q)
				named := strings.Contains(stages[0], f+"=") || strings.Contains(stages[0], f+">")
				if named != (f == "earliest_ok") {
					t.Errorf("%s -> %s: the search names %s: %v", tree, q, f, named)
				}
				prog, errs := evaluator.Compile([]*ir.Rule{{ID: "r", Conditions: []ir.Node{tree}}})
				if len(errs) > 0 {
					t.Fatal(errs)
				}
				for _, ev := range events {
					line, _ := json.Marshal(ev)
					ms, err := prog.MatchJSON(line)
					if err != nil {
						t.Fatal(err)
					}
					if got, want := runSPL(t, q, splunkView(ev, string(line))), len(ms) > 0; got != want {
						t.Errorf("%s -> %s\n event %s: SPL %v, evaluator %v", tree, q, line, got, want)
					}
				}
			}
		}
	}
}
