// Package ruletest implements `sigmabridge test`: run every rule's sample logs and report,
// per rule, whether each positive fires and each near-miss negative stays silent.
//
// A rule without samples fails: a rule without a test is a guess.
package ruletest
