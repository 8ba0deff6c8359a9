package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

const sentinelPipeline = `
transformations:
  - id: st
    type: set_state
    key: sourcetype
    val: 'aws:cloudtrail'
    rule_conditions: [{type: logsource, service: cloudtrail}]
  - id: sentinel
    type: sigmabridge_missing_field_sentinel
    field: errorCode
    sentinel: success
    rule_conditions: [{type: processing_state, key: sourcetype, val: 'aws:cloudtrail'}]
`

func TestMissingFieldSentinel(t *testing.T) {
	p := mustParse(t, sentinelPipeline)
	cases := []struct{ detection, want string }{
		{"sel: {errorCode|exists: false}",
			`or(match(errorCode, "success"), not(exists(errorCode)))`},
		{"sel: {errorCode|exists: true}",
			`and(exists(errorCode), not(match(errorCode, "success")))`},
		{"sel: {errorCode: null}",
			`or(match(errorCode, "success"), null(errorCode))`},
		{"sel: {errorCode: '*'}",
			`and(match(errorCode, "*"), not(match(errorCode, "success")))`},
		{"sel: {eventName: X}\n  f: {errorCode|exists: true}\n  condition: sel and not f",
			`and(match(eventName, "X"), or(match(errorCode, "success"), not(exists(errorCode))))`},
		{"sel: {eventName: X}\n  f: {errorCode: null}\n  condition: sel and not f",
			`and(match(eventName, "X"), and(not(null(errorCode)), not(match(errorCode, "success"))))`},
		{"sel: {errorCode|startswith: AccessDenied, errorMessage|exists: false}",
			`and(match(errorCode, "AccessDenied*"), not(exists(errorMessage)))`},
	}
	for _, c := range cases {
		det := c.detection
		if !strings.Contains(det, "condition:") {
			det += "\n  condition: sel"
		}
		r := mustRule(t, ruleWith("{product: aws, service: cloudtrail}", det))
		once := apply(t, p, r)
		wantConds(t, once, c.want)
		// Idempotent: the rewritten shapes are recognised.
		if twice := apply(t, p, once); conds(twice) != conds(once) {
			t.Errorf("second application changed %s to %s", conds(once), conds(twice))
		}
	}
	// Only where the state says the data comes from the add-on.
	other := mustRule(t, ruleWith("{product: aws, service: lambda_logs}", "sel: {errorCode|exists: false}", "condition: sel"))
	wantConds(t, apply(t, p, other), `not(exists(errorCode))`)
}

func TestMissingFieldSentinelKeepsMeaning(t *testing.T) {
	// Differential check with the evaluator: each rule, run on raw CloudTrail, must give the
	// same verdict as the rewritten rule run on the same events as the Splunk add-on stores
	// them (a missing errorCode becomes "success").
	p := mustParse(t, sentinelPipeline)
	events := []string{
		`{"eventName":"X"}`,
		`{"eventName":"X","errorCode":"AccessDenied"}`,
		`{"eventName":"X","errorCode":"ThrottlingException","errorMessage":"slow down"}`,
	}
	addon := func(e string) string {
		if strings.Contains(e, "errorCode") {
			return e
		}
		return strings.TrimSuffix(e, "}") + `,"errorCode":"success"}`
	}
	for _, det := range []string{
		"sel: {eventName: X, errorCode|exists: false}\n  condition: sel",
		"sel: {eventName: X, errorCode|exists: true}\n  condition: sel",
		"sel: {eventName: X, errorCode: null}\n  condition: sel",
		"sel: {eventName: X}\n  f: {errorCode: null}\n  condition: sel and not f",
		"sel: {eventName: X}\n  f: {errorCode|exists: true}\n  condition: sel and not f",
		"sel: {eventName: X, errorCode: '*'}\n  condition: sel",
		"sel: {eventName: X}\n  f: {errorCode: '*'}\n  condition: sel and not f",
		"sel: {eventName: X}\n  f: [{errorCode|exists: true}, {errorMessage|exists: true}]\n  condition: sel and not 1 of f*",
	} {
		raw := mustRule(t, ruleWith("{product: aws, service: cloudtrail}", det))
		mapped := apply(t, p, raw)
		rawProg, errs := evaluator.Compile([]*ir.Rule{raw})
		mappedProg, errs2 := evaluator.Compile([]*ir.Rule{mapped})
		if len(errs)+len(errs2) > 0 {
			t.Fatalf("compile: %v %v", errs, errs2)
		}
		for _, e := range events {
			want, err := rawProg.MatchJSON([]byte(e))
			if err != nil {
				t.Fatal(err)
			}
			got, err := mappedProg.MatchJSON([]byte(addon(e)))
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != len(got) {
				t.Errorf("%s\n  on %s: raw rule matches %v, rewritten rule on add-on data %v (%s)",
					det, e, len(want) > 0, len(got) > 0, conds(mapped))
			}
		}
	}
}

func TestFlattenedObject(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: sigmabridge_flattened_object
    prefix: requestParameters.
    field: flat.rp
    rendered_field: rp
  - type: sigmabridge_flattened_object
    prefix: request.
    field: flat.req
  - type: sigmabridge_flattened_object
    prefix: labels.
  - type: field_name_prefix_mapping
    mapping:
      requestParameters.: flat.rp.
      request.: flat.req.
`)
	r := mustRule(t, ruleWith("{product: aws}",
		"sel:",
		"  requestParameters.principal: '\\*'",
		"  requestParameters.role|startswith: arn:aws:iam::1",
		"  requestParameters.role|contains: Admin",
		"  requestParameters.a.b|endswith: ':lambda'",
		"  requestParameters.sourceArn|exists: false",
		"  request.uri: x",
		"condition: sel"))
	out, ds := p.Apply(r)
	wantConds(t, out, `and(match(flat.rp.principal, "\\*"), match(flat.rp.role, "arn:aws:iam::1*"), match(rp, "*role=*Admin*"), match(rp, "*a=*b=*:lambda*"), not(exists(flat.rp.sourceArn)), match(flat.req.uri, "x"))`)
	if got := codes(ds, diag.Warning); !reflect.DeepEqual(got, []string{diag.PipelineApproximate, diag.PipelineApproximate}) || ds.HasErrors() {
		t.Errorf("diagnostics = %v", ds)
	}
	// The objects are declared to the backends, once each, after what the state held.
	if want := []any{"flat.rp", "flat.req", "labels"}; !reflect.DeepEqual(out.Deployment.Map()[ir.StateFlattened], want) {
		t.Errorf("state %s = %#v, want %#v", ir.StateFlattened, out.Deployment.Map()[ir.StateFlattened], want)
	}
	r.Deployment = ir.Deployment{FlattenedFields: []string{"other"}}
	again, _ := p.Apply(r)
	if twice, _ := p.Apply(again); !reflect.DeepEqual(twice.Deployment.Map()[ir.StateFlattened], []any{"other", "flat.rp", "flat.req", "labels"}) {
		t.Errorf("applied twice over a string: state %s = %#v", ir.StateFlattened, twice.Deployment.Map()[ir.StateFlattened])
	}

	// What a keyed flattened field cannot answer is the backends' to refuse, per target: the
	// item leaves it as it is.
	other := mustRule(t, ruleWith("{product: aws}",
		"sel:",
		"  request.uri|contains: x",
		"  requestParameters.memorySize|gte: 10240",
		"  requestParameters.principal|re: '^\\d{12}$'",
		"  requestParameters.ip|cidr: 10.0.0.0/8",
		"condition: sel"))
	out, ds = p.Apply(other)
	if len(ds) != 0 {
		t.Fatalf("diagnostics = %v", ds)
	}
	wantConds(t, out, `and(match(flat.req.uri, "*x*"), cmp(flat.rp.memorySize >= 10240), re(flat.rp.principal, "^\\d{12}$"), cidr(flat.rp.ip, 10.0.0.0/8))`)
}

func TestWarningTransform(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: sigmabridge_warning
    message: matched in _raw
    field_name_conditions: [{type: include_fields, fields: [a]}]
`)
	r := mustRule(t, ruleWith("{product: aws}", "sel: {a: 1, b: 2}", "condition: sel"))
	out, ds := p.Apply(r)
	if len(ds) != 1 || ds[0].Severity != diag.Warning || !strings.Contains(ds[0].Message, `matched in _raw (num(a, "1"))`) {
		t.Errorf("diagnostics = %v", ds)
	}
	if conds(out) != conds(r) {
		t.Errorf("a warning must not change the rule")
	}
}

func TestIdempotentWherePySigmaIs(t *testing.T) {
	p := mustParse(t, `
vars: {v: [a, b]}
transformations:
  - type: field_name_mapping
    mapping: {src: dst, multi: [m1, m2]}
  - type: value_placeholders
    include: [v]
  - type: wildcard_placeholders
  - type: change_logsource
    product: p
  - type: set_state
    key: k
    val: v
  - type: drop_detection_item
    field_name_conditions: [{type: include_fields, fields: [gone]}]
  - type: map_string
    mapping: {Success: Succeeded}
`)
	r := mustRule(t, ruleWith("{product: aws}", "sel: {src|expand: '%v%', multi: x, gone: 1, keep|expand: '%w%', s: Success}", "condition: sel"))
	once := apply(t, p, r)
	twice := apply(t, p, once)
	if conds(once) != conds(twice) || !reflect.DeepEqual(once.Deployment.Map(), twice.Deployment.Map()) || once.Logsource != twice.Logsource {
		t.Errorf("not idempotent:\n%s\n%s", conds(once), conds(twice))
	}
	wantConds(t, once, `and(or(match(dst, "a"), match(dst, "b")), or(match(m1, "x"), match(m2, "x")), match(keep, "*"), match(s, "Succeeded"))`)
}
