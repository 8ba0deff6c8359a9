// Package lucenetest turns the Lucene regular expressions the Elasticsearch backends write
// into equivalent Go regular expressions, so tests can run them against values.
//
// It accepts the subset of Lucene syntax the backends emit and rejects an unescaped
// optional operator (# @ & ~ < > and "), which would mean something else in Elasticsearch.
package lucenetest
