// Package lucene is the `lucene` target: Sigma rules as Elasticsearch query_string queries
// (Kibana's Lucene syntax), exact on keyword-mapped fields.
//
// query_string compares keyword fields case-sensitively and has no flag to change that, so
// a case-insensitive value with letters becomes a regular expression spelling each letter's
// Unicode case orbit ([cC][mM][dD]); values without letters stay terms and wildcards.
package lucene
