// Package estest holds what the Elasticsearch targets' tests share: Sigma's evaluator as an
// oracle for one predicate, hostile values and the near-misses to probe them with, models
// of Elasticsearch's case-insensitive matching and of ES|QL's TO_LOWER, and random
// condition trees with their boolean shape.
//
// Each target's tests parse their own output back and run the parsed leaves through these
// models, so a query is checked for being well formed and for matching exactly what Sigma
// matches.
package estest
