package esclient

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzIndexPattern: whatever CheckIndexPattern accepts becomes, once escaped and put into a
// request the way esapi does it, a path of exactly two segments (the index list and
// _search) whose first segment decodes back to the pattern; and no accepted pattern holds a
// character that ends or splits a path.
func FuzzIndexPattern(f *testing.F) {
	for _, s := range []string{"logs-*", "x/_close#", "a,-b*", "remote:logs-*", "_all", "a%2Fb", "é", "..", "a b", "<x-{now/d}>", "x?y", "a\x00b", "a,,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		seg, err := pathList(pattern)
		if err != nil {
			return
		}
		if strings.ContainsAny(pattern, "/\\?#\" <>|") {
			t.Fatalf("accepted %q", pattern)
		}
		req, err := http.NewRequest("POST", "http:///"+strings.Join(seg, ",")+"/_search", nil)
		if err != nil {
			t.Fatalf("%q: %v", pattern, err)
		}
		raw := req.URL.EscapedPath()
		if req.URL.RawQuery != "" || req.URL.Fragment != "" {
			t.Fatalf("%q: query %q, fragment %q", pattern, req.URL.RawQuery, req.URL.Fragment)
		}
		parts := strings.Split(raw, "/")
		if len(parts) != 3 || parts[0] != "" || parts[2] != "_search" {
			t.Fatalf("%q: path %q", pattern, raw)
		}
		var names []string
		for _, p := range strings.Split(parts[1], ",") {
			n, err := url.PathUnescape(p)
			if err != nil {
				t.Fatalf("%q: segment %q: %v", pattern, p, err)
			}
			names = append(names, n)
		}
		if got := strings.Join(names, ","); got != pattern {
			t.Fatalf("%q: decodes to %q", pattern, got)
		}
	})
}
