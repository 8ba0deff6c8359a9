package pipeline

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// shapeOf applies p's event transform for a rule of the logsource to event.
func shapeOf(t *testing.T, p *Pipeline, logsource, event string) map[string]any {
	t.Helper()
	r := mustRule(t, ruleWith(logsource, "sel: {x: y}", "condition: sel"))
	out, err := p.Shape(r).Apply([]byte(event))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	return m
}

func jsonObj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestShapeReadsThePipelineTheOtherWay(t *testing.T) {
	p := mustParse(t, `
name: shape
transformations:
  - type: sigmabridge_flattened_object
    prefix: req.
    field: acme.flat.req
    rendered_field: acme.req_text
    rule_conditions: [{type: logsource, product: acme}]
  - type: field_name_mapping
    mapping:
      Op: event.action
      Status: event.outcome
      Code: event.code
      Ip: [source.ip, related.ip]
    rule_conditions: [{type: logsource, product: acme}]
  - type: field_name_prefix_mapping
    mapping: {req.: acme.flat.req.}
    rule_conditions: [{type: logsource, product: acme}]
  - type: convert_type
    target_type: str
    field_name_conditions: [{type: include_fields, fields: [event.code]}]
  - type: map_string
    mapping: {'30': Flow, Succeeded: success}
    field_name_conditions: [{type: include_fields, fields: [event.code, event.outcome]}]
  - type: sigmabridge_missing_field_sentinel
    field: err
    sentinel: none
    rule_conditions: [{type: logsource, product: acme}]
  - type: field_name_mapping
    mapping: {Other: other.name}
    rule_conditions: [{type: logsource, product: elsewhere}]
`)
	got := shapeOf(t, p, "{product: acme}",
		`{"Op": "Run", "Status": "Succeeded", "Code": 30, "Ip": "10.0.0.1", "Other": "kept",
		  "req": {"size": 10240, "on": true, "tags": ["a", "b"], "inner": {"k": "v"}}}`)
	want := jsonObj(t, `{
	  "event": {"action": "Run", "outcome": "success", "code": "Flow"},
	  "source": {"ip": "10.0.0.1"}, "related": {"ip": "10.0.0.1"},
	  "Other": "kept",
	  "acme": {"flat": {"req": {"size": "10240", "on": "true", "tags": ["a", "b"], "inner": {"k": "v"}}},
	           "req_text": "{inner={k=v}, on=true, size=10240, tags=[a, b]}"},
	  "err": "none"}`)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("shaped event\n got %s\nwant %s", g, w)
	}
	// Another log source: only its own items apply (none here but the unconditioned value
	// operations, whose fields it does not have).
	if got := shapeOf(t, p, "{product: other}", `{"Op": "Run", "Code": 30}`); !reflect.DeepEqual(got, jsonObj(t, `{"Op": "Run", "Code": 30}`)) {
		t.Errorf("other log source: %v", got)
	}
}

func TestShapeSplunkLayout(t *testing.T) {
	p := mustParse(t, `
name: spl
transformations:
  - type: field_name_prefix_mapping
    mapping:
      proto.bindings.members: 'proto.bindings{}.members{}'
      proto.bindings.: 'proto.bindings{}.'
  - type: field_name_mapping
    mapping: {items.id: 'entries{}.id'}
  - type: field_name_prefix
    prefix: 'data.'
`)
	got := shapeOf(t, p, "{product: gcp}", `{"proto": {"bindings": [{"role": "r", "members": ["allUsers"]}], "name": "n"}, "list": [1], "items": [{"id": 1, "x": 0}, {"id": 2}]}`)
	want := jsonObj(t, `{"data": {"proto": {"bindings{}": [{"role": "r", "members{}": ["allUsers"]}], "name": "n"}, "list{}": [1], "items{}": [{"x": 0}, {}], "entries": {"id{}": [1, 2]}}}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestShapeIdentity(t *testing.T) {
	var nilPipe *Pipeline
	r := mustRule(t, ruleWith("{product: aws}", "sel: {x: y}", "condition: sel"))
	if !nilPipe.Shape(r).Identity() {
		t.Error("a nil pipeline must leave events alone")
	}
	p := mustParse(t, "name: st\ntransformations:\n  - {type: set_state, key: index, val: x}\n")
	ev := []byte(`{"a": 1}`)
	if out, _ := p.Shape(r).Apply(ev); string(out) != string(ev) || !p.Shape(r).Identity() {
		t.Errorf("set_state changes no event: %s", out)
	}
	// Not an object: returned as it is, for the detector to refuse.
	sh := mustParse(t, "name: m\ntransformations:\n  - {type: field_name_mapping, mapping: {a: b}}\n").Shape(r)
	for _, in := range []string{`[1]`, `not json`} {
		if out, err := sh.Apply([]byte(in)); err != nil || string(out) != in {
			t.Errorf("%s -> %s, %v", in, out, err)
		}
	}
}

// The built-in deployment pipelines shape a CloudTrail record into the integration's and
// the add-on's layouts.
func TestShapeBuiltinCloudTrail(t *testing.T) {
	ev := `{"eventSource": "lambda.amazonaws.com", "eventName": "CreateFunction20150331", "errorCode": "AccessDenied",
	        "requestParameters": {"memorySize": 10240, "layers": ["arn:l1"], "functionName": "f"}, "resources": [{"ARN": "arn:f"}]}`
	got := shapeOf(t, builtin(t, "ecs_t1648"), "{product: aws, service: cloudtrail}", ev)
	// The sub-keys the pack reads are in their keyword copies (the @custom ingest pipeline's);
	// the shape moves them there, so the flattened object and its rendering keep the rest.
	want := jsonObj(t, `{"event": {"provider": "lambda.amazonaws.com", "action": "CreateFunction20150331"},
	  "aws": {"cloudtrail": {"error_code": "AccessDenied", "resources": {"arn": ["arn:f"]},
	    "request_parameters": "{functionName=f}",
	    "flattened": {"request_parameters": {"functionName": "f"}}}},
	  "sigmabridge": {"aws": {"cloudtrail": {"request_parameters": {"memorySize": "10240", "layers": ["arn:l1"]}}}}}`)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		t.Errorf("ecs_t1648:\n got %s", g)
	}
	got = shapeOf(t, builtin(t, "splunk_t1648"), "{product: aws, service: cloudtrail}", ev)
	want = jsonObj(t, `{"eventSource": "lambda.amazonaws.com", "eventName": "CreateFunction20150331", "errorCode": "AccessDenied",
	  "requestParameters": {"memorySize": 10240, "layers{}": ["arn:l1"], "functionName": "f"}, "resources{}": [{"ARN": "arn:f"}]}`)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		t.Errorf("splunk_t1648:\n got %s", g)
	}
	// The add-on stores a missing errorCode as "success".
	got = shapeOf(t, builtin(t, "splunk_t1648"), "{product: aws, service: cloudtrail}", `{"eventName": "X"}`)
	if got["errorCode"] != "success" {
		t.Errorf("errorCode sentinel: %v", got)
	}
}

// A deeply nested event (as deep as encoding/json reads, 10,000 levels) under a shape that
// walks every level (string leaves, array names) is shaped, not crashed on.
func TestHostileShapeDeepEvent(t *testing.T) {
	p := mustParse(t, `
name: deep
transformations:
  - {type: sigmabridge_flattened_object, prefix: req., field: req, rendered_field: req_text}
  - type: field_name_mapping
    mapping: {a: 'b{}'}
`)
	const depth = 9990
	ev := `{"a": [1], "req": ` + strings.Repeat(`{"k": [`, depth/2) + `1` + strings.Repeat(`]}`, depth/2) + `}`
	r := mustRule(t, ruleWith("{product: x}", "sel: {x: y}", "condition: sel"))
	out, err := p.Shape(r).Apply([]byte(ev))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil || m["req_text"] == nil || m["b{}"] == nil {
		t.Fatalf("deep event: %v, keys %v", err, len(m))
	}
}
