// Package lucene is the `lucene` target: Sigma rules as Elasticsearch query_string queries
// (Kibana's Lucene syntax), exact on keyword-mapped fields.
//
// query_string compares keyword fields case-sensitively and has no flag to change that, so
// a case-insensitive value with letters becomes a regular expression spelling each letter's
// Unicode case orbit ([cC][mM][dD]); values without letters stay terms and wildcards. A
// regular expression longer than Elasticsearch's index.max_regex_length (1,000) is split at
// its top-level alternatives into an OR of terms, or the rule fails
// (unsupported-regex-length).
//
// Pipeline state ip_fields lists the fields mapped as ip: a cidr on them is the quoted block
// (f:"10.0.0.0/8"), elsewhere a regular expression of the addresses' spellings. Text
// comparisons on an ip field (equality, wildcards, regex) fail the rule. Pipeline state
// flattened_fields lists the flattened objects: on their keyed sub-fields a term, a
// trailing-* prefix and _exists_ are exact (for values without letters or cased ones); a
// regular expression there matches nothing, so anything else fails (unsupported-flattened).
package lucene
