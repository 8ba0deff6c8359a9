// Package coverage is `sigmabridge coverage`: the ATT&CK techniques a rule set detects, as an
// ATT&CK Navigator layer or a Markdown table.
package coverage

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/ruleset"
)

// Options are the flags and arguments of `sigmabridge coverage`.
type Options struct {
	Output   string
	Markdown bool
	Name     string
	Paths    []string
	Stdout   io.Writer
	Stderr   io.Writer
}

// NewCommand returns the cobra command.
func NewCommand() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "coverage [PATH]... [-o FILE] [--markdown]",
		Short: "ATT&CK coverage of rules: a Navigator layer or a Markdown table",
		Long: `Lists the ATT&CK techniques the rules are tagged with (attack.tNNNN tags), each scored by
its rules: the sum over them of their level's weight (informational and low 1, medium 2,
high 3, critical 4; no level counts as medium). The rules counted are those that alert:
detection rules on their own and correlations (with their own tags and level); a rule that
only feeds correlations (named by one, without generate: true) is not counted.

Without --markdown the output is an ATT&CK Navigator layer (layer format 4.5, Enterprise
ATT&CK ` + formats.ATTACKVersion + `) to open in the Navigator; with --markdown a table for a README. Without
PATH the built-in pack is read. Tags that name no technique of the ATT&CK table are
reported on stderr.

Exit status: 0 ok, 1 some rules did not load (the others are counted), 2 usage.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return cli.Exit(Run(o))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "", "write to FILE instead of stdout (replaced atomically)")
	f.BoolVar(&o.Markdown, "markdown", false, "a Markdown table instead of a Navigator layer")
	f.StringVar(&o.Name, "name", "sigmabridge coverage", "the layer's name")
	return cmd
}

// Run executes coverage and returns the exit code.
func Run(o *Options) (int, error) {
	if strings.IndexFunc(o.Name, func(r rune) bool { return r < 0x20 }) >= 0 {
		return cli.ExitUsage, cli.Usagef("--name holds a control character")
	}
	files, diags, err := sigmabridge.RuleFiles(o.Paths)
	if err != nil {
		return cli.ExitFailure, err
	}
	set, ds := ruleset.LoadSet(files)
	diags = append(diags, ds...)
	cli.PrintDiagnostics(o.Stderr, diags)
	rules := formats.DeployedRules(set)
	if len(files) == 0 {
		fmt.Fprintf(o.Stderr, "sigmabridge: no Sigma rules (*.yml, *.yaml) found in %s\n", cli.Printable(strings.Join(o.Paths, " ")))
		return cli.ExitFailure, nil
	}
	for _, r := range rules {
		for _, t := range formats.ParseTags(r.Tags).Unknown {
			fmt.Fprintf(o.Stderr, "%s:%d: tag %s names no tactic or technique of Enterprise ATT&CK %s\n",
				cli.Printable(r.Path), r.Line, cli.Printable(t), formats.ATTACKVersion)
		}
	}
	cov := formats.Coverage(rules)
	var data []byte
	if o.Markdown {
		data = formats.CoverageMarkdown(cov)
	} else {
		data = formats.NavigatorLayer(cov, o.Name, fmt.Sprintf("ATT&CK techniques of %s, scored by rule count and level (sigmabridge coverage)", cli.Count(len(rules)-len(set.Correlations), "Sigma rule")+" and "+cli.Count(len(set.Correlations), "correlation")))
	}
	if o.Output != "" {
		if err := cli.WriteFileAtomic(o.Output, data); err != nil {
			fmt.Fprintf(o.Stderr, "sigmabridge: writing %s: %s\n", cli.Printable(o.Output), cli.Printable(err.Error()))
			return cli.ExitFailure, nil
		}
	} else if _, err := o.Stdout.Write(data); err != nil {
		return cli.ExitFailure, nil
	}
	if diags.HasErrors() {
		return cli.ExitFailure, nil
	}
	return cli.ExitOK, nil
}
