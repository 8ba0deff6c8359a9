// Package convert implements `sigmabridge convert`: rules in, one query per rule condition
// out, for one target, with every diagnostic on stderr.
//
// The exit code is 0 when every rule converted, 1 when some failed (all others are still
// converted and written), 2 for a usage error.
package convert
