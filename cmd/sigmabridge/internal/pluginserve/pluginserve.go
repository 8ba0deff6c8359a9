package pluginserve

import (
	"github.com/spf13/cobra"

	_ "github.com/sigmabridge/sigmabridge/backends/all" // register the built-in targets
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/plugin/builtin"
)

// NewCommand returns `plugin` with its `serve NAME` subcommand.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "plugin",
		Short:  "Serve a built-in backend or detector as a plugin (run by the plugin host)",
		Hidden: true,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "serve NAME",
		Short: "Serve built-in plugin NAME over go-plugin",
		Long: `Serve built-in plugin NAME (a backend target, or "evaluator" for the detector) over
go-plugin's gRPC protocol. The sigmabridge plugin host runs this command itself; it
writes the go-plugin handshake to stdout and must not be run by hand.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Nothing may reach stdout before the handshake: no output here on success.
			if err := builtin.Serve(args[0]); err != nil {
				return cli.UsageError{Err: err}
			}
			return nil
		},
	})
	return cmd
}
