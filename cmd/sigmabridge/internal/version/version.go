package version

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/plugin"
)

// Info is what the binary knows about its own build.
type Info struct {
	// Module is the main module's path and Version its version: a tag or pseudo-version
	// for `go install ...@version`, "(devel)" for a build from a working tree.
	Module  string `json:"module"`
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from ("" when the build recorded
	// none), and Modified whether the working tree had uncommitted changes.
	Commit     string `json:"commit,omitempty"`
	CommitTime string `json:"commit_time,omitempty"`
	Modified   bool   `json:"modified,omitempty"`
	Go         string `json:"go"`
	Platform   string `json:"platform"`
	// Protocol is the plugin protocol version this binary speaks.
	Protocol int `json:"plugin_protocol"`
}

// Read returns the build information of the running binary.
func Read() Info {
	info := Info{Module: "github.com/sigmabridge/sigmabridge", Version: "(unknown)", Go: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Protocol: plugin.ProtocolVersion}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	return fromBuildInfo(info, bi)
}

func fromBuildInfo(info Info, bi *debug.BuildInfo) Info {
	if bi.Main.Path != "" {
		info.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		info.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		info.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.CommitTime = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is the one line of --version: "sigmabridge VERSION (commit C[, modified]) go1.x
// linux/amd64, plugin protocol N".
func (i Info) String() string {
	commit := "commit unknown"
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		commit = "commit " + c
		if i.Modified {
			commit += ", modified"
		}
	}
	return fmt.Sprintf("sigmabridge %s (%s) %s %s, plugin protocol %d", i.Version, commit, i.Go, i.Platform, i.Protocol)
}

// Options are the flags of `sigmabridge version`.
type Options struct {
	Format string
	Stdout io.Writer
}

// NewCommand returns `version`.
func NewCommand() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "version [-f text|json]",
		Short: "Print the version, commit, Go version and plugin protocol of this binary",
		Long: `Print what this binary was built from: the module version (a release tag or
pseudo-version for 'go install ...@version', "(devel)" for a build from a clone), the
VCS commit and whether the tree was modified, the Go version and platform, and the plugin
protocol version external plugins must speak. 'sigmabridge --version' prints the same line.

  json: {"module", "version", "commit", "commit_time", "modified", "go", "platform",
         "plugin_protocol"}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Stdout = cmd.OutOrStdout()
			return cli.Exit(Run(o))
		},
	}
	cmd.Flags().StringVarP(&o.Format, "format", "f", "text", "output format: text or json")
	return cmd
}

// Run prints the version.
func Run(o *Options) (int, error) {
	info := Read()
	switch o.Format {
	case "text":
		fmt.Fprintln(o.Stdout, info)
	case "json":
		enc := json.NewEncoder(o.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(info); err != nil {
			return cli.ExitFailure, nil
		}
	default:
		return cli.ExitUsage, cli.Usagef("unknown format %q (known: text, json)", o.Format)
	}
	return cli.ExitOK, nil
}

// SetRootVersion gives root a --version flag that prints the same line as `version`.
func SetRootVersion(root *cobra.Command) {
	root.Version = Read().String()
	root.SetVersionTemplate("{{.Version}}\n")
}
