package evaluator

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestAutomatonFindsEveryLiteral compares the Aho-Corasick scan with strings.Contains on
// random literals and texts over a small alphabet, where overlaps and shared suffixes are
// frequent.
func TestAutomatonFindsEveryLiteral(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func(max int) string {
		var b strings.Builder
		for n := 1 + r.IntN(max); n > 0; n-- {
			b.WriteByte("abcA\\é"[r.IntN(6)])
		}
		return b.String()
	}
	for round := 0; round < 200; round++ {
		var lits []string
		seen := map[string]bool{}
		for len(lits) < 1+r.IntN(30) {
			if w := word(5); !seen[w] {
				seen[w] = true
				lits = append(lits, w)
			}
		}
		a := buildAutomaton(lits)
		litRules := make([][]int32, len(lits))
		for i := range lits {
			litRules[i] = []int32{int32(i)}
		}
		for k := 0; k < 20; k++ {
			text := word(40)
			var c candidates
			c.reset(len(lits))
			a.scan(text, litRules, &c)
			for i, l := range lits {
				found := c.words[i>>6]&(1<<(uint(i)&63)) != 0
				if found != strings.Contains(text, l) {
					t.Fatalf("literal %q in %q: automaton %v, strings.Contains %v", l, text, found, !found)
				}
			}
		}
	}
}

// TestPrefilterAtoms pins which necessary conditions a rule is indexed under.
func TestPrefilterAtoms(t *testing.T) {
	rules := []*ir.Rule{
		{Conditions: []ir.Node{ir.NewAnd(str("eventSource", "lambda.amazonaws.com"), str("eventName", "Create*"))}},
		{Conditions: []ir.Node{ir.NewOr(str("Image", `*\cmd.exe`), str("OriginalFileName", "Cmd.Exe"))}},
		{Conditions: []ir.Node{ir.NewNot(str("a", "x"))}},
		{Conditions: []ir.Node{ir.NewAnd(num("EventID", "1"), &ir.Regex{Field: "CommandLine", Pattern: "x"})}},
		{Conditions: []ir.Node{kw("mimikatz"), &ir.Null{Field: "b"}}},
		{Conditions: []ir.Node{str("a", "?b*cde*")}},
		{Conditions: []ir.Node{str("Hashes", "*SHA256=0123456789ABCDEF*")}},
		{Conditions: []ir.Node{ir.NewAnd(str("a", "*longer literal*"), str("b", "x*"))}},
	}
	p, errs := Compile(rules)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := map[int][]string{}
	f := p.filter
	name := func(slot int32) string {
		if slot == f.kwSlot {
			return "<keywords>"
		}
		return p.trie.fields[slot]
	}
	for s, rs := range f.presence {
		for _, ri := range rs {
			got[int(ri)] = append(got[int(ri)], "has "+name(int32(s)))
		}
	}
	for s, byLit := range f.litRules {
		for id, rs := range byLit {
			for _, ri := range rs {
				got[int(ri)] = append(got[int(ri)], name(int32(s))+" ~ "+f.litText[s][id])
			}
		}
	}
	for s, m := range f.exact {
		for lit, rs := range m {
			for _, ri := range rs {
				got[int(ri)] = append(got[int(ri)], name(int32(s))+" == "+lit)
			}
		}
	}
	for _, ri := range f.always {
		got[int(ri)] = append(got[int(ri)], "always")
	}
	want := map[int][]string{
		0: {"eventSource == LAMBDA.AMAZONAWS.COM"}, // an exact value beats a prefix
		1: {"Image ~ \\CMD.EXE", "OriginalFileName == CMD.EXE"},
		2: {"always"},                // a negation is never necessary
		3: {"CommandLine ~ X"},       // a regex literal beats presence (a number gives none)
		4: {"always"},                // one condition without atoms makes the rule unroutable
		5: {"a ~ CDE"},               // the longest literal chunk of a glob
		6: {"Hashes ~ 456789ABCDEF"}, // literals are cut to maxAtomLen bytes
		7: {"a ~ NGER LITERAL"},      // the longer literal wins
	}
	for ri, w := range want {
		if strings.Join(got[ri], ",") != strings.Join(w, ",") {
			t.Errorf("rule %d indexed under %v, want %v", ri, got[ri], w)
		}
	}
	var idx []int
	ms, _ := p.MatchJSON([]byte(`{"a":"xbYYcde"}`))
	for _, m := range ms {
		idx = append(idx, m.RuleIndex)
	}
	// rule 2 (a is not x), rule 4 through its second condition (b is null), rule 5
	if fmt.Sprint(idx) != "[2 4 5]" {
		t.Errorf("matched rules %v, want [2 4 5]", idx)
	}
}

func TestRegexLiteral(t *testing.T) {
	for pattern, want := range map[string]string{
		`rundll32(\.exe)?\s+\S+,#\d+`: "RUNDLL32",
		`(?i)\\appdata\\.*\.exe$`:     `\APPDATA\`,
		`^(cmd|powershell)\.exe`:      ".EXE",
		`a|b`:                         "",
		`(abc)+x`:                     "ABC",
		`(abc)*x`:                     "X",
		`x{0,3}`:                      "",
		`verylongliteralbeyondthecap`: "BEYONDTHECAP",
		`[a-z]+`:                      "",
		`(unclosed`:                   "",
	} {
		if got := regexLiteral(pattern); got != want {
			t.Errorf("regexLiteral(%q) = %q, want %q", pattern, got, want)
		}
		re, err := regexp.Compile(pattern)
		if err != nil || want == "" {
			continue
		}
		// every match contains the literal (checked on a few matching strings)
		for _, s := range []string{"rundll32.exe a,#1", `C:\Users\x\AppData\y.EXE`, "cmd.exe", "abcabcx", "x", "verylongliteralbeyondthecap"} {
			if m := re.FindString(s); m != "" && !strings.Contains(foldString(m), want) {
				t.Errorf("%q matches %q, which lacks %q", pattern, m, want)
			}
		}
	}
}
