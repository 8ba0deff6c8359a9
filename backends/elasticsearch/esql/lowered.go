package esql

// lowered is the lower-cased value of the expression f that a case-insensitive pattern is
// compared with: CONCAT(TO_LOWER(f), "").
//
// The empty CONCAT is there for the optimizer. Elasticsearch 8.19 rewrites TO_LOWER(f)
// compared with a constant (==, and LIKE or RLIKE without a wildcard) into a
// case-insensitive comparison of f itself, which its plan shows (request "profile": the
// query runs as a term query with case_insensitive, CaseInsensitiveTermQuery, or as an
// insensitive equality in the compute engine). That comparison folds differently from
// TO_LOWER: `WHERE TO_LOWER(v) == "é"` misses É, K (U+212A) and ẞ, which TO_LOWER lowers,
// and under NOT it keeps them. The rewrite needs TO_LOWER directly under the comparison;
// CONCAT with "" is the same value (null when f is, like TO_LOWER) and keeps the lowered
// comparison as written.
func lowered(f string) string { return `CONCAT(TO_LOWER(` + f + `), "")` }
