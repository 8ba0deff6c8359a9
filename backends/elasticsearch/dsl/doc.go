// Package dsl is the `dsl` target: Sigma rules as native Elasticsearch Query DSL, one
// compact `{"query": ...}` document per condition, built from the IR tree (bool filter,
// should and must_not; term, prefix, wildcard, regexp, range, exists).
//
// Case-insensitive values use case_insensitive: true where Elasticsearch's folding is
// exactly Unicode simple case folding for every letter of the value, and a regexp query
// with the remaining letters' case orbits spelled out otherwise.
//
// Pipeline state ip_fields lists the fields mapped as ip: a cidr on them is a term query with
// the block, elsewhere a regexp query of the addresses' spellings. Text
// comparisons on an ip field (equality, wildcards, regex) fail the rule.
package dsl
