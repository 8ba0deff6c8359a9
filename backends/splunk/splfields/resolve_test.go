package splfields

import (
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

func description(t *testing.T) *ir.IndexMapping {
	t.Helper()
	m, err := Read("fs.json", []byte(`[
		{"field":"eventName","count":9,"numeric_count":0},
		{"field":"resources{}.ARN","count":9,"numeric_count":0},
		{"field":"requestParameters.layers{}","count":3,"numeric_count":0},
		{"field":"both.x","count":1,"numeric_count":0},
		{"field":"both{}.x","count":1,"numeric_count":0},
		{"field":"two{}.x{}","count":1,"numeric_count":0},
		{"field":"two{}.x","count":1,"numeric_count":0},
		{"field":"size","count":4,"numeric_count":4},
		{"field":"sizes{}","count":4,"numeric_count":6,"is_exact":1,"distinct_count":2,"values":[{"value":"10","count":5},{"value":"11","count":1}]},
		{"field":"mixed","count":4,"numeric_count":3}]`))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func str(f, v string) *ir.Match {
	return &ir.Match{Field: f, Pattern: ir.LiteralPattern(v)}
}

func num(f, v string) *ir.Match {
	return &ir.Match{Field: f, Pattern: ir.LiteralPattern(v), Kind: ir.Number}
}

func TestResolve(t *testing.T) {
	m := description(t)
	for _, tc := range []struct {
		name string
		n    ir.Node
		want string    // the resolved leaf, as ir prints it
		code diag.Code // or the failure
	}{
		{"listed as is", str("eventName", "x"), str("eventName", "x").String(), ""},
		{"array of objects", str("resources.ARN", "x"), str("resources{}.ARN", "x").String(), ""},
		{"array of strings", &ir.Exists{Field: "requestParameters.layers"}, (&ir.Exists{Field: "requestParameters.layers{}"}).String(), ""},
		{"regex renamed", &ir.Regex{Field: "resources.ARN", Pattern: "^arn"}, (&ir.Regex{Field: "resources{}.ARN", Pattern: "^arn"}).String(), ""},
		{"fieldref both sides", &ir.FieldRef{Field: "resources.ARN", Ref: "requestParameters.layers"}, (&ir.FieldRef{Field: "resources{}.ARN", Ref: "requestParameters.layers{}"}).String(), ""},
		{"plain and braced", str("both.x", "x"), "", Ambiguous},
		{"two braced forms", str("two.x", "x"), "", Ambiguous},
		{"unlisted", str("nothere", "x"), "", Unlisted},
		{"unlisted ref", &ir.FieldRef{Field: "eventName", Ref: "nothere"}, "", Unlisted},
		{"braced name in the rule is looked up as is", str("resources{}.ARN", "x"), str("resources{}.ARN", "x").String(), ""},
		{"number on numeric", num("size", "10"), num("size", "10").String(), ""},
		{"number on numeric array", num("sizes", "1e1"), num("sizes{}", "1e1").String(), ""},
		{"number on mixed", num("mixed", "10"), "", FieldType},
		{"number on text", num("eventName", "10"), "", FieldType},
		{"string on numeric", str("size", "10"), str("size", "10").String(), ""},
		{"compare on any", &ir.Compare{Field: "mixed", Op: ir.GT, Value: ir.Num{Text: "1", Value: 1}}, (&ir.Compare{Field: "mixed", Op: ir.GT, Value: ir.Num{Text: "1", Value: 1}}).String(), ""},
		{"keyword", &ir.Keyword{Pattern: ir.LiteralPattern("x")}, (&ir.Keyword{Pattern: ir.LiteralPattern("x")}).String(), ""},
	} {
		out, code, msg := Resolve(tc.n, m)
		if code != tc.code {
			t.Errorf("%s: code %q (%s), want %q", tc.name, code, msg, tc.code)
			continue
		}
		if code != "" {
			if out != nil || !strings.Contains(msg, "fields fs.json") || !strings.Contains(msg, ir.Field(tc.n)) && !strings.Contains(msg, "nothere") {
				t.Errorf("%s: out %v, message %q", tc.name, out, msg)
			}
			continue
		}
		if out.String() != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, out, tc.want)
		}
	}
	// The ambiguity names every candidate.
	if _, _, msg := Resolve(str("two.x", "x"), m); !strings.Contains(msg, "two{}.x and two{}.x{}") {
		t.Errorf("ambiguous: %s", msg)
	}
	// Without a description nothing changes.
	n := str("a.b", "x")
	if out, code, _ := Resolve(n, nil); out != n || code != "" {
		t.Errorf("nil description: %v %q", out, code)
	}
	if !NumberField(m, "sizes{}") || NumberField(m, "mixed") || NumberField(nil, "size") {
		t.Error("NumberField")
	}
}
