// Package elasticsearch registers sigmabridge's four Elasticsearch targets: lucene
// (query_string syntax), dsl (native Query DSL JSON), esql (ES|QL) and eql (EQL).
//
// Import it for its side effect; each target lives in its own subpackage, and the matching
// rules they share (Lucene regular expressions, case folding, CIDR) live in esmatch.
package elasticsearch
