// Package integration proves the Elasticsearch targets on a real node: every rule of the pack
// and every conformance case is indexed with its events (and case-changed copies of them),
// and the hits of its lucene, dsl, esql and eql queries must equal the evaluator's matches.
//
// The tests need SIGMABRIDGE_ES_URL (.ci/elasticsearch/start.sh); README.md says how the
// indexes are mapped and what each target's skip means.
package integration
