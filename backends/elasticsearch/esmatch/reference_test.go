package esmatch

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// determinizeReference is the plain subset construction that determinize speeds up, kept
// to check it against: it runs the subset construction from the start state and returns
// the summed size of the subsets created, stopping with false once it reaches limit.
func (g *glushkov) determinizeReference(start posInfo, limit int) (int, bool) {
	n := len(g.classes)
	words := (n + 63) / 64
	// The alphabet is cut once at the bounds of every class; each interval has the set of
	// positions whose class holds it. A state's move on an interval is the union of the
	// follow sets of its positions in that set: the same subsets as cutting per state.
	var cuts []rune
	for _, rs := range g.classes {
		for i := 0; i+1 < len(rs); i += 2 {
			cuts = append(cuts, rs[i], rs[i+1]+1)
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var on [][]uint64 // per interval: the positions whose class holds it
	for i := 0; i+1 < len(cuts); i++ {
		set := make([]uint64, words)
		any := false
		for p, rs := range g.classes {
			if inRanges(rs, cuts[i]) {
				set[p/64] |= 1 << (p % 64)
				any = true
			}
		}
		if any {
			on = append(on, set)
		}
	}
	follow := make([][]uint64, n)
	for p, fs := range g.follow {
		follow[p] = make([]uint64, words)
		for _, q := range fs {
			follow[p][q/64] |= 1 << (q % 64)
		}
	}
	key := func(set []uint64) string {
		b := make([]byte, 8*len(set))
		for i, w := range set {
			binary.LittleEndian.PutUint64(b[8*i:], w)
		}
		return string(b)
	}
	startSet := make([]uint64, words)
	for _, q := range start.first {
		startSet[q/64] |= 1 << (q % 64)
	}
	seen := map[string]bool{key(startSet): true}
	work := [][]uint64{startSet}
	effort := 0
	next := make([]uint64, words)
	for len(work) > 0 {
		s := work[len(work)-1]
		work = work[:len(work)-1]
		size := 0
		for _, w := range s {
			size += bits.OnesCount64(w)
		}
		effort += size + 1
		if effort >= limit {
			return effort, false
		}
		for _, m := range on {
			clear(next)
			hit := false
			for wi, w := range s {
				w &= m[wi]
				for w != 0 {
					p := wi*64 + bits.TrailingZeros64(w)
					w &= w - 1
					hit = true
					for k, f := range follow[p] {
						next[k] |= f
					}
				}
			}
			if !hit || isEmpty(next) {
				continue
			}
			k := key(next)
			if !seen[k] {
				seen[k] = true
				work = append(work, slices.Clone(next))
			}
		}
	}
	return effort, true
}
