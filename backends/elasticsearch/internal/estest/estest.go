package estest

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/lucenetest"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Oracle returns Sigma's verdict on node for events holding one value in field, computed
// by the evaluator the detector uses.
func Oracle(t testing.TB, node ir.Node, field string) func(value string) bool {
	t.Helper()
	p, errs := evaluator.Compile([]*ir.Rule{{ID: "oracle", Conditions: []ir.Node{node}}})
	if len(errs) > 0 {
		t.Fatalf("evaluator cannot compile %s: %v", node, errs)
	}
	return func(value string) bool {
		return len(p.MatchEvent(map[string]any{field: value})) > 0
	}
}

// HostileValues are literal values that break naive escaping in some Elasticsearch
// language: quotes and attempts to close a string and inject, backslashes (trailing, before
// a wildcard character, doubled), every query_string and Lucene-regex special, control
// characters, backticks, letters with unusual case orbits, operator words, the empty
// string.
var HostileValues = []string{
	`say "hello"`,
	`" OR *:*`,
	`\" | DROP`,
	`x" or true or "`,
	`a\`,
	`a\*`,
	`a\\`,
	`\\server\share\`,
	"back`tick` and $(sub)",
	`pipe | and [brackets] {braces} (parens) <angles>`,
	"line1\nline2\r\ttab\f\b\x01",
	`+ - = && || > < ! ( ) { } [ ] ^ " ~ * ? : \ /`,
	`# @ & . $ % _ ,`,
	"Ünïcödé 日本語 İstanbul ß ſ K Σσς ǅ ı",
	"",
	" ",
	"AND",
	"OR",
	"NOT",
	"' single",
	"<script>",
	">5",
	"<=",
	"/slashes/",
	"*", "?", "\\*", "\\?",
	`C:\Windows\System32\cmd.exe`,
	"powershell -enc",
	"\u0130",
	"i\u0307",
	"wmi",
	"I",
}

// HostileFields are field names that need escaping or quoting in some language.
var HostileFields = []string{"x-ms-mail-application", "a b", "and", "OR", "with`tick", "1st", "a.b-c", "@timestamp", "_x", "not"}

// Patterns returns patterns built around a literal value: exact, contains, startswith,
// endswith, and globs with the value between wildcards (the backslash-before-wildcard
// trap).
func Patterns(value string) []ir.Pattern {
	lit := ir.LiteralPattern(value)
	return []ir.Pattern{
		lit,
		lit.Wrap(true, true),
		lit.Wrap(false, true),
		lit.Wrap(true, false),
		append(append(ir.Pattern{{Kind: ir.AnyChar}}, lit...), ir.Segment{Kind: ir.AnyString}).Normalize(),
		append(append(ir.LiteralPattern("x"), ir.Segment{Kind: ir.AnyChar}), lit...).Normalize(),
	}
}

// Probes returns values to test a predicate built from value with: the value, its case
// variants (including the Kelvin sign and the long s), the value inside other text, near
// misses, and variants with İ, whose lower case is two runes.
func Probes(value string) []string {
	out := []string{value, strings.ToUpper(value), strings.ToLower(value), "", "x", "i\u0307", "\u0130"}
	swap := strings.NewReplacer("k", "\u212a", "K", "\u212a", "s", "\u017f", "S", "\u017f", "i", "\u0130", "I", "\u0130", "σ", "ς", "ǅ", "ǆ", "ß", "ẞ", "ı", "I")
	out = append(out, swap.Replace(value), "pre"+value, value+"post", "x"+value+"\n", value+value)
	// One i at a time turned into İ: lower-cased, it becomes i and a combining dot, which a
	// wildcard after the i could absorb.
	for i, r := range []rune(value) {
		if r == 'i' || r == 'I' {
			rs := []rune(value)
			rs[i] = 0x130
			out = append(out, string(rs), string(rs)+"x")
		}
	}
	if n := utf8.RuneCountInString(value); n > 0 {
		rs := []rune(value)
		out = append(out, string(rs[1:]), string(rs[:n-1]))
		changed := append([]rune(nil), rs...)
		changed[n/2] = 'Z'
		out = append(out, string(changed))
		flipped := append([]rune(nil), rs...)
		for i, r := range flipped {
			if unicode.IsUpper(r) {
				flipped[i] = unicode.ToLower(r)
			} else {
				flipped[i] = unicode.ToUpper(r)
			}
		}
		out = append(out, string(flipped))
	}
	return out
}

// Token is one element of a wildcard pattern as a query language sees it.
type Token struct {
	Any, One bool // `*`, `?`
	Rune     rune // a literal rune otherwise
}

// Glob matches v against tokens, comparing literal runes with eq.
func Glob(tokens []Token, v string, eq func(q, v rune) bool) bool {
	vs := []rune(v)
	var match func(ti, vi int) bool
	memo := map[[2]int]bool{}
	match = func(ti, vi int) bool {
		key := [2]int{ti, vi}
		if r, ok := memo[key]; ok {
			return r
		}
		var r bool
		switch {
		case ti == len(tokens):
			r = vi == len(vs)
		case tokens[ti].Any:
			r = match(ti+1, vi) || vi < len(vs) && match(ti, vi+1)
		case vi == len(vs):
			r = false
		case tokens[ti].One:
			r = match(ti+1, vi+1)
		default:
			r = eq(tokens[ti].Rune, vs[vi]) && match(ti+1, vi+1)
		}
		memo[key] = r
		return r
	}
	return match(0, 0)
}

// Exact compares runes exactly.
func Exact(q, v rune) bool { return q == v }

// ESFold is Elasticsearch 8's case_insensitive folding for term, prefix and wildcard
// queries: a query rune matches itself and its one alternate case (upper case of a lower
// case rune, lower case of any other).
func ESFold(q, v rune) bool {
	if q == v {
		return true
	}
	alt := unicode.ToLower(q)
	if unicode.IsLower(q) {
		alt = unicode.ToUpper(q)
	}
	return v == alt
}

// ASCIIFold is Lucene's ASCII_CASE_INSENSITIVE folding (the regexp query's
// case_insensitive, EQL's regex~): only ASCII letters fold.
func ASCIIFold(q, v rune) bool {
	if q == v {
		return true
	}
	return q < 0x80 && v < 0x80 && unicode.IsLetter(q) && unicode.ToLower(q) == unicode.ToLower(v)
}

// Lucene10Fold is Elasticsearch 9's case-insensitive matching (Lucene 10's
// CASE_INSENSITIVE): simple case folding, with the Turkic i forms (i, I, İ, ı) all equal.
func Lucene10Fold(q, v rune) bool {
	for _, f := range lucenetest.UnicodeFold(q) {
		if f == v {
			return true
		}
	}
	return q == v
}

// FoldModel is one version's case-insensitive matching: Term folds the literal runes of
// term, prefix and wildcard queries and of EQL's `:`; Regex is the regular-expression flag
// (regexp case_insensitive, EQL regex~).
type FoldModel struct {
	Name  string
	Term  func(q, v rune) bool
	Regex lucenetest.Fold
}

// FoldModels are the foldings a case-insensitive query must be exact under: Elasticsearch
// 8 (one alternate case for terms, ASCII for regular expressions), Elasticsearch 9 (Lucene
// 10's Unicode folding with the Turkic i), and ASCII only.
var FoldModels = []FoldModel{
	{"es8", ESFold, lucenetest.ASCIIFold},
	{"es9", Lucene10Fold, lucenetest.UnicodeFold},
	{"ascii", ASCIIFold, lucenetest.ASCIIFold},
}

// JavaLower is Java's String.toLowerCase(Locale.ROOT), which ES|QL's TO_LOWER calls: the
// simple mappings, İ to i with COMBINING DOT ABOVE, and the final-sigma rule, approximated
// (Java decides it with word boundaries and case-ignorable marks: ΑΣ'Α keeps σ); the
// targets never depend on which sigma Σ becomes.
func JavaLower(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3A3:
			before := i > 0 && unicode.IsLetter(rs[i-1])
			after := i+1 < len(rs) && unicode.IsLetter(rs[i+1])
			if before && !after {
				b.WriteRune(0x3C2)
			} else {
				b.WriteRune(0x3C3)
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Leaf makes the i-th leaf of a random tree.
type Leaf func(rng *rand.Rand, i int) ir.Node

// RandomTree returns a random condition tree of And, Or and Not over leaves made by leaf,
// numbered in the order a left-to-right walk meets them.
func RandomTree(rng *rand.Rand, depth int, leaf Leaf) ir.Node {
	n := 0
	var build func(d int) ir.Node
	build = func(d int) ir.Node {
		if d == 0 || rng.Intn(4) == 0 {
			n++
			return leaf(rng, n-1)
		}
		op := rng.Intn(3)
		if op == 0 {
			return &ir.Not{Child: build(d - 1)}
		}
		cs := make([]ir.Node, 2+rng.Intn(3))
		for i := range cs {
			cs[i] = build(d - 1)
		}
		if op == 1 {
			return &ir.And{Children: cs}
		}
		return &ir.Or{Children: cs}
	}
	return build(depth)
}

// Shape prints the boolean structure of a tree with its leaves numbered in order:
// and(L0,or(L1,not(L2))). Nested operators of the same kind must already be flattened.
func Shape(n ir.Node, leaves *int) string {
	switch n := n.(type) {
	case *ir.And:
		return "and(" + shapes(n.Children, leaves) + ")"
	case *ir.Or:
		return "or(" + shapes(n.Children, leaves) + ")"
	case *ir.Not:
		return "not(" + Shape(n.Child, leaves) + ")"
	case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Match, *ir.Null, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	*leaves++
	return fmt.Sprintf("L%d", *leaves-1)
}

func shapes(ns []ir.Node, leaves *int) string {
	parts := make([]string, len(ns))
	for i, c := range ns {
		parts[i] = Shape(c, leaves)
	}
	return strings.Join(parts, ",")
}

// Tree is a parsed boolean expression: an operator with children, or a leaf holding its
// source text.
type Tree struct {
	Op       string // "and", "or", "not", or "" for a leaf
	Children []*Tree
	Text     string
}

// Shape prints t like Shape prints an IR tree, flattening nested operators of one kind
// (the parser of a flat chain may nest them).
func (t *Tree) Shape(leaves *int) string {
	if t.Op == "" {
		*leaves++
		return fmt.Sprintf("L%d", *leaves-1)
	}
	var parts []string
	for _, c := range t.flatten() {
		parts = append(parts, c.Shape(leaves))
	}
	return t.Op + "(" + strings.Join(parts, ",") + ")"
}

func (t *Tree) flatten() []*Tree {
	if t.Op == "not" {
		return t.Children
	}
	var out []*Tree
	for _, c := range t.Children {
		if c.Op == t.Op {
			out = append(out, c.flatten()...)
		} else {
			out = append(out, c)
		}
	}
	return out
}

// Leaves returns the leaves of t in order.
func (t *Tree) Leaves() []*Tree {
	if t.Op == "" {
		return []*Tree{t}
	}
	var out []*Tree
	for _, c := range t.Children {
		out = append(out, c.Leaves()...)
	}
	return out
}

// CorpusRules loads the SigmaHQ rule trees the coverage targets count from the corpus named
// by SIGMABRIDGE_CORPUS, or skips the test when it is unset.
func CorpusRules(t *testing.T) []*ir.Rule {
	t.Helper()
	root := os.Getenv("SIGMABRIDGE_CORPUS")
	if root == "" {
		t.Skip("SIGMABRIDGE_CORPUS is not set: the corpus test needs the SigmaHQ rules")
	}
	var paths []string
	for _, tree := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-compliance", "rules-placeholder"} {
		paths = append(paths, filepath.Join(root, tree))
	}
	files, diags := ruleset.Discover(paths)
	if len(diags) > 0 {
		t.Fatalf("corpus not readable: %v", diags.Err())
	}
	rules, _ := ruleset.Load(files)
	if len(rules) < 3000 {
		t.Fatalf("only %d rules loaded from %s", len(rules), root)
	}
	return rules
}

// Alternatives returns the leaves of t when t is one leaf, or an or of leaves (how the
// backends write a regular expression split to fit Elasticsearch's length limit); nil
// otherwise.
func (t *Tree) Alternatives() []*Tree {
	switch t.Op {
	case "":
		return []*Tree{t}
	case "or":
		for _, c := range t.flatten() {
			if c.Op != "" {
				return nil
			}
		}
		return t.flatten()
	}
	return nil
}

// AnyOf returns a matcher true when one of ms is.
func AnyOf(ms []func(string) bool) func(string) bool {
	return func(v string) bool {
		for _, m := range ms {
			if m(v) {
				return true
			}
		}
		return false
	}
}
