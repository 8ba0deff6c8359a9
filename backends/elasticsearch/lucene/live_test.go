package lucene

import (
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// runLive runs a query_string query on a real Elasticsearch.
func runLive(live *estest.Live, index string, r *ir.Rule, tree ir.Node) ([]int, string, error) {
	q, ds := Render(r, tree)
	if ds.HasErrors() {
		return nil, q, ds.Err()
	}
	ids, err := live.Search(index, map[string]any{"query_string": map[string]any{"query": q}})
	return ids, q, err
}

// TestLiveIPFieldCIDR runs the native CIDR form on an ip field, plain and negated, on a real
// Elasticsearch (skipped without SIGMABRIDGE_ES_URL) and compares the hits with the
// evaluator on every document of estest.IPDocs.
func TestLiveIPFieldCIDR(t *testing.T) {
	estest.CheckLive(t, estest.LiveNode(t), estest.IPFieldMapping, estest.IPDocs, estest.IPFieldState, estest.IPFieldCIDRs(), runLive)
}

// TestLiveFlattenedFields runs the terms, prefixes and presence tests of a keyed flattened
// field, plain and negated, on a real Elasticsearch and compares the hits with the evaluator.
func TestLiveFlattenedFields(t *testing.T) {
	estest.CheckLive(t, estest.LiveNode(t), estest.FlattenedMapping, estest.FlattenedDocs, estest.FlattenedState, estest.FlattenedExact, runLive)
}
