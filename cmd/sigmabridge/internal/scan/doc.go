// Package scan implements `sigmabridge scan`: match log files against rules and print one
// line per match.
//
// Rules are positional, as in every command (cli.RuleFiles); the logs come with --logs or
// on stdin. The deprecated -r keeps its old grammar: with it, the arguments are the logs.
//
// Input problems are named by file and line on stderr and the rest of the input is still
// scanned; the exit code is 1 when any input could not be read or parsed. Inputs are read
// as streams (input): memory is bounded by one record, whatever the file. Each
// match is flushed as it is written, so a later failure loses none already found; SIGINT
// and SIGTERM stop reading, let the events already read be matched and written, and exit
// with 130 or 143 (interrupt.go). Text from rules and file names reaches the terminal
// through cli.Printable; jsonl output is one valid JSON object a line whatever it holds.
package scan
