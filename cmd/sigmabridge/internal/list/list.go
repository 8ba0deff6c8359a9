package list

import (
	"context"
	"fmt"
	deployable "github.com/sigmabridge/sigmabridge/formats"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/convert"
	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/internal/suggest"
	sigmalint "github.com/sigmabridge/sigmabridge/lint"
	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// Kinds are what list lists.
var Kinds = []string{"targets", "pipelines", "formats", "inputs", "checks"}

// Options are the arguments and flags of `sigmabridge list`.
type Options struct {
	Kind   string
	Format string
	Host   sigmabridge.HostOptions

	Stdout io.Writer
	Stderr io.Writer
}

// NewCommand returns `list`.
func NewCommand() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:       "list targets|pipelines|formats|inputs|checks [-f table|json] [--plugin-dir DIR]",
		Short:     "List the targets, pipelines, output formats, input formats or lint checks",
		ValidArgs: Kinds,
		Long: `List what sigmabridge offers, each with a one-line description:

  targets    what convert -t takes: the built-in targets, then the targets of the pinned
             external backend plugins (--plugin-dir; each is started to ask it)
  pipelines  what -p takes: the built-in pipelines and the targets each is for
             (its allowed_backends)
  formats    what convert -f takes, and the formats external backends declare
  inputs     what scan --input takes
  checks     what lint reports (lint --disable takes the names)

  json: an array of {"name", "source", "targets", "description"} (checks: with
        "severity"; inputs: with "default")

Exit status: 0; 1 when an external plugin could not be asked (named on stderr, the
rest listed); 2 usage error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Kind = args[0]
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return cli.Exit(Run(cmd.Context(), o))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Format, "format", "f", "table", "output format: table or json")
	cli.AddPluginDirFlag(f, &o.Host.PluginDir)
	return cmd
}

// Item is one line of the list.
type Item struct {
	Name string `json:"name"`
	// Source is "built-in", or "plugin NAME" for what an external plugin declares, or
	// "lint" / "loader" for a check.
	Source string `json:"source"`
	// Targets are the targets a pipeline or format is for (nil: every target).
	Targets     []string `json:"targets,omitempty"`
	Severity    string   `json:"severity,omitempty"`
	Default     bool     `json:"default,omitempty"`
	Description string   `json:"description"`
}

// Run lists o.Kind and returns the exit code; the error is a usage error.
func Run(ctx context.Context, o *Options) (int, error) {
	if !slices.Contains(Kinds, o.Kind) {
		return cli.ExitUsage, cli.Usagef("nothing called %q to list (known: %s)%s", o.Kind, strings.Join(Kinds, ", "), suggest.Hint(o.Kind, Kinds))
	}
	if o.Format != "table" && o.Format != "json" {
		return cli.ExitUsage, cli.Usagef("unknown format %q (known: table, json)", o.Format)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	var (
		items    []Item
		problems []error
		err      error
	)
	switch o.Kind {
	case "targets":
		items, problems, err = targets(ctx, o.Host)
	case "pipelines":
		items, err = pipelines()
	case "formats":
		items, problems, err = formats(ctx, o.Host)
	case "inputs":
		items = inputs()
	case "checks":
		items = checks()
	}
	if err != nil {
		fmt.Fprintf(o.Stderr, "sigmabridge: %s\n", cli.Printable(err.Error()))
		return cli.ExitFailure, nil
	}
	if o.Format == "json" {
		if items == nil {
			items = []Item{}
		}
		if err := cli.WriteJSON(o.Stdout, items); err != nil {
			return cli.ExitFailure, nil
		}
	} else {
		writeTable(o.Stdout, o.Kind, items)
	}
	for _, p := range problems {
		fmt.Fprintf(o.Stderr, "sigmabridge: not listed: %s\n", cli.Printable(p.Error()))
	}
	if len(problems) > 0 {
		return cli.ExitFailure, nil
	}
	return cli.ExitOK, nil
}

func writeTable(w io.Writer, kind string, items []Item) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch kind {
	case "checks":
		fmt.Fprintln(tw, "CHECK\tSEVERITY\tSOURCE\tDESCRIPTION")
	case "inputs":
		fmt.Fprintln(tw, "INPUT\tSOURCE\tDESCRIPTION")
	case "targets":
		fmt.Fprintln(tw, "TARGET\tSOURCE\tDESCRIPTION")
	default:
		fmt.Fprintln(tw, strings.ToUpper(strings.TrimSuffix(kind, "s"))+"\tTARGETS\tSOURCE\tDESCRIPTION")
	}
	for _, it := range items {
		name := cli.Cell(it.Name)
		desc := cli.Cell(it.Description)
		switch kind {
		case "checks":
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, it.Severity, it.Source, desc)
		case "inputs":
			if it.Default {
				name += " (default)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", name, it.Source, desc)
		case "targets":
			fmt.Fprintf(tw, "%s\t%s\t%s\n", name, cli.Cell(it.Source), desc)
		default:
			t := "all"
			if it.Targets != nil {
				t = cli.Cell(strings.Join(it.Targets, ","))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, t, cli.Cell(it.Source), desc)
		}
	}
	tw.Flush()
}

func targets(ctx context.Context, o sigmabridge.HostOptions) ([]Item, []error, error) {
	var items []Item
	for _, n := range backends.Names() {
		items = append(items, Item{Name: n, Source: "built-in", Description: TargetHelp[n]})
	}
	ext, problems, err := pluginTargets(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range ext {
		d := t.Description
		if slices.Contains(backends.Names(), t.Name) {
			d = "(the built-in " + t.Name + " is used) " + d
		}
		items = append(items, Item{Name: t.Name, Source: "plugin " + t.Plugin, Description: d})
	}
	return items, problems, nil
}

// pluginTargets asks the external plugins of the host o opens for their targets.
func pluginTargets(ctx context.Context, o sigmabridge.HostOptions) ([]sigmabridge.Target, []error, error) {
	m, err := sigmabridge.OpenHost(o)
	if err != nil {
		return nil, nil, err
	}
	defer m.Close()
	ctx, stop := m.HandleSignals(ctx)
	defer stop()
	ts, problems := sigmabridge.PluginTargets(ctx, m)
	return ts, problems, nil
}

func pipelines() ([]Item, error) {
	var items []Item
	for _, n := range pipeline.BuiltinNames() {
		p, err := pipeline.Builtin(n)
		if err != nil {
			return nil, err
		}
		items = append(items, Item{Name: n, Source: "built-in", Targets: slices.Clone(p.AllowedBackends), Description: PipelineHelp[n]})
	}
	return items, nil
}

func formats(ctx context.Context, o sigmabridge.HostOptions) ([]Item, []error, error) {
	var items []Item
	for _, f := range convert.Formats {
		items = append(items, Item{Name: f, Source: "built-in", Description: convert.FormatHelp[f]})
	}
	for _, d := range deployable.Builtin {
		items = append(items, Item{Name: d.Name, Source: "built-in", Targets: slices.Clone(d.Targets), Description: strings.Join(strings.Fields(d.Help), " ")})
	}
	ext, problems, err := pluginTargets(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	// A plugin declares its formats once for all its targets.
	byPlugin := map[string]*Item{}
	var order []string
	for _, t := range ext {
		for _, f := range t.Formats {
			key := t.Plugin + "\x00" + f
			if it := byPlugin[key]; it != nil {
				it.Targets = append(it.Targets, t.Name)
				continue
			}
			desc := "declared by the plugin (" + t.Description + ")"
			if t.Revision < plugin.RevisionFormats {
				desc += fmt.Sprintf("; it speaks plugin protocol revision %d, without formats of its own", t.Revision)
			}
			byPlugin[key] = &Item{Name: f, Source: "plugin " + t.Plugin, Targets: []string{t.Name}, Description: desc}
			order = append(order, key)
		}
		// The formats it renders itself (convert -f NAME).
		for _, f := range t.Own {
			if !f.TakesTarget(t.Name) {
				continue
			}
			key := t.Plugin + "\x00" + f.Name
			if it := byPlugin[key]; it != nil {
				it.Targets = append(it.Targets, t.Name)
				continue
			}
			desc := f.Description
			if f.Extension != "" {
				desc += " (" + f.Extension
				if f.PerRule {
					desc += ", --per-rule"
				}
				desc += ")"
			}
			byPlugin[key] = &Item{Name: f.Name, Source: "plugin " + t.Plugin, Targets: []string{t.Name}, Description: desc}
			order = append(order, key)
		}
	}
	for _, k := range order {
		items = append(items, *byPlugin[k])
	}
	return items, problems, nil
}

func inputs() []Item {
	var items []Item
	for i, n := range input.Formats() {
		items = append(items, Item{Name: n, Source: "built-in", Default: i == 0, Description: InputHelp[n]})
	}
	return items
}

func checks() []Item {
	var items []Item
	cs := sigmalint.Checks()
	for _, c := range cs {
		src := "lint"
		if c.Loader {
			src = "loader"
		}
		items = append(items, Item{Name: c.Name, Source: src, Severity: c.Severity.String(), Description: c.Summary})
	}
	return items
}
