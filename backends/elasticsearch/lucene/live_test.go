package lucene

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestLiveIPFieldCIDR runs the native CIDR form on an ip field, plain and negated, on a real
// Elasticsearch (skipped without SIGMABRIDGE_ES_URL) and compares the hits with the
// evaluator on every document of estest.IPDocs.
func TestLiveIPFieldCIDR(t *testing.T) {
	live := estest.LiveNode(t)
	index := live.Index(map[string]any{"ip": map[string]any{"type": "ip"}, "port": map[string]any{"type": "keyword"}}, estest.IPDocs)
	r := &ir.Rule{Path: "test.yml", ID: "t", State: map[string]any{"ip_fields": []any{"ip"}}}
	for _, ps := range estest.IPPrefixes {
		n := &ir.CIDR{Field: "ip", Prefix: netip.MustParsePrefix(ps)}
		for _, tree := range []ir.Node{n, &ir.Not{Child: n}} {
			q, ds := Render(r, tree)
			if ds.HasErrors() {
				t.Fatalf("%s: %v", tree, ds)
			}
			got, err := live.Search(index, map[string]any{"query_string": map[string]any{"query": q}})
			if err != nil {
				t.Errorf("%s -> %q: %v", tree, q, err)
				continue
			}
			if want := estest.EvaluatorIDs(t, tree, estest.IPDocs); !slices.Equal(got, want) {
				t.Errorf("%s -> %q: hits %v, evaluator %v", tree, q, got, want)
			}
		}
	}
}
