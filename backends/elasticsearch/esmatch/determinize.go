package esmatch

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Lucene runs a regular expression (query_string `/re/`, the regexp query, ES|QL RLIKE,
// EQL regex) as a deterministic automaton, and gives up determinizing one when the work
// exceeds a limit (Elasticsearch's max_determinized_states, 10,000 by default, which Lucene
// 9 turns into an effort budget of ten times that). The regexp query, RLIKE and EQL then
// answer HTTP 400; query_string quietly turns the expression into a query that matches
// nothing. The typical culprit is a bounded repetition after `.*`: `.*[^\n]{1000,}`
// needs a state for every count of characters seen so far.
//
// CheckDeterminizable estimates that work before the query is sent. It builds the position
// automaton of the expression (one state per character position, as Lucene's
// concatenations of one-character automata give) and runs the subset construction over it,
// adding the size of every subset it creates, as Lucene counts effort. Measured on
// Elasticsearch 8.19, Lucene's count for the same expression is at most about twice this
// one (`.*a{445}` is the longest such expression it accepts, `.*[^\n]{314,}.*` and
// `.*(ab){314}` likewise), so the estimate refuses an expression when twice its count
// reaches the budget: conservative, never sending one Lucene refuses for this reason.
// Intersection (&), which the word-boundary forms use, is estimated as union, and an
// expression with more positions than the budget is refused outright.

// DeterminizeBudget is Lucene's determinization effort budget under Elasticsearch's
// default max_determinized_states (10,000).
const DeterminizeBudget = 10 * 10000

// determinizeFactor is how many times the estimate may undercount Lucene's effort.
const determinizeFactor = 2

// ComplexityError reports a regular expression Lucene would refuse to determinize.
type ComplexityError struct {
	// Effort is the estimate when it reached the budget (a lower bound of the real effort
	// then), or 0 when the expression has too many positions to start.
	Effort    int
	Positions int
}

func (e *ComplexityError) Error() string {
	if e.Effort == 0 {
		return fmt.Sprintf("it needs a regular expression of %d character positions, which Elasticsearch cannot determinize within max_determinized_states (10,000)", e.Positions)
	}
	return "it needs a regular expression Elasticsearch cannot determinize within max_determinized_states (10,000): a bounded repetition after an unbounded one, such as .*x{1000}, needs a state for every count"
}

// CheckDeterminizable returns a *ComplexityError when Lucene would refuse to determinize
// the Lucene regular expression re (as the writers of this package emit it), or nil. An
// expression it cannot read is not judged (nil).
func CheckDeterminizable(re string) error {
	// Most expressions are literal runs, told from their text faster than a memo lookup.
	if _, ok := quickLiteralRun(re); ok {
		return nil
	}
	if v, ok := determinized.Load(re); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	err := checkDeterminizable(re)
	if determinizedSize.Add(1) > determinizedMax {
		// Bounded: a long-running process (serve) starts the memo afresh.
		determinized.Clear()
		determinizedSize.Store(0)
	}
	determinized.Store(re, err)
	return err
}

// determinized memoises CheckDeterminizable by expression past the textual fast path: the
// subset construction runs up to the effort budget, and a rule set repeats its expressions
// (each target checks the same leaf, and corpora repeat values).
var (
	determinized     sync.Map // string -> error (nil when determinizable)
	determinizedSize atomic.Int64
)

const determinizedMax = 1 << 14

func checkDeterminizable(re string) error {
	p := &reParser{src: re}
	tree, err := p.parse()
	if err != nil {
		return nil
	}
	limit := DeterminizeBudget / determinizeFactor
	if m, ok := literalRun(tree); ok && LiteralRunFits(m) {
		return nil
	}
	g := glushkov{maxPositions: limit}
	info, ok := g.build(tree)
	if !ok {
		return &ComplexityError{Positions: len(g.classes)}
	}
	if effort, ok := g.determinize(info, limit); !ok {
		return &ComplexityError{Effort: effort * determinizeFactor, Positions: len(g.classes)}
	}
	return nil
}

// literalRun reports whether t is a run w of m character classes, each pair of which is
// equal or disjoint, with an optional `.*` before and after it: the shape of most
// expressions the writers emit (a value, case-folded or not, under contains, startswith,
// endswith or equality). Such an expression needs no subset construction: each input
// character matches the positions of one class of w at most, so the positions active after
// any input are those the longest suffix matching a prefix of w gives (its borders, as in
// Knuth-Morris-Pratt). Without and with the trailing `.*` active that is at most m+1 sets
// each, of at most m+2 positions, so the effort is at most 2(m+1)(m+4), and the caller
// skips the construction when that is within the budget.
func literalRun(t *reNode) (int, bool) {
	items := []*reNode{t}
	if t.op == '.' {
		items = t.subs
	}
	anyStar := func(n *reNode) bool {
		return n.op == '*' && n.min == 0 && n.max == -1 && len(n.subs) == 1 && n.subs[0].op == 'c' && slices.Equal(n.subs[0].ranges, anyRanges)
	}
	i, j := 0, len(items)
	if i < j && anyStar(items[i]) {
		i++
	}
	if i < j && anyStar(items[j-1]) {
		j--
	}
	w := items[i:j]
	if len(w) == 0 {
		return 0, false
	}
	var distinct [][]rune
	for _, n := range w {
		if n.op != 'c' {
			return 0, false
		}
		known := false
		for _, d := range distinct {
			if slices.Equal(d, n.ranges) {
				known = true
				break
			}
			if !disjointRanges(d, n.ranges) {
				return 0, false
			}
		}
		if !known {
			distinct = append(distinct, n.ranges)
		}
	}
	return len(w), true
}

// maxFittingRun is the longest run LiteralRunFits accepts.
var maxFittingRun = func() int {
	m := 0
	for LiteralRunFits(m + 1) {
		m++
	}
	return m
}()

// quickLiteralRun is literalRun read straight from the text of re, without parsing it, for
// the expressions the writers emit most: single characters and classes listing single
// characters (a value, folded or not), with an optional `.*` before and after it. It
// returns ok only when literalRun would return (m, true) for the parsed expression and
// LiteralRunFits(m) holds; for anything else (other syntax, a class that overlaps another
// without being equal, a longer run) it returns false and the caller parses re.
func quickLiteralRun(re string) (int, bool) {
	var (
		ascii   [128]uint8 // 1 + the index of the class holding each ASCII rune, or 0
		other   [64]runeOwner
		nOther  int
		sizes   [256]uint8 // the number of runes of each class, by index
		classes int
		atom    [16]rune
		m       int
	)
	owner := func(r rune) uint8 {
		if r < 128 {
			return ascii[r]
		}
		for _, o := range other[:nOther] {
			if o.r == r {
				return o.class
			}
		}
		return 0
	}
	i := 0
	if strings.HasPrefix(re, ".*") {
		i = 2
	}
	for i < len(re) {
		n := 0 // runes of this atom
		switch c := re[i]; c {
		case '.':
			// Only a trailing `.*`: a `.` elsewhere overlaps every other class.
			if i+2 != len(re) || re[i+1] != '*' {
				return 0, false
			}
			i = len(re)
			continue
		case '\\':
			r, w := utf8.DecodeRuneInString(re[i+1:])
			if w == 0 || r == utf8.RuneError && w == 1 {
				return 0, false
			}
			atom[0], n = r, 1
			i += 1 + w
		case '[':
			i++
			if i < len(re) && (re[i] == '^' || re[i] == ']') {
				return 0, false
			}
			for {
				if i >= len(re) {
					return 0, false
				}
				r, w := utf8.DecodeRuneInString(re[i:])
				i += w
				if r == ']' {
					break
				}
				if r == '\\' {
					r, w = utf8.DecodeRuneInString(re[i:])
					i += w
				}
				if w == 0 || r == utf8.RuneError && w == 1 || n == len(atom) || i < len(re) && re[i] == '-' || slices.Contains(atom[:n], r) {
					return 0, false
				}
				atom[n] = r
				n++
			}
		case '(', ')', '|', '&', '*', '+', '?', '{', '}', ']', '"', '~', '<', '>', '#', '@':
			return 0, false
		default:
			r, w := utf8.DecodeRuneInString(re[i:])
			if r == utf8.RuneError && w == 1 {
				return 0, false
			}
			atom[0], n = r, 1
			i += w
		}
		m++
		if m > maxFittingRun {
			return 0, false
		}
		// The atom's class must equal a class seen before or be disjoint from all of them.
		c := owner(atom[0])
		for _, r := range atom[1:n] {
			if owner(r) != c {
				return 0, false
			}
		}
		if c != 0 {
			if int(sizes[c]) != n {
				return 0, false
			}
			continue
		}
		classes++
		sizes[classes] = uint8(n)
		for _, r := range atom[:n] {
			if r < 128 {
				ascii[r] = uint8(classes)
				continue
			}
			if nOther == len(other) {
				return 0, false
			}
			other[nOther] = runeOwner{r, uint8(classes)}
			nOther++
		}
	}
	return m, m > 0
}

type runeOwner struct {
	r     rune
	class uint8
}

// LiteralRunFits reports whether a run of m character classes, pairwise equal or disjoint,
// with an optional `.*` before and after it (literalRun) is within the budget by the bound
// literalRun gives, so it needs no subset construction. A glob value with no ? and one
// literal part (exact, prefix, suffix, contains) written case-sensitively is such a run.
func LiteralRunFits(m int) bool {
	return 2*(m+1)*(m+4) < DeterminizeBudget/determinizeFactor
}

// disjointRanges reports whether two sorted, merged range lists share no rune.
func disjointRanges(a, b []rune) bool {
	for i, j := 0, 0; i+1 < len(a) && j+1 < len(b); {
		switch {
		case a[i+1] < b[j]:
			i += 2
		case b[j+1] < a[i]:
			j += 2
		default:
			return false
		}
	}
	return true
}

// reNode is a parsed Lucene regular expression.
type reNode struct {
	op       byte // 'c' class, '.' concat, '|' union (and &), '*' repeat
	ranges   []rune
	subs     []*reNode
	min, max int // repeat bounds; max -1 for unbounded
}

type reParser struct {
	src string
	pos int
}

var errParse = errors.New("unreadable expression")

func (p *reParser) parse() (*reNode, error) {
	n, err := p.alt()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.src) {
		return nil, errParse
	}
	return n, nil
}

func (p *reParser) peek() (rune, bool) {
	if p.pos >= len(p.src) {
		return 0, false
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return r, true
}

func (p *reParser) next() rune {
	r, w := utf8.DecodeRuneInString(p.src[p.pos:])
	p.pos += w
	return r
}

func (p *reParser) alt() (*reNode, error) {
	var subs []*reNode
	for {
		c, err := p.concat()
		if err != nil {
			return nil, err
		}
		subs = append(subs, c)
		if r, ok := p.peek(); ok && (r == '|' || r == '&') {
			p.next()
			continue
		}
		break
	}
	if len(subs) == 1 {
		return subs[0], nil
	}
	return &reNode{op: '|', subs: subs}, nil
}

func (p *reParser) concat() (*reNode, error) {
	var subs []*reNode
	for {
		r, ok := p.peek()
		if !ok || r == '|' || r == '&' || r == ')' {
			break
		}
		a, err := p.repeat()
		if err != nil {
			return nil, err
		}
		subs = append(subs, a)
	}
	return &reNode{op: '.', subs: subs}, nil
}

func (p *reParser) repeat() (*reNode, error) {
	a, err := p.atom()
	if err != nil {
		return nil, err
	}
	for {
		r, ok := p.peek()
		if !ok {
			return a, nil
		}
		switch r {
		case '*':
			a = &reNode{op: '*', subs: []*reNode{a}, min: 0, max: -1}
		case '+':
			a = &reNode{op: '*', subs: []*reNode{a}, min: 1, max: -1}
		case '?':
			a = &reNode{op: '*', subs: []*reNode{a}, min: 0, max: 1}
		case '{':
			end := strings.IndexByte(p.src[p.pos:], '}')
			if end < 0 {
				return nil, errParse
			}
			body := p.src[p.pos+1 : p.pos+end]
			lo, hi, comma := strings.Cut(body, ",")
			min, err := strconv.Atoi(lo)
			if err != nil {
				return nil, errParse
			}
			max := min
			if comma {
				max = -1
				if hi != "" {
					if max, err = strconv.Atoi(hi); err != nil {
						return nil, errParse
					}
				}
			}
			p.pos += end
			a = &reNode{op: '*', subs: []*reNode{a}, min: min, max: max}
		default:
			return a, nil
		}
		p.next()
	}
}

var anyRanges = []rune{0, unicode.MaxRune}

func (p *reParser) atom() (*reNode, error) {
	switch r := p.next(); r {
	case '(':
		n, err := p.alt()
		if err != nil {
			return nil, err
		}
		if r, ok := p.peek(); !ok || r != ')' {
			return nil, errParse
		}
		p.next()
		return n, nil
	case '.':
		return &reNode{op: 'c', ranges: anyRanges}, nil
	case '[':
		return p.class()
	case '\\':
		if p.pos >= len(p.src) {
			return nil, errParse
		}
		r = p.next()
		return &reNode{op: 'c', ranges: []rune{r, r}}, nil
	case '*', '+', '?', '{', ')', '"', '~', '<', '>', '#', '@':
		// Operators the writers never leave bare outside their own syntax.
		return nil, errParse
	default:
		return &reNode{op: 'c', ranges: []rune{r, r}}, nil
	}
}

func (p *reParser) class() (*reNode, error) {
	neg := false
	if r, ok := p.peek(); ok && r == '^' {
		neg = true
		p.next()
	}
	var ranges []rune
	for {
		if p.pos >= len(p.src) {
			return nil, errParse
		}
		r := p.next()
		if r == ']' {
			break
		}
		if r == '\\' {
			if p.pos >= len(p.src) {
				return nil, errParse
			}
			r = p.next()
		}
		hi := r
		if q, ok := p.peek(); ok && q == '-' && p.pos+1 < len(p.src) && p.src[p.pos+1] != ']' {
			p.next()
			hi = p.next()
			if hi == '\\' {
				if p.pos >= len(p.src) {
					return nil, errParse
				}
				hi = p.next()
			}
		}
		ranges = append(ranges, r, hi)
	}
	ranges = normalizeRanges(ranges)
	if neg {
		ranges = complementRanges(ranges)
	}
	return &reNode{op: 'c', ranges: ranges}, nil
}

// normalizeRanges sorts and merges rune ranges given as pairs.
func normalizeRanges(rs []rune) []rune {
	type pair struct{ lo, hi rune }
	ps := make([]pair, 0, len(rs)/2)
	for i := 0; i+1 < len(rs); i += 2 {
		ps = append(ps, pair{rs[i], rs[i+1]})
	}
	slices.SortFunc(ps, func(a, b pair) int { return int(a.lo - b.lo) })
	var out []rune
	for _, q := range ps {
		if n := len(out); n > 0 && q.lo <= out[n-1]+1 {
			out[n-1] = max(out[n-1], q.hi)
			continue
		}
		out = append(out, q.lo, q.hi)
	}
	return out
}

// glushkov is the position automaton of an expression: a state per character position,
// with the positions that may follow each.
type glushkov struct {
	classes      [][]rune // the character class of each position
	follow       [][]int  // the positions that may follow each position
	maxPositions int
}

// posInfo is what a subexpression contributes: whether it matches the empty string, and
// its first and last positions.
type posInfo struct {
	nullable    bool
	first, last []int
}

// build adds the positions of n and returns its posInfo; false when there are more than
// maxPositions.
func (g *glushkov) build(n *reNode) (posInfo, bool) {
	switch n.op {
	case 'c':
		if len(g.classes) >= g.maxPositions {
			return posInfo{}, false
		}
		i := len(g.classes)
		g.classes = append(g.classes, n.ranges)
		g.follow = append(g.follow, nil)
		return posInfo{first: []int{i}, last: []int{i}}, true
	case '|':
		out := posInfo{}
		for _, s := range n.subs {
			si, ok := g.build(s)
			if !ok {
				return posInfo{}, false
			}
			out.nullable = out.nullable || si.nullable
			out.first = append(out.first, si.first...)
			out.last = append(out.last, si.last...)
		}
		return out, true
	case '.':
		parts := make([]posInfo, 0, len(n.subs))
		for _, s := range n.subs {
			si, ok := g.build(s)
			if !ok {
				return posInfo{}, false
			}
			parts = append(parts, si)
		}
		return g.concat(parts), true
	case '*':
		// a{m,n} is m copies of a followed by n-m optional ones; a{m,} ends with a*.
		var parts []posInfo
		copies := n.min
		if n.max > n.min {
			copies = n.max
		}
		if n.max == -1 {
			copies = n.min + 1
		}
		for i := 0; i < copies; i++ {
			si, ok := g.build(n.subs[0])
			if !ok {
				return posInfo{}, false
			}
			switch {
			case n.max == -1 && i == copies-1:
				g.link(si.last, si.first)
				si.nullable = true
			case i >= n.min:
				si.nullable = true
			}
			parts = append(parts, si)
		}
		return g.concat(parts), true
	}
	return posInfo{}, false
}

// concat links the parts in order and returns the posInfo of their concatenation.
func (g *glushkov) concat(parts []posInfo) posInfo {
	out := posInfo{nullable: true}
	for _, p := range parts {
		g.link(out.last, p.first)
		if out.nullable {
			out.first = append(out.first, p.first...)
		}
		if p.nullable {
			out.last = append(out.last, p.last...)
		} else {
			out.last = slices.Clone(p.last)
		}
		out.nullable = out.nullable && p.nullable
	}
	return out
}

func (g *glushkov) link(from, to []int) {
	for _, f := range from {
		g.follow[f] = append(g.follow[f], to...)
	}
}

// determinize runs the subset construction from the start state and returns the summed
// size of the subsets created, stopping with false once it reaches limit. Subsets are
// bitsets over the positions, created and explored depth-first in a fixed order, so the
// effort at which it stops is the same on every run.
func (g *glushkov) determinize(start posInfo, limit int) (int, bool) {
	n := len(g.classes)
	if n == 0 {
		// Only the empty string: one empty subset.
		return 1, 1 < limit
	}
	words := (n + 63) / 64
	on := g.intervalSets(words)
	follow := make([]uint64, n*words)
	for p, fs := range g.follow {
		row := follow[p*words : (p+1)*words]
		for _, q := range fs {
			row[q/64] |= 1 << (q % 64)
		}
	}
	sets := newSetTable(words)
	cur := make([]uint64, words)
	for _, q := range start.first {
		cur[q/64] |= 1 << (q % 64)
	}
	sets.add(cur)
	work := []int32{0}
	effort := 0
	hit := make([]uint64, words)
	next := make([]uint64, words)
	// moved holds the distinct hit sets of the state being explored: inputs that hit the
	// same positions move to the same subset, created (or found) once.
	var moved []uint64
	for len(work) > 0 {
		id := work[len(work)-1]
		work = work[:len(work)-1]
		copy(cur, sets.get(id))
		size := 0
		for _, w := range cur {
			size += bits.OnesCount64(w)
		}
		effort += size + 1
		if effort >= limit {
			return effort, false
		}
		moved = moved[:0]
		for m := 0; m+words <= len(on); m += words {
			any := uint64(0)
			for i, w := range cur {
				hit[i] = w & on[m+i]
				any |= hit[i]
			}
			if any == 0 || containsSet(moved, hit) {
				continue
			}
			moved = append(moved, hit...)
			clear(next)
			for wi, w := range hit {
				for w != 0 {
					p := wi*64 + bits.TrailingZeros64(w)
					w &= w - 1
					for k, f := range follow[p*words : (p+1)*words] {
						next[k] |= f
					}
				}
			}
			if isEmpty(next) {
				continue
			}
			if id, added := sets.add(next); added {
				work = append(work, id)
			}
		}
	}
	return effort, true
}

// setTable is a set of position sets, words apiece, kept in one slice and found through an
// open-addressing hash table of their indexes: no allocation per lookup.
type setTable struct {
	words int
	sets  []uint64
	slots []int32 // index+1 of a set, 0 when free; the length is a power of two
	n     int
}

func newSetTable(words int) *setTable {
	return &setTable{words: words, slots: make([]int32, 64)}
}

func (t *setTable) get(id int32) []uint64 {
	return t.sets[int(id)*t.words : (int(id)+1)*t.words]
}

func hashSet(set []uint64) uint64 {
	h := uint64(len(set))
	for _, w := range set {
		h = (h ^ w) * 0x9e3779b97f4a7c15
		h ^= h >> 29
	}
	return h
}

// add returns the index of set, adding a copy of it when it is new (added true).
func (t *setTable) add(set []uint64) (id int32, added bool) {
	mask := uint64(len(t.slots) - 1)
	for i := hashSet(set) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			id = int32(t.n)
			t.slots[i] = id + 1
			t.sets = append(t.sets, set...)
			t.n++
			if 2*t.n > len(t.slots) {
				t.grow()
			}
			return id, true
		}
		if slices.Equal(t.get(s-1), set) {
			return s - 1, false
		}
	}
}

func (t *setTable) grow() {
	t.slots = make([]int32, 2*len(t.slots))
	mask := uint64(len(t.slots) - 1)
	for id := range t.n {
		i := hashSet(t.get(int32(id))) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = int32(id) + 1
	}
}

// intervalSets cuts the alphabet at the bounds of every class and returns, for each
// interval, the set of positions whose class holds it (words apiece, flattened). A state's
// move on an interval is the union of the follow sets of its positions in that set: the
// same subsets as cutting the alphabet per state. Intervals with the same set (or none)
// move alike, so each set is listed once, in the order of its first interval.
func (g *glushkov) intervalSets(words int) []uint64 {
	var cuts []rune
	for _, rs := range g.classes {
		for i := 0; i+1 < len(rs); i += 2 {
			cuts = append(cuts, rs[i], rs[i+1]+1)
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	if len(cuts) < 2 {
		return nil
	}
	// Interval i is [cuts[i], cuts[i+1]); a range [lo, hi] covers the intervals from the
	// one starting at lo to the one ending at hi+1, both of which are cuts.
	sets := make([]uint64, (len(cuts)-1)*words)
	for p, rs := range g.classes {
		for i := 0; i+1 < len(rs); i += 2 {
			lo, _ := slices.BinarySearch(cuts, rs[i])
			hi, _ := slices.BinarySearch(cuts, rs[i+1]+1)
			for j := lo; j < hi; j++ {
				sets[j*words+p/64] |= 1 << (p % 64)
			}
		}
	}
	out := sets[:0]
	for j := 0; j+words <= len(sets); j += words {
		set := sets[j : j+words]
		if isEmpty(set) || containsSet(out, set) {
			continue
		}
		// out never overtakes j: it only keeps sets already read.
		out = append(out, set...)
	}
	return out
}

// containsSet reports whether the flattened list of sets holds set (len(set) words each).
func containsSet(list, set []uint64) bool {
	for i := 0; i+len(set) <= len(list); i += len(set) {
		if slices.Equal(list[i:i+len(set)], set) {
			return true
		}
	}
	return false
}

func isEmpty(set []uint64) bool {
	for _, w := range set {
		if w != 0 {
			return false
		}
	}
	return true
}
