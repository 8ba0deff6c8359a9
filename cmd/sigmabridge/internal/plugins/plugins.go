package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
)

// NewCommand returns `plugins` with its `list` and `lock` subcommands.
func NewCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List and pin backend and detector plugins",
		Long: `Backends and the detector run as plugins. The built-in ones are served by this
binary; external ones are executables named sigmabridge-plugin-NAME in the plugin
directory: --plugin-dir, else $SIGMABRIDGE_PLUGIN_DIR, else <user config dir>/sigmabridge/plugins.
An external plugin runs only if its sha256 is pinned in plugins.lock in that directory
(see 'sigmabridge plugins lock'); the host copies the binary, checks the copy's sha256 and
runs the copy, so the file cannot be changed between the check and the start.

The plugin directory, each directory above it, plugins.lock and every plugin binary must
be owned by you or root and must not be writable by group or others (a directory above
may be if its sticky bit is set, as /tmp's is); otherwise its plugins are refused, with a
message naming the path. A binary over 512 MiB is refused without being read; files that
plugins.lock does not name are never read.`,
	}
	cmd.PersistentFlags().StringVar(&dir, "plugin-dir", "", "plugin directory (default $SIGMABRIDGE_PLUGIN_DIR or <user config dir>/sigmabridge/plugins)")

	list := &ListOptions{}
	listCmd := &cobra.Command{
		Use:   "list [-f table|json]",
		Short: "Start every plugin, ask it to describe itself, and list the answers",
		Long: `List every plugin: name, kind (backend or detector), version, protocol version,
path, sha256, targets and formats. Each plugin is started to ask it; a plugin that
is refused or fails is listed with its error, and the exit status is then 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list.Dir, list.Stdout, list.Stderr = dir, cmd.OutOrStdout(), cmd.ErrOrStderr()
			return cli.Exit(RunList(cmd.Context(), list))
		},
	}
	listCmd.Flags().StringVarP(&list.Format, "format", "f", "table", "output format: table or json")
	cmd.AddCommand(listCmd)

	lock := &LockOptions{}
	cmd.AddCommand(&cobra.Command{
		Use:   "lock [NAME]...",
		Short: "Pin external plugins by sha256 in plugins.lock",
		Long: `Record the sha256 of external plugins NAME (all of them when none is named) in the
plugin directory's plugins.lock, so the host runs these exact binaries and refuses any
other. Run it again after installing a new version of a plugin.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			lock.Dir, lock.Names, lock.Stdout = dir, args, cmd.OutOrStdout()
			return cli.Exit(RunLock(lock))
		},
	})
	return cmd
}

// ListOptions are the flags of `plugins list`.
type ListOptions struct {
	Dir    string
	Format string
	Stdout io.Writer
	Stderr io.Writer
	// Host, if set, is used instead of opening one from Dir (tests).
	Host *host.Manager
}

// Row is one line of `plugins list`: one plugin kind.
type Row struct {
	Name            string   `json:"name"`
	Kind            string   `json:"kind,omitempty"`
	Builtin         bool     `json:"builtin"`
	Version         string   `json:"version,omitempty"`
	ProtocolVersion int      `json:"protocol_version,omitempty"`
	Path            string   `json:"path"`
	SHA256          string   `json:"sha256,omitempty"`
	Targets         []string `json:"targets,omitempty"`
	Formats         []string `json:"formats,omitempty"`
	Capabilities    []string `json:"capabilities,omitempty"`
	Description     string   `json:"description,omitempty"`
	Error           string   `json:"error,omitempty"`
}

// RunList lists the plugins and returns the exit code: 1 when a plugin is refused or
// fails to describe itself.
func RunList(ctx context.Context, o *ListOptions) (int, error) {
	if o.Format != "table" && o.Format != "json" {
		return cli.ExitUsage, cli.Usagef("unknown format %q (known: table, json)", o.Format)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	m := o.Host
	if m == nil {
		var err error
		if m, err = sigmabridge.OpenHost(sigmabridge.HostOptions{PluginDir: o.Dir}); err != nil {
			return cli.ExitFailure, err
		}
		defer m.Close()
		var stop func()
		ctx, stop = m.HandleSignals(ctx)
		defer stop()
	}
	rows, failed := Rows(ctx, m)
	var dirProblems []string
	for _, p := range m.Problems() {
		if _, ok := p.(*host.UnsafeError); ok {
			dirProblems = append(dirProblems, p.Error()+"; its plugins are refused")
			failed = true
		}
	}
	switch o.Format {
	case "json":
		enc := json.NewEncoder(o.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return cli.ExitFailure, err
		}
	default:
		writeTable(o.Stdout, rows)
	}
	for _, p := range dirProblems {
		fmt.Fprintf(o.Stderr, "sigmabridge: %s\n", cli.Printable(p))
	}
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(o.Stderr, "sigmabridge: %s\n", cli.Printable(r.Error))
		}
	}
	if failed {
		return cli.ExitFailure, nil
	}
	return cli.ExitOK, nil
}

// Rows describes every plugin of m; failed reports whether any plugin has an error.
func Rows(ctx context.Context, m *host.Manager) (rows []Row, failed bool) {
	sums := map[string]string{}
	sha := func(s host.Spec) string {
		if !s.Builtin {
			return s.SHA256
		}
		if _, ok := sums[s.Path]; !ok {
			sums[s.Path], _ = host.FileSHA256(s.Path)
		}
		return sums[s.Path]
	}
	for _, s := range m.Specs() {
		info := m.Describe(ctx, s.Name)
		base := Row{Name: s.Name, Builtin: s.Builtin, Path: s.Path, SHA256: sha(s), ProtocolVersion: info.ProtocolVersion}
		if info.Backend != nil {
			r := base
			d := info.Backend
			r.Kind, r.Version, r.Targets, r.Formats, r.Capabilities, r.Description =
				plugin.KindBackend, d.Version, d.Targets, d.Formats, d.Capabilities, d.Description
			rows = append(rows, r)
		}
		if info.Detector != nil {
			r := base
			d := info.Detector
			r.Kind, r.Version, r.Capabilities, r.Description = plugin.KindDetector, d.Version, d.Capabilities, d.Description
			rows = append(rows, r)
		}
		if info.Err != nil {
			r := base
			if info.Backend == nil && info.Detector == nil && len(s.Kinds) == 1 {
				r.Kind = s.Kinds[0]
			}
			r.Error = info.Err.Error()
			rows = append(rows, r)
			failed = true
		}
	}
	return rows, failed
}

func writeTable(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tVERSION\tPROTOCOL\tSOURCE\tSHA256\tTARGETS\tFORMATS\tSTATUS")
	for _, r := range rows {
		source := r.Path
		if r.Builtin {
			source = "built-in"
		}
		sum := r.SHA256
		if len(sum) > 12 {
			sum = sum[:12]
		}
		proto := "-"
		if r.ProtocolVersion > 0 {
			proto = fmt.Sprint(r.ProtocolVersion)
		}
		status := "ok"
		if r.Error != "" {
			status = "error (see below)"
		}
		// A plugin's own answers (version, targets, formats) are printed escaped.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cli.Printable(r.Name), cli.OrDash(r.Kind), cell(r.Version), proto,
			cli.Printable(source), cli.OrDash(sum), cell(strings.Join(r.Targets, ",")), cell(strings.Join(r.Formats, ",")), status)
	}
	tw.Flush()
}

// cell is a table cell: a dash when empty, else cli.Cell.
func cell(s string) string {
	return cli.Cell(cli.OrDash(s))
}

// LockOptions are the arguments of `plugins lock`.
type LockOptions struct {
	Dir    string
	Names  []string
	Stdout io.Writer
}

// RunLock pins the plugins and reports what changed. It refuses (exit 1, nothing
// written) a plugin directory, lock file or binary that breaks the trust rules of
// host.CheckDir. plugins.lock is replaced through a new file renamed over it, created with
// mode 0644 less the umask.
func RunLock(o *LockOptions) (int, error) {
	dir, err := host.ResolveDir(o.Dir)
	if err != nil {
		return cli.ExitFailure, err
	}
	pins, err := host.PinPlugins(dir, o.Names)
	if err != nil {
		return cli.ExitFailure, err
	}
	if len(pins) == 0 {
		fmt.Fprintf(o.Stdout, "no plugins (%s*) in %s\n", plugin.BinaryPrefix, cli.Printable(dir))
		return cli.ExitOK, nil
	}
	for _, p := range pins {
		switch p.Previous {
		case "":
			fmt.Fprintf(o.Stdout, "pinned %s sha256 %s (%s)\n", p.Name, p.SHA256, cli.Printable(p.Path))
		case p.SHA256:
			fmt.Fprintf(o.Stdout, "unchanged %s sha256 %s\n", p.Name, p.SHA256)
		default:
			fmt.Fprintf(o.Stdout, "re-pinned %s sha256 %s (was %s)\n", p.Name, p.SHA256, p.Previous)
		}
	}
	return cli.ExitOK, nil
}
