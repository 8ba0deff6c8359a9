// Package esmatch maps Sigma's matching semantics onto Elasticsearch's matching primitives:
// it translates RE2 regular expressions (word boundaries included), glob patterns and CIDR
// prefixes into Lucene regular expressions (whole-value match, Unicode simple case folding
// spelled out as character classes), says when a native case-insensitive form is exact,
// builds ES|QL fold keys for comparing two fields case-insensitively, and reads which
// fields a pipeline declares as ip-typed.
//
// Every Elasticsearch target (lucene, dsl, esql, eql) builds on it, so the four agree on
// what each Sigma value means.
package esmatch
