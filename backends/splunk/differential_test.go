package splunk

import (
	"encoding/json"
	"math/rand"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/infix"
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
// absent, numbers and booleans become their JSON text, arrays become multivalue fields.
func splunkView(ev map[string]any) splEvent {
	out := splEvent{}
	var add func(k string, v any)
	add = func(k string, v any) {
		switch v := v.(type) {
		case nil:
		case string:
			out[k] = append(out[k], v)
		case []any:
			for _, e := range v {
				add(k, e)
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

// runSPL evaluates a rendered query on an event.
func runSPL(t *testing.T, q string, ev splEvent) bool {
	t.Helper()
	stages, err := splitPipes(q)
	if err != nil {
		t.Fatalf("%q: %v", q, err)
	}
	ok := true
	if stages[0] != "*" {
		tree, err := parseBothWays(stages[0])
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		ok = evalSPL(t, tree, ev, searchLeafTrue)
	}
	if ok && len(stages) == 2 {
		tree, err := parseBothWays(strings.TrimPrefix(stages[1], "where "))
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		ok = evalSPL(t, tree, ev, whereLeafTrue)
	}
	return ok
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
	}
	return x >= bound
}

func searchLeafTrue(t *testing.T, leaf string, ev splEvent) bool {
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
	whereCompare   = regexp.MustCompile(`^isnotnull\(mvfilter\(tonumber\('([^']*)'\)(<=|>=|<|>)(-?[0-9.]+)\)\)$`)
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
		re := regexp.MustCompile(goFromPCRE(pcre))
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
	matched, total := 0, 0
	for i := 0; i < 1500; i++ {
		tree := g.tree(3)
		r := &ir.Rule{ID: "r", Conditions: []ir.Node{tree}}
		q := convertOne(t, tree)
		prog, errs := evaluator.Compile([]*ir.Rule{r})
		if len(errs) > 0 {
			t.Fatalf("%s: evaluator: %v", tree, errs)
		}
		for j := 0; j < 20; j++ {
			ev := eventFor(rng, tree)
			line, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			ms, err := prog.MatchJSON(line)
			if err != nil {
				t.Fatal(err)
			}
			want := len(ms) > 0
			got := runSPL(t, q, splunkView(ev))
			total++
			if want {
				matched++
			}
			if got != want {
				t.Fatalf("%s\n query %s\n event %s\n SPL %v, evaluator %v", infix.Simplify(tree), q, line, got, want)
			}
		}
	}
	if matched < total/10 || matched > total*9/10 {
		t.Errorf("weak event generator: %d of %d events matched", matched, total)
	}
}
