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

// TestLiveTrailingBackslash runs case-insensitive values ending in a backslash on a real
// Elasticsearch, alone and followed by another regular expression: query_string's lexer
// reads `\/` as an escaped slash, so `/a\\/` used to run on to the next `/` (a parse error,
// or a different query). Hits must equal the evaluator's, plain and negated.
func TestLiveTrailingBackslash(t *testing.T) {
	docs := []map[string]any{
		{"f": `C:\Windows\`, "g": "x"}, {"f": `c:\windows\`, "g": "y"}, {"f": `C:\Windows`, "g": "x"},
		{"f": `C:\Windows\\`, "g": "z"}, {"f": `a/`, "g": "x"}, {"f": `\`, "g": "y"}, {"g": "x"},
	}
	mapping := map[string]any{"f": map[string]any{"type": "keyword"}, "g": map[string]any{"type": "keyword"}}
	lit := func(s string) ir.Pattern { return ir.LiteralPattern(s) }
	trees := []ir.Node{
		&ir.Match{Field: "f", Pattern: lit(`C:\Windows\`)},
		&ir.Or{Children: []ir.Node{&ir.Match{Field: "f", Pattern: lit(`C:\Windows\`)}, &ir.Match{Field: "g", Pattern: lit("Y")}}},
		&ir.And{Children: []ir.Node{&ir.Match{Field: "f", Pattern: lit(`windows\\`).Wrap(true, false)}, &ir.Not{Child: &ir.Match{Field: "g", Pattern: lit("Q/")}}}},
		&ir.Or{Children: []ir.Node{&ir.Match{Field: "f", Pattern: lit(`\`)}, &ir.Match{Field: "f", Pattern: lit(`A/`)}}},
		&ir.Regex{Field: "f", Pattern: `(?i)windows\\$`},
		&ir.Or{Children: []ir.Node{&ir.Regex{Field: "f", Pattern: `\\$`}, &ir.Regex{Field: "g", Pattern: `^x$`}}},
	}
	estest.CheckLive(t, estest.LiveNode(t), mapping, docs, nil, trees, runLive)
}
