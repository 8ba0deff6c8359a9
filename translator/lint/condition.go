package lint

import (
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator"
)

// condWord is one word of a condition with its 1-based column.
type condWord struct {
	text string
	col  int
}

// condRef is one reference a condition makes to searches.
type condRef struct {
	kind       refKind
	text       string // the identifier or pattern
	col        int    // column of the identifier, pattern or `them`
	quantifier string // `1`, `any` or `all` for patterns and them
}

type refKind uint8

const (
	refIdent refKind = iota
	refPattern
	refThem
)

// condScan is what lint reads from one condition: its references and its operator words.
// It is deliberately lenient (the loader reports syntax errors): it reads words and
// stops at a legacy `|` aggregation.
type condScan struct {
	node *yaml.Node
	// ok is false when the condition has characters outside the Sigma condition grammar
	// (a pseudo-condition in prose, a Sigma 1 aggregation without `|`): its words are then
	// not references, and the loader reports the syntax.
	ok        bool
	refs      []condRef
	operators []condWord
}

// scanCondition reads the words of a condition. A condition over
// translator.MaxConditionBytes is not read (the loader reports it, condition-too-long).
func scanCondition(n *yaml.Node) condScan {
	cs := condScan{node: n, ok: true}
	if len(n.Value) > translator.MaxConditionBytes {
		cs.ok = false
		return cs
	}
	text := n.Value
	if i := strings.IndexByte(text, '|'); i >= 0 {
		text = text[:i]
	}
	var words []condWord
	for i := 0; i < len(text); {
		if c := text[i]; !isConditionWordByte(c) {
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '(' && c != ')' {
				cs.ok = false
				return cs
			}
			i++
			continue
		}
		j := i
		for j < len(text) && isConditionWordByte(text[j]) {
			j++
		}
		words = append(words, condWord{text[i:j], i + 1})
		i = j
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		low := strings.ToLower(w.text)
		switch low {
		case "and", "or", "not":
			cs.operators = append(cs.operators, w)
			continue
		case "near":
			continue
		}
		if i+1 < len(words) && strings.EqualFold(words[i+1].text, "of") {
			cs.operators = append(cs.operators, w, words[i+1])
			i++
			if i+1 >= len(words) {
				continue
			}
			i++
			target := words[i]
			if strings.EqualFold(target.text, "them") {
				cs.operators = append(cs.operators, target)
				cs.refs = append(cs.refs, condRef{refThem, target.text, target.col, low})
			} else {
				cs.refs = append(cs.refs, condRef{refPattern, target.text, target.col, low})
			}
			continue
		}
		if strings.Contains(w.text, "*") {
			// Not valid without `x of` (the loader says so), but it still names searches.
			cs.refs = append(cs.refs, condRef{refPattern, w.text, w.col, ""})
			continue
		}
		cs.refs = append(cs.refs, condRef{refIdent, w.text, w.col, ""})
	}
	return cs
}

func isConditionWordByte(c byte) bool {
	return c == '_' || c == '-' || c == '*' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// column converts a column within the condition text into a column of the file, the
// same way the loader does, so that findings and loader diagnostics meet.
func (cs condScan) column(col int) int { return cs.node.Column + col - 1 }

// matches returns the searches a reference names. Answers are kept per document: every
// condition check asks again, and a condition may repeat a reference.
func (d *document) matches(ref condRef) []*searchDef {
	key := refKey{ref.kind, ref.text}
	if out, ok := d.refMatches[key]; ok {
		return out
	}
	if d.refMatches == nil {
		d.refMatches = map[refKey][]*searchDef{}
	}
	out := d.findMatches(ref)
	d.refMatches[key] = out
	return out
}

// refKey identifies a reference for matches' cache.
type refKey struct {
	kind refKind
	text string
}

func (d *document) findMatches(ref condRef) []*searchDef {
	var out []*searchDef
	for _, s := range d.searches {
		switch ref.kind {
		case refIdent:
			if s.name == ref.text {
				out = append(out, s)
			}
		case refPattern:
			if ok, _ := path.Match(ref.text, s.name); ok {
				out = append(out, s)
			}
		case refThem:
			if !strings.HasPrefix(s.name, "_") {
				out = append(out, s)
			}
		}
	}
	return out
}

// overSearchLimit reports whether the detection defines more searches than the loader
// accepts (translator.MaxSearches; the loader reports it): the condition checks, which
// compare every reference with every search, are then skipped.
func (d *document) overSearchLimit() bool { return len(d.searches) > translator.MaxSearches }

func (d *document) scans() []condScan {
	if d.overSearchLimit() {
		return nil
	}
	out := make([]condScan, len(d.conditions))
	for i, c := range d.conditions {
		out[i] = scanCondition(c)
	}
	return out
}

func checkUnknownIdentifiers(d *document, r *reporter) {
	if len(d.searches) == 0 {
		return // the loader reports a detection without searches
	}
	for _, cs := range d.scans() {
		for _, ref := range cs.refs {
			if ref.kind != refIdent || len(d.matches(ref)) > 0 {
				continue
			}
			hint := ""
			for _, s := range d.searches {
				if strings.EqualFold(s.name, ref.text) {
					hint = " (did you mean " + quote(s.name) + "? identifiers are case-sensitive)"
					break
				}
			}
			r.atPos(cs.node.Line, cs.column(ref.col), "the condition names %s, which is not a search of this rule%s", quote(ref.text), hint)
		}
	}
}

func checkUnmatchedPatterns(d *document, r *reporter) {
	if len(d.searches) == 0 {
		return
	}
	for _, cs := range d.scans() {
		for _, ref := range cs.refs {
			if ref.kind == refIdent || len(d.matches(ref)) > 0 {
				continue
			}
			if ref.kind == refThem {
				r.atPos(cs.node.Line, cs.column(ref.col), "`them` names no search (identifiers starting with `_` are skipped)")
			} else {
				r.atPos(cs.node.Line, cs.column(ref.col), "the pattern %s matches no search of this rule", quote(ref.text))
			}
		}
	}
}

func checkDanglingSearches(d *document, r *reporter) {
	if len(d.conditions) == 0 || d.overSearchLimit() {
		return // the loader reports a missing condition, or too many searches
	}
	used := map[*searchDef]bool{}
	for _, cs := range d.scans() {
		if !cs.ok {
			return // what the condition uses is unknown
		}
		for _, ref := range cs.refs {
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
		if strings.HasPrefix(s.name, "_") {
			extra = " (`them` skips identifiers starting with `_`)"
		}
		r.at(s.key, "the search %s is not used by any condition%s", quote(s.name), extra)
	}
}

func checkAllOfThem(d *document, r *reporter) {
	for _, cs := range d.scans() {
		for _, ref := range cs.refs {
			if ref.kind == refThem && ref.quantifier == "all" {
				r.atPos(cs.node.Line, cs.column(ref.col), "`all of them` silently changes meaning when a search (say, a filter) is added; write all of selection* or name the searches")
			}
		}
	}
}

func checkThemSingleSearch(d *document, r *reporter) {
	for _, cs := range d.scans() {
		for _, ref := range cs.refs {
			if ref.kind != refThem {
				continue
			}
			if m := d.matches(ref); len(m) == 1 {
				r.atPos(cs.node.Line, cs.column(ref.col), "`%s of them` stands for the single search %s; name it", ref.quantifier, quote(m[0].name))
			}
		}
	}
}

func checkOperatorCase(d *document, r *reporter) {
	for _, cs := range d.scans() {
		for _, w := range cs.operators {
			if low := strings.ToLower(w.text); w.text != low {
				r.atPos(cs.node.Line, cs.column(w.col), "the operator %s is not lower case; write %s (pySigma and sigma-go reject upper case)", quote(w.text), quote(low))
			}
		}
	}
}
