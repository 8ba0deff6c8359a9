package evaluator

import "github.com/sigmabridge/sigmabridge/translator/ir"

// Extractor reads a fixed set of fields from JSON events with the matcher's scanner, without
// decoding the rest: what the correlations of a set read (time, group-by, aliased and
// aggregated fields). It is not safe for concurrent use; the texts its Fields return are
// valid until the next Extract.
type Extractor struct {
	trie *pathTrie
	ev   eventState
}

// NewExtractor returns an Extractor for every field the correlations of set read, with
// the time fields opts gives their rules' log sources.
func NewExtractor(set *ir.RuleSet, opts CorrelatorOptions) *Extractor {
	x := &Extractor{trie: newPathTrie()}
	for _, c := range set.Correlations {
		for i, ref := range c.Refs {
			if ref.Rule >= 0 && set.Rules[ref.Rule] != nil {
				x.trie.slot(opts.TimeField(set.Rules[ref.Rule].Logsource))
			}
			for _, g := range c.GroupBy {
				x.trie.slot(c.FieldFor(i, g))
			}
		}
		if c.Field != "" {
			x.trie.slot(c.Field)
		}
	}
	return x
}

// Extract scans one event. A field is present when it holds exactly one scalar (a string,
// number or boolean): null, objects and arrays of several values are absent, as in
// JSONFields.
func (x *Extractor) Extract(event []byte) (Fields, error) {
	x.ev.reset(len(x.trie.fields))
	if err := decodeJSON(&x.ev, x.trie.root, event); err != nil {
		return nil, err
	}
	return slotFields(x.trie, &x.ev), nil
}

// CorrelationFields adds to p the fields the correlations of set read, so that a Matcher
// of p has them after MatchJSON (Matcher.Fields) and the correlator needs no second pass
// over the event. It must be called before p is used.
func (p *Program) CorrelationFields(set *ir.RuleSet, opts CorrelatorOptions) {
	x := NewExtractor(set, opts)
	for _, f := range x.trie.fields {
		p.trie.slot(f)
	}
	p.filter = buildPrefilter(p) // it sizes its tables by the slots
}

// Fields reads the fields of the event the last MatchJSON or MatchEvent decoded, among
// those the rules and CorrelationFields registered, with Extractor's rules. The texts are
// valid until the next call on m.
func (m *Matcher) Fields() Fields {
	if m.fields == nil {
		m.fields = slotFields(m.p.trie, &m.ev)
	}
	return m.fields
}

func slotFields(t *pathTrie, ev *eventState) Fields {
	return func(path string) (string, bool) {
		s, ok := t.slots[path]
		if !ok || int(s) >= len(ev.slots) {
			return "", false
		}
		h := ev.slots[s]
		if h.first < 0 || h.first != h.last {
			return "", false
		}
		v := ev.values[h.first]
		if v.kind == kindObject {
			return "", false
		}
		return v.text, true
	}
}
