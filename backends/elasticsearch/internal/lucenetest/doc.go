// Package lucenetest turns the Lucene regular expressions the Elasticsearch backends write
// into matchers, so tests can run them against values: a Go regexp for the common syntax,
// and an end-position matcher when the expression uses intersection (&) or complement (~).
//
// It accepts the subset of Lucene syntax the backends emit and rejects the other optional
// operators (# @ < > and ") and empty operands, which would mean something else in
// Elasticsearch or fail there.
package lucenetest
