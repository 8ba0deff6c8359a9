package sigma

import (
	"strings"
	"testing"
)

// FuzzParseCondition parses arbitrary text with both grammars (a rule's condition and a
// pipeline's condition expression). It must never panic or recurse without bound, give a
// tree exactly when there is no error, place every reference inside the text, and give no
// quantified reference to the grammar without quantifiers.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{
		"a", "a and not (b or c)", "1 of sel* and not all of filter_*", "any of them", "A AND NOT b",
		"a | count() > 5", "a near b", "sel*", "2 of a", "(a", "a)", "not", "", " \t", "a $ b",
		strings.Repeat("(", MaxConditionDepth+1) + "a" + strings.Repeat(")", MaxConditionDepth+1),
		strings.Repeat("not ", MaxConditionDepth) + "a", "of of of", "them",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, g := range []Grammar{RuleGrammar, {}} {
			c := ParseCondition(text, g)
			if (c.Expr == nil) != (c.Err != nil) {
				t.Fatalf("%q: tree %v with error %v", text, c.Expr, c.Err)
			}
			if c.Err != nil && (c.Err.Code == "" || c.Err.Message == "" || c.Err.Col < 1 || c.Err.Col > len(text)+1) {
				t.Fatalf("%q: error %+v", text, c.Err)
			}
			for _, r := range c.Refs {
				if r.Col < 1 || r.Col+len(r.Text)-1 > len(text) || r.Text == "" {
					t.Fatalf("%q: reference %+v outside the text", text, r)
				}
				if !g.Quantifiers && (r.Quant != "" || r.Kind != RefIdent) {
					t.Fatalf("%q: quantified reference %+v without quantifiers", text, r)
				}
			}
			if c.Expr != nil && depth(c.Expr) > MaxConditionDepth+1 {
				t.Fatalf("%q: a tree %d deep", text, depth(c.Expr))
			}
		}
	})
}

func depth(e Expr) int {
	switch e := e.(type) {
	case *Not:
		return 1 + depth(e.X)
	case *And:
		return 1 + maxDepth(e.Xs)
	case *Or:
		return 1 + maxDepth(e.Xs)
	}
	return 1
}

func maxDepth(xs []Expr) int {
	m := 0
	for _, x := range xs {
		m = max(m, depth(x))
	}
	return m
}
