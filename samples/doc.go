// Package samples finds a rule's sample logs and their manifest (samples.yml), and runs
// them through a detector to give each rule a verdict: every `match` sample fires, every
// `no_match` sample stays silent.
//
// The layout is documented in testdata/rules/README.md; the same runner serves
// `sigmabridge test`, `sigmabridge check` and the rule pack's own tests.
package samples
