package suggest

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"contains", "startswith", "endswith", "re", "i", "cidr", "splunk", "lucene", "ecs_t1648", "splunk_t1648"}
	for _, tc := range []struct{ in, want string }{
		{"contians", "contains"}, // a transposition
		{"startwith", "startswith"},
		{"lucen", "lucene"},
		{"Splunk", "splunk"}, // case only
		{"ecs_t1684", "ecs_t1648"},
		{"splunk_t1648", ""}, // exact: nothing to suggest
		{"x", ""},            // too short to resemble "re" or "i"
		{"kql", ""},
		{"completely-different", ""},
		{"star", "startswith"}, // a prefix
	} {
		if got := Closest(tc.in, names); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got, want := Hint("lucen", names), `; did you mean "lucene"?`; got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
	if got := Hint("zzz", names); got != "" {
		t.Errorf("Hint(zzz) = %q", got)
	}
}
