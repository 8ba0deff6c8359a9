package pipeline

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzShapeApply feeds arbitrary events to the built-in deployments' event transforms: Apply
// never panics, returns a JSON object for a JSON object (anything else unchanged), and gives
// the same bytes twice.
func FuzzShapeApply(f *testing.F) {
	f.Add(`{"eventName": "CreateFunction", "requestParameters": {"memorySize": 10240, "layers": ["a", {"b": [1, null]}]}, "resources": [{"ARN": "x"}, 3]}`)
	f.Add(`{"protoPayload": {"request": {"policy": {"bindings": [{"members": ["allUsers"]}, "s"]}}}, "resource": "scalar"}`)
	f.Add(`{"events": {"name": "authorize", "parameters": {"scope": ["s"], "scope_data": [{"product_bucket": ["A"]}]}}, "actor": 1}`)
	f.Add(`{"a.b": {"c": 1}, "requestParameters.x": 2, "errorCode": null}`)
	f.Add(`[1, 2]`)
	f.Add(`{"requestParameters": {"": {"": []}}}`)
	ecs, err := Builtin("ecs_t1648")
	if err != nil {
		f.Fatal(err)
	}
	spl, err := Builtin("splunk_t1648")
	if err != nil {
		f.Fatal(err)
	}
	var shapes []*Shape
	for _, ls := range []string{"{product: aws, service: cloudtrail}", "{product: gcp, service: gcp.audit}", "{product: gcp, service: google_workspace.token}", "{product: m365, service: audit}"} {
		r := mustRuleB(f, ruleWith(ls, "sel: {x: y}", "condition: sel"))
		shapes = append(shapes, ecs.Shape(r), spl.Shape(r))
	}
	f.Fuzz(func(t *testing.T, event string) {
		var v any
		_, isObject := v.(map[string]any)
		if json.Unmarshal([]byte(event), &v) == nil {
			_, isObject = v.(map[string]any)
		}
		for _, s := range shapes {
			out, err := s.Apply([]byte(event))
			if err != nil {
				t.Fatalf("%q: %v", event, err)
			}
			again, _ := s.Apply([]byte(event))
			var m map[string]any
			switch {
			case isObject && json.Unmarshal(out, &m) != nil:
				t.Fatalf("%q -> %q: not a JSON object", event, out)
			case !isObject && !bytes.Equal(out, []byte(event)):
				t.Fatalf("%q is not an object, but was changed to %q", event, out)
			case isObject && !bytes.Equal(out, again):
				t.Fatalf("%q: two runs differ: %q, %q", event, out, again)
			}
		}
	})
}
