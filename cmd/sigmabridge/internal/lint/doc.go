// Package lint implements `sigmabridge lint`: every named check of lint over
// the rules named on the command line (default: the built-in pack), all findings at once.
//
// The exit code is 0 when no finding has error severity, 1 when some do, 2 for a usage
// error; --list-checks prints every check with its severity.
package lint
