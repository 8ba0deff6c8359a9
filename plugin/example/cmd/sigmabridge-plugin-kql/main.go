// Command sigmabridge-plugin-kql is an example third-party sigmabridge backend: it renders
// rules as Kusto Query Language (KQL) `where` clauses. It imports only the public plugin
// API (github.com/sigmabridge/sigmabridge/plugin and translator/ir), as a plugin written
// outside this repository would.
//
// Install: build it, copy it into the plugin directory, pin it and use it:
//
//	go build -o ~/.config/sigmabridge/plugins/sigmabridge-plugin-kql ./plugin/example/cmd/sigmabridge-plugin-kql
//	sigmabridge plugins lock kql
//	sigmabridge plugins list
package main

import (
	"fmt"
	"os"

	"github.com/sigmabridge/sigmabridge/plugin"
)

// version is the plugin's release version.
const version = "0.1.0"

func main() {
	// The logger exists before Serve, and nothing is printed to stdout: the handshake
	// line must be the first thing on it.
	logger := plugin.NewLogger("kql")
	err := plugin.Serve(&plugin.ServeOpts{
		Backend: &plugin.RuleBackend{
			Description: plugin.BackendDescription{
				Name:         "kql",
				Version:      version,
				Targets:      []string{"kql"},
				Formats:      []string{"default"},
				Capabilities: []string{"regex", "cidr", "compare", "glob"},
				Description:  "example backend: Kusto Query Language where clauses",
				// Its own deployable format: `convert -t kql -f sentinel`.
				FormatDescriptions: []plugin.FormatDescription{sentinelFormat},
			},
			ConvertRule:  convertRule,
			RenderFormat: renderSentinel,
		},
		Logger: logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
