package esmatch

import (
	"encoding/binary"
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

// determinized memoises CheckDeterminizable by expression: the subset construction runs up
// to the effort budget, and a rule set repeats its expressions (each target checks the same
// leaf, and corpora repeat values).
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
// size of the subsets created, stopping with false once it reaches limit.
func (g *glushkov) determinize(start posInfo, limit int) (int, bool) {
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

func isEmpty(set []uint64) bool {
	for _, w := range set {
		if w != 0 {
			return false
		}
	}
	return true
}
