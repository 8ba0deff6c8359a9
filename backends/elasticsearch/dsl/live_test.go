package dsl

import (
	"testing"

	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/internal/estest"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// runLive runs a Query DSL query on a real Elasticsearch.
func runLive(live *estest.Live, index string, r *ir.Rule, tree ir.Node) ([]int, string, error) {
	q, ds := Build(r, tree)
	if ds.HasErrors() {
		return nil, "", ds.Err()
	}
	ids, err := live.Search(index, q)
	return ids, Encode(q), err
}

// TestLiveIPFieldCIDR runs the native CIDR form on an ip field, plain and negated, on a real
// Elasticsearch (skipped without SIGMABRIDGE_ES_URL) and compares the hits with the
// evaluator on every document of estest.IPDocs.
func TestLiveIPFieldCIDR(t *testing.T) {
	estest.CheckLive(t, estest.LiveNode(t), estest.IPFieldMapping, estest.IPDocs, estest.IPFieldState, estest.IPFieldCIDRs(), runLive)
}

// TestLiveFlattenedFields runs the term, prefix and exists queries of a keyed flattened
// field, case_insensitive included, plain and negated, on a real Elasticsearch and compares
// the hits with the evaluator.
func TestLiveFlattenedFields(t *testing.T) {
	trees := append(append([]ir.Node{}, estest.FlattenedExact...), estest.FlattenedCaseInsensitive[0])
	estest.CheckLive(t, estest.LiveNode(t), estest.FlattenedMapping, estest.FlattenedDocs, estest.FlattenedState, trees, runLive)
}
