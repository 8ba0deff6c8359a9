package esql

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestLiveFieldRefs runs every fieldref shape, cased and not, negated and not, on a real
// Elasticsearch (skipped without SIGMABRIDGE_ES_URL) over every pair of the hard values
// and with either field missing, and compares the rows with the evaluator's matches.
func TestLiveFieldRefs(t *testing.T) {
	live := estest.LiveNode(t)
	var docs []map[string]any
	var events []map[string]any
	for _, a := range fieldRefValues {
		docs = append(docs, map[string]any{"a": a}, map[string]any{"b": a})
		for _, b := range fieldRefValues {
			docs = append(docs, map[string]any{"a": a, "b": b})
		}
	}
	events = append(events, docs...)
	keyword := map[string]any{"type": "keyword"}
	index := live.Index(map[string]any{"a": keyword, "b": keyword}, docs)
	for _, shape := range []ir.Shape{ir.ShapeExact, ir.ShapePrefix, ir.ShapeSuffix, ir.ShapeContains} {
		for _, cased := range []bool{false, true} {
			n := &ir.FieldRef{Field: "a", Ref: "b", Shape: shape, Cased: cased}
			for _, tree := range []ir.Node{n, &ir.Not{Child: n}} {
				q, ds := render(t, tree)
				if ds.HasErrors() {
					t.Fatalf("%s: %v", tree, ds)
				}
				where := q[strings.Index(q, "| WHERE ")+len("| WHERE "):]
				got, err := live.ESQLIDs(index, where)
				if err != nil {
					t.Errorf("%s: %v", tree, err)
					continue
				}
				p, errs := evaluator.Compile([]*ir.Rule{{ID: "r", Conditions: []ir.Node{tree}}})
				if len(errs) > 0 {
					t.Fatal(errs)
				}
				var want []int
				for i, e := range events {
					if len(p.MatchEvent(e)) > 0 {
						want = append(want, i)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: Elasticsearch and the evaluator differ on %s", tree, differences(docs, got, want))
				}
			}
		}
	}
}

// differences names the documents in only one of the sorted id lists.
func differences(docs []map[string]any, got, want []int) string {
	var out []string
	for _, id := range got {
		if !slices.Contains(want, id) {
			out = append(out, "only Elasticsearch: "+describe(docs[id]))
		}
	}
	for _, id := range want {
		if !slices.Contains(got, id) {
			out = append(out, "only the evaluator: "+describe(docs[id]))
		}
	}
	return strings.Join(out, "; ")
}

func describe(doc map[string]any) string {
	var parts []string
	for _, k := range []string{"a", "b"} {
		if v, ok := doc[k]; ok {
			parts = append(parts, k+"="+strings.TrimSpace(strings.ReplaceAll(v.(string), "\n", `\n`)))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// runLive runs an ES|QL query on a real Elasticsearch.
func runLive(live *estest.Live, index string, r *ir.Rule, tree ir.Node) ([]int, string, error) {
	where, ds := Render(r, tree)
	if ds.HasErrors() {
		return nil, where, ds.Err()
	}
	ids, err := live.ESQLIDs(index, where)
	return ids, where, err
}

// TestLiveIPFieldCIDR runs CIDR_MATCH on an ip field, plain and negated, on a real
// Elasticsearch (skipped without SIGMABRIDGE_ES_URL) and compares the rows with the
// evaluator on every document of estest.IPDocs.
func TestLiveIPFieldCIDR(t *testing.T) {
	estest.CheckLive(t, estest.LiveNode(t), estest.IPFieldMapping, estest.IPDocs, estest.IPFieldState, estest.IPFieldCIDRs(), runLive)
}

// TestLiveFlattenedFields runs the QSTR queries of a keyed flattened field (an unknown
// column to ES|QL), plain and negated, on a real Elasticsearch and compares the rows with
// the evaluator.
func TestLiveFlattenedFields(t *testing.T) {
	estest.CheckLive(t, estest.LiveNode(t), estest.FlattenedMapping, estest.FlattenedDocs, estest.FlattenedState, estest.FlattenedExact, runLive)
}

// TestLiveMultiValuedFields runs comparisons on fields holding arrays, plain and negated,
// on a real Elasticsearch: through QSTR any value may match and a negation is false as soon
// as one does, as in the evaluator.
func TestLiveMultiValuedFields(t *testing.T) {
	estest.CheckLive(t, estest.LiveNode(t), estest.MultiValuedMapping, estest.MultiValuedDocs, estest.MultiValuedState, estest.MultiValuedTrees, runLive)
}

// TestLiveNumbers compares a rule's number with keyword, long and double fields (QSTR's
// term: by value on numeric fields, by text on keyword ones), plain and negated.
func TestLiveNumbers(t *testing.T) {
	docs := []map[string]any{
		{"k": "4688", "l": 4688, "d": 4688.0}, {"k": "04688", "l": 4689, "d": 4.688e3}, {"k": "4688.0", "d": 4688.5},
		{"k": "3", "l": 3, "d": 3}, {},
	}
	mapping := map[string]any{"k": map[string]any{"type": "keyword"}, "l": map[string]any{"type": "long"}, "d": map[string]any{"type": "double"}}
	var trees []ir.Node
	for _, f := range []string{"k", "l", "d"} {
		for _, v := range []string{"4688", "3", "4688.5"} {
			trees = append(trees, &ir.Match{Field: f, Pattern: ir.LiteralPattern(v), Kind: ir.Number})
		}
	}
	estest.CheckLive(t, estest.LiveNode(t), mapping, docs, nil, trees, runLive)
}

// hostileIdentifiers are field names ES|QL must quote, or must not read as a pattern: a
// `*` (an exists query reads it as a pattern of names), keywords of the WHERE grammar in
// several cases, words that are commands elsewhere, a space, a backtick, a quote, a dash,
// non-ASCII, a segment that starts with a digit, a segment with a space.
var hostileIdentifiers = []string{"a*", "where", "WHERE", "Where", "from", "and", "By", "true", "null", "first", "nulls",
	"a b", "with`tick", `q"uote`, "1st", "a-b", "\u00e9t\u00e9", "x.1y", "o.b c", "_x", "@timestamp"}

// neighbours are fields the pattern a* would also name.
var neighbours = []string{"a", "ab", "ac", "a_b"}

// setField sets a possibly dotted field name in a document as nested objects, as the
// evaluator and Elasticsearch both read it.
func setField(doc map[string]any, name string, v any) {
	parts := strings.Split(name, ".")
	if strings.Contains(name, "*") || strings.Contains(name, "`") {
		parts = []string{name}
	}
	for _, p := range parts[:len(parts)-1] {
		sub, ok := doc[p].(map[string]any)
		if !ok {
			sub = map[string]any{}
			doc[p] = sub
		}
		doc = sub
	}
	doc[parts[len(parts)-1]] = v
}

// TestHostileIdentifiersLive runs presence tests, comparisons, wildcards, regular
// expressions and field references on hostile field names, plain and negated, on a real
// Elasticsearch (skipped without SIGMABRIDGE_ES_URL), and compares the rows with the
// evaluator: each query parses, reads the field it names and no other.
func TestHostileIdentifiersLive(t *testing.T) {
	live := estest.LiveNode(t)
	keyword := map[string]any{"type": "keyword"}
	mapping := map[string]any{}
	for _, f := range append(append([]string{}, hostileIdentifiers...), neighbours...) {
		if f == "x.1y" || f == "o.b c" {
			obj, sub, _ := strings.Cut(f, ".")
			mapping[obj] = map[string]any{"properties": map[string]any{sub: keyword}}
			continue
		}
		mapping[f] = keyword
	}
	var docs []map[string]any
	// Each hostile field alone, in another case, and with the neighbours of a* only.
	for _, f := range hostileIdentifiers {
		for _, v := range []string{"v", "V", "other", "4624"} {
			d := map[string]any{}
			setField(d, f, v)
			docs = append(docs, d)
		}
	}
	for _, n := range neighbours {
		docs = append(docs, map[string]any{n: "v"}, map[string]any{n: "v", "where": "w"})
	}
	docs = append(docs, map[string]any{}, map[string]any{"ab": "v", "a*": "v", "where": "v", "from": "v"})
	index := live.Index(mapping, docs)

	var trees []ir.Node
	for _, f := range hostileIdentifiers {
		trees = append(trees,
			&ir.Exists{Field: f},
			&ir.Null{Field: f},
			&ir.Match{Field: f, Pattern: ir.LiteralPattern("v")},
			&ir.Match{Field: f, Pattern: ir.LiteralPattern("v"), Cased: true},
			&ir.Match{Field: f, Pattern: ir.LiteralPattern("v").Wrap(true, false)},
			&ir.Match{Field: f, Pattern: ir.Pattern{{Kind: ir.AnyString}}},
			&ir.Regex{Field: f, Pattern: "^o"},
			&ir.FieldRef{Field: f, Ref: "ab", Shape: ir.ShapeExact},
			// A number is a QSTR leaf: the field name goes through query_string's escapes.
			&ir.Match{Field: f, Pattern: ir.LiteralPattern("4624"), Kind: ir.Number},
		)
	}
	r := &ir.Rule{Path: "test.yml", ID: "t"}
	check := func(n, tree ir.Node) {
		if _, ds := Render(r, tree); ds.HasErrors() {
			// query_string reads `*` in a field name as a pattern: the lucene leaf inside
			// QSTR refuses such a name, by name.
			if m, ok := n.(*ir.Match); !ok || m.Kind != ir.Number || !strings.Contains(m.Field, "*") || ds[0].Code != "unsupported-field-name" {
				t.Errorf("%s: %v", tree, ds)
			}
			return
		}
		got, shown, err := runLive(live, index, r, tree)
		if err != nil {
			t.Errorf("%s -> %s: %v", tree, shown, err)
			return
		}
		if want := estest.EvaluatorIDs(t, tree, docs); !slices.Equal(got, want) {
			t.Errorf("%s -> %s: hits %v, evaluator %v", tree, shown, got, want)
		}
	}
	// A few queries at a time: there are some four hundred.
	var wg sync.WaitGroup
	work := make(chan ir.Node)
	for range 4 {
		wg.Go(func() {
			for n := range work {
				check(n, n)
				check(n, &ir.Not{Child: n})
			}
		})
	}
	for _, n := range trees {
		work <- n
	}
	close(work)
	wg.Wait()
	// The case in so many words: a field literally named a* is in 5 documents here
	// (its own four and the last one), whatever a, ab, ac and a_b hold.
	got, shown, err := runLive(live, index, r, &ir.Exists{Field: "a*"})
	if err != nil || len(got) != 5 {
		t.Errorf("a* exists -> %s: %d hits (%v, %v), want 5", shown, len(got), got, err)
	}
}

// TestHostileLineBreaksLive: ES|QL reads the \n, \r and \t escapes the target writes in a
// string as the characters, and a literal backslash before n as itself, on a real
// Elasticsearch: the query stays on one line and matches what the evaluator matches.
func TestHostileLineBreaksLive(t *testing.T) {
	values := []string{"p\nq", "p\rq", "p\tq", `p\nq`, "pq", "p q", "P\nQ", "p\r\nq"}
	var docs []map[string]any
	for _, v := range values {
		docs = append(docs, map[string]any{"c": v})
	}
	var trees []ir.Node
	for _, v := range []string{"p\nq", "p\rq", "p\tq", `p\nq`, "p\r\nq"} {
		trees = append(trees,
			&ir.Match{Field: "c", Pattern: ir.LiteralPattern(v)},
			&ir.Match{Field: "c", Pattern: ir.LiteralPattern(v), Cased: true},
			&ir.Match{Field: "c", Pattern: ir.LiteralPattern(v[1:len(v)-1]).Wrap(true, true)},
		)
	}
	for _, tree := range trees {
		if q, _ := Render(&ir.Rule{}, tree); strings.ContainsAny(q, "\n\r") {
			t.Errorf("%s -> %q: a raw line break", tree, q)
		}
	}
	estest.CheckLive(t, estest.LiveNode(t), map[string]any{"c": map[string]any{"type": "keyword"}}, docs, nil, trees, runLive)
}

// TestLiveLowerCasing runs case-insensitive equality, prefix, contains and suffix on letters
// whose case Elasticsearch's insensitive comparisons fold differently from TO_LOWER (É, the
// Kelvin sign, ẞ) and on a letter newer than Java 17's Unicode (U+A7C0), plain and negated,
// on a real Elasticsearch, and compares the hits with the evaluator. `TO_LOWER(v) == "é"`
// alone is rewritten by the 8.19 optimizer into a comparison that misses É (lowered.go).
func TestLiveLowerCasing(t *testing.T) {
	values := []string{"É", "é", "\u212a", "k", "K", "ẞ", "ß", "\ua7c0", "\ua7c1", "xÉy", "ÉX", "STRASSE", "Straẞe", "ſ", "s", ""}
	docs := make([]map[string]any, 0, len(values)+1)
	for _, v := range values {
		docs = append(docs, map[string]any{"v": v})
	}
	docs = append(docs, map[string]any{"w": "x"})
	var trees []ir.Node
	for _, lit := range []string{"é", "k", "ß", "\ua7c1", "straße", "s"} {
		p := ir.LiteralPattern(lit)
		for _, q := range []ir.Pattern{p, p.Wrap(false, true), p.Wrap(true, true), p.Wrap(true, false)} {
			trees = append(trees, &ir.Match{Field: "v", Pattern: q})
		}
	}
	trees = append(trees, &ir.Or{Children: []ir.Node{&ir.Match{Field: "v", Pattern: ir.LiteralPattern("é")}, &ir.Match{Field: "v", Pattern: ir.LiteralPattern("k")}}})
	mapping := map[string]any{"v": map[string]any{"type": "keyword"}, "w": map[string]any{"type": "keyword"}}
	estest.CheckLive(t, estest.LiveNode(t), mapping, docs, nil, trees, runLive)
}

// TestLiveLongLists runs rules with long value lists (one OR operand per value, contains
// and equality, plain and negated) on a real Elasticsearch: the node refuses an expression
// nested deeper than 300 levels, which a flat chain of about 300 operands was.
func TestLiveLongLists(t *testing.T) {
	var docs []map[string]any
	for i := 0; i < 40; i++ {
		docs = append(docs, map[string]any{"v": fmt.Sprintf("pre-%d-post", i*37)})
	}
	var trees []ir.Node
	for _, n := range []int{17, 300, 1000} {
		var contains, equal []ir.Node
		for i := 0; i < n; i++ {
			contains = append(contains, &ir.Match{Field: "v", Pattern: ir.LiteralPattern(fmt.Sprintf("-%d-", i*3)).Wrap(true, true)})
			equal = append(equal, &ir.Match{Field: "v", Pattern: ir.LiteralPattern(fmt.Sprintf("pre-%d-post", i*5)), Cased: true})
		}
		trees = append(trees, &ir.Or{Children: contains}, &ir.Or{Children: equal})
	}
	estest.CheckLive(t, estest.LiveNode(t), map[string]any{"v": map[string]any{"type": "keyword"}}, docs, nil, trees, runLive)
}

// TestLiveAbsenceBesideOr runs an absent field in a conjunction beside an OR that reads the
// same field, on a real Elasticsearch: on 8.19, `f IS NULL AND (n <= 10 OR f == "x")`
// returns no row at all (the optimizer folds the OR to null once it knows f is null), so
// absence is written NOT (f IS NOT NULL). Found by the random differential
// (backends/elasticsearch/integration/randdiff_test.go).
func TestLiveAbsenceBesideOr(t *testing.T) {
	docs := []map[string]any{
		{"n": 5}, {"n": 50}, {"f": "x", "n": 5}, {"f": "y", "n": 50}, {"f": nil, "n": 1}, {"f": []any{"x", "z"}}, {},
	}
	mapping := map[string]any{"f": map[string]any{"type": "keyword"}, "n": map[string]any{"type": "long"}}
	small := &ir.Compare{Field: "n", Op: ir.LTE, Value: ir.Num{Text: "10", Value: 10}}
	var trees []ir.Node
	for _, beside := range []ir.Node{
		&ir.Exists{Field: "f"},
		&ir.Match{Field: "f", Pattern: ir.LiteralPattern("x"), Cased: true},
		&ir.Match{Field: "f", Pattern: ir.LiteralPattern("X")},
	} {
		for _, absent := range []ir.Node{&ir.Null{Field: "f"}, &ir.Not{Child: &ir.Exists{Field: "f"}}} {
			trees = append(trees, &ir.And{Children: []ir.Node{absent, &ir.Or{Children: []ir.Node{small, beside}}}})
		}
	}
	estest.CheckLive(t, estest.LiveNode(t), mapping, docs, nil, trees, runLive)
}
