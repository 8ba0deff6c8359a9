// Package lint checks Sigma rules for mistakes a loader accepts but an author did not mean:
// dangling searches, wildcards that should be modifiers, malformed tags, ids and dates,
// duplicates across a rule collection, and more, each as a named check with a severity.
//
// The checks run over the syntax tree of package sigma, the way vet runs over go/ast. The
// same tree is lowered by the loader, whose own diagnostics are findings too, so one run
// reports everything wrong with every rule of a batch, never stopping at the first file or
// rule.
package lint
