// Command sigmabridge converts Sigma rules to SIEM queries, tests them against logs and
// serves its backends and detector as plugins. main only wires the commands together.
package main

import (
	"os"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/check"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/convert"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/coverage"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/hunt"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/lint"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/list"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/plugins"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/pluginserve"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/profile"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/ruletest"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/scan"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/serve"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/version"
)

func main() {
	root := cli.NewRoot()
	version.SetRootVersion(root)
	root.AddCommand(convert.NewCommand())
	root.AddCommand(check.NewCommand())
	root.AddCommand(scan.NewCommand())
	root.AddCommand(ruletest.NewCommand())
	root.AddCommand(lint.NewCommand())
	root.AddCommand(plugins.NewCommand())
	root.AddCommand(pluginserve.NewCommand())
	root.AddCommand(hunt.NewCommand())
	root.AddCommand(profile.NewCommand())
	root.AddCommand(list.NewCommand())
	root.AddCommand(version.NewCommand())
	root.AddCommand(serve.NewCommand())
	root.AddCommand(coverage.NewCommand())
	os.Exit(cli.Execute(root))
}
