package splunk

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// goFromPCRE rewrites the few PCRE-only constructs this backend prints into their Go
// equivalents, so the reprinted regex can be run by Go's engine in tests.
func goFromPCRE(p string) string {
	r := strings.NewReplacer(`(?:\A|(?<=\n))`, `(?m:^)`, `(?=\n|\z)`, `(?m:$)`, `(?!)`, `[^\x00-\x{10FFFF}]`)
	return r.Replace(p)
}

// randomRegex builds a random RE2 regex over a small alphabet with every construct the
// reprinter handles.
func randomRegex(rng *rand.Rand, depth int) string {
	atoms := []string{`a`, `b`, `A`, `é`, `\.`, `.`, `\n`, `[a-c]`, `[^b]`, `\d`, `\s`, `\w`, `\W`,
		`^`, `$`, `\b`, `\B`, `\A`, `\z`, `"`, "`", `[[:alpha:]]`, `\pL`, `[\x{e9}-\x{ff}]`, `\\`, `-`, `[-]`}
	if depth == 0 || rng.Intn(3) == 0 {
		return atoms[rng.Intn(len(atoms))]
	}
	switch rng.Intn(6) {
	case 0:
		return randomRegex(rng, depth-1) + randomRegex(rng, depth-1)
	case 1:
		return "(" + randomRegex(rng, depth-1) + "|" + randomRegex(rng, depth-1) + ")"
	case 2:
		return "(?:" + randomRegex(rng, depth-1) + ")" + []string{"*", "+", "?", "*?", "{1,2}", "{2}", "{0,}"}[rng.Intn(7)]
	case 3:
		return "(?i:" + randomRegex(rng, depth-1) + ")"
	case 4:
		return "(?P<n" + string(rune('a'+rng.Intn(26))) + ">" + randomRegex(rng, depth-1) + ")"
	default:
		return randomRegex(rng, depth-1) + randomRegex(rng, depth-1) + randomRegex(rng, depth-1)
	}
}

func randomInput(rng *rand.Rand) string {
	const chars = "abABé\n .1\"`-_\\Éz"
	rs := []rune(chars)
	var b strings.Builder
	for i := rng.Intn(8); i > 0; i-- {
		b.WriteRune(rs[rng.Intn(len(rs))])
	}
	return b.String()
}

// TestPCREReprintKeepsMeaning checks that the reprinted regex matches exactly the same
// strings as the rule's regex under every flag combination.
func TestPCREReprintKeepsMeaning(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	compared := 0
	for i := 0; i < 3000; i++ {
		src := randomRegex(rng, 4)
		flags := ir.RegexFlags{I: rng.Intn(2) == 0, M: rng.Intn(2) == 0, S: rng.Intn(2) == 0}
		prefix := ""
		if f := flags.String(); f != "" {
			prefix = "(?" + f + ")"
		}
		orig, err := regexp.Compile(prefix + src)
		if err != nil {
			continue // the generator can build invalid repeats of empty-width ops
		}
		pcre, err := pcreFromRegex(src, flags)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if strings.ContainsAny(pcre, "\"`\n") {
			t.Fatalf("%q -> %q holds a raw quote, backtick or newline", src, pcre)
		}
		compared++
		reprinted, err := regexp.Compile(goFromPCRE(pcre))
		if err != nil {
			t.Fatalf("%q -> %q: %v", src, pcre, err)
		}
		for j := 0; j < 40; j++ {
			in := randomInput(rng)
			if orig.MatchString(in) != reprinted.MatchString(in) {
				t.Fatalf("%s%q -> %q differ on %q: %v vs %v", prefix, src, pcre, in, orig.MatchString(in), reprinted.MatchString(in))
			}
		}
	}
	if compared < 2500 {
		t.Errorf("only %d of 3000 random regexes compiled", compared)
	}
}

// TestPCREDollarIsEndOfText pins the PCRE difference the reprint exists for: `$` must not
// accept a trailing newline.
func TestPCREDollarIsEndOfText(t *testing.T) {
	got, err := pcreFromRegex(`^admin$`, ir.RegexFlags{})
	if err != nil {
		t.Fatal(err)
	}
	if got != `\Aadmin\z` {
		t.Errorf("^admin$ -> %q, want \\Aadmin\\z", got)
	}
	got, _ = pcreFromRegex(`a.b`, ir.RegexFlags{})
	if got != `a[^\n]b` {
		t.Errorf("a.b -> %q, want a[^\\n]b", got)
	}
}

// TestPatternRegexMatchesGlob checks pcreFromPattern against a glob reference on random
// patterns and inputs.
func TestPatternRegexMatchesGlob(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	const chars = "aB*?\\.\n\"`é("
	for i := 0; i < 3000; i++ {
		var p ir.Pattern
		for j := rng.Intn(5); j >= 0; j-- {
			switch rng.Intn(4) {
			case 0:
				p = append(p, ir.Segment{Kind: ir.AnyString})
			case 1:
				p = append(p, ir.Segment{Kind: ir.AnyChar})
			default:
				rs := []rune(chars)
				p = append(p, ir.Segment{Kind: ir.Lit, Text: string(rs[rng.Intn(len(rs))])})
			}
		}
		p = p.Normalize()
		cased := rng.Intn(2) == 0
		want := globRegexp(p)
		if cased {
			want = regexp.MustCompile(strings.Replace(want.String(), "(?is)", "(?s)", 1))
		}
		got := regexp.MustCompile(pcreFromPattern(p, cased))
		for j := 0; j < 30; j++ {
			rs := []rune(chars + "Ab")
			var b strings.Builder
			for k := rng.Intn(5); k > 0; k-- {
				b.WriteRune(rs[rng.Intn(len(rs))])
			}
			in := b.String()
			if got.MatchString(in) != want.MatchString(in) {
				t.Fatalf("pattern %s cased=%v: %s and %s differ on %q", p, cased, got, want, in)
			}
		}
	}
}
