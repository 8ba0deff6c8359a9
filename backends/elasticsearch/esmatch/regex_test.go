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
		{`\bword\b`, ir.RegexFlags{}, `\b`},
		{`a\Bb`, ir.RegexFlags{}, `\B`},
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
