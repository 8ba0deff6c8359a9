package ir

import (
	"reflect"
	"testing"
)

func TestDeploymentSet(t *testing.T) {
	tests := []struct {
		key  string
		val  any
		want Deployment
	}{
		{"index", "x", Deployment{Index: []string{"x"}}},
		{"index", []any{"logs-*", "cloud"}, Deployment{Index: []string{"logs-*", "cloud"}}},
		{"sourcetype", "aws:cloudtrail", Deployment{Sourcetype: []string{"aws:cloudtrail"}}},
		{"source", []string{`s\1`}, Deployment{Source: []string{`s\1`}}},
		{"event_category", "process", Deployment{EventCategory: "process"}},
		{"ip_fields", "source.ip", Deployment{IPFields: []string{"source.ip"}}},
		{"ip_fields", []any{"source.ip", "client.ip"}, Deployment{IPFields: []string{"source.ip", "client.ip"}}},
		{"flattened_fields", []string{"a"}, Deployment{FlattenedFields: []string{"a"}}},
		{"multivalued_fields", []any{"tags"}, Deployment{MultiValuedFields: []string{"tags"}}},
		{"index", nil, Deployment{}},
		{"table", "AWSCloudTrail", Deployment{Extra: map[string]any{"table": "AWSCloudTrail"}}},
		{"m", map[string]any{"a": []any{1}}, Deployment{Extra: map[string]any{"m": map[string]any{"a": []any{1}}}}},
	}
	for _, tt := range tests {
		var d Deployment
		if err := d.Set(tt.key, tt.val); err != nil {
			t.Errorf("Set(%s, %v): %v", tt.key, tt.val, err)
			continue
		}
		if !reflect.DeepEqual(d, tt.want) {
			t.Errorf("Set(%s, %v) = %+v, want %+v", tt.key, tt.val, d, tt.want)
		}
	}
}

func TestDeploymentSetRefusesMalformed(t *testing.T) {
	for _, key := range []string{"index", "sourcetype", "source", "ip_fields", "flattened_fields", "multivalued_fields"} {
		for _, bad := range []any{5, []any{"a", 1}, []any{}, map[string]any{"a": "b"}} {
			d := Deployment{Index: []string{"keep"}}
			if err := d.Set(key, bad); err == nil {
				t.Errorf("Set(%s, %v) accepted", key, bad)
			}
			if !reflect.DeepEqual(d, Deployment{Index: []string{"keep"}}) {
				t.Errorf("Set(%s, %v) changed the deployment on error: %+v", key, bad, d)
			}
		}
	}
	for _, key := range []string{"ip_fields", "flattened_fields", "multivalued_fields"} {
		var d Deployment
		if err := d.Set(key, []any{""}); err == nil {
			t.Errorf("Set(%s, [\"\"]) accepted an empty field name", key)
		}
	}
	for _, bad := range []any{"", 5, []any{"process"}} {
		var d Deployment
		if err := d.Set("event_category", bad); err == nil {
			t.Errorf("Set(event_category, %v) accepted", bad)
		}
	}
}

func TestDeploymentMapRoundTrip(t *testing.T) {
	d := Deployment{
		Index: []string{"logs-*", "cloud"}, Sourcetype: []string{"st"}, EventCategory: "process",
		IPFields: []string{"ip"}, FlattenedFields: []string{"o"}, MultiValuedFields: []string{"tags", "n"},
		Extra: map[string]any{"table": "T"},
	}
	m := d.Map()
	if m["sourcetype"] != "st" || m["table"] != "T" || len(m) != 7 {
		t.Fatalf("Map() = %v", m)
	}
	var back Deployment
	for k, v := range m {
		if err := back.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(back, d) {
		t.Errorf("round trip %+v, want %+v", back, d)
	}
	if v, ok := d.Get("source"); ok {
		t.Errorf("Get(source) = %v, want unset", v)
	}
}

func TestDeploymentCloneAndAdd(t *testing.T) {
	d := Deployment{FlattenedFields: []string{"a"}, Extra: map[string]any{"l": []any{"x"}}}
	c := d.Clone()
	c.Add(StateFlattened, "b")
	c.Add(StateFlattened, "b")
	c.Extra["k"] = "new"
	if !reflect.DeepEqual(c.FlattenedFields, []string{"a", "b"}) {
		t.Errorf("Add: %v", c.FlattenedFields)
	}
	if len(d.FlattenedFields) != 1 || len(d.Extra) != 1 {
		t.Errorf("the clone shares memory with the original: %+v", d)
	}
}
