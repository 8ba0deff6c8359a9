// Package scan implements `sigmabridge scan`: match log files against rules and print one
// line per match.
//
// Input problems are named by file and line on stderr and the rest of the input is still
// scanned; the exit code is 1 when any input could not be read or parsed.
package scan
