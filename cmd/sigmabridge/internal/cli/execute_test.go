package cli

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spf13/cobra"
)

// TestExecuteExitCodes: cobra's own errors are usage errors without looking at their text;
// a command's failure is a failure, its usage error a usage error.
func TestExecuteExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"nosuch"}, ExitUsage},
		{[]string{"one"}, ExitUsage}, // wrong argument count
		{[]string{"one", "a", "b"}, ExitUsage},
		{[]string{"one", "--nosuch", "a"}, ExitUsage},
		{[]string{"req"}, ExitUsage}, // a required flag missing
		{[]string{"one", "fail"}, ExitFailure},
		{[]string{"one", "usage"}, ExitUsage},
		{[]string{"one", "exit3"}, 3},
		{[]string{"one", "ok"}, ExitOK},
	} {
		root := NewRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.AddCommand(&cobra.Command{Use: "one ARG", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, args []string) error {
			switch args[0] {
			case "fail":
				return errors.New("unknown command: a failure whose text looks like cobra's")
			case "usage":
				return Usagef("bad")
			case "exit3":
				return ExitError{Code: 3}
			}
			return nil
		}})
		req := &cobra.Command{Use: "req", RunE: func(*cobra.Command, []string) error { return nil }}
		req.Flags().String("x", "", "")
		_ = req.MarkFlagRequired("x")
		root.AddCommand(req)
		root.SetArgs(tc.args)
		if got := Execute(root); got != tc.want {
			t.Errorf("%v: exit %d, want %d\n%s", tc.args, got, tc.want, out.String())
		}
	}
}
