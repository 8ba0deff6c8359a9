// Package cli holds what every sigmabridge command shares: the root command, exit codes,
// "did you mean" for mistyped flags, the one grammar of rule arguments (RuleFiles: the
// built-in pack as default, - for stdin, a log or an empty directory refused by name), and
// diagnostic printing.
//
// Commands live in sibling packages, each with an Options struct and a Run function that
// tests call without starting a process.
package cli
