// Package lucene is the `lucene` target: Sigma rules as Elasticsearch query_string queries
// (Kibana's Lucene syntax), exact on keyword-mapped fields.
//
// query_string compares keyword fields case-sensitively and has no flag to change that, so
// a case-insensitive value with letters becomes a regular expression spelling each letter's
// Unicode case orbit ([cC][mM][dD]); values without letters stay terms and wildcards.
//
// Pipeline state ip_fields lists the fields mapped as ip: a cidr on them is the quoted block
// (f:"10.0.0.0/8"), elsewhere a regular expression of the addresses' spellings. Text
// comparisons on an ip field (equality, wildcards, regex) fail the rule.
package lucene
