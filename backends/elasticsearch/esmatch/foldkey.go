package esmatch

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Comparing two fields case-insensitively (a fieldref) needs a key for each value that two
// values share exactly when they are equal under simple case folding. ES|QL has TO_LOWER
// (Java's String.toLowerCase) and REPLACE (a Java regular expression), and lower-casing
// alone is not that key:
//
//   - some fold orbits lower to more than one rune: ſ stays ſ while S and s become s, and
//     likewise ς/σ, ϐ/β, ϑ/θ, ϕ/φ, ϖ/π, ϰ/κ, ϱ/ρ, ϵ/ε, ẛ/ṡ, µ/μ and U+0345/U+1FBE/ι; Σ
//     becomes ς or σ depending on the letters around it;
//   - İ (U+0130), alone in its orbit, lowers to two runes, i and U+0307, which is also what
//     i or I followed by U+0307 lower to.
//
// FoldKey replaces, after lower-casing, each rune of the first kind by its orbit's main
// lower-case rune (ς by σ, ...). For İ it uses a marker: a rune that lower-casing keeps and
// produces from nothing else, taken out of the value before (ſ becomes s), and then put in
// place of İ before lower-casing (İ becomes ſ). The key then maps each rune to one rune,
// the same for a whole orbit and different for different orbits, so equality, prefix,
// suffix and substring of keys are exactly those of the values under folding.
//
// The replacements are derived from Go's Unicode tables (the evaluator's folding), with
// Java's lower-casing modelled as the simple lower-case mapping plus İ and the final-sigma
// rule. That model holds when the JVM's Unicode version is Go's: TO_LOWER on an older JVM
// leaves letters Go knows unlowered (Java 17, Unicode 13, keeps the 40 capitals Unicode 14
// added), and a newer one lowers letters Go's tables do not have.

// Replacement replaces any rune of From with To.
type Replacement struct {
	From []rune
	To   rune
}

// Pattern returns the Java regular expression (REPLACE's second argument) matching one rune
// of From, each written as \x{...}.
func (r Replacement) Pattern() string {
	var b strings.Builder
	if len(r.From) > 1 {
		b.WriteByte('[')
	}
	for _, f := range r.From {
		fmt.Fprintf(&b, `\x{%X}`, f)
	}
	if len(r.From) > 1 {
		b.WriteByte(']')
	}
	return b.String()
}

// FoldKeyPlan is the key of a value x: Post(TO_LOWER(Pre(x))), each list applied in order.
type FoldKeyPlan struct {
	Pre  []Replacement
	Post []Replacement
}

var (
	foldKeyOnce sync.Once
	foldKey     FoldKeyPlan
)

// FoldKey returns the replacements of the case-insensitive key, derived once from Go's
// Unicode tables.
func FoldKey() FoldKeyPlan {
	foldKeyOnce.Do(func() { foldKey = buildFoldKey() })
	return foldKey
}

// expandingLower is the one rune Java's root-locale lower-casing turns into two.
const expandingLower = 0x130

// orbitLowers returns the runes the members of orbit become under javaLower, sorted.
func orbitLowers(orbit []rune) []rune {
	var out []rune
	for _, d := range orbit {
		ls, ok := javaLower(d)
		if !ok {
			continue
		}
		for _, l := range ls {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	slices.Sort(out)
	return out
}

// mainLower is the rune the key uses for r's orbit when the orbit lowers to several runes:
// the lower case of its upper case (s for ſ, σ for ς).
func mainLower(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }

func buildFoldKey() FoldKeyPlan {
	post := map[rune][]rune{} // main lower-case rune -> the other lower-case runes of its orbit
	seen := map[rune]bool{}
	for _, cr := range unicode.CaseRanges {
		for r := rune(cr.Lo); r <= rune(cr.Hi); r++ {
			if seen[r] || r == expandingLower {
				continue
			}
			orbit := Orbit(r)
			for _, d := range orbit {
				seen[d] = true
			}
			lowers := orbitLowers(orbit)
			if len(lowers) < 2 {
				continue
			}
			c := mainLower(r)
			if !slices.Contains(lowers, c) {
				c = lowers[0]
			}
			for _, l := range lowers {
				if l != c {
					post[c] = append(post[c], l)
				}
			}
		}
	}
	// The marker for İ: a rune of such an orbit whose main rune is ASCII (readable), that
	// lower-casing keeps and produces from no other rune.
	var marker rune = -1
	for _, c := range slices.Sorted(maps.Keys(post)) {
		for _, l := range post[c] {
			if c < 0x80 && marker < 0 && len(lowerPreimage(l)) == 1 {
				marker = l
			}
		}
	}
	if marker < 0 {
		panic("esmatch: no marker rune for U+0130 in the Unicode tables")
	}
	plan := FoldKeyPlan{Pre: []Replacement{
		{From: []rune{marker}, To: mainLower(marker)},
		{From: []rune{expandingLower}, To: marker},
	}}
	for _, c := range slices.Sorted(maps.Keys(post)) {
		from := slices.DeleteFunc(slices.Clone(post[c]), func(l rune) bool { return l == marker })
		if len(from) > 0 {
			slices.Sort(from)
			plan.Post = append(plan.Post, Replacement{From: from, To: c})
		}
	}
	return plan
}
