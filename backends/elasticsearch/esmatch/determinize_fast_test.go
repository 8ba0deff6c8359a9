package esmatch

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// estimateCases are expressions of the shapes the writers emit and the estimate's own
// boundary cases: the fast paths must give the plain construction's answers on them.
var estimateCases = []string{
	".*[aA][bB][cC].*", ".*\\\\[pP][oO][wW][eE][rR][sSſ][hH][eE][lL][lL]\\.[eE][xX][eE]",
	"[cC]\\:\\\\[wW][iI][nN].*", ".*[sſ]ha256\\=3d23.*", "malwareinfectedipaddre[sſ][sſ]",
	".*[kK\u212a][cC][aA][pP][iI]", ".*[aA].*[bB].*", ".*[aA]..", ".*EventIdentifier\\=.1149..*",
	".*[A-Za-z]\\:\\\\.*", ".*APT[0-9].*", ".*a[ab].*", ".*[ab]a.*", "()", ".*", ".*.*", "a",
	".*" + strings.Repeat("[ab]", 400) + ".*", ".*" + strings.Repeat("x", 155) + ".*",
	".*" + strings.Repeat("x", 156) + ".*", ".*" + strings.Repeat("[xX]", 200),
	".*" + strings.Repeat("ab", 120) + ".*", ".*" + strings.Repeat("[дД]", 40) + ".*",
	"23\\.3\\.(8[89]|9[01])\\.([0-9]|[1-9][0-9]|(1[0-9]{2}|2([0-4][0-9]|5[0-5])))",
	"(0{1,4}\\:){5}[fF]{4}\\:.*", ".*(Copy\\-Item|cpi)\\ [^\n]{2,128}\\ \\-Destination.*",
	".*\\[String\\][\t\n\f\r\\ ]*\\$VerbosePreference.*", "(a|b)*a(a|b){30}",
	".*[^\n]{314,}.*", ".*(ab){314}", ".*a{445}", ".*[^\n]{1,64}x[^\n]{1,64}.*",
}

// TestDeterminizeMatchesReference: the bitset construction with its interval and move
// dedup and its hash table gives the plain construction's effort, whole or stopped at a
// budget, on the cases above and on random expressions.
func TestDeterminizeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	cases := append(append(append([]string{}, estimateCases...), refusedByLucene...), acceptedShapes...)
	for range 400 {
		cases = append(cases, randomRegexp(rng, 3))
	}
	for _, re := range cases {
		for _, limit := range []int{DeterminizeBudget / determinizeFactor, 300, 7} {
			p := &reParser{src: re}
			tree, err := p.parse()
			if err != nil {
				continue
			}
			g := glushkov{maxPositions: limit}
			info, ok := g.build(tree)
			if !ok {
				continue
			}
			e1, ok1 := g.determinize(info, limit)
			e2, ok2 := g.determinizeReference(info, limit)
			if e1 != e2 || ok1 != ok2 {
				t.Errorf("%.60q, limit %d: determinize %d %v, reference %d %v", re, limit, e1, ok1, e2, ok2)
			}
		}
	}
}

// TestQuickLiteralRun: the textual fast path accepts exactly when the parsed expression is
// a literal run within the budget, with the same length, and never otherwise; it covers
// the common shapes.
func TestQuickLiteralRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	cases := append(append(append([]string{}, estimateCases...), refusedByLucene...), acceptedShapes...)
	for range 2000 {
		cases = append(cases, randomRun(rng))
	}
	quick := 0
	for _, re := range cases {
		m, ok := quickLiteralRun(re)
		p := &reParser{src: re}
		tree, err := p.parse()
		wantM, want := 0, false
		if err == nil {
			wantM, want = literalRun(tree)
			want = want && LiteralRunFits(wantM)
		}
		if ok {
			quick++
			if !want || m != wantM {
				t.Errorf("quickLiteralRun(%q) = %d, true; parsed: %d, %v (fits %v)", re, m, wantM, want, LiteralRunFits(wantM))
			}
		}
	}
	for _, re := range []string{".*[aA][bB][cC].*", ".*\\\\[pP][oO][wW][eE][rR][sSſ][hH][eE][lL][lL]\\.[eE][xX][eE]", "[cC]\\:\\\\[wW][iI][nN].*", "malwareinfectedipaddre[sſ][sſ]", ".*[kK\u212a][cC][aA][pP][iI]", "a", ".*" + strings.Repeat("x", 155) + ".*"} {
		if _, ok := quickLiteralRun(re); !ok {
			t.Errorf("quickLiteralRun(%q) = false, want the fast path", re)
		}
	}
	for _, re := range []string{".*[aA].*[bB].*", ".*[aA]..", ".*a[ab].*", ".*[ab]a.*", "()", ".*", ".*.*", ".*" + strings.Repeat("x", 156) + ".*", "a+", "a\\", "[a-b]", "[^a]", "[]a]", "\\.*", "[aa]"} {
		if m, ok := quickLiteralRun(re); ok {
			t.Errorf("quickLiteralRun(%q) = %d, true, want false", re, m)
		}
	}
	if quick < 100 {
		t.Errorf("only %d of the random runs took the fast path", quick)
	}
}

// TestCheckDeterminizableFastPathsAgree: CheckDeterminizable (fast paths and memo) refuses
// exactly what the plain estimate refuses.
func TestCheckDeterminizableFastPathsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	cases := append(append(append([]string{}, estimateCases...), refusedByLucene...), acceptedShapes...)
	for range 300 {
		cases = append(cases, randomRun(rng), randomRegexp(rng, 3))
	}
	for _, re := range cases {
		got := CheckDeterminizable(re)
		want := plainCheck(re)
		var ce *ComplexityError
		if (got == nil) != (want == nil) || got != nil && !errors.As(got, &ce) {
			t.Errorf("%.60q: CheckDeterminizable %v, plain estimate %v", re, got, want)
		}
	}
}

// plainCheck is the estimate with no fast path: parse, build, the plain construction.
func plainCheck(re string) error {
	p := &reParser{src: re}
	tree, err := p.parse()
	if err != nil {
		return nil
	}
	limit := DeterminizeBudget / determinizeFactor
	g := glushkov{maxPositions: limit}
	info, ok := g.build(tree)
	if !ok {
		return &ComplexityError{Positions: len(g.classes)}
	}
	if effort, ok := g.determinizeReference(info, limit); !ok {
		return &ComplexityError{Effort: effort * determinizeFactor, Positions: len(g.classes)}
	}
	return nil
}

var runAtoms = []string{"a", "b", "A", "[aA]", "[bB]", "[ab]", "[kK\u212a]", "\u212a", "[sSſ]", "[sſ]", "ſ", "\\.", "\\\\", "\\-", "[\\-x]", "д", "[дД]", ".", "[a-c]", "[^a]", "x", "\\", "(", "|", "a*", "[", "]", "\xff"}

// randomRun returns a run of atoms, mostly of the writers' shapes, some not, with or
// without `.*` at either end.
func randomRun(rng *rand.Rand) string {
	var b strings.Builder
	if rng.IntN(2) == 0 {
		b.WriteString(".*")
	}
	n := 1 + rng.IntN(8)
	if rng.IntN(10) == 0 {
		n = 140 + rng.IntN(30)
	}
	for range n {
		b.WriteString(runAtoms[rng.IntN(len(runAtoms))])
	}
	if rng.IntN(2) == 0 {
		b.WriteString(".*")
	}
	return b.String()
}

// randomRegexp returns a small expression over a few overlapping classes, with unions,
// repeats and `.*`.
func randomRegexp(rng *rand.Rand, depth int) string {
	leaves := []string{"a", "b", "[ab]", ".", "[^a]", "c", "[a-c]", "\\.", ".*"}
	if depth == 0 || rng.IntN(3) == 0 {
		return leaves[rng.IntN(len(leaves))]
	}
	switch rng.IntN(4) {
	case 0:
		return "(" + randomRegexp(rng, depth-1) + "|" + randomRegexp(rng, depth-1) + ")"
	case 1:
		reps := []string{"*", "+", "?", "{2}", "{1,3}", "{2,}", "{0,4}"}
		return "(" + randomRegexp(rng, depth-1) + ")" + reps[rng.IntN(len(reps))]
	default:
		return randomRegexp(rng, depth-1) + randomRegexp(rng, depth-1) + randomRegexp(rng, depth-1)
	}
}

// FuzzDeterminize checks the textual fast path and the bitset construction against the
// parser and the plain construction on arbitrary expressions.
func FuzzDeterminize(f *testing.F) {
	for _, re := range estimateCases[:20] {
		f.Add(re)
	}
	f.Fuzz(func(t *testing.T, re string) {
		if len(re) > 200 {
			return
		}
		p := &reParser{src: re}
		tree, err := p.parse()
		if m, ok := quickLiteralRun(re); ok {
			if err != nil {
				t.Fatalf("quickLiteralRun(%q) = %d, true; the parser refuses it: %v", re, m, err)
			}
			if wm, wok := literalRun(tree); !wok || wm != m || !LiteralRunFits(m) {
				t.Fatalf("quickLiteralRun(%q) = %d, true; literalRun %d, %v", re, m, wm, wok)
			}
		}
		if err != nil {
			return
		}
		const limit = 2000
		g := glushkov{maxPositions: limit}
		info, ok := g.build(tree)
		if !ok {
			return
		}
		e1, ok1 := g.determinize(info, limit)
		e2, ok2 := g.determinizeReference(info, limit)
		if e1 != e2 || ok1 != ok2 {
			t.Fatalf("%q: determinize %d %v, reference %d %v", re, e1, ok1, e2, ok2)
		}
	})
}

// corpusRefused are the expressions behind the SigmaHQ rules the estimate refuses
// (determinizationRefusals in backends/all/corpus_test.go); corpusAccepted are corpus
// expressions of each shape that takes the construction rather than the textual fast path.
var (
	corpusRefused = []string{
		".*(Copy\\-Item|cpi)\\ [^\n]{2,128}\\ \\-Destination\\ [^\n]{1,32}\\\\Windows\\\\Sys(tem32|WOW64).*",
		".*(Get\\-Item|gci|Get\\-ChildItem)[^\n]{1,64}\\-Path[^\n]{1,64}\\\\(currentcontrolset\\\\services|CurrentVersion\\\\(Policies\\\\Explorer\\\\Run|Run|ShellServiceObjectDelayLoad|Windows[0-9A-Z\\_a-z]inlogon))\\\\.*",
		".*([pP]rogram[dD]ata|\\%([lL]ocal)?[aA]pp[dD]ata\\%|\\\\[aA]pp[dD]ata\\\\([lL]ocal([lL]ow)?|[rR]oaming))\\\\[^\\\\]{1,256}",
		".*[^\n]{1000,}.*",
		".*\\.[eE][xX][eE][\\\"\\']?[\t\n\f\r\\ ]+[^\\\"]{0,64}[wW][eE][rR][fF][aA][uU][lL][tT][sSſ][eE][cC][uU][rR][eE]\\.[eE][xX][eE][\\\"\\']?[\t\n\f\r\\ ]+[0-9]{2,10}.*",
		".*ping[\t\n\f\r\\ ]+\\-n[^\n]{6,64}echo\\ EEEE[\t\n\f\r\\ ]?\\>[\t\n\f\r\\ ]?.*",
	}
	corpusAccepted = []string{
		"23\\.3\\.(8[89]|9[01])\\.([0-9]|[1-9][0-9]|(1[0-9]{2}|2([0-4][0-9]|5[0-5])))",
		".*[nN][eE][tT].*\\|.*[fF][iI][nN][dD].*", ".*EventIdentifier\\=.1149..*",
		".*" + strings.Repeat("OgBcAFAAcgBvAG", 17) + ".*", ".*APT[0-9].*",
		".*\\ [аА][дДᲁ][мМ][иИ][нН][иИ][сСᲃ][тТᲄᲅ][рР][аА][тТᲄᲅ][оОᲂ][рР]\\ .*",
	}
)

// TestHostileDeterminizeCorpusShapes: the fast paths change nothing the estimate decides
// on the corpus's own expressions: the refused ones stay refused, the others accepted,
// and a literal run just past the fast path's length is still judged by the construction.
func TestHostileDeterminizeCorpusShapes(t *testing.T) {
	check := func(re string, refused bool) {
		t.Helper()
		var ce *ComplexityError
		if err := CheckDeterminizable(re); errors.As(err, &ce) != refused || (plainCheck(re) != nil) != refused {
			t.Errorf("%.60q: CheckDeterminizable %v, plain estimate %v, want refused %v", re, err, plainCheck(re), refused)
		}
	}
	for _, re := range corpusRefused {
		check(re, true)
	}
	for _, re := range corpusAccepted {
		check(re, false)
	}
	// The fast path's boundary: a run of maxFittingRun classes is taken from the text; one
	// more is not, and the construction accepts it unless the run overlaps itself enough.
	run := func(atom string, n int) string { return ".*" + strings.Repeat(atom, n) + ".*" }
	if _, ok := quickLiteralRun(run("[xX]", maxFittingRun)); !ok {
		t.Errorf("a run of %d classes misses the fast path", maxFittingRun)
	}
	if _, ok := quickLiteralRun(run("[xX]", maxFittingRun+1)); ok {
		t.Errorf("a run of %d classes takes the fast path", maxFittingRun+1)
	}
	check(run("[aA][bB][cC][dD][eE][fF][gG][hH][iI][jJ][kK][lL][mM][nN][oO][pP][qQ][rR][sSſ][tT]", 10), false)
	check(run("[xX][yY]", 200), true) // every second prefix is a border: a state per count
	check(run("[xX]", 400), true)
}
