package lucenetest

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// docs are the values of the keyword field the live-node expectations below were taken on.
var docs = []string{"", "a", "a b", "aXb", "ab", "ab1", "abc", "abd", "b", "bc", "c", "xaby"}

// TestSetOperatorsAsElasticsearchRunsThem checks intersection and complement, with their
// precedence, against the documents a regexp query on Elasticsearch 8.19.21 (Lucene 9.12)
// returned for each expression over docs.
func TestSetOperatorsAsElasticsearchRunsThem(t *testing.T) {
	tests := []struct {
		re   string
		want []string
	}{
		{`.*`, docs},
		{`.*a.*&..`, []string{"ab"}},
		{`~(.*b.*)`, []string{"", "a", "c"}},
		{`a|b&c`, []string{"a"}},
		{`a|.*b&.*c`, []string{"a"}},
		{`ab&a.`, []string{"ab"}},
		{`~a*`, []string{"", "a b", "aXb", "ab", "ab1", "abc", "abd", "b", "bc", "c", "xaby"}},
		{`~ab`, []string{"a b", "aXb", "b"}},
		{`a~bd`, nil},
		{`(a|b)&~a`, []string{"b"}},
		{`a.*&.*b|c`, []string{"a b", "aXb", "ab", "c"}},
		{`()&a?`, []string{""}},
	}
	for _, tt := range tests {
		m, err := Compile(tt.re, nil)
		if err != nil {
			t.Errorf("%q: %v", tt.re, err)
			continue
		}
		var got []string
		for _, d := range docs {
			if m.MatchString(d) {
				got = append(got, d)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q matches %q, Elasticsearch matched %q", tt.re, got, tt.want)
		}
	}
}

// TestSetMatcherAgreesWithGoRegexp runs random expressions without set operators through
// both engines: the Go regexp Compile builds for them and the end-position matcher it uses
// for expressions with & or ~.
func TestSetMatcherAgreesWithGoRegexp(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	atoms := []string{"a", "b", ".", "[ab]", "[^a]", "()", "(a|b)", "(ab|())", `\.`, "(a(b)?)"}
	quants := []string{"", "", "*", "+", "?", "{2}", "{0,2}", "{1,}"}
	alphabet := []rune("ab.x")
	for i := 0; i < 300; i++ {
		var b strings.Builder
		for j := 0; j < 1+rng.Intn(4); j++ {
			b.WriteString(atoms[rng.Intn(len(atoms))])
			b.WriteString(quants[rng.Intn(len(quants))])
		}
		re := b.String()
		if rng.Intn(3) == 0 {
			re += "|" + atoms[rng.Intn(len(atoms))]
		}
		goRe, err := Compile(re, nil)
		if err != nil {
			t.Fatalf("%q: %v", re, err)
		}
		p := parser{src: re}
		root, err := p.union()
		if err != nil || root.compileChars() != nil {
			t.Fatalf("%q does not parse again", re)
		}
		set := setMatcher{root: root}
		for k := 0; k < 50; k++ {
			var v strings.Builder
			for n := rng.Intn(6); n > 0; n-- {
				v.WriteRune(alphabet[rng.Intn(len(alphabet))])
			}
			if g, s := goRe.MatchString(v.String()), set.MatchString(v.String()); g != s {
				t.Fatalf("%q on %q: Go regexp %v, set matcher %v", re, v.String(), g, s)
			}
		}
	}
}

func TestRejectsOperatorsTheBackendsNeverWrite(t *testing.T) {
	for _, re := range []string{"a#", "@", "<1-5>", `"q"`, "a&", "a|", "|a", "(a|)", "~", `\d`, "a{"} {
		if _, err := Compile(re, nil); err == nil {
			t.Errorf("%q compiled", re)
		}
	}
}
