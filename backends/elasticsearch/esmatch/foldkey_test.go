package esmatch

import (
	"math/rand"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
)

type compiledReplacement struct {
	re *regexp.Regexp
	to string
}

var (
	keyPre, keyPost []compiledReplacement
	keyOnce         sync.Once
)

// foldKeyOf computes the key as ES|QL would: the plan's patterns run as regular
// expressions (Java's \x{...} syntax is Go's too) around Java's lower-casing.
func foldKeyOf(t testing.TB, x string) string {
	keyOnce.Do(func() {
		compile := func(rs []Replacement) []compiledReplacement {
			var out []compiledReplacement
			for _, r := range rs {
				re, err := regexp.Compile(r.Pattern())
				if err != nil {
					t.Fatalf("pattern %q: %v", r.Pattern(), err)
				}
				out = append(out, compiledReplacement{re, string(r.To)})
			}
			return out
		}
		keyPre, keyPost = compile(FoldKey().Pre), compile(FoldKey().Post)
	})
	apply := func(x string, rs []compiledReplacement) string {
		for _, r := range rs {
			x = r.re.ReplaceAllLiteralString(x, r.to)
		}
		return x
	}
	return apply(estest.JavaLower(apply(x, keyPre)), keyPost)
}

// TestFoldKeyOneRunePerOrbit checks every rune: its key is one rune, the same for every
// member of its fold orbit, and no other orbit shares it. A rune without case, which no
// replacement names, is its own key; one with case must not take such a rune's key.
func TestFoldKeyOneRunePerOrbit(t *testing.T) {
	named := map[rune]bool{}
	for _, r := range append(slices.Clone(FoldKey().Pre), FoldKey().Post...) {
		for _, f := range r.From {
			named[f] = true
		}
	}
	owner := map[rune]rune{} // key rune -> the smallest member of the orbit it stands for
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= surrogateLo && r <= surrogateHi {
			continue
		}
		if caseless(r) && !named[r] {
			if r%97 == 0 || r < 0x3000 {
				// A sample of them goes through the whole key.
				if k := foldKeyOf(t, string(r)); k != string(r) {
					t.Errorf("%U has no case, but its key is %q", r, k)
				}
			}
			continue
		}
		k := []rune(foldKeyOf(t, string(r)))
		if len(k) != 1 {
			t.Fatalf("%U: key %q is not one rune", r, string(k))
		}
		o := Orbit(r)
		if o[0] == r {
			for _, d := range o[1:] {
				if dk := foldKeyOf(t, string(d)); dk != string(k) {
					t.Errorf("%U and %U fold together but have keys %q and %q", r, d, string(k), dk)
				}
			}
		}
		if caseless(k[0]) && !slices.Contains(o, k[0]) {
			t.Errorf("%U has the key %U, which is the key of that rune without case", r, k[0])
		}
		if prev, ok := owner[k[0]]; ok && prev != o[0] {
			t.Errorf("%U (orbit of %U) and the orbit of %U share the key %U", r, o[0], prev, k[0])
		}
		owner[k[0]] = o[0]
	}
}

// TestFoldKeyCoversTheKnownCases pins what the derivation must find: the runes whose orbit
// lower-cases to several runes, and İ.
func TestFoldKeyCoversTheKnownCases(t *testing.T) {
	plan := FoldKey()
	var sources []rune
	for _, r := range plan.Post {
		sources = append(sources, r.From...)
	}
	for _, r := range "ςϐϑϕϖϰϱϵẛ\u0345\u1FBEµ" {
		if !slices.Contains(sources, r) {
			t.Errorf("%U (%q) is not normalised after lower-casing", r, string(r))
		}
	}
	if len(plan.Pre) != 2 || plan.Pre[1].From[0] != 0x130 || plan.Pre[0].From[0] != plan.Pre[1].To {
		t.Errorf("İ is not replaced by a marker taken out of the value first: %v", plan.Pre)
	}
	if plan.Pre[0].From[0] != 0x17F || plan.Pre[0].To != 's' {
		t.Errorf("marker %U -> %U, want ſ -> s", plan.Pre[0].From[0], plan.Pre[0].To)
	}
}

// TestFoldKeyComparesLikeEqualFold compares keys of random strings over the hard alphabet,
// with the final-sigma contexts, against the evaluator's folding, for equality, prefix,
// suffix and substring.
func TestFoldKeyComparesLikeEqualFold(t *testing.T) {
	alphabet := []rune("sSſkK\u212aσςΣΑαβϐΒθϑΘϴφϕπϖκϰρϱεϵṡẛṠιΙ\u0345\u1FBEµμΜİiIı\u0307ßẞǅǄǆΩωΩÅåÅ x")
	rng := rand.New(rand.NewSource(9))
	word := func() string {
		var b strings.Builder
		for n := rng.Intn(5); n > 0; n-- {
			b.WriteRune(alphabet[rng.Intn(len(alphabet))])
		}
		return b.String()
	}
	variant := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			o := Orbit(r)
			b.WriteRune(o[rng.Intn(len(o))])
		}
		return b.String()
	}
	fold := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			b.WriteRune(Orbit(r)[0])
		}
		return b.String()
	}
	for i := 0; i < 20000; i++ {
		a := word()
		var b string
		switch rng.Intn(4) {
		case 0:
			b = variant(a)
		case 1:
			rs := []rune(variant(a))
			lo := rng.Intn(len(rs) + 1)
			b = string(rs[lo : lo+rng.Intn(len(rs)-lo+1)])
		default:
			b = word()
		}
		ka, kb := foldKeyOf(t, a), foldKeyOf(t, b)
		fa, fb := fold(a), fold(b)
		checks := []struct {
			name      string
			key, want bool
		}{
			{"equal", ka == kb, strings.EqualFold(a, b)},
			{"prefix", strings.HasPrefix(ka, kb), strings.HasPrefix(fa, fb)},
			{"suffix", strings.HasSuffix(ka, kb), strings.HasSuffix(fa, fb)},
			{"contains", strings.Contains(ka, kb), strings.Contains(fa, fb)},
		}
		for _, c := range checks {
			if c.key != c.want {
				t.Fatalf("%q vs %q: %s by key (%q, %q) %v, by folding %v", a, b, c.name, ka, kb, c.key, c.want)
			}
		}
	}
}

// TestNewerThanJava17 checks the table of the case pairs Unicode 14 added against Go's
// tables: 40 capitals and 40 small letters, each a case pair of the other, and LowerClass
// refusing every one (a Java 17 node does not lower them).
func TestNewerThanJava17(t *testing.T) {
	upper, lower := 0, 0
	for i := 0; i+1 < len(unicode14Cased); i += 2 {
		for r := unicode14Cased[i]; r <= unicode14Cased[i+1]; r++ {
			switch {
			case unicode.IsUpper(r) && NewerThanJava17(unicode.ToLower(r)):
				upper++
			case unicode.IsLower(r) && NewerThanJava17(unicode.ToUpper(r)):
				lower++
			default:
				t.Errorf("%U is not half of a listed case pair", r)
			}
			if _, ok := LowerClass(r); ok {
				t.Errorf("LowerClass(%U) is exact, but a Java 17 node does not lower it", r)
			}
		}
	}
	if upper != 40 || lower != 40 {
		t.Errorf("%d capitals and %d small letters, want 40 and 40", upper, lower)
	}
}
