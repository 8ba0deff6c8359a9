package eql_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator"
)

// TestEngineDriverBridges pins what testdata/engine.py makes the Python engine do for each
// bridged dialect difference, on queries whose Elasticsearch answer is known from the EQL
// reference: if the engine or the driver changed, TestEngineAgreesWithEvaluator would compare
// against something else than Elasticsearch's meaning.
func TestEngineDriverBridges(t *testing.T) {
	python := engineTools(t)
	events := [][]byte{
		[]byte(`{"a": "Foo", "n": {"b-c": "x"}}`),
		[]byte(`{"a": "foo"}`),
		[]byte(`{"a": "Fo?"}`),
		[]byte(`{"a": "Fooo"}`),
	}
	s := &engineSubject{name: "bridges", events: events}
	cases := []struct {
		query string
		want  []int
	}{
		{`any where a == "Foo"`, []int{0}},                      // == is case-sensitive
		{`any where a in ("foo", "x")`, []int{1}},               // so is in
		{`any where a like "F*"`, []int{0, 2, 3}},               // and like
		{`any where a like~ "f*"`, []int{0, 1, 2, 3}},           // like~ folds
		{`any where a : "FOO"`, []int{0, 1}},                    // : folds
		{`any where a : "fo?"`, []int{0, 1, 2}},                 // ? is one character
		{`any where a regex "F.."`, []int{0, 2}},                // regex is case-sensitive, whole value
		{`any where a regex~ "f.."`, []int{0, 1, 2}},            // regex~ folds
		{`any where a regex "F"`, nil},                          // not a prefix match
		{"any where `n.b-c` : \"x\"", []int{0}},                 // a backticked dotted name is a path
		{`any where not a : "foo"`, []int{2, 3}},                // not on a present field
		{`any where ?missing == null and a : "fooo"`, []int{3}}, // optional field
	}
	// The second run takes Elasticsearch's side of null-under-not, multi-valued-fields and
	// dotted-keys too.
	checked := &engineSubject{name: "checked", events: [][]byte{
		[]byte(`{"a": 1, "c.d": 3}`),
		[]byte(`{"a": 1, "b": 2, "c": {"d": 3}}`),
		[]byte(`{"a": 1, "c": {"d": 3}}`),
		[]byte(`{"a": [2, 1], "b": [], "c": [{"d": 1}, {"d": 3}]}`),
	}}
	checkedCases := []struct {
		query    string
		want, es []int
	}{
		{`any where a == 1 and not b == 2 and c.d == 3`, nil, []int{0, 2, 3}},
		{`any where not (b == 2 or a == 2)`, nil, []int{0, 2}},
		{`any where c.d == 3`, []int{1, 2}, []int{0, 1, 2, 3}},
		{`any where ?b == null and c.d in (3, 7)`, []int{2}, []int{0, 2, 3}},
	}
	var jobs []engineJob
	for _, c := range cases {
		jobs = append(jobs, engineJob{subject: s, query: c.query})
	}
	for _, c := range checkedCases {
		jobs = append(jobs, engineJob{subject: checked, query: c.query})
	}
	results := runEngine(t, python, jobs)
	same := func(a, b []int) bool { return slices.Equal(a, b) || len(a) == 0 && len(b) == 0 }
	for i, c := range cases {
		r := results[i]
		if r.Error != "" || len(r.Failed) > 0 {
			t.Errorf("%s: %s %s %v", c.query, r.Error, r.Message, r.Failed)
			continue
		}
		if !same(r.Matches, c.want) || !same(r.MatchesES, c.want) {
			t.Errorf("%s: the engine matches %v (second run %v), Elasticsearch %v", c.query, r.Matches, r.MatchesES, c.want)
		}
	}
	for i, c := range checkedCases {
		r := results[len(cases)+i]
		if r.Error != "" || !same(r.Matches, c.want) || !same(r.MatchesES, c.es) {
			t.Errorf("%s: the engine matches %v, want %v; second run %v, want %v %s", c.query, r.Matches, c.want, r.MatchesES, c.es, r.Error)
		}
	}
}

// TestEngineExplainers checks that every named difference explains the event it is about and
// that none explains a plain disagreement, or a checked difference whose second run still
// disagrees, so the comparison cannot pass a wrong query.
func TestEngineExplainers(t *testing.T) {
	rule := func(detection string) engineJob {
		text := fmt.Sprintf("title: t\nlogsource: {product: p}\ndetection:\n%s", detection)
		rs, ds := translator.LoadBytes("t.yml", []byte(text))
		if ds.HasErrors() || len(rs) != 1 {
			t.Fatalf("%v", ds)
		}
		return engineJob{subject: &engineSubject{rule: rs[0]}}
	}
	cases := []struct {
		detection, event  string
		evaluator, engine bool
		engineES          bool // the second run's verdict
		want              string
	}{
		{"  sel: {a: x}\n  condition: sel", `{"a": "y"}`, true, false, true, ""},
		{"  sel: {a: x}\n  condition: sel", `{"a": "x"}`, false, true, false, ""},
		{"  sel: {a: x}\n  condition: not sel", `{"a": "x"}`, true, false, true, ""},
		{"  sel: {a: x}\n  condition: not sel", `{"b": "x"}`, false, true, false, ""},
		{"  sel: {a: x}\n  condition: not sel", `{"b": "x"}`, true, false, true, "null-under-not"},
		{"  sel: {a: x}\n  condition: sel", `{"a": ["y", "x"]}`, true, false, true, "multi-valued-fields"},
		{"  sel: {a.b: x}\n  condition: sel", `{"a": [{"b": "x"}]}`, true, false, true, "multi-valued-fields"},
		{"  sel: {a.b: x}\n  condition: sel", `{"a.b": "x"}`, true, false, true, "dotted-keys"},
		{"  sel: {a.b: x}\n  condition: sel", `{"a.b": "x"}`, true, false, false, ""},
		{"  sel: {a: x}\n  condition: not sel", `{"b": "x"}`, true, false, false, ""},
		{"  sel: {a|gt: 1}\n  condition: sel", `{"a": "2"}`, true, false, true, "mapped-types"},
		{"  sel: {a: 7}\n  condition: sel", `{"a": "7"}`, true, false, true, "mapped-types"},
		{"  sel: {a: '7'}\n  condition: sel", `{"a": 7}`, true, false, true, "mapped-types"},
		{"  sel: {a: '7'}\n  condition: sel", `{"a": "8"}`, true, false, true, ""},
		{"  sel: {a|gt: 1}\n  condition: sel", `{"a": "2"}`, true, false, false, ""},
		{"  sel: {a: true}\n  condition: sel", `{"a": "True"}`, true, false, false, "boolean-strings"},
		{"  sel: {a: true}\n  condition: sel", `{"a": "x"}`, true, false, false, "boolean-strings"},
		{"  sel: {a: true}\n  condition: sel", `{"a": false}`, true, false, false, ""},
	}
	for _, c := range cases {
		j := rule(c.detection)
		j.subject.events = [][]byte{[]byte(c.event)}
		if got := explainEvent(j, 0, c.evaluator, c.engine, c.engineES); got != c.want {
			t.Errorf("%q on %s (evaluator %v, engine %v): explained by %q, want %q", c.detection, c.event, c.evaluator, c.engine, got, c.want)
		}
	}
}

// TestEngineDialectTable keeps DIALECT.md and dialectDifferences naming the same differences.
func TestEngineDialectTable(t *testing.T) {
	data, err := os.ReadFile("DIALECT.md")
	if err != nil {
		t.Fatal(err)
	}
	var inDoc []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\|").FindAllStringSubmatch(string(data), -1) {
		inDoc = append(inDoc, m[1])
	}
	slices.Sort(inDoc)
	if inTest := mapsKeys(dialectDifferences); !slices.Equal(inDoc, inTest) {
		t.Errorf("DIALECT.md names %v, dialectDifferences %v", inDoc, inTest)
	}
	for name, d := range dialectDifferences {
		if d.construct == "" || d.elasticsearch == "" || d.python == "" || d.why == "" || d.bridged == (d.explains != nil || d.sequence) || (d.explains != nil && d.sequence) {
			t.Errorf("%s: incomplete entry", name)
		}
	}
}
