package esmatch

import (
	"errors"
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/lucenetest"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// sigmaRegexp compiles a Sigma regex the way the evaluator does.
func sigmaRegexp(t *testing.T, pattern string, f ir.RegexFlags) *regexp.Regexp {
	t.Helper()
	prefix := ""
	if s := f.String(); s != "" {
		prefix = "(?" + s + ")"
	}
	re, err := regexp.Compile(prefix + pattern)
	if err != nil {
		t.Fatalf("%q does not compile: %v", pattern, err)
	}
	return re
}

// alphabet holds the characters random values are built from: letters with unusual fold
// orbits, newlines, regex and Lucene specials.
var alphabet = []rune("aAbBkKsS\u212a\u017f\n .\\/\"#@<>~&-_0129é\u00c9xX\u0130i")

func randomValue(rng *rand.Rand, max int) string {
	n := rng.Intn(max + 1)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteRune(alphabet[rng.Intn(len(alphabet))])
	}
	return b.String()
}

// checkEquivalent compares the Sigma regex and its translation on the given values and
// on random ones.
func checkEquivalent(t *testing.T, pattern string, f ir.RegexFlags, nativeFold bool, values []string) {
	t.Helper()
	tr, err := TranslateRegexp(pattern, f, nativeFold)
	if err != nil {
		t.Errorf("TranslateRegexp(%q, %q): %v", pattern, f, err)
		return
	}
	folds := []lucenetest.Fold{nil}
	if tr.CaseInsensitive {
		folds = []lucenetest.Fold{lucenetest.ASCIIFold, lucenetest.UnicodeFold}
	}
	want := sigmaRegexp(t, pattern, f)
	rng := rand.New(rand.NewSource(int64(len(pattern))))
	for i := 0; i < 400; i++ {
		values = append(values, randomValue(rng, 8))
	}
	for fi, fold := range folds {
		got, err := lucenetest.Compile(tr.Text, fold)
		if err != nil {
			t.Errorf("TranslateRegexp(%q, %q) = %q, not a well-formed Lucene regexp: %v", pattern, f, tr.Text, err)
			return
		}
		for _, v := range values {
			if w, g := want.MatchString(v), got.MatchString(v); w != g {
				t.Errorf("re %q flags %q -> %q (ci %v, fold %d): value %q: sigma %v, lucene %v", pattern, f, tr.Text, tr.CaseInsensitive, fi, v, w, g)
				return
			}
		}
	}
}

func TestTranslateRegexpEquivalence(t *testing.T) {
	tests := []struct {
		pattern string
		flags   string
		values  []string
	}{
		{`abc`, "", []string{"abc", "xabcx", "ab", "ABC"}},
		{`^abc`, "", []string{"abc", "abcd", "xabc"}},
		{`abc$`, "", []string{"abc", "xabc", "abcx", "abc\n"}},
		{`^abc$`, "", []string{"abc", "abc\n", "\nabc"}},
		{`\Aab\z`, "", []string{"ab", "ab\n"}},
		{`^a|b$`, "", []string{"a", "xa", "b", "bx", "ab"}},
		{`(^|\s)evil(\s|$)`, "", []string{"evil", " evil ", "xevil", "evilx", "a evil", "evil\n"}},
		{`(?:^|x)k`, "", []string{"k", "xk", "ak"}},
		{`a.b`, "", []string{"a.b", "axb", "a\nb"}},
		{`a.b`, "s", []string{"a\nb", "axb"}},
		{`^evil$`, "m", []string{"evil", "a\nevil", "evil\nb", "a\nevil\nb", "xevil", "a\nxevil"}},
		{`^$`, "m", []string{"", "a", "a\n", "\na", "a\n\nb"}},
		{`^`, "", []string{"", "a"}},
		{`$`, "", []string{"", "a"}},
		{`^$`, "", []string{"", "a"}},
		{`cmd`, "i", []string{"CMD", "cMd", "xCmDx", "cm"}},
		{`\\(cmd|powershell)\.exe$`, "i", []string{`C:\Windows\CMD.EXE`, `\PowerShell.exe`, `\powerſhell.exe`, `cmd.exe`, `\cmd.exe.bak`}},
		{`k[a-z]s`, "i", []string{"KAS", "\u212aa\u017f", "kzs"}},
		{`(?i)abc(?-i)DEF`, "", []string{"ABCDEF", "abcdef", "aBcDEF"}},
		{`\s-e(nc(odedcommand)?)?\s+[A-Za-z0-9+/=]{20,}`, "", []string{" -enc AAAAAAAAAAAAAAAAAAAAAAAA", " -e abc", " -encodedcommand QUJDREVGR0hJSktMTU5PUFFSU1Q="}},
		{`^admin[0-9]+$`, "", []string{"admin1", "admin", "xadmin1", "admin12a"}},
		{`say "hi"/\d`, "", []string{`say "hi"/1`, `say "hi"/x`}},
		{`[^a]`, "", []string{"a", "b", "\n", ""}},
		{`[\x{D7FF}-\x{E000}]`, "", []string{"\uD7FF", "\uE000", "a"}},
		{`a{2,3}b{2}c{1,}`, "", []string{"aabbc", "abbc", "aaabbcc"}},
		{`(ab)+`, "", []string{"abab", "a", "ba"}},
		{`#@&<>~"`, "", []string{`#@&<>~"`, "x"}},
		{`\d\w\s\D\W\S`, "", []string{"1a \n", "1a  x", "1_\tx!a"}},
		{`\pL`, "i", []string{"é", "1", "\u212a"}},
		{`x*`, "", []string{"", "y"}},
		{`(a|)b`, "", []string{"b", "ab", "cb"}},
		{`a(?:)b`, "", []string{"ab"}},
		{`İ`, "i", []string{"İ", "i", "I"}},
		{`ı`, "i", []string{"ı", "I", "i"}},
	}
	for _, tt := range tests {
		f := ir.RegexFlags{I: strings.Contains(tt.flags, "i"), M: strings.Contains(tt.flags, "m"), S: strings.Contains(tt.flags, "s")}
		for _, native := range []bool{false, true} {
			checkEquivalent(t, tt.pattern, f, native, append([]string(nil), tt.values...))
		}
	}
}

func TestTranslateRegexpUsesNativeFlagOnlyWhenWhollyInsensitive(t *testing.T) {
	tests := []struct {
		pattern string
		flags   ir.RegexFlags
		native  bool
		wantCI  bool
		want    string
	}{
		{`cmd\.exe`, ir.RegexFlags{I: true}, true, true, `.*cmd\.exe.*`},
		{`cmd\.exe`, ir.RegexFlags{I: true}, false, false, `.*[cC][mM][dD]\.[eE][xX][eE].*`},
		{`powershell`, ir.RegexFlags{I: true}, true, true, ".*power[sS\u017f]hell.*"},
		{`(?-i:A)b`, ir.RegexFlags{I: true}, true, false, `.*A[bB].*`},
		{`[a-c]`, ir.RegexFlags{}, true, false, `.*[a-c].*`},
		{`\d+`, ir.RegexFlags{I: true}, true, false, `.*[0-9]+.*`},
	}
	for _, tt := range tests {
		got, err := TranslateRegexp(tt.pattern, tt.flags, tt.native)
		if err != nil {
			t.Errorf("%q: %v", tt.pattern, err)
			continue
		}
		if got.CaseInsensitive != tt.wantCI || got.Text != tt.want {
			t.Errorf("TranslateRegexp(%q, %q, %v) = %q ci=%v, want %q ci=%v", tt.pattern, tt.flags, tt.native, got.Text, got.CaseInsensitive, tt.want, tt.wantCI)
		}
	}
}

func TestTranslateRegexpUnsupported(t *testing.T) {
	tests := []struct {
		pattern string
		flags   ir.RegexFlags
		want    string
	}{
		{`(\bx)+`, ir.RegexFlags{}, "unbounded repetition"},
		{`(a\B)*`, ir.RegexFlags{}, "unbounded repetition"},
		{`(a|\b){2,}`, ir.RegexFlags{}, "unbounded repetition"},
		{`(a\b){17}`, ir.RegexFlags{}, "more than 16 copies"},
		{`a\bb`, ir.RegexFlags{}, "can never hold"},
		{`^\Ba`, ir.RegexFlags{}, "can never hold"},
		{`((ab|c.)+\b(a|.)){16}`, ir.RegexFlags{}, "characters"},
		{`(a|\b)+?c`, ir.RegexFlags{}, "unbounded repetition"},
		{`\b\B`, ir.RegexFlags{}, "can never hold"},
		{`(\b[a ]\B[ .]?){3}`, ir.RegexFlags{}, "can never hold"},
		{`a^\bb`, ir.RegexFlags{}, "anchor"},
		{`a^b`, ir.RegexFlags{}, "anchor"},
		{`a$b`, ir.RegexFlags{}, "anchor"},
		{`a^b`, ir.RegexFlags{M: true}, "multi-line"},
		{`(^a)*`, ir.RegexFlags{}, "anchor"},
		{`[^\x00-\x{10FFFF}]`, ir.RegexFlags{}, "empty character class"},
	}
	for _, tt := range tests {
		_, err := TranslateRegexp(tt.pattern, tt.flags, false)
		var ue *UnsupportedError
		if !errors.As(err, &ue) {
			t.Errorf("TranslateRegexp(%q) error = %v, want an UnsupportedError", tt.pattern, err)
			continue
		}
		if !strings.Contains(ue.Error(), tt.want) {
			t.Errorf("TranslateRegexp(%q) error %q does not name %q", tt.pattern, ue, tt.want)
		}
	}
	if _, err := TranslateRegexp(`a(`, ir.RegexFlags{}, false); err == nil {
		t.Error("a regex that does not parse translated without error")
	}
}

// TestTranslateRegexpRandom builds random expressions from a small grammar, with anchors
// at the edges and the three flags, and compares each with its translation.
func TestTranslateRegexpRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	atoms := []string{"a", "b", "k", "s", "S", `\.`, ".", "[ab]", "[^a]", `\d`, `\s`, "é", "\u212a", `\n`, `"`, "#", "(a|b)", "(?:k|)"}
	quants := []string{"", "", "", "*", "+", "?", "{2}", "{1,2}"}
	for i := 0; i < 300; i++ {
		var b strings.Builder
		if rng.Intn(3) == 0 {
			b.WriteString("^")
		}
		for j := 0; j < 1+rng.Intn(4); j++ {
			b.WriteString(atoms[rng.Intn(len(atoms))])
			b.WriteString(quants[rng.Intn(len(quants))])
		}
		if rng.Intn(3) == 0 {
			b.WriteString("$")
		}
		pattern := b.String()
		if rng.Intn(4) == 0 {
			pattern += "|" + atoms[rng.Intn(len(atoms))] + "$"
		}
		f := ir.RegexFlags{I: rng.Intn(2) == 0, M: rng.Intn(3) == 0, S: rng.Intn(3) == 0}
		checkEquivalent(t, pattern, f, rng.Intn(2) == 0, nil)
	}
}

// boundaryAlphabet holds word and non-word characters, the ones that fold into word
// letters (Kelvin sign, long s), a non-ASCII letter (non-word to RE2), and newlines.
var boundaryAlphabet = []rune("aAbk_1 .-\n\u212a\u017fé")

func boundaryValues(rng *rand.Rand, n, maxLen int) []string {
	var out []string
	for i := 0; i < n; i++ {
		var b strings.Builder
		for j := rng.Intn(maxLen + 1); j > 0; j-- {
			b.WriteRune(boundaryAlphabet[rng.Intn(len(boundaryAlphabet))])
		}
		out = append(out, b.String())
	}
	return out
}

// TestWordBoundaries compares expressions with \b and \B against Go's regexp on curated
// values and on every string of up to four characters over a small alphabet.
func TestWordBoundaries(t *testing.T) {
	tests := []struct {
		pattern string
		flags   string
		values  []string
	}{
		{`https?://(?:(?:25[0-5]|(?:2[0-4]|1\d|[1-9])?\d)(?:\.|\b)){4}`, "", []string{
			"http://1.2.3.4", "https://10.0.0.1/x", "http://1.2.3.4a", "http://1.2.3.4_", "http://1.2.3.45", "http://1.2.3.256",
			"curl http://127.0.0.1:8080/a", "http://1.2.3.", "http://1.2.3.4.", "http://1.2.34", "http://0x7f.0.0.1", "http://1.2.3.4\n",
			"http://1.2.3.4\u212a", "http://1.2.3.4é", "http://255.255.255.255", "http://999.1.1.1", "http://12.3.4", "HTTP://1.2.3.4",
		}},
		{`\bword\b`, "", []string{"word", "a word.", "words", "sword", "_word", "word_", "word\n", "wordé", "éword", "Word"}},
		{`\bword\b`, "i", []string{"WORD", "a WoRd.", "WORDS", "\u212aword", "wor\u212a"}},
		{`\bk`, "i", []string{"k", "K", "\u212a", "a\u212a", "ak", " k", ".\u212a"}},
		{`s\b`, "i", []string{"s", "\u017f", "\u017fa", "a\u017f", "\u017f."}},
		{`a\Bb`, "", []string{"ab", "a b", "xab"}},
		{`\B`, "", []string{"", "a", "ab", ".", "a.", "..", " a"}},
		{`\b`, "", []string{"", "a", ".", " ", "a."}},
		{`^\b`, "", []string{"", "a", "."}},
		{`\b$`, "m", []string{"a\n", ".\n", "a\nb", "\n"}},
		{`^\w+\b`, "m", []string{"a\nb", "ab", "\n", ".\na"}},
		{`(^|\b)x(\b|$)`, "", []string{"x", "ax", "x.", ".x.", "xa"}},
		{`(\b[a ]\B[ .]?){2}`, "", []string{"a a", "a .a", " a"}},
		{`((ab|c.)+\b(a|.)){2}`, "", []string{"ab.ab.", "c.ac a", "abab.aab"}},
		{`(\bfoo|bar\B)`, "", []string{"foo", "xfoo", "barx", "bar", "bar."}},
		{`x(?:\b.|\B.){2}y`, "", []string{"x.ay", "xa.y", "xaay", "x..y", "x.y"}},
		{`(?:a\b)?b`, "", []string{"b", "ab", "a b", "a.b"}},
		{`(?:ab|c.)+\bd`, "", []string{"ab d", "abd", "c.d", "cad", "abc d", "c d"}},
		{`[a.]*\b[b.]`, "", []string{"b", "a.b", "a.", "ab", ".b", "."}},
		{`(\b|\B)a`, "", []string{"a", "ba", ".a"}},
		{`.\b.`, "s", []string{"a\n", "\na", "ab", "\n\n"}},
		{`(?:\ba){0,3}$`, "", []string{"", "a", "aa", " a", "a a"}},
	}
	rng := rand.New(rand.NewSource(11))
	short := []string{""}
	for n := 0; n < 3; n++ {
		var next []string
		for _, v := range short {
			for _, r := range boundaryAlphabet {
				next = append(next, v+string(r))
			}
		}
		short = append(short, next...)
	}
	for _, tt := range tests {
		f := ir.RegexFlags{I: strings.Contains(tt.flags, "i"), M: strings.Contains(tt.flags, "m"), S: strings.Contains(tt.flags, "s")}
		values := append(append(append([]string(nil), tt.values...), short...), boundaryValues(rng, 300, 10)...)
		for _, native := range []bool{false, true} {
			checkEquivalent(t, tt.pattern, f, native, values)
			if tr, err := TranslateRegexp(tt.pattern, f, native); err == nil && tr.CaseInsensitive {
				t.Errorf("%q: a translation with word boundaries relies on the engine's case-insensitive flag", tt.pattern)
			}
		}
	}
}

// TestWordBoundaryIntersection checks that the & form is what some expressions need and
// that it is reported, and that the SigmaHQ rules' pattern needs none.
func TestWordBoundaryIntersection(t *testing.T) {
	tests := []struct {
		pattern string
		want    bool
	}{
		{`https?://(?:(?:25[0-5]|(?:2[0-4]|1\d|[1-9])?\d)(?:\.|\b)){4}`, false},
		{`\bword\b`, false},
		{`(?:ab|c.)+\bd`, true},
		{`abc`, false},
	}
	for _, tt := range tests {
		tr, err := TranslateRegexp(tt.pattern, ir.RegexFlags{}, false)
		if err != nil {
			t.Fatalf("%q: %v", tt.pattern, err)
		}
		if tr.Intersection != tt.want || strings.Contains(tr.Text, "&") != tt.want {
			t.Errorf("%q -> %q: Intersection %v, want %v", tt.pattern, tr.Text, tr.Intersection, tt.want)
		}
	}
}

// TestWordBoundariesRandom builds random expressions with boundaries, alternations and
// bounded repetitions around them, and compares each translation with Go's regexp; the
// ones rejected must hold a boundary under an unbounded repetition.
func TestWordBoundariesRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	atoms := []string{"a", "k", "_", " ", `\.`, ".", "[a ]", "[^a]", `\b`, `\B`, `\b`, `(a|\b)`, `(\B|\.)`, `(x\b|y)`, "(a|b c)", `\w`, `\W`, `(?:(a|b\.)+)`}
	quants := []string{"", "", "", "?", "{2}", "{0,2}", "*", "+"}
	checked, intersections := 0, 0
	for i := 0; i < 400; i++ {
		var b strings.Builder
		if rng.Intn(4) == 0 {
			b.WriteString("^")
		}
		for j := 0; j < 1+rng.Intn(5); j++ {
			b.WriteString(atoms[rng.Intn(len(atoms))])
			b.WriteString(quants[rng.Intn(len(quants))])
		}
		if rng.Intn(4) == 0 {
			b.WriteString("$")
		}
		pattern := b.String()
		f := ir.RegexFlags{I: rng.Intn(3) == 0, M: rng.Intn(4) == 0, S: rng.Intn(4) == 0}
		tr, err := TranslateRegexp(pattern, f, false)
		if err != nil {
			var ue *UnsupportedError
			if !errors.As(err, &ue) || !(strings.Contains(err.Error(), "unbounded") || strings.Contains(err.Error(), "never hold")) {
				t.Errorf("%q: %v", pattern, err)
			}
			if strings.Contains(err.Error(), "never hold") {
				re := sigmaRegexp(t, pattern, f)
				for _, v := range boundaryValues(rng, 500, 8) {
					if re.MatchString(v) {
						t.Errorf("%q: rejected as never matching, but matches %q", pattern, v)
						break
					}
				}
			}
			continue
		}
		checked++
		if tr.Intersection {
			intersections++
		}
		checkEquivalent(t, pattern, f, rng.Intn(2) == 0, boundaryValues(rng, 300, 8))
	}
	if checked < 200 || intersections < 15 {
		t.Errorf("only %d of 400 random expressions translated, %d of them with &", checked, intersections)
	}
}
