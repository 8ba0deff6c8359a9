package lint

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/internal/suggest"
	sigmalint "github.com/sigmabridge/sigmabridge/lint"
)

// Options are the flags and arguments of `sigmabridge lint`.
type Options struct {
	Format     string
	ListChecks bool
	Disable    []string
	Paths      []string

	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Formats lists the output formats of lint.
var Formats = []string{"table", "json"}

// NewCommand returns the cobra command.
func NewCommand() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "lint [PATH|-]... [-f table|json] [--disable CHECK]... [--list-checks]",
		Short: "Check Sigma rules for mistakes and style problems",
		Long: `Check Sigma rules with named checks: ids, titles, dates, levels and statuses, tags
(ATT&CK and others), searches the condition does not use or names that do not exist,
wildcards that should be modifiers, escaped and double wildcards, invalid modifier
combinations, numbers written as strings, control characters, duplicates across all the
rules checked, and every problem the loader reports.

PATH is a rule file or a directory searched recursively for *.yml and *.yaml; without a
PATH the built-in T1648 rule pack is checked; - reads one rule file from standard input
(named <stdin>). A PATH that is not a rule file (a log) or a directory without rules is a
usage error. All findings of all files are reported.

Formats:
  table  one finding per line: path:line: check: message (warnings as
         path:line: warning: check: message); a summary on stderr
  json   {"findings": [{"path", "line", "check", "severity", "message", "rule_id"}],
          "errors": N, "warnings": N}

--list-checks prints every check name with its severity and what it reports.
Exit status: 0 no finding of error severity; 1 some (or no rules found); 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Stdin = cmd.InOrStdin()
			o.Stdout = cmd.OutOrStdout()
			o.Stderr = cmd.ErrOrStderr()
			return cli.Exit(Run(o))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Format, "format", "f", "table", "output format: "+strings.Join(Formats, ", "))
	f.BoolVar(&o.ListChecks, "list-checks", false, "list every check with its severity and exit")
	f.StringArrayVar(&o.Disable, "disable", nil, "do not report CHECK (repeatable; see --list-checks)")
	return cmd
}

// Run executes lint and returns the exit code. A returned error is a usage error.
func Run(o *Options) (int, error) {
	if !slices.Contains(Formats, o.Format) {
		return cli.ExitUsage, cli.Usagef("unknown format %q (known: %s)", o.Format, strings.Join(Formats, ", "))
	}
	cfg := sigmalint.Config{Disabled: map[string]bool{}}
	for _, name := range o.Disable {
		if _, ok := sigmalint.Lookup(name); !ok {
			return cli.ExitUsage, cli.Usagef("unknown check %q (sigmabridge lint --list-checks lists them)%s", name, suggest.Hint(name, checkNames()))
		}
		cfg.Disabled[name] = true
	}
	if o.ListChecks {
		if len(o.Paths) > 0 {
			return cli.ExitUsage, cli.Usagef("--list-checks takes no PATH")
		}
		return cli.ExitOK, writeChecks(o)
	}

	files, discoverDiags, err := cli.RuleFiles(o.Paths, o.Stdin)
	if err != nil {
		return cli.CodeOf(err), err
	}
	rep := sigmalint.Run(files, cfg)
	var extra []sigmalint.Finding
	for _, d := range discoverDiags {
		if !cfg.Disabled[string(d.Code)] {
			extra = append(extra, sigmalint.FromDiagnostic(d))
		}
	}
	rep.Add(extra...)

	switch o.Format {
	case "json":
		if err := writeJSON(o.Stdout, rep); err != nil {
			return cli.ExitFailure, nil
		}
	default:
		for _, f := range rep.Findings {
			fmt.Fprintln(o.Stdout, cli.Printable(f.String()))
		}
		fmt.Fprintf(o.Stderr, "sigmabridge lint: %s in %s: %s, %s\n",
			cli.Count(rep.Documents, "rule"), cli.Count(rep.Files, "file"),
			cli.Count(rep.Errors, "error"), cli.Count(rep.Warnings, "warning"))
	}
	if len(files) == 0 {
		fmt.Fprintf(o.Stderr, "sigmabridge: no Sigma rules (*.yml, *.yaml) found in %s\n", cli.Printable(strings.Join(o.Paths, " ")))
		return cli.ExitFailure, nil
	}
	if rep.Errors > 0 {
		return cli.ExitFailure, nil
	}
	return cli.ExitOK, nil
}

// jsonFinding is one finding in the JSON output.
type jsonFinding struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	RuleID   string `json:"rule_id"`
}

type jsonReport struct {
	Findings []jsonFinding `json:"findings"`
	Errors   int           `json:"errors"`
	Warnings int           `json:"warnings"`
}

func writeJSON(w io.Writer, rep *sigmalint.Report) error {
	out := jsonReport{Findings: make([]jsonFinding, 0, len(rep.Findings)), Errors: rep.Errors, Warnings: rep.Warnings}
	for _, f := range rep.Findings {
		out.Findings = append(out.Findings, jsonFinding{
			Path: f.Path, Line: f.Line, Check: f.Check, Severity: f.Severity.String(), Message: f.Message, RuleID: f.RuleID,
		})
	}
	return cli.WriteJSON(w, out)
}

type jsonCheck struct {
	Name     string `json:"name"`
	Severity string `json:"severity"`
	Source   string `json:"source"`
	Summary  string `json:"summary"`
}

// writeChecks prints the check list: the linter's checks, then the loader's codes.
func writeChecks(o *Options) error {
	checks := sigmalint.Checks()
	sort.SliceStable(checks, func(i, j int) bool { return !checks[i].Loader && checks[j].Loader })
	list := make([]jsonCheck, len(checks))
	for i, c := range checks {
		src := "lint"
		if c.Loader {
			src = "loader"
		}
		list[i] = jsonCheck{Name: c.Name, Severity: c.Severity.String(), Source: src, Summary: c.Summary}
	}
	if o.Format == "json" {
		return cli.WriteJSON(o.Stdout, list)
	}
	tw := tabwriter.NewWriter(o.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSEVERITY\tSOURCE\tREPORTS")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Severity, c.Source, c.Summary)
	}
	return tw.Flush()
}

func checkNames() []string {
	var names []string
	for _, c := range sigmalint.Checks() {
		names = append(names, c.Name)
	}
	return names
}
