// Package dsl is the `dsl` target: Sigma rules as native Elasticsearch Query DSL, one
// compact `{"query": ...}` document per condition, built from the IR tree (bool filter,
// should and must_not; term, prefix, wildcard, regexp, range, exists).
//
// Case-insensitive values use case_insensitive: true where Elasticsearch's folding is
// exactly Unicode simple case folding for every letter of the value, and a regexp query
// with the remaining letters' case orbits spelled out otherwise. A regular expression longer
// than index.max_regex_length (1,000) is split at its top-level alternatives into a bool
// should of regexp queries, or the rule fails (unsupported-regex-length).
//
// Pipeline state ip_fields lists the fields mapped as ip: a cidr on them is a term query with
// the block, elsewhere a regexp query of the addresses' spellings. Text comparisons on an ip
// field (equality, wildcards, regex) fail the rule. Pipeline state flattened_fields lists
// the flattened objects: their keyed sub-fields take term, prefix (with case_insensitive
// where it is exact) and exists queries; wildcard and regexp queries are refused there, so
// any other leaf fails (unsupported-flattened).
package dsl
