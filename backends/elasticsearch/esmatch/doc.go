// Package esmatch maps Sigma's matching semantics onto Elasticsearch's matching primitives:
// it translates RE2 regular expressions (word boundaries included), glob patterns and CIDR
// prefixes into Lucene regular expressions (whole-value match, Unicode simple case folding
// spelled out as character classes) and splits them to fit index.max_regex_length, says when
// a native case-insensitive form is exact, builds ES|QL fold keys for comparing two fields
// case-insensitively, and reads what a pipeline declares about the mapping (ip, flattened
// and multi-valued fields) and what each of those rules out.
//
// Every Elasticsearch target (lucene, dsl, esql, eql) builds on it, so the four agree on
// what each Sigma value means.
package esmatch
