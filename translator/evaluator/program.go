package evaluator

import (
	"strconv"
	"sync"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Match is one condition of one rule that an event satisfied.
type Match struct {
	// RuleIndex is the rule's position in the slice given to Compile.
	RuleIndex int
	RuleID    string
	Title     string
	Level     string
	// Condition is the index of the satisfied entry of the rule's condition list.
	Condition int
	// Rule is the compiled rule itself.
	Rule *ir.Rule
}

// compiledRule is one rule that compiled without error.
type compiledRule struct {
	index int
	rule  *ir.Rule
	conds []cnode
}

// Program is a set of compiled rules. It is immutable after Compile and safe for
// concurrent use; each goroutine that wants to avoid per-event allocations uses its own
// Matcher.
type Program struct {
	rules    []compiledRule
	trie     *pathTrie
	keywords bool // some rule has a keyword search: every string of an event is kept
	filter   *prefilter
	matchers sync.Pool
}

// RuleError is why one rule given to Compile was left out.
type RuleError struct {
	// Index is the rule's position in the slice given to Compile.
	Index int
	// Diags are its problems, one per problem, each naming the rule's path, line, id and
	// title.
	Diags diag.List
}

func (e RuleError) Error() string { return e.Diags.Err().Error() }

// Compile compiles rules into a Program. A rule that cannot be compiled (a bad regular
// expression, an unresolved placeholder, a malformed tree) is left out, and its problems
// are returned as one RuleError naming its index. The other rules are compiled regardless.
func Compile(rules []*ir.Rule) (*Program, []RuleError) {
	p := &Program{trie: newPathTrie()}
	var errs []RuleError
	for i, r := range rules {
		if r == nil {
			errs = append(errs, RuleError{Index: i, Diags: diag.List{{Code: diag.RuleStructure,
				Message: "nil rule at index " + strconv.Itoa(i)}}})
			continue
		}
		c := compiler{trie: p.trie, rule: r}
		if len(r.Conditions) == 0 {
			c.fail(nil, diag.RuleStructure, "no condition")
		}
		conds := make([]cnode, 0, len(r.Conditions))
		for _, cond := range r.Conditions {
			conds = append(conds, c.compileNode(cond))
		}
		if len(c.errs) > 0 {
			errs = append(errs, RuleError{Index: i, Diags: c.errs})
			continue
		}
		p.keywords = p.keywords || c.keywords
		p.rules = append(p.rules, compiledRule{index: i, rule: r, conds: conds})
	}
	p.filter = buildPrefilter(p)
	p.matchers.New = func() any { return p.NewMatcher() }
	return p, errs
}

// withoutPrefilter returns a Program with the same rules that evaluates every rule on
// every event; the tests use it to prove the prefilter never changes a result.
func (p *Program) withoutPrefilter() *Program {
	q := &Program{rules: p.rules, trie: p.trie, keywords: p.keywords}
	q.matchers.New = func() any { return q.NewMatcher() }
	return q
}

// Len returns the number of rules that compiled.
func (p *Program) Len() int { return len(p.rules) }

// Fields returns the dotted field paths the rules given to Compile read, in first-use
// order; the event decoder extracts exactly these.
func (p *Program) Fields() []string { return append([]string(nil), p.trie.fields...) }

// MatchJSON decodes one JSON object and returns the matches of every rule, in rule order
// then condition order. It returns an error only for malformed JSON (a *SyntaxError) or a
// value that is not an object. The returned slice is the caller's.
func (p *Program) MatchJSON(line []byte) ([]Match, error) {
	m := p.matchers.Get().(*Matcher)
	defer p.matchers.Put(m)
	ms, err := m.MatchJSON(line)
	return append([]Match(nil), ms...), err
}

// MatchEvent matches an already-decoded event (as produced by encoding/json, with float64
// or json.Number numbers; other Go integer and float types are accepted too).
func (p *Program) MatchEvent(event map[string]any) []Match {
	m := p.matchers.Get().(*Matcher)
	defer p.matchers.Put(m)
	return append([]Match(nil), m.MatchEvent(event)...)
}

// Matcher matches events against a Program, reusing its scratch memory from event to
// event. A Matcher is not safe for concurrent use; make one per goroutine.
type Matcher struct {
	p       *Program
	ev      eventState
	cand    candidates
	matches []Match
	fields  Fields // what Fields returns, made once
}

// NewMatcher returns a Matcher for p.
func (p *Program) NewMatcher() *Matcher {
	m := &Matcher{p: p}
	m.ev.wantKW = p.keywords
	return m
}

// MatchJSON is Program.MatchJSON without allocation in the common case. The returned
// slice is valid until the next call on m. line is not retained.
func (m *Matcher) MatchJSON(line []byte) ([]Match, error) {
	m.ev.reset(len(m.p.trie.fields))
	if err := decodeJSON(&m.ev, m.p.trie.root, line); err != nil {
		m.ev.reset(len(m.p.trie.fields))
		return nil, err
	}
	return m.run(), nil
}

// MatchEvent is Program.MatchEvent; the returned slice is valid until the next call on m.
func (m *Matcher) MatchEvent(event map[string]any) []Match {
	m.ev.reset(len(m.p.trie.fields))
	decodeGo(&m.ev, m.p.trie.root, event)
	return m.run()
}

func (m *Matcher) run() []Match {
	m.matches = m.matches[:0]
	p := m.p
	visit := func(ri int) {
		r := &p.rules[ri]
		for ci, c := range r.conds {
			if c.eval(m) {
				m.matches = append(m.matches, Match{
					RuleIndex: r.index, RuleID: r.rule.ID, Title: r.rule.Title,
					Level: r.rule.Level, Condition: ci, Rule: r.rule,
				})
			}
		}
	}
	if p.filter == nil {
		for ri := range p.rules {
			visit(ri)
		}
		return m.matches
	}
	p.filter.candidates(m, &m.cand)
	m.cand.each(visit)
	return m.matches
}
