package splunk

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sigmabridge/sigmabridge/backends/infix"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// This file renders Sigma keywords (ir.Keyword: some string value anywhere in the event
// contains the pattern). SPL's own keyword search matches indexed terms of _raw, which is
// not that, so a condition with keywords first gathers the event's values into one
// multivalue field and tests each keyword on it inside the single `| where`:
//
//	<search> | eval _sb_kw_values="0"
//	  | foreach * [eval _sb_kw_values=if(isnull('<<FIELD>>') OR match("<<FIELD>>", "<default fields>"),
//	      _sb_kw_values, mvappend(_sb_kw_values, '<<FIELD>>'))]
//	  | where ... isnotnull(mvfind('_sb_kw_values', "(?i)mimikatz")) ...
//
// (one line in the query). The reasons for each piece are in doc.go.

// keywordValues is the internal field that holds every value a keyword searches. Its
// leading underscore keeps it out of `foreach *`, so it never collects itself.
const keywordValues = "_sb_kw_values"

// keywordSeed is the first value of keywordValues. mvappend is then never given a null,
// whatever Splunk does with one; the seed is the text of a JSON number, which no keyword
// this backend accepts can match (see scalarTextWitness).
const keywordSeed = "0"

// splunkDefaultFields matches the names of the fields Splunk adds to every event, and the
// knowledge-object fields eventtype and tag: their values (sourcetype names, punctuation
// skeletons, weekday names) are not values of the event and must not be searched. The
// internal fields (_raw, _time, _cd, _bkt, ...) start with `_`, which `foreach *` does
// not iterate.
const splunkDefaultFields = `\A(?:host|index|linecount|punct|source|sourcetype|splunk_server|splunk_server_group|timestamp|timestartpos|timeendpos|eventtype|tag|tag::.*|date_(?:hour|mday|minute|month|second|wday|year|zone))\z`

// keywordStage returns the commands that fill keywordValues, to run between the search
// and the `| where`.
func keywordStage() string {
	return fmt.Sprintf(`eval %s=%s | foreach * [eval %s=if(isnull('<<FIELD>>') OR match("<<FIELD>>", %s), %s, mvappend(%s, '<<FIELD>>'))]`,
		keywordValues, quote(keywordSeed), keywordValues, quote(splunkDefaultFields), keywordValues, keywordValues)
}

// keywordLeaf renders a keyword as a `where` test on the gathered values.
func keywordLeaf(n *ir.Keyword) infix.Expr {
	return infix.AtomExpr(mvMatch(fieldRef(keywordValues), keywordPCRE(n.Pattern, n.Cased)))
}

// keywordPCRE prints a keyword as an unanchored PCRE (mvfind searches each value, as
// Go's regexp.MatchString does): the implicit leading and trailing `*` are dropped, inner
// `*` is (?s:.)*, `?` is (?s:.), case-insensitive patterns start with (?i). The regex is
// used in the `where`, outside the foreach template, so a keyword such as <<FIELD>> is
// never substituted.
func keywordPCRE(p ir.Pattern, cased bool) string {
	core := p.Normalize()
	for len(core) > 0 && core[0].Kind == ir.AnyString {
		core = core[1:]
	}
	for len(core) > 0 && core[len(core)-1].Kind == ir.AnyString {
		core = core[:len(core)-1]
	}
	// pcreFromPattern writes [(?i)]\A<pattern>\z: the first \A and the last \z are its
	// anchors (a literal backslash is written \\, so no literal ends in a lone \z).
	re := pcreFromPattern(core, cased)
	return strings.TrimSuffix(strings.Replace(re, `\A`, "", 1), `\z`)
}

// keywordScopeMessage is the keyword-scope warning of a condition with keywords: the data
// assumptions under which the gathered values are exactly the event's strings.
const keywordScopeMessage = "keywords search the values of every field Splunk extracted except its internal (_*) and default fields " +
	"(host, source, sourcetype, index, punct, date_*, tag, eventtype...); this is exact when the event is JSON extracted value by value " +
	"(KV_MODE=json or INDEXED_EXTRACTIONS=json), no calculated field or lookup adds values, and no top-level key starts with _ or is named like a default field"

// Non-string JSON values. Splunk extracts a JSON number or boolean as its text, a string
// like any other, so `foreach` cannot tell {"n": 42} from {"n": "42"}; the evaluator
// searches only the second. A keyword is therefore rendered only when it cannot match
// the text of any non-string value: a JSON number literal, true, false or null (null is
// included so this does not depend on whether Splunk extracts a JSON null).

// scalarAlphabet holds every byte that occurs in those texts.
const scalarAlphabet = "0123456789-+.eEtrufalsn"

// Scalar automaton states: a DFA for `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`,
// then one state per position inside the words true, false and null.
const (
	scStart = iota
	scMinus
	scZero
	scInt
	scDot
	scFrac
	scExp
	scExpSign
	scExpDigits
	scWords // scWords + 10*word + position
	scDead  = -1
)

var scalarWords = []string{"true", "false", "null"}

func scalarNext(s int, c byte) int {
	digit := c >= '0' && c <= '9'
	switch s {
	case scStart:
		for w, word := range scalarWords {
			if c == word[0] {
				return scWords + 10*w + 1
			}
		}
		fallthrough
	case scMinus:
		switch {
		case c == '-' && s == scStart:
			return scMinus
		case c == '0':
			return scZero
		case digit:
			return scInt
		}
	case scZero, scInt:
		switch {
		case digit && s == scInt:
			return scInt
		case c == '.':
			return scDot
		case c == 'e' || c == 'E':
			return scExp
		}
	case scDot, scFrac:
		if digit {
			return scFrac
		}
		if s == scFrac && (c == 'e' || c == 'E') {
			return scExp
		}
	case scExp:
		if c == '+' || c == '-' {
			return scExpSign
		}
		fallthrough
	case scExpSign, scExpDigits:
		if digit {
			return scExpDigits
		}
	default:
		if s >= scWords {
			w, pos := (s-scWords)/10, (s-scWords)%10
			if word := scalarWords[w]; pos < len(word) && word[pos] == c {
				return s + 1
			}
		}
	}
	return scDead
}

func scalarAccepts(s int) bool {
	switch s {
	case scZero, scInt, scFrac, scExpDigits:
		return true
	}
	if s >= scWords {
		w, pos := (s-scWords)/10, (s-scWords)%10
		return pos == len(scalarWords[w])
	}
	return false
}

// globAtom is one step of a glob: a literal rune, `?` or `*`.
type globAtom struct {
	kind ir.SegmentKind
	r    rune
}

func globAtoms(p ir.Pattern) []globAtom {
	var atoms []globAtom
	for _, s := range p {
		switch s.Kind {
		case ir.Lit:
			for _, r := range s.Text {
				atoms = append(atoms, globAtom{kind: ir.Lit, r: r})
			}
		default:
			atoms = append(atoms, globAtom{kind: s.Kind})
		}
	}
	return atoms
}

// maxScalarSearch bounds the product automaton explored by scalarTextWitness; a pattern
// that needs more (none does in practice) is treated as able to match.
const maxScalarSearch = 200000

// scalarTextWitness reports whether the keyword glob `*p*` (case-insensitive unless cased,
// with strings.EqualFold's simple folding) matches the text of some JSON number literal,
// true, false or null, and returns the shortest such text. It explores the product of the
// scalar DFA with the glob's NFA (a set of positions in the pattern), breadth first.
func scalarTextWitness(p ir.Pattern, cased bool) (string, bool) {
	atoms := globAtoms(p.Wrap(true, true))
	n := len(atoms)
	closure := func(set []bool) []bool {
		for i := 0; i < n; i++ {
			if set[i] && atoms[i].kind == ir.AnyString {
				set[i+1] = true
			}
		}
		return set
	}
	step := func(set []bool, c byte) ([]bool, bool) {
		next := make([]bool, n+1)
		alive := false
		for i := 0; i < n; i++ {
			if !set[i] {
				continue
			}
			a := atoms[i]
			switch {
			case a.kind == ir.AnyString:
				next[i] = true
			case a.kind == ir.AnyChar, a.r == rune(c), !cased && foldEqual(a.r, rune(c)):
				next[i+1] = true
			default:
				continue
			}
			alive = true
		}
		return closure(next), alive
	}
	key := func(s int, set []bool) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%d:", s)
		for _, in := range set {
			if in {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
		return b.String()
	}
	type node struct {
		state  int
		set    []bool
		parent int
		c      byte
	}
	start := make([]bool, n+1)
	start[0] = true
	queue := []node{{state: scStart, set: closure(start), parent: -1}}
	seen := map[string]bool{key(scStart, queue[0].set): true}
	for i := 0; i < len(queue); i++ {
		cur := queue[i]
		if scalarAccepts(cur.state) && cur.set[n] {
			var text []byte
			for j := i; queue[j].parent >= 0; j = queue[j].parent {
				text = append([]byte{queue[j].c}, text...)
			}
			return string(text), true
		}
		if len(queue) > maxScalarSearch {
			return "", true
		}
		for k := 0; k < len(scalarAlphabet); k++ {
			c := scalarAlphabet[k]
			s := scalarNext(cur.state, c)
			if s == scDead {
				continue
			}
			set, alive := step(cur.set, c)
			if !alive {
				continue
			}
			if kk := key(s, set); !seen[kk] {
				seen[kk] = true
				queue = append(queue, node{state: s, set: set, parent: i, c: c})
			}
		}
	}
	return "", false
}

// foldEqual reports whether two runes are equal under simple case folding.
func foldEqual(a, b rune) bool {
	if a == b {
		return true
	}
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}

// Prefilter. A keyword found in a value is found in _raw too, as long as the JSON encoder
// wrote its characters verbatim; Splunk's indexed-term search (`*abc*` with no field
// matches an event when some segment of _raw contains abc) then narrows the events read.
// Only runs of characters that are provably verbatim and inside one segment are used:
//
//   - ASCII letters and digits only: no JSON encoder escapes them, and none of them is a
//     Splunk breaker. Punctuation may be escaped (`/` as `\/`, `<` as \u003c) or break
//     segments; non-ASCII may be written \uXXXX.
//   - For a case-insensitive keyword, letters whose case-folding orbit holds a non-ASCII
//     rune (k and s: the Kelvin sign and the long s) are not verbatim either: the value
//     may hold the non-ASCII form.
//   - Splunk's default major breakers include URL-encoded sequences (%20, %2B, %2526, ...):
//     the hex digits after `%` belong to the breaker. Such a breaker can end inside a run
//     only by covering its first (at most four) characters, all hex digits, so up to four
//     leading hex digits are dropped from each run.
//   - Runs shorter than minPrefilterRun after that are dropped: they filter little.
//
// The terms of all runs are ANDed; a keyword with none gets no prefilter.

// minPrefilterRun is the shortest run worth a prefilter term.
const minPrefilterRun = 3

// keywordSuperset returns the prefilter of a keyword, a search expression every event
// with a matching value also matches; false when no run qualifies.
func keywordSuperset(n *ir.Keyword) (infix.Expr, bool) {
	var terms []infix.Expr
	seen := map[string]bool{}
	for _, s := range n.Pattern {
		if s.Kind != ir.Lit {
			continue
		}
		for _, run := range verbatimRuns(s.Text, n.Cased) {
			run = trimBreakerHex(run)
			if len(run) < minPrefilterRun || seen[strings.ToLower(run)] {
				continue
			}
			seen[strings.ToLower(run)] = true
			terms = append(terms, infix.AtomExpr("*"+run+"*"))
		}
	}
	if len(terms) == 0 {
		return infix.Expr{}, false
	}
	return dialect.Combine(infix.AndOp, terms...), true
}

// verbatimRuns splits text into maximal runs of characters a JSON encoder writes verbatim
// and that match only themselves (up to ASCII case).
func verbatimRuns(text string, cased bool) []string {
	var runs []string
	var cur strings.Builder
	for _, r := range text {
		if verbatimRune(r, cased) {
			cur.WriteRune(r)
			continue
		}
		if cur.Len() > 0 {
			runs = append(runs, cur.String())
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		runs = append(runs, cur.String())
	}
	return runs
}

func verbatimRune(r rune, cased bool) bool {
	if r >= utf8.RuneSelf || !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
		return false
	}
	if cased {
		return true
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// trimBreakerHex drops up to four leading hex digits, which a URL-encoded major breaker
// before the run may have consumed.
func trimBreakerHex(run string) string {
	i := 0
	for i < len(run) && i < 4 && isHexDigit(run[i]) {
		i++
	}
	return run[i:]
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
