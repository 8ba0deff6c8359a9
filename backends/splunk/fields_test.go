package splunk

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/backends/splunk/splfields"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// bracedView is Splunk's JSON extraction of an event (KV_MODE=json): as splunkView, but the
// elements of an array are named with {} (resources[0].ARN is resources{}.ARN).
func bracedView(ev map[string]any, raw string) splEvent { return extractView(ev, raw, "{}") }

// cloudTrailFields is what | fieldsummary says of fieldsEvents.
const cloudTrailFields = `field,count,numeric_count
eventName,4,0
resources{}.ARN,3,0
resources{}.type,1,0
requestParameters.layers{},2,0
size,4,4
`

var fieldsEvents = []string{
	`{"eventName":"CreateFunction","resources":[{"ARN":"arn:aws:lambda:us-east-1:1:function:f","type":"AWS::Lambda::Function"},{"ARN":"arn:aws:iam::1:role/r"}],"size":10,"requestParameters":{"layers":["l1","l2"]}}`,
	`{"eventName":"Invoke","resources":[{"ARN":"arn:aws:s3:::b"}],"size":10.0}`,
	`{"eventName":"CreateFunction","size":1e1,"requestParameters":{"layers":["L2"]}}`,
	`{"eventName":"X","resources":[],"size":11}`,
}

// TestFieldsByExecution runs each rule's SPL, rendered with the description, through the
// test interpreter on Splunk's braced view of each event and compares it with the evaluator.
func TestFieldsByExecution(t *testing.T) {
	m, err := splfields.Read("fields.csv", []byte(cloudTrailFields))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, detection string
		want            []bool // the evaluator's verdicts, stated so a wrong oracle shows too
		query           string // a part the query must hold (a name with {} is written in where)
	}{
		{"array of objects", "sel: {resources.ARN|startswith: 'arn:aws:lambda'}\n  condition: sel", []bool{true, false, false, false}, `mvfind('resources{}.ARN', "(?i)\\Aarn:aws:lambda`},
		{"not over an array", "sel: {resources.ARN|contains: ':iam:'}\n  condition: not sel", []bool{false, true, true, true}, `where NOT isnotnull(mvfind('resources{}.ARN'`},
		{"array of strings", "sel: {requestParameters.layers: l2}\n  condition: sel", []bool{true, false, true, false}, `mvfind('requestParameters.layers{}', "(?i)\\Al2\\z")`},
		{"number on a numeric field", "sel: {size: 10}\n  condition: sel", []bool{true, true, true, false}, `tonumber('size')==10`},
		{"number with exponent", "sel: {size: 1.1e1}\n  condition: sel", []bool{false, false, false, true}, `tonumber('size')==11`},
		{"not a number", "sel: {size: 10}\n  condition: not sel", []bool{false, false, false, true}, `where NOT isnotnull(mvfilter(tonumber('size')==10))`},
		{"mixed", "sel: {eventName: CreateFunction, size: 10}\n  other: {resources.type|endswith: Function}\n  condition: sel or other", []bool{true, false, true, false}, "| where"},
	} {
		y := "title: T\nid: 8f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  " + tc.detection + "\n"
		rs, diags := translator.LoadBytes("t.yml", []byte(y))
		if diags.HasErrors() || len(rs) != 1 {
			t.Fatalf("%s: %v", tc.name, diags)
		}
		prog, errs := evaluator.Compile(rs)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		r := rs[0].Clone()
		r.Deployment.Mapping = m
		qs, diags := Backend{}.Convert(r)
		if diags.HasErrors() {
			t.Errorf("%s: %v", tc.name, diags)
			continue
		}
		q := qs[0].Text
		if !strings.Contains(q, tc.query) {
			t.Errorf("%s: %s does not hold %s", tc.name, q, tc.query)
		}
		// Without the description the array events are missed.
		plain, _ := Backend{}.Convert(rs[0])
		for i, line := range fieldsEvents {
			ms, err := prog.MatchJSON([]byte(line))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(ms) > 0; got != tc.want[i] {
				t.Fatalf("%s: the evaluator says %v on event %d, the test expects %v", tc.name, got, i, tc.want[i])
			}
			dec := json.NewDecoder(bytes.NewReader([]byte(line)))
			dec.UseNumber()
			var ev map[string]any
			if err := dec.Decode(&ev); err != nil {
				t.Fatal(err)
			}
			if got := runSPL(t, q, bracedView(ev, line)); got != tc.want[i] {
				t.Errorf("%s: event %d: SPL %v, evaluator %v\n  %s", tc.name, i, got, tc.want[i], q)
			}
			if i == 0 && tc.name == "array of objects" && len(plain) == 1 && runSPL(t, plain[0].Text, bracedView(ev, line)) {
				t.Errorf("without --fields %s found the array event: the test does not show the need", plain[0].Text)
			}
		}
	}
}

// TestFieldsFailures: a leaf the description cannot answer fails by name, every such leaf
// is reported, and the codes count as "cannot express".
func TestFieldsFailures(t *testing.T) {
	m, err := splfields.Read("fields.json", []byte(`[{"field":"a.b","count":1,"numeric_count":0},{"field":"a{}.b","count":1,"numeric_count":0},{"field":"n","count":2,"numeric_count":1}]`))
	if err != nil {
		t.Fatal(err)
	}
	r := &ir.Rule{Conditions: []ir.Node{&ir.Or{Children: []ir.Node{
		&ir.Match{Field: "a.b", Pattern: ir.LiteralPattern("x")},
		&ir.Not{Child: &ir.Exists{Field: "missing"}},
		&ir.Match{Field: "n", Pattern: ir.LiteralPattern("5"), Kind: ir.Number},
	}}}}
	r.Deployment.Mapping = m
	qs, diags := Backend{}.Convert(r)
	if len(qs) != 0 {
		t.Errorf("a query despite the failures: %v", qs)
	}
	want := []diag.Code{diag.FieldsAmbiguousField, diag.FieldsUnlistedField, diag.FieldsFieldType}
	errs := diags.Errors()
	if len(errs) != len(want) {
		t.Fatalf("%v", diags)
	}
	for i, d := range errs {
		if d.Code != want[i] || !diag.IsUnsupported(d.Code) || !strings.Contains(d.Message, "fields.json") {
			t.Errorf("%d: %v, want %s", i, d, want[i])
		}
	}
}

// TestFieldsCorrelation: a correlation's group-by field must be extracted under its own
// name; one only extracted as an array, or not at all, fails by name.
func TestFieldsCorrelation(t *testing.T) {
	m, err := splfields.Read("fields.csv", []byte("field,count,numeric_count\neventName,3,0\nuser,3,0\nresources{}.ARN,3,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		groupBy string
		code    diag.Code
	}{{"user", ""}, {"resources.ARN", diag.FieldsFieldType}, {"nobody", diag.FieldsUnlistedField}} {
		y := `title: base
name: base
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: Invoke}
  condition: sel
---
title: many
correlation:
  type: event_count
  rules: [base]
  group-by: [` + tc.groupBy + `]
  timespan: 5m
  condition: {gte: 3}
`
		set, diags := translator.LoadSetBytes("c.yml", []byte(y))
		diags = append(diags, translator.Resolve(set)...)
		if diags.HasErrors() || len(set.Correlations) != 1 {
			t.Fatalf("%v", diags)
		}
		corr := set.Correlations[0]
		var rules []*ir.Rule
		for _, r := range backends.RefRules(set, corr) {
			c := r.Clone()
			c.Deployment.Mapping = m
			rules = append(rules, c)
		}
		qs, ds := backends.ConvertCorrelation(Backend{}, corr, rules)
		if tc.code == "" {
			if ds.HasErrors() || len(qs) != 1 || !strings.Contains(qs[0].Text, "sb_g0='user'") {
				t.Errorf("%s: %v %v", tc.groupBy, qs, ds)
			}
			continue
		}
		if len(qs) != 0 || len(ds.Errors()) != 1 || ds.Errors()[0].Code != tc.code || !strings.Contains(ds.Errors()[0].Message, tc.groupBy) {
			t.Errorf("%s: %v %v, want %s", tc.groupBy, qs, ds, tc.code)
		}
	}
}

// TestFieldRefOnSeveralValues: eval's == compares a multivalue field as a whole, not value
// by value as the evaluator does, so a fieldref on a field that may hold several values
// (pipeline state multivalued_fields, or a name the fields description lists with {}) is
// refused with unsupported-multivalued, and one on single-valued fields converts.
func TestFieldRefOnSeveralValues(t *testing.T) {
	m, err := splfields.Read("fields.csv", []byte(cloudTrailFields))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, field, ref string
		multi            []string
		mapping          *ir.IndexMapping
		want             diag.Code
	}{
		{"single values", "a", "b", nil, nil, ""},
		{"field listed", "a", "b", []string{"a"}, nil, diag.UnsupportedMultiValued},
		{"reference listed", "a", "b.c", []string{"b"}, nil, diag.UnsupportedMultiValued},
		{"a prefix of the name is not an object path", "ab", "b", []string{"a"}, nil, ""},
		{"braced in the description", "eventName", "requestParameters.layers", nil, m, diag.UnsupportedMultiValued},
		{"plain in the description", "eventName", "size", nil, m, ""},
	} {
		r := &ir.Rule{Path: "t.yml", Conditions: []ir.Node{&ir.FieldRef{Field: tc.field, Ref: tc.ref, Shape: ir.ShapeExact}}}
		r.Deployment.MultiValuedFields = tc.multi
		r.Deployment.Mapping = tc.mapping
		qs, ds := Backend{}.Convert(r)
		switch {
		case tc.want == "" && (len(qs) != 1 || ds.HasErrors()):
			t.Errorf("%s: queries %v, diagnostics %v; want a query", tc.name, qs, ds)
		case tc.want != "" && (len(qs) != 0 || len(ds) == 0 || ds[0].Code != tc.want):
			t.Errorf("%s: queries %v, diagnostics %v; want %s", tc.name, qs, ds, tc.want)
		}
	}
}
