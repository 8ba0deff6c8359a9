// Package convert implements `sigmabridge convert`: rules in, one query per rule condition
// out, for one target, with every diagnostic on stderr.
//
// The exit code is 0 when every rule converted, 1 when some failed (all others are still
// converted and written), 2 for a usage error.
//
// -o FILE is written through a temporary file renamed over it (internal/atomicfile): a new
// file gets 0666 less the umask, an existing one keeps its mode. FILE must be a regular file
// or not exist yet, and must not be one of the run's rule or pipeline files (compared with
// os.SameFile); otherwise nothing is converted and the exit code is 2.
package convert
