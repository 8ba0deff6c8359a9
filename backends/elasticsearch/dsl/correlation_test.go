package dsl

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator/corrcase"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestCorrelationSearchShape renders every correlation of the conformance cases and checks
// the search body: no hit is returned, the query gives rule i the boost 2^i over that rule's
// own query, and the script's params carry the correlation (type, timespan in nanoseconds,
// group-by fields per rule, field, bounds).
func TestCorrelationSearchShape(t *testing.T) {
	cases, err := corrcase.Load("../../../testdata/correlation")
	if err != nil {
		t.Fatal(err)
	}
	types := map[ir.CorrelationType]bool{}
	for _, c := range cases {
		set := c.Set(t)
		for _, corr := range set.Correlations {
			rules := backends.RefRules(set, corr)
			qs, ds := backends.ConvertCorrelation(Backend{}, corr, rules)
			chained := false
			for _, r := range corr.Refs {
				chained = chained || r.Correlation >= 0
			}
			if chained {
				if !ds.HasErrors() || ds.Errors()[0].Code != diag.UnsupportedCorrelation {
					t.Errorf("%s/%s: a chained correlation rendered: %v", c.Name, corr.Name, ds)
				}
				continue
			}
			if ds.HasErrors() || len(qs) != 1 || !qs[0].JSON {
				t.Fatalf("%s/%s: %v %v", c.Name, corr.Name, qs, ds)
			}
			types[corr.Type] = true
			var body struct {
				Size  *int `json:"size"`
				Query struct {
					Bool struct {
						Should []struct {
							ConstantScore struct {
								Filter json.RawMessage `json:"filter"`
								Boost  float64         `json:"boost"`
							} `json:"constant_score"`
						} `json:"should"`
						MinimumShouldMatch int `json:"minimum_should_match"`
					} `json:"bool"`
				} `json:"query"`
				Aggs struct {
					M struct {
						S struct {
							Params map[string]any `json:"params"`
							Map    string         `json:"map_script"`
							Reduce string         `json:"reduce_script"`
						} `json:"scripted_metric"`
					} `json:"sigma_correlation"`
				} `json:"aggs"`
			}
			if err := json.Unmarshal([]byte(qs[0].Text), &body); err != nil {
				t.Fatal(err)
			}
			if body.Size == nil || *body.Size != 0 || body.Query.Bool.MinimumShouldMatch != 1 {
				t.Errorf("%s/%s: size %v, minimum_should_match %d", c.Name, corr.Name, body.Size, body.Query.Bool.MinimumShouldMatch)
			}
			if len(body.Query.Bool.Should) != len(rules) {
				t.Fatalf("%s/%s: %d clauses for %d rules", c.Name, corr.Name, len(body.Query.Bool.Should), len(rules))
			}
			for i, cl := range body.Query.Bool.Should {
				q, _ := backends.OneCondition(Backend{}, corr, rules[i])
				if want := `{"query":` + string(cl.ConstantScore.Filter) + `}`; want != q.Text || cl.ConstantScore.Boost != float64(int(1)<<i) {
					t.Errorf("%s/%s: clause %d: boost %v over %s, want 2^%d over %s", c.Name, corr.Name, i, cl.ConstantScore.Boost, cl.ConstantScore.Filter, i, q.Text)
				}
			}
			p := body.Aggs.M.S.Params
			want := map[string]any{"type": string(corr.Type), "span": float64(corr.Timespan.Nanoseconds()), "field": corr.Field,
				"has_min": corr.Condition.HasMin, "has_max": corr.Condition.HasMax, "time": "@timestamp"}
			for k, v := range want {
				if p[k] != v {
					t.Errorf("%s/%s: params.%s = %v, want %v", c.Name, corr.Name, k, p[k], v)
				}
			}
			refs, _ := p["refs"].([]any)
			for i := range refs {
				for gi, g := range corr.GroupBy {
					if f := refs[i].([]any)[gi]; f != corr.FieldFor(i, g) {
						t.Errorf("%s/%s: rule %d group-by %s reads %v, want %s", c.Name, corr.Name, i, g, f, corr.FieldFor(i, g))
					}
				}
			}
			if !strings.Contains(body.Aggs.M.S.Map, "_score") || !strings.Contains(body.Aggs.M.S.Reduce, "te - span") {
				t.Errorf("%s/%s: scripts are not the window scripts", c.Name, corr.Name)
			}
		}
	}
	if len(types) != len(ir.CorrelationTypes) {
		t.Errorf("rendered %d of %d types", len(types), len(ir.CorrelationTypes))
	}
}

// TestCorrelationTooManyRules: the rule set is the score's bits, so more than
// MaxCorrelationRefs rules fail the correlation by name instead of mixing rules up.
func TestCorrelationTooManyRules(t *testing.T) {
	var b strings.Builder
	var names []string
	for i := 0; i <= MaxCorrelationRefs; i++ {
		fmt.Fprintf(&b, "title: r%d\nname: r%d\nlogsource: {product: test}\ndetection:\n  sel: {action: a%d}\n  condition: sel\n---\n", i, i, i)
		names = append(names, fmt.Sprintf("r%d", i))
	}
	fmt.Fprintf(&b, "title: all\nname: all\ncorrelation: {type: temporal, rules: [%s], timespan: 5m}\n", strings.Join(names, ", "))
	set, diags := translator.LoadSetBytes("many.yml", []byte(b.String()))
	diags = append(diags, translator.Resolve(set)...)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	corr := set.Correlations[0]
	_, ds := backends.ConvertCorrelation(Backend{}, corr, backends.RefRules(set, corr))
	if !ds.HasErrors() || ds.Errors()[0].Code != diag.UnsupportedCorrelation || !strings.Contains(ds.Errors()[0].Message, "25 rules") {
		t.Errorf("got %v, want unsupported-correlation naming 25 rules", ds)
	}
}

// TestHostileCorrelationNames: field names, group-by names and aliases reach the scripts only
// as params, so quotes, backslashes, newlines and Painless in them change no script.
func TestHostileCorrelationNames(t *testing.T) {
	for _, name := range []string{`it's`, `a"b`, `back\slash`, "new\nline", `'; state.e.clear(); '`, `ü.ñ`} {
		q := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(name)
		doc := fmt.Sprintf(`title: a
name: a
logsource: {product: test}
detection: {sel: {action: a}, condition: sel}
---
title: c
name: c
correlation:
  type: value_count
  rules: [a]
  group-by: ["g%[1]s"]
  aliases: {"g%[1]s": {a: "f%[1]s"}}
  timespan: 5m
  condition: {gte: 2, field: "v%[1]s"}
`, q)
		set, diags := translator.LoadSetBytes("hostile.yml", []byte(doc))
		diags = append(diags, translator.Resolve(set)...)
		if diags.HasErrors() {
			t.Fatalf("%q: %v", name, diags)
		}
		corr := set.Correlations[0]
		qs, ds := backends.ConvertCorrelation(Backend{}, corr, backends.RefRules(set, corr))
		if ds.HasErrors() {
			t.Fatalf("%q: %v", name, ds)
		}
		var body struct {
			Aggs struct {
				M struct {
					S struct {
						Params  map[string]any `json:"params"`
						Init    string         `json:"init_script"`
						Map     string         `json:"map_script"`
						Combine string         `json:"combine_script"`
						Reduce  string         `json:"reduce_script"`
					} `json:"scripted_metric"`
				} `json:"sigma_correlation"`
			} `json:"aggs"`
		}
		if err := json.Unmarshal([]byte(qs[0].Text), &body); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		s := body.Aggs.M.S
		if s.Init != painlessInit || s.Map != painlessMap || s.Combine != painlessCombine || s.Reduce != painlessReduce {
			t.Errorf("%q: a script differs from the fixed scripts", name)
		}
		refs := s.Params["refs"].([]any)
		if s.Params["field"] != "v"+name || s.Params["names"].([]any)[0] != "g"+name || refs[0].([]any)[0] != "f"+name {
			t.Errorf("%q: params %v do not carry the names verbatim", name, s.Params)
		}
	}
}
