package splunk

import (
	"encoding/json"
	"math/rand"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// This file runs the rendered SPL on events with a small interpreter of the SPL subset the
// backend writes, under the assumptions doc.go lists about Splunk (field values compared
// whole, case-insensitively, `*` a wildcard, multivalue fields matching on any value, PCRE
// read as Go regexp after the look-around rewrite), and compares every verdict with the
// project's evaluator. It proves escaping, hoisting, supersets, negation and the PCRE
// reprint together, on the whole query.

// splEvent is an event as Splunk sees it: every field a list of string values.
type splEvent map[string][]string

// splunkView turns a decoded JSON event into Splunk's view: null and empty arrays are
// absent, numbers and booleans become their JSON text, arrays become multivalue fields,
// nested objects become dotted names (a.b), and _raw holds the event's text.
func splunkView(ev map[string]any, raw string) splEvent { return extractView(ev, raw, "") }

// extractView is splunkView with arraySuffix appended to the name of an array's elements
// ("{}" for KV_MODE=json, bracedView).
func extractView(ev map[string]any, raw, arraySuffix string) splEvent {
	out := splEvent{"_raw": {raw}}
	var add func(k string, v any)
	add = func(k string, v any) {
		switch v := v.(type) {
		case nil:
		case string:
			out[k] = append(out[k], v)
		case []any:
			for _, e := range v {
				add(k+arraySuffix, e)
			}
		case map[string]any:
			for sub, e := range v {
				add(k+"."+sub, e)
			}
		default:
			b, _ := json.Marshal(v)
			out[k] = append(out[k], string(b))
		}
	}
	for k, v := range ev {
		add(k, v)
	}
	return out
}

// runSPL evaluates a rendered query on an event: the search, then the eval and foreach
// commands of the keyword stage, then the where.
func runSPL(t *testing.T, q string, ev splEvent) bool {
	t.Helper()
	stages, err := splitPipes(q)
	if err != nil {
		t.Fatalf("%q: %v", q, err)
	}
	if stages[0] != "*" {
		tree, err := parseBothWays(stages[0])
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if !evalSPL(t, tree, ev, searchLeafTrue) {
			return false
		}
	}
	for _, stage := range stages[1:] {
		switch {
		case strings.HasPrefix(stage, "where "):
			tree, err := parseBothWays(strings.TrimPrefix(stage, "where "))
			if err != nil {
				t.Fatalf("%q: %v", q, err)
			}
			if !evalSPL(t, tree, ev, whereLeafTrue) {
				return false
			}
		case strings.HasPrefix(stage, "eval "):
			if err := runEval(ev, strings.TrimPrefix(stage, "eval ")); err != nil {
				t.Fatalf("%q: %v", q, err)
			}
		case strings.HasPrefix(stage, "foreach "):
			if err := runForeach(ev, stage); err != nil {
				t.Fatalf("%q: %v", q, err)
			}
		default:
			t.Fatalf("%q: unknown stage %q", q, stage)
		}
	}
	return true
}

func evalSPL(t *testing.T, n *splNode, ev splEvent, leaf func(*testing.T, string, splEvent) bool) bool {
	switch n.op {
	case "and":
		for _, k := range n.kids {
			if !evalSPL(t, k, ev, leaf) {
				return false
			}
		}
		return true
	case "or":
		for _, k := range n.kids {
			if evalSPL(t, k, ev, leaf) {
				return true
			}
		}
		return false
	case "not":
		return !evalSPL(t, n.kids[0], ev, leaf)
	}
	return leaf(t, n.leaf, ev)
}

var (
	searchCompare = regexp.MustCompile(`^([A-Za-z0-9_.]+)(<=|>=|<|>)(-?[0-9.]+)$`)
	searchEquals  = regexp.MustCompile(`^([A-Za-z0-9_.]+)=(.*)$`)
)

func anyValue(vs []string, f func(string) bool) bool {
	for _, v := range vs {
		if f(v) {
			return true
		}
	}
	return false
}

func numericCompare(v, op string, bound float64) bool {
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return false
	}
	switch op {
	case "<":
		return x < bound
	case "<=":
		return x <= bound
	case ">":
		return x > bound
	case "==":
		return x == bound
	}
	return x >= bound
}

// searchTerm is a bare search term with wildcards at both ends, as keyword prefilters are.
var searchTerm = regexp.MustCompile(`^\*([A-Za-z0-9]+)\*$`)

// splDirectives are the words `search` does not read as a field name before `=` (Splunk's
// search reference, "Time modifiers", current and deprecated, and the operators of the
// search command), in lower case: the interpreter refuses a query that uses one so.
var splDirectives = map[string]bool{
	"earliest": true, "latest": true, "_index_earliest": true, "_index_latest": true, "now": true,
	"starttime": true, "endtime": true, "starttimeu": true, "endtimeu": true, "timeformat": true,
	"daysago": true, "hoursago": true, "minutesago": true, "monthsago": true,
	"startdaysago": true, "starthoursago": true, "startminutesago": true, "startmonthsago": true,
	"enddaysago": true, "endhoursago": true, "endminutesago": true, "endmonthsago": true,
	"searchtimespandaysago": true, "searchtimespanhoursago": true, "searchtimespanminutesago": true, "searchtimespanmonthsago": true,
	"and": true, "or": true, "not": true, "in": true,
}

func searchLeafTrue(t *testing.T, leaf string, ev splEvent) bool {
	if m := searchTerm.FindStringSubmatch(leaf); m != nil {
		for _, seg := range rawSegments(ev["_raw"][0]) {
			if strings.Contains(strings.ToLower(seg), strings.ToLower(m[1])) {
				return true
			}
		}
		return false
	}
	for _, re := range []*regexp.Regexp{searchCompare, searchEquals} {
		if m := re.FindStringSubmatch(leaf); m != nil && splDirectives[strings.ToLower(m[1])] {
			t.Fatalf("search leaf %q: search reads %s on the left of an operator as a time modifier or an operator, not as a field", leaf, m[1])
		}
	}
	if m := searchCompare.FindStringSubmatch(leaf); m != nil {
		bound, _ := strconv.ParseFloat(m[3], 64)
		return anyValue(ev[m[1]], func(v string) bool { return numericCompare(v, m[2], bound) })
	}
	m := searchEquals.FindStringSubmatch(leaf)
	if m == nil {
		t.Fatalf("unknown search leaf %q", leaf)
	}
	field, value := m[1], m[2]
	if value == "*" {
		return len(ev[field]) > 0
	}
	if !strings.HasPrefix(value, `"`) {
		// A bare number or boolean: the value's text, case-insensitively.
		return anyValue(ev[field], func(v string) bool { return strings.EqualFold(v, value) })
	}
	text, _, err := unquoteSPL(value)
	if err != nil {
		t.Fatalf("search leaf %q: %v", leaf, err)
	}
	if p, err := netip.ParsePrefix(text); err == nil {
		return anyValue(ev[field], func(v string) bool {
			a, err := netip.ParseAddr(v)
			return err == nil && p.Contains(a)
		})
	}
	_, pat := searchLeafPattern(t, leaf)
	re := globRegexp(pat)
	return anyValue(ev[field], re.MatchString)
}

var (
	whereNull      = regexp.MustCompile(`^isnull\('([^']*)'\)$`)
	whereNotNull   = regexp.MustCompile(`^isnotnull\('([^']*)'\)$`)
	whereCIDR      = regexp.MustCompile(`^isnotnull\(mvfilter\(cidrmatch\("([^"]*)", '([^']*)'\)\)\)$`)
	whereCompare   = regexp.MustCompile(`^isnotnull\(mvfilter\(tonumber\('([^']*)'\)(<=|>=|<|>|==)(-?[0-9.]+)\)\)$`)
	whereFieldRefs = regexp.MustCompile(`^lower\('([^']*)'\)==lower\('([^']*)'\)$`)
)

func whereLeafTrue(t *testing.T, leaf string, ev splEvent) bool {
	switch {
	case whereNull.MatchString(leaf):
		return len(ev[whereNull.FindStringSubmatch(leaf)[1]]) == 0
	case whereNotNull.MatchString(leaf):
		return len(ev[whereNotNull.FindStringSubmatch(leaf)[1]]) > 0
	case whereCIDR.MatchString(leaf):
		m := whereCIDR.FindStringSubmatch(leaf)
		p := netip.MustParsePrefix(m[1])
		return anyValue(ev[m[2]], func(v string) bool {
			a, err := netip.ParseAddr(v)
			return err == nil && p.Contains(a)
		})
	case whereCompare.MatchString(leaf):
		m := whereCompare.FindStringSubmatch(leaf)
		bound, _ := strconv.ParseFloat(m[3], 64)
		return anyValue(ev[m[1]], func(v string) bool { return numericCompare(v, m[2], bound) })
	case whereFieldRefs.MatchString(leaf):
		m := whereFieldRefs.FindStringSubmatch(leaf)
		a, b := ev[m[1]], ev[m[2]]
		return len(a) == 1 && len(b) == 1 && strings.EqualFold(a[0], b[0])
	case mvfindLeaf.MatchString(leaf):
		m := mvfindLeaf.FindStringSubmatch(leaf)
		pcre, _, err := unquoteSPL(m[2])
		if err != nil {
			t.Fatalf("where leaf %q: %v", leaf, err)
		}
		re, err := compileEvalRegex(pcre)
		if err != nil {
			t.Fatalf("where leaf %q: %v", leaf, err)
		}
		return anyValue(ev[m[1]], re.MatchString)
	}
	t.Fatalf("unknown where leaf %q", leaf)
	return false
}

// eventFor builds a random event that often satisfies leaves of tree: a field of a Match
// leaf gets an instance of its pattern (sometimes in another case), other fields get
// values from a pool; some fields are multivalue, null or missing.
func eventFor(rng *rand.Rand, tree ir.Node) map[string]any {
	pool := []any{"x", "4624", 4624, 10, 5, 10.5, "10.1.2.3", "fc00::1", "192.168.0.1", "", "ab", "Z", nil, true}
	ev := map[string]any{}
	for _, f := range append(genFields, "x-ms-mail-application") {
		if rng.Intn(4) == 0 {
			continue
		}
		ev[f] = pool[rng.Intn(len(pool))]
	}
	ir.Inspect(tree, func(n ir.Node) bool {
		m, ok := n.(*ir.Match)
		if !ok || rng.Intn(2) == 0 {
			return true
		}
		var b strings.Builder
		for _, s := range m.Pattern {
			switch s.Kind {
			case ir.Lit:
				b.WriteString(s.Text)
			case ir.AnyString:
				b.WriteString([]string{"", "q", "\n*"}[rng.Intn(3)])
			case ir.AnyChar:
				b.WriteString([]string{"é", "?", "\n"}[rng.Intn(3)])
			}
		}
		v := b.String()
		if rng.Intn(3) == 0 {
			v = swapASCIICase(v)
		}
		if rng.Intn(3) == 0 {
			ev[m.Field] = []any{"other", v}
		} else {
			ev[m.Field] = v
		}
		return true
	})
	// Keywords: an instance of the pattern somewhere in the event, at any depth.
	kw := 0
	ir.Inspect(tree, func(n ir.Node) bool {
		k, ok := n.(*ir.Keyword)
		if !ok || rng.Intn(2) == 0 {
			return true
		}
		kw++
		v := keywordInstance(rng, k)
		key := "kw" + strconv.Itoa(kw)
		switch rng.Intn(5) {
		case 0:
			ev[key] = v
		case 1:
			ev[key] = []any{"other", 7, v}
		case 2:
			// A nested key named like a Splunk default field is still searched: only the
			// top-level name is one.
			ev[key] = map[string]any{"host": v, "n": nil}
		case 3:
			ev[key] = []any{map[string]any{"m": []any{v}}}
		default:
			ev["hostname"] = v
		}
		return true
	})
	// Non-string values whose text a rendered keyword must not match.
	scalars := []any{json.Number("1E+5"), json.Number("-0.5e-3"), false, true, 0, 1.25, json.Number("12345678901234567890")}
	if rng.Intn(2) == 0 {
		ev["num"] = scalars[rng.Intn(len(scalars))]
	}
	if rng.Intn(3) == 0 {
		ev["nested"] = map[string]any{"n": []any{scalars[rng.Intn(len(scalars))], nil}}
	}
	// fieldref is rendered for single values only (doc.go): keep its fields single.
	ir.Inspect(tree, func(n ir.Node) bool {
		if fr, ok := n.(*ir.FieldRef); ok {
			for _, f := range []string{fr.Field, fr.Ref} {
				if vs, ok := ev[f].([]any); ok {
					ev[f] = vs[len(vs)-1]
				}
			}
		}
		return true
	})
	return ev
}

// TestDifferentialAgainstEvaluator compares the interpreted SPL with the evaluator on
// random trees and events.
func TestDifferentialAgainstEvaluator(t *testing.T) {
	rng := rand.New(rand.NewSource(99))
	g := &treeGen{rng: rng, whereLeaves: true}
	matched, total, withKeywords, keywordMatched := 0, 0, 0, 0
	for i := 0; i < 1500; i++ {
		tree := g.tree(3)
		r := &ir.Rule{ID: "r", Conditions: []ir.Node{tree}}
		q := convertOne(t, tree)
		prog, errs := evaluator.Compile([]*ir.Rule{r})
		if len(errs) > 0 {
			t.Fatalf("%s: evaluator: %v", tree, errs)
		}
		keywords := hasKeyword(tree)
		if keywords {
			withKeywords++
		}
		for j := 0; j < 20; j++ {
			ev := eventFor(rng, tree)
			if keywords {
				// The documented scope of keywords (doc.go): no top-level key starts
				// with `_`, as Splunk's `foreach *` does not iterate such fields.
				delete(ev, "_b2")
			}
			line, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			ms, err := prog.MatchJSON(line)
			if err != nil {
				t.Fatal(err)
			}
			want := len(ms) > 0
			total++
			if want {
				matched++
				if keywords {
					keywordMatched++
				}
			}
			// The verdict must not depend on how the JSON encoder wrote _raw.
			for _, raw := range rawEncodings(string(line)) {
				if got := runSPL(t, q, splunkView(ev, raw)); got != want {
					t.Fatalf("%s\n query %s\n event %s\n _raw %s\n SPL %v, evaluator %v", ir.Simplify(tree), q, line, raw, got, want)
				}
			}
		}
	}
	if matched < total/10 || matched > total*9/10 {
		t.Errorf("weak event generator: %d of %d events matched", matched, total)
	}
	if withKeywords < 200 || keywordMatched < 500 {
		t.Errorf("weak keyword coverage: %d trees with keywords, %d of their events matched", withKeywords, keywordMatched)
	}
}

func hasKeyword(tree ir.Node) bool {
	found := false
	ir.Inspect(tree, func(n ir.Node) bool {
		if _, ok := n.(*ir.Keyword); ok {
			found = true
		}
		return !found
	})
	return found
}
