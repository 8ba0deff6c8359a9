package evaluator

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator/conformance"
)

func casesDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "cases")
}

// TestConformanceCases runs every case of testdata/cases through the loader and the
// evaluator (JSON scanner with and without prefilter, and decoded events).
func TestConformanceCases(t *testing.T) {
	cases, err := conformance.Load(casesDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 60 {
		t.Fatalf("only %d conformance cases found", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { runConformanceCase(t, c) })
	}
}

func runConformanceCase(t *testing.T, c conformance.Case) {
	rules, diags := translator.LoadBytes(c.Path, c.Rule)
	var codes []string
	for _, d := range diags.Errors() {
		codes = append(codes, string(d.Code))
	}
	var prog *Program
	if len(rules) > 0 {
		var errs []RuleError
		prog, errs = Compile(rules)
		for _, e := range errs {
			for _, d := range e.Diags {
				codes = append(codes, string(d.Code))
			}
		}
	}
	if c.Error != "" {
		for _, code := range codes {
			if code == c.Error {
				return
			}
		}
		t.Fatalf("%s: want a %s diagnostic, got %v (load: %v)", c.Path, c.Error, codes, diags)
	}
	if len(codes) > 0 || len(rules) != 1 || prog.Len() != 1 {
		t.Fatalf("%s: rule did not load and compile cleanly: %v %v", c.Path, diags, codes)
	}
	plain := prog.withoutPrefilter().NewMatcher()

	var matched []int
	byCond := map[int][]int{}
	for i, line := range c.Events {
		ms, err := prog.MatchJSON(line)
		if err != nil {
			t.Fatalf("%s: event %d: %v", c.Path, i, err)
		}
		conds := matchConditions(ms)
		msPlain, _ := plain.MatchJSON(line)
		if !reflect.DeepEqual(conds, matchConditions(msPlain)) {
			t.Errorf("%s: event %d: prefilter changes conditions %v -> %v", c.Path, i, matchConditions(msPlain), conds)
		}
		var ev map[string]any
		_ = json.Unmarshal(line, &ev)
		if got := matchConditions(prog.MatchEvent(ev)); !reflect.DeepEqual(got, conds) && !numberTextSensitive(c.Name) {
			t.Errorf("%s: event %d: MatchEvent gives conditions %v, MatchJSON %v", c.Path, i, got, conds)
		}
		if len(conds) > 0 {
			matched = append(matched, i)
		}
		for _, ci := range conds {
			byCond[ci] = append(byCond[ci], i)
		}
	}
	if fmt.Sprint(matched) != fmt.Sprint(nonNil(c.Matches)) {
		t.Errorf("%s: matched events %v, want %v\n%s", c.Path, matched, nonNil(c.Matches), c.Description)
	}
	for ci, want := range c.ConditionMatches {
		if fmt.Sprint(nonNil(byCond[ci])) != fmt.Sprint(nonNil(want)) {
			t.Errorf("%s: condition %d matched events %v, want %v", c.Path, ci, byCond[ci], want)
		}
	}
}

// numberTextSensitive names cases whose answer depends on a number's text as written,
// which a float64-decoded event no longer has (4688.0 becomes 4688).
func numberTextSensitive(name string) bool {
	return name == "values/number_as_string"
}

func matchConditions(ms []Match) []int {
	out := []int{}
	for _, m := range ms {
		out = append(out, m.Condition)
	}
	return out
}

func nonNil(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}
