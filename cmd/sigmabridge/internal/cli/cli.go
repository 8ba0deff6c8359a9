package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sigmabridge/sigmabridge/internal/atomicfile"
	"github.com/sigmabridge/sigmabridge/internal/suggest"
	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// Exit codes shared by every command.
const (
	ExitOK      = 0 // everything succeeded
	ExitFailure = 1 // some work failed (the rest was still done)
	ExitUsage   = 2 // the command line is wrong
)

// ExitError carries an exit code out of a command's RunE. Its message, if any, has
// already been printed.
type ExitError struct{ Code int }

func (e ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// UsageError marks an error as a command-line mistake (exit 2).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Exit turns a command's Run result into what cobra's RunE returns: the usage error, an
// ExitError carrying a non-zero code, or nil.
func Exit(code int, err error) error {
	if err != nil {
		return err
	}
	if code != ExitOK {
		return ExitError{Code: code}
	}
	return nil
}

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// NewRoot returns the root command.
func NewRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "sigmabridge",
		Short: "Convert, test and hunt with Sigma rules on Splunk and Elasticsearch",
		Long: `sigmabridge converts Sigma rules into Splunk SPL and Elasticsearch queries (Lucene,
Query DSL, ES|QL, EQL), checks every rule against sample logs, and ships a rule pack for
MITRE ATT&CK T1648 (Serverless Execution).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return UsageError{flagHint(c, err)}
	})
	return root
}

// flagHint adds to pflag's "unknown flag: --NAME" the nearest flag c knows.
func flagHint(c *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return err
	}
	var known []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			known = append(known, f.Name)
		}
	})
	if s := suggest.Closest(name, known); s != "" {
		return fmt.Errorf("%w; did you mean --%s?", err, s)
	}
	return err
}

// Execute runs the root command and returns the process exit code. An error that comes
// back before any command's RunE ran is cobra's own (an unknown command or flag, a wrong
// argument count, a missing required flag): a usage error.
func Execute(root *cobra.Command) int {
	ran := false
	markRun(root, &ran)
	cmd, err := root.ExecuteC()
	if err == nil {
		return ExitOK
	}
	var ee ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var ue UsageError
	if errors.As(err, &ue) || !ran {
		help := root.Name() + " --help"
		if cmd != nil && cmd != root {
			help = cmd.CommandPath() + " --help"
		}
		fmt.Fprintf(root.ErrOrStderr(), "%s: %s\nRun '%s' for usage.\n", root.Name(), printableLines(err.Error()), help)
		return ExitUsage
	}
	fmt.Fprintf(root.ErrOrStderr(), "%s: %s\n", root.Name(), printableLines(err.Error()))
	return ExitFailure
}

// printableLines is Printable line by line: an error's own line breaks (cobra's "Did you
// mean this?", a profile's list of problems) stay line breaks.
func printableLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = Printable(l)
	}
	return strings.Join(lines, "\n")
}

// markRun makes every RunE of c and its subcommands set *ran before it runs.
func markRun(c *cobra.Command, ran *bool) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*ran = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markRun(sub, ran)
	}
}

// PrintDiagnostics writes every diagnostic to w as `path:line: code: message`, made
// Printable: paths and messages may quote a rule or a log.
func PrintDiagnostics(w io.Writer, diags diag.List) {
	for _, d := range diags {
		fmt.Fprintln(w, Printable(d.String()))
	}
}

// WriteFileAtomic writes data to path through a temporary file in the same directory, so
// an interrupted run never leaves the user's existing file half-written. A new file gets
// 0666 less the umask, an existing one keeps its mode; a target that is not a regular file
// (a FIFO, a device, /dev/stdout) is refused with an *atomicfile.NotRegularError naming it.
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, data, 0o666)
}

// Count is a number with its noun, singular for one: "1 rule", "2 rules", "0 hits".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// OrDash is s, or "-" for an empty s: an empty table cell.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// CodeOf is the exit code of a command's error: ExitUsage for a UsageError, else
// ExitFailure.
func CodeOf(err error) int {
	var ue UsageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailure
}
