// Package esmatch maps Sigma's matching semantics onto Elasticsearch's matching primitives:
// it translates RE2 regular expressions, glob patterns and CIDR prefixes into Lucene regular
// expressions (whole-value match, Unicode simple case folding spelled out as character
// classes), and it says when a native case-insensitive form is exact.
//
// Every Elasticsearch target (lucene, dsl, esql, eql) builds on it, so the four agree on
// what each Sigma value means.
package esmatch
