// Package eql is the `eql` target: Sigma rules as EQL event queries,
// `<category> where <condition>`, with `any` as the category unless the pipeline sets one.
//
// Case-insensitive values use `:` (wildcards, list lookups) where EQL's folding is exactly
// Unicode case folding for every letter, and `regex~` or `regex` with the remaining
// letters' case orbits spelled out otherwise; `cased` values use `==`, `like` and `regex`. A
// regular expression longer than index.max_regex_length (1,000) is split at its top-level
// alternatives into a list (f regex ("a", "b")), or the rule fails
// (unsupported-regex-length).
//
// Pipeline state ip_fields lists the fields mapped as ip: a cidr on them is cidrMatch (pushed
// down as a terms query), elsewhere a regex of the addresses' spellings. Text comparisons on
// an ip field (equality, wildcards, regex) fail the rule. A leaf on an object of pipeline
// state flattened_fields fails (unsupported-flattened): no EQL form on a flattened field has
// been checked on a live node.
package eql
