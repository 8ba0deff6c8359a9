package lint

import (
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// matches returns the searches a reference names. Answers are kept per document: every
// condition check asks again, and a condition may repeat a reference.
func (d *document) matches(ref *sigma.Ref) []*sigma.Search {
	key := refKey{ref.Kind, ref.Text}
	if out, ok := d.refMatches[key]; ok {
		return out
	}
	if d.refMatches == nil {
		d.refMatches = map[refKey][]*sigma.Search{}
	}
	out := d.findMatches(ref)
	d.refMatches[key] = out
	return out
}

// refKey identifies a reference for matches' cache.
type refKey struct {
	kind sigma.RefKind
	text string
}

func (d *document) findMatches(ref *sigma.Ref) []*sigma.Search {
	var out []*sigma.Search
	for _, s := range d.searches {
		if ref.Names(s.Name) {
			out = append(out, s)
		}
	}
	return out
}

// overSearchLimit reports whether the detection defines more searches than the loader
// accepts (translator.MaxSearches; the loader reports it, and the tree stops there): the
// condition checks, which compare every reference with every search, are then skipped.
func (d *document) overSearchLimit() bool {
	return d.tooMany
}

// scans returns the parsed conditions the condition checks read: none when the detection
// has more searches than the loader accepts. A condition the parser could not read through
// (outside the grammar, or over translator.MaxConditionBytes) has no references; the
// loader reports it.
func (d *document) scans() []*sigma.Condition {
	if d.overSearchLimit() {
		return nil
	}
	return d.conditions
}

func checkUnknownIdentifiers(d *document, r *reporter) {
	if len(d.searches) == 0 {
		return // the loader reports a detection without searches
	}
	for _, cs := range d.scans() {
		for _, ref := range cs.Refs {
			if ref.Kind != sigma.RefIdent || len(d.matches(ref)) > 0 {
				continue
			}
			hint := ""
			for _, s := range d.searches {
				if strings.EqualFold(s.Name, ref.Text) {
					hint = " (did you mean " + quote(s.Name) + "? identifiers are case-sensitive)"
					break
				}
			}
			r.atPos(cs.Line, cs.Column(ref.Col), "the condition names %s, which is not a search of this rule%s", quote(ref.Text), hint)
		}
	}
}

func checkUnmatchedPatterns(d *document, r *reporter) {
	if len(d.searches) == 0 {
		return
	}
	for _, cs := range d.scans() {
		for _, ref := range cs.Refs {
			if ref.Kind == sigma.RefIdent || len(d.matches(ref)) > 0 {
				continue
			}
			if ref.Kind == sigma.RefThem {
				r.atPos(cs.Line, cs.Column(ref.Col), "`them` names no search (identifiers starting with `_` are skipped)")
			} else {
				r.atPos(cs.Line, cs.Column(ref.Col), "the pattern %s matches no search of this rule", quote(ref.Text))
			}
		}
	}
}

func checkDanglingSearches(d *document, r *reporter) {
	if len(d.conditions) == 0 || d.overSearchLimit() {
		return // the loader reports a missing condition, or too many searches
	}
	used := map[*sigma.Search]bool{}
	for _, cs := range d.scans() {
		if !cs.Lexed {
			return // what the condition uses is unknown
		}
		for _, ref := range cs.Refs {
			for _, s := range d.matches(ref) {
				used[s] = true
			}
		}
	}
	for _, s := range d.searches {
		if used[s] {
			continue
		}
		extra := ""
		if strings.HasPrefix(s.Name, "_") {
			extra = " (`them` skips identifiers starting with `_`)"
		}
		r.at(s.Key, "the search %s is not used by any condition%s", quote(s.Name), extra)
	}
}

func checkAllOfThem(d *document, r *reporter) {
	for _, cs := range d.scans() {
		for _, ref := range cs.Refs {
			if ref.Kind == sigma.RefThem && ref.Quant == "all" {
				r.atPos(cs.Line, cs.Column(ref.Col), "`all of them` silently changes meaning when a search (say, a filter) is added; write all of selection* or name the searches")
			}
		}
	}
}

func checkThemSingleSearch(d *document, r *reporter) {
	for _, cs := range d.scans() {
		for _, ref := range cs.Refs {
			if ref.Kind != sigma.RefThem {
				continue
			}
			if m := d.matches(ref); len(m) == 1 {
				r.atPos(cs.Line, cs.Column(ref.Col), "`%s of them` stands for the single search %s; name it", ref.Quant, quote(m[0].Name))
			}
		}
	}
}

func checkOperatorCase(d *document, r *reporter) {
	for _, cs := range d.scans() {
		for _, w := range cs.Ops {
			if low := strings.ToLower(w.Text); w.Text != low {
				r.atPos(cs.Line, cs.Column(w.Col), "the operator %s is not lower case; write %s (pySigma and sigma-go reject upper case)", quote(w.Text), quote(low))
			}
		}
	}
}
