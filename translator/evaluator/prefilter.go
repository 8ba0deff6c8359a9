package evaluator

import (
	"math/bits"
	"regexp/syntax"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The prefilter picks, for each rule, a set of "atoms" such that the rule cannot match an
// event unless at least one atom holds. An atom is "field F has a value" or "the folded
// text of some value of F contains the literal L". Per event, the present fields and one
// Aho-Corasick pass over the values of each field with literal atoms select the candidate
// rules; only those are evaluated. Atoms are necessary conditions, never sufficient, so
// the prefilter can only save work, never change a result (pinned by the differential
// tests that evaluate with and without it).

// atom is one necessary condition: the field has a value (lit == ""), some value's folded
// text equals lit (exact), or contains lit.
type atom struct {
	slot  int32
	lit   string
	exact bool
}

// maxAtomLen caps the length of a contains literal: any piece of a literal is still a
// necessary condition, and short literals keep the automata small (the corpus has
// thousands of 64-character hashes).
const maxAtomLen = 12

// prefilter indexes rules (by position in Program.rules) under their atoms.
type prefilter struct {
	always   []int32   // rules without atoms: evaluated on every event
	presence [][]int32 // by slot; the last slot is the keyword pseudo-field
	literals []*automaton
	litRules [][][]int32          // by slot, then literal id
	litText  [][]string           // by slot, then literal id: the folded literal
	exact    []map[string][]int32 // by slot: folded value -> rules
	kwSlot   int32
	nrules   int
}

// buildPrefilter computes the atoms of every compiled rule.
func buildPrefilter(p *Program) *prefilter {
	nslots := len(p.trie.fields)
	f := &prefilter{
		presence: make([][]int32, nslots+1),
		literals: make([]*automaton, nslots+1),
		litRules: make([][][]int32, nslots+1),
		exact:    make([]map[string][]int32, nslots+1),
		kwSlot:   int32(nslots),
		nrules:   len(p.rules),
	}
	lits := make([]map[string]int32, nslots+1)
	litList := make([][]string, nslots+1)
	for ri := range p.rules {
		var atoms []atom
		ok := true
		for _, cond := range p.rules[ri].rule.Conditions {
			as, condOK := f.necessary(p, cond)
			if !condOK {
				ok = false
				break
			}
			atoms = append(atoms, as...)
		}
		if !ok || len(atoms) == 0 {
			f.always = append(f.always, int32(ri))
			continue
		}
		seen := map[atom]bool{}
		for _, a := range atoms {
			if seen[a] {
				continue
			}
			seen[a] = true
			if a.lit == "" {
				f.presence[a.slot] = append(f.presence[a.slot], int32(ri))
				continue
			}
			if a.exact {
				if f.exact[a.slot] == nil {
					f.exact[a.slot] = map[string][]int32{}
				}
				f.exact[a.slot][a.lit] = append(f.exact[a.slot][a.lit], int32(ri))
				continue
			}
			if lits[a.slot] == nil {
				lits[a.slot] = map[string]int32{}
			}
			id, known := lits[a.slot][a.lit]
			if !known {
				id = int32(len(litList[a.slot]))
				lits[a.slot][a.lit] = id
				litList[a.slot] = append(litList[a.slot], a.lit)
				f.litRules[a.slot] = append(f.litRules[a.slot], nil)
			}
			f.litRules[a.slot][id] = append(f.litRules[a.slot][id], int32(ri))
		}
	}
	for s, l := range litList {
		if len(l) > 0 {
			f.literals[s] = buildAutomaton(l)
		}
	}
	f.litText = litList
	return f
}

// necessary returns atoms of which at least one holds whenever n is true, or false when
// no such set is known (a Not, a Null).
func (f *prefilter) necessary(p *Program, n ir.Node) ([]atom, bool) {
	slotOf := func(field string) int32 { return p.trie.slots[field] }
	switch n := n.(type) {
	case *ir.And:
		var best []atom
		bestScore := -1
		for _, c := range n.Children {
			as, ok := f.necessary(p, c)
			if !ok {
				continue
			}
			if s := atomScore(as); s > bestScore || (s == bestScore && len(as) < len(best)) {
				best, bestScore = as, s
			}
		}
		return best, bestScore >= 0
	case *ir.Or:
		var all []atom
		for _, c := range n.Children {
			as, ok := f.necessary(p, c)
			if !ok {
				return nil, false
			}
			all = append(all, as...)
		}
		return all, true
	case *ir.Match:
		slot := slotOf(n.Field)
		if n.Kind == ir.Number {
			// numeric equality does not imply equal text (10 == 1e1)
			return []atom{{slot: slot}}, true
		}
		if n.Pattern.Shape() == ir.ShapeExact {
			if lit := foldString(n.Pattern.Literal()); lit != "" {
				return []atom{{slot: slot, lit: lit, exact: true}}, true
			}
		}
		return []atom{{slot: slot, lit: longestLiteral(n.Pattern)}}, true
	case *ir.Keyword:
		return []atom{{slot: f.kwSlot, lit: longestLiteral(n.Pattern)}}, true
	case *ir.Regex:
		slot := slotOf(n.Field)
		if lit := regexLiteral(regexFlags(n.Flags) + n.Pattern); lit != "" {
			return []atom{{slot: slot, lit: lit}}, true
		}
		return []atom{{slot: slot}}, true
	case *ir.CIDR, *ir.Compare, *ir.Exists, *ir.TimePart:
		return []atom{{slot: slotOf(ir.Field(n))}}, true
	case *ir.FieldRef:
		return []atom{{slot: slotOf(n.Field)}}, true
	case *ir.Not, *ir.Null:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return nil, false
}

// atomScore rates how selective a set of atoms is, by its least selective atom: presence
// scores 0, a contains literal its length, an exact value more than any literal.
func atomScore(as []atom) int {
	score := 1 << 30
	for _, a := range as {
		s := len(a.lit)
		if a.exact {
			s += 1000
		}
		score = min(score, s)
	}
	return score
}

// longestLiteral returns the last maxAtomLen bytes of the folded longest literal segment
// of p, which every matching value's folded text contains ("" when p has none).
func longestLiteral(p ir.Pattern) string {
	best := ""
	for _, s := range p {
		if s.Kind == ir.Lit && len(s.Text) > len(best) {
			best = s.Text
		}
	}
	lit := foldString(best)
	if len(lit) > maxAtomLen {
		// the end of a path, registry key or hash tells more than its shared beginning
		lit = lit[len(lit)-maxAtomLen:]
	}
	return lit
}

// regexLiteral returns folded text that every match of the regular expression contains
// (cut like longestLiteral), or "" when it finds none. A case-insensitive literal folds
// the same way as the event's text, so it stays a necessary condition.
func regexLiteral(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return ""
	}
	lit := requiredLiteral(re.Simplify())
	if len(lit) > maxAtomLen {
		lit = lit[len(lit)-maxAtomLen:]
	}
	return lit
}

// requiredLiteral returns the longest folded literal that every string matching re
// contains, as far as a simple walk can tell.
func requiredLiteral(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		return foldString(string(re.Rune))
	case syntax.OpCapture:
		return requiredLiteral(re.Sub[0])
	case syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		for _, sub := range re.Sub {
			if l := requiredLiteral(sub); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}

// candidates marks the rules to evaluate for the event in m.
func (f *prefilter) candidates(m *Matcher, c *candidates) {
	c.reset(f.nrules)
	for _, r := range f.always {
		c.set(r)
	}
	ev := &m.ev
	for _, s := range ev.filled {
		for _, r := range f.presence[s] {
			c.set(r)
		}
		a, exact := f.literals[s], f.exact[s]
		if a == nil && exact == nil {
			continue
		}
		for i := ev.slots[s].first; i >= 0; i = ev.values[i].next {
			if ev.values[i].kind == kindObject {
				continue
			}
			text := ev.fold(i)
			if a != nil {
				a.scan(text, f.litRules[s], c)
			}
			for _, r := range exact[text] {
				c.set(r)
			}
		}
	}
	if len(ev.keywords) > 0 {
		for _, r := range f.presence[f.kwSlot] {
			c.set(r)
		}
		if a := f.literals[f.kwSlot]; a != nil {
			for _, i := range ev.keywords {
				a.scan(ev.fold(i), f.litRules[f.kwSlot], c)
			}
		}
	}
}

// candidates is a bit set of rule positions.
type candidates struct{ words []uint64 }

func (c *candidates) reset(n int) {
	w := (n + 63) / 64
	if cap(c.words) < w {
		c.words = make([]uint64, w)
	}
	c.words = c.words[:w]
	clear(c.words)
}

func (c *candidates) set(i int32) { c.words[i>>6] |= 1 << (uint(i) & 63) }

// each calls f for every set position in increasing order.
func (c *candidates) each(f func(int)) {
	for wi, w := range c.words {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			f(wi*64 + b)
			w &= w - 1
		}
	}
}

// automaton is an Aho-Corasick matcher over bytes with a full transition table on byte
// classes (bytes that occur in no literal share class 0).
//
// After construction states are renumbered so that those with outputs come first, and
// delta holds row offsets (state*nclass) instead of state numbers: a step is one load
// and an add, and "some literal ends here" is one comparison.
type automaton struct {
	class    [256]uint8
	nclass   int
	delta    []int32   // row + class -> row of the next state
	start    int32     // row of the root
	outLimit int32     // rows below this one have outputs
	out      [][]int32 // by state: literal ids ending there, including those of its suffix states
}

func buildAutomaton(lits []string) *automaton {
	a := &automaton{}
	for _, l := range lits {
		for i := 0; i < len(l); i++ {
			a.class[l[i]] = 1
		}
	}
	a.nclass = 1
	for b := range a.class {
		if a.class[b] != 0 {
			a.class[b] = uint8(a.nclass)
			a.nclass++
			if a.nclass > 255 {
				// more than 255 distinct bytes: give up classes, use bytes themselves
				break
			}
		}
	}
	if a.nclass > 255 {
		for b := range a.class {
			a.class[b] = uint8(b)
		}
		a.nclass = 256
	}
	nc := a.nclass
	// goto trie; -1 is "no edge" until failure links fill the table
	a.delta = make([]int32, nc)
	for i := range a.delta {
		a.delta[i] = -1
	}
	a.out = [][]int32{nil}
	for id, l := range lits {
		s := int32(0)
		for i := 0; i < len(l); i++ {
			k := int(s)*nc + int(a.class[l[i]])
			if a.delta[k] < 0 {
				ns := int32(len(a.out))
				a.out = append(a.out, nil)
				for j := 0; j < nc; j++ {
					a.delta = append(a.delta, -1)
				}
				a.delta[k] = ns
			}
			s = a.delta[k]
		}
		a.out[s] = append(a.out[s], int32(id))
	}
	fail := make([]int32, len(a.out))
	queue := make([]int32, 0, len(a.out))
	for c := 0; c < nc; c++ {
		if t := a.delta[c]; t < 0 {
			a.delta[c] = 0
		} else {
			fail[t] = 0
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.out[s] = append(a.out[s], a.out[fail[s]]...)
		for c := 0; c < nc; c++ {
			k := int(s)*nc + c
			if t := a.delta[k]; t < 0 {
				a.delta[k] = a.delta[int(fail[s])*nc+c]
			} else {
				fail[t] = a.delta[int(fail[s])*nc+c]
				queue = append(queue, t)
			}
		}
	}
	a.renumber()
	return a
}

// renumber puts the states with outputs first and turns state numbers into row offsets.
func (a *automaton) renumber() {
	n := len(a.out)
	nc := a.nclass
	newID := make([]int32, n)
	next := int32(0)
	for s := 0; s < n; s++ {
		if len(a.out[s]) > 0 {
			newID[s] = next
			next++
		}
	}
	withOut := next
	for s := 0; s < n; s++ {
		if len(a.out[s]) == 0 {
			newID[s] = next
			next++
		}
	}
	delta := make([]int32, len(a.delta))
	out := make([][]int32, n)
	for s := 0; s < n; s++ {
		row := int(newID[s]) * nc
		for c := 0; c < nc; c++ {
			delta[row+c] = newID[a.delta[s*nc+c]] * int32(nc)
		}
		out[newID[s]] = a.out[s]
	}
	a.delta, a.out = delta, out
	a.start = newID[0] * int32(nc)
	a.outLimit = withOut * int32(nc)
}

// scan runs the automaton over text and marks the rules of every literal found.
func (a *automaton) scan(text string, litRules [][]int32, c *candidates) {
	row := a.start
	for i := 0; i < len(text); i++ {
		row = a.delta[row+int32(a.class[text[i]])]
		if row < a.outLimit {
			for _, id := range a.out[row/int32(a.nclass)] {
				for _, r := range litRules[id] {
					c.set(r)
				}
			}
		}
	}
}
