package jsontree

import (
	"reflect"
	"strings"
	"testing"
)

func TestMapCopiesAndMapsLeaves(t *testing.T) {
	in := map[string]any{"a": []any{"x", 1, map[string]any{"b": "y"}}, "c": nil}
	got := Map(in, func(v any) any {
		if s, ok := v.(string); ok {
			return strings.ToUpper(s)
		}
		return v
	})
	want := map[string]any{"a": []any{"X", 1, map[string]any{"b": "Y"}}, "c": nil}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// The copy shares nothing: changing it leaves the input as it was.
	got.(map[string]any)["a"].([]any)[2].(map[string]any)["b"] = "changed"
	if in["a"].([]any)[2].(map[string]any)["b"] != "y" {
		t.Error("the copy shares a map with the input")
	}
}
