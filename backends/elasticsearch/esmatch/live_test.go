package esmatch

import (
	"fmt"
	"math/rand"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestLiveWordBoundaries runs translated word boundaries on a real Elasticsearch (skipped
// without SIGMABRIDGE_ES_URL) in the three forms the targets write — the regexp query,
// query_string's /.../ and ES|QL's RLIKE — over a keyword field, and compares the hits with
// Go's regexp on every value.
func TestLiveWordBoundaries(t *testing.T) {
	live := estest.LiveNode(t)
	rng := rand.New(rand.NewSource(17))
	values := []string{
		"http://1.2.3.4", "https://10.0.0.1/x", "http://1.2.3.4a", "http://1.2.3.4_", "http://1.2.3.45", "http://1.2.3.256",
		"curl http://127.0.0.1:8080/a", "http://1.2.3.", "http://1.2.3.4.", "http://1.2.34", "http://1.2.3.4\n", "http://1.2.3.4\u212a",
		"word", "a word.", "words", "sword", "_word", "word_", "WORD", "\u212aword", "ab d", "abd", "c.d", "cad", "abc d", "c d", "",
		"xa", "Xab .", "xb a", "xaa_", "ab.ab.", "c.ac a", "abab.aab", "abca.", "b .ab", "b .a.", "a .ab",
	}
	values = append(values, boundaryValues(rng, 250, 7)...)
	docs := make([]map[string]any, len(values))
	for i, v := range values {
		docs[i] = map[string]any{"f": v}
	}
	index := live.Index(map[string]any{"f": map[string]any{"type": "keyword"}}, docs)
	patterns := []struct {
		pattern string
		flags   ir.RegexFlags
	}{
		{`https?://(?:(?:25[0-5]|(?:2[0-4]|1\d|[1-9])?\d)(?:\.|\b)){4}`, ir.RegexFlags{}},
		{`\bword\b`, ir.RegexFlags{I: true}},
		{`\bk`, ir.RegexFlags{I: true}},
		{`a\Bb`, ir.RegexFlags{}},
		{`(?:ab|c.)+\bd`, ir.RegexFlags{}},
		{`(?:a|b\.)+\B.`, ir.RegexFlags{}},
		{`x(?:a|b )+\b`, ir.RegexFlags{I: true}},
		{`((ab|c.)+\b(a|.)){2}`, ir.RegexFlags{}},
		{`(a|\b)(a|\b){0,2}k*`, ir.RegexFlags{}},
		{`^\w+\b`, ir.RegexFlags{M: true}},
		{`(\b[a ]\B[ .]?){2}`, ir.RegexFlags{}},
		{`[a.]*\b[b.]`, ir.RegexFlags{S: true}},
	}
	intersections := 0
	for _, p := range patterns {
		tr, err := TranslateRegexp(p.pattern, p.flags, true)
		if err != nil {
			t.Fatalf("%q: %v", p.pattern, err)
		}
		if tr.Intersection {
			intersections++
		}
		prefix := ""
		if s := p.flags.String(); s != "" {
			prefix = "(?" + s + ")"
		}
		want := estest.Matching(values, regexp.MustCompile(prefix+p.pattern).MatchString)
		if len(want) == 0 || len(want) == len(values) {
			t.Errorf("%q matches %d of the %d values: no test", p.pattern, len(want), len(values))
		}
		forms := map[string]func() ([]int, error){
			"regexp": func() ([]int, error) {
				return live.Search(index, map[string]any{"regexp": map[string]any{"f": map[string]any{"value": tr.Text}}})
			},
			"query_string": func() ([]int, error) {
				return live.Search(index, map[string]any{"query_string": map[string]any{"query": "f:/" + tr.Text + "/"}})
			},
			"RLIKE": func() ([]int, error) { return live.ESQLIDs(index, "f RLIKE "+estest.ESQLString(tr.Text)) },
		}
		for name, run := range forms {
			got, err := run()
			if err != nil {
				t.Errorf("%q -> %q (%s): %v", p.pattern, tr.Text, name, err)
				continue
			}
			if !slices.Equal(got, want) {
				t.Errorf("%q -> %q (%s): hits %s, Go's regexp matches %s", p.pattern, tr.Text, name, quoted(values, got), quoted(values, want))
			}
		}
	}
	if intersections < 3 {
		t.Errorf("only %d of the expressions use &", intersections)
	}
}

func quoted(values []string, ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Quote(values[id])
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestLiveToLower runs ES|QL's TO_LOWER on a real Elasticsearch (skipped without
// SIGMABRIDGE_ES_URL) over every rune with case in Go's tables, each alone and Σ in the
// contexts of the final-sigma rule, and compares it with the model the esql target and
// FoldKey rely on (estest.JavaLower). The runes FoldKey names must agree exactly. A rune
// that the node's JVM leaves as it is while the model lowers it is a letter the JVM's
// Unicode version does not have yet (Java 17 is Unicode 13; Go's tables are newer): such
// runes are logged, and any other difference fails.
func TestLiveToLower(t *testing.T) {
	live := estest.LiveNode(t)
	named := map[rune]bool{}
	for _, r := range append(slices.Clone(FoldKey().Pre), FoldKey().Post...) {
		named[r.To] = true
		for _, f := range r.From {
			named[f] = true
		}
	}
	var inputs []string
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= surrogateLo && r <= surrogateHi || caseless(r) {
			continue
		}
		inputs = append(inputs, string(r))
	}
	inputs = append(inputs, "ΑΣ", "ΑΣΑ", "Σ", "ΑΣ.", "1Σ", "ΑΣ\u0345", "ΑΣ'Α", "İİ")
	var unknown []string
	for i := 0; i < len(inputs); i += 300 {
		chunk := inputs[i:min(i+300, len(inputs))]
		// One string per row, so the final-sigma rule sees only its own input.
		var rows []string
		for _, in := range chunk {
			rows = append(rows, estest.ESQLString(in))
		}
		got, err := live.ESQL("ROW s = [" + strings.Join(rows, ", ") + "] | MV_EXPAND s | EVAL l = TO_LOWER(s) | KEEP s, l")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(chunk) {
			t.Fatalf("%d rows for %d inputs", len(got), len(chunk))
		}
		for _, row := range got {
			in, _ := row[0].(string)
			out, _ := row[1].(string)
			want := estest.JavaLower(in)
			if out == want {
				continue
			}
			// Java decides final sigma with word boundaries and case-ignorable marks, which
			// the model only approximates; neither target depends on which sigma it is.
			if sigma := strings.NewReplacer("ς", "σ"); strings.ContainsRune(in, 'Σ') && sigma.Replace(out) == sigma.Replace(want) {
				continue
			}
			rs := []rune(in)
			if len(rs) == 1 && out == in && !named[rs[0]] {
				unknown = append(unknown, fmt.Sprintf("%U", rs[0]))
				continue
			}
			t.Errorf("TO_LOWER(%q) = %q on the node, the model says %q", in, out, want)
		}
	}
	if len(unknown) > 0 {
		t.Logf("%d letters the node's JVM does not lower (its Unicode is older than Go's %s): %s", len(unknown), unicode.Version, strings.Join(unknown, " "))
	}
}

// TestLiveDeterminize runs regular expressions on a real Elasticsearch (skipped without
// SIGMABRIDGE_ES_URL) as the regexp query, query_string's /.../ and ES|QL's RLIKE: every
// expression CheckDeterminizable accepts must run (query_string's explanation must not be a
// MatchNoDocsQuery, its silent form of refusal), and the ones measured as refused must be
// refused by the estimate and by the node, so the calibration stays true.
func TestLiveDeterminize(t *testing.T) {
	live := estest.LiveNode(t)
	index := live.Index(map[string]any{"f": map[string]any{"type": "keyword"}}, []map[string]any{{"f": "x"}, {"f": strings.Repeat("y", 1200)}})
	exprs := append(append([]string(nil), refusedByLucene...), acceptedShapes...)
	for _, p := range []string{`\bword\b`, `(?:ab|c.)+\bd`, `((ab|c.)+\b(a|.)){2}`, `(\b[a ]\B[ .]?){2}`, `x.{0,300}y`, `.{1000,}`, `(?i)\bk.{200}`} {
		tr, err := TranslateRegexp(p, ir.RegexFlags{}, false)
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		exprs = append(exprs, tr.Alternatives...)
	}
	accepted := 0
	for _, re := range exprs {
		want := CheckDeterminizable(re) == nil
		_, errDSL := live.Search(index, map[string]any{"regexp": map[string]any{"f": map[string]any{"value": re}}})
		_, errESQL := live.ESQLIDs(index, "f RLIKE "+estest.ESQLString(re))
		explained, errQS := live.Explain(index, map[string]any{"query_string": map[string]any{"query": "f:/" + re + "/"}})
		qsRefused := errQS != nil || strings.Contains(explained, "MatchNoDocsQuery")
		if want {
			accepted++
			if errDSL != nil || errESQL != nil || qsRefused {
				t.Errorf("%.60q: the estimate accepts it, the node refuses it: regexp %v; RLIKE %v; query_string %v %.200s", re, errDSL, errESQL, errQS, explained)
			}
		}
		if slices.Contains(refusedByLucene, re) && (errDSL == nil || errESQL == nil || !qsRefused) {
			t.Errorf("%.60q: measured as refused, but the node runs it (regexp %v, RLIKE %v, query_string %.200s)", re, errDSL, errESQL, explained)
		}
	}
	t.Logf("%d of %d expressions accepted by the estimate, all run on the node", accepted, len(exprs))
}
