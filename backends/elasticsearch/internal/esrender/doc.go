// Package esrender is what the four Elasticsearch targets (lucene, dsl, esql, eql) share in
// rendering a rule: the rule's context with the mapping the pipeline declares, the checks
// every leaf goes through in the same words (each returns the leaf's diagnostics; nothing
// is recorded), the splitting of long regular expressions, and the quoting of ES|QL's and
// EQL's strings and field names.
//
// Each target keeps only what its language writes differently.
package esrender
