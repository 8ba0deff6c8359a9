// Package cli holds what every sigmabridge command shares: the root command, exit codes,
// rule discovery with the built-in pack as default, and diagnostic printing.
//
// Commands live in sibling packages, each with an Options struct and a Run function that
// tests call without starting a process.
package cli
