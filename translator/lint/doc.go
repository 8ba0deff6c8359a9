// Package lint checks Sigma rules for mistakes a loader accepts but an author did not mean:
// dangling searches, wildcards that should be modifiers, malformed tags, ids and dates,
// duplicates across a rule collection, and more, each as a named check with a severity.
//
// The loader's own diagnostics are findings too, so one run reports everything wrong with
// every rule of a batch, never stopping at the first file or rule.
package lint
