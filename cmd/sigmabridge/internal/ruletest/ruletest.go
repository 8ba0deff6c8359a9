package ruletest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// Options are the flags and arguments of `sigmabridge test`.
type Options struct {
	Paths     []string
	Pipelines []string
	Format    string
	// Profile is the --profile flag ("": $SIGMABRIDGE_PROFILE, then the user config dir).
	Profile string
	// InProcess matches with the library evaluator instead of the detector plugin.
	InProcess bool
	Host      sigmabridge.HostOptions

	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// NewCommand returns the cobra command.
func NewCommand() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "test [PATH|-]... [-p PIPELINE]... [-f table|json] [--plugin-dir DIR]",
		Short: "Run every rule's sample logs",
		Long: `Run every rule's samples: each sample expected to match must fire the rule, each
sample expected not to match must not.

PATH is a rule file or directory (default: the built-in pack); - reads one rule from
standard input (it has no samples, so it fails). A rule's samples are in a
directory beside it named like the rule file, or in the mirrored tree testdata/rules/<rel>/
next to the rules/ directory, listed by samples.yml (see testdata/rules/README.md).
The built-in pack's samples run under the profile they assume (testdata/rules/profile.yml),
whatever your profile; other rules run under your profile. The output says which.

Formats:
  table  one line per rule, failures below it
  json   {"rules": [{"id","title","path","positives","negatives","real_positives",
          "real_negatives","known_limitations","passed","failures"}], "passed": N,
          "failed": N, "platforms": [{"platform","rules","real_positives",...}]}

The table's REAL column is real positives+real negatives: published records (provenance
real, vendor-doc or vendor-fixture); a summary below it counts real and constructed
samples per platform.

Exit status: 0 every rule passed; 1 any rule failed or has no samples; 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Stdin, o.Stdout, o.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return cli.Exit(Run(cmd.Context(), o))
		},
	}
	cmd.Flags().StringVarP(&o.Format, "format", "f", "table", "output format: table or json")
	cmd.Flags().StringArrayVarP(&o.Pipelines, "pipeline", "p", nil, "processing pipeline applied to the rules first (repeatable)")
	cli.AddProfileFlag(cmd.Flags(), &o.Profile)
	cmd.Flags().BoolVar(&o.InProcess, "in-process", false, "match in this process instead of through the detector plugin")
	cli.AddPluginDirFlag(cmd.Flags(), &o.Host.PluginDir)
	return cmd
}

// RuleReport is one rule's outcome.
type RuleReport struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Path      string `json:"path"`
	Positives int    `json:"positives"`
	Negatives int    `json:"negatives"`
	// RealPositives and RealNegatives count the published records among the samples
	// (provenance real, vendor-doc or vendor-fixture); the rest are constructed.
	RealPositives int `json:"real_positives"`
	RealNegatives int `json:"real_negatives"`
	// Limitations counts the negatives that are attacks the rule cannot see.
	Limitations int      `json:"known_limitations"`
	Passed      bool     `json:"passed"`
	Failures    []string `json:"failures"`
	// Inactive names the profile values the rule lacks; it did not run.
	Inactive []string `json:"inactive,omitempty"`
}

// Report is the whole outcome.
type Report struct {
	Rules  []RuleReport `json:"rules"`
	Passed int          `json:"passed"`
	Failed int          `json:"failed"`
	// Inactive counts the rules left out for want of profile values.
	Inactive int `json:"inactive"`
	// Profile says which profile the samples ran under.
	Profile string `json:"profile"`
	// Platforms sums the samples per platform (the directory under rules/), in name order.
	Platforms []PlatformCount `json:"platforms"`
}

// PlatformCount is the sample count of one platform: real (published) and constructed
// samples, positive and negative.
type PlatformCount struct {
	Platform             string `json:"platform"`
	Rules                int    `json:"rules"`
	RealPositives        int    `json:"real_positives"`
	RealNegatives        int    `json:"real_negatives"`
	ConstructedPositives int    `json:"constructed_positives"`
	ConstructedNegatives int    `json:"constructed_negatives"`
}

// platformOf returns the directory a rule file sits in below a "rules" directory (aws,
// azure, ...), or the rule file's own directory name.
func platformOf(p string) string {
	parts := strings.Split(filepath.ToSlash(p), "/")
	for i := len(parts) - 2; i >= 1; i-- {
		if parts[i-1] == "rules" {
			return parts[i]
		}
	}
	if len(parts) >= 2 {
		return parts[len(parts)-2]
	}
	return "."
}

// countPlatforms sums the rules' samples per platform.
func countPlatforms(rules []RuleReport) []PlatformCount {
	by := map[string]*PlatformCount{}
	for _, r := range rules {
		name := platformOf(r.Path)
		c := by[name]
		if c == nil {
			c = &PlatformCount{Platform: name}
			by[name] = c
		}
		c.Rules++
		c.RealPositives += r.RealPositives
		c.RealNegatives += r.RealNegatives
		c.ConstructedPositives += r.Positives - r.RealPositives
		c.ConstructedNegatives += r.Negatives - r.RealNegatives
	}
	out := make([]PlatformCount, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b PlatformCount) int { return strings.Compare(a.Platform, b.Platform) })
	return out
}

// Run executes test and returns the exit code; a returned error is a usage error.
func Run(ctx context.Context, o *Options) (int, error) {
	if o.Format != "table" && o.Format != "json" {
		return cli.ExitUsage, cli.Usagef("unknown format %q (known: table, json)", o.Format)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	rep, diags, err := Execute(ctx, o)
	if err != nil {
		var ue cli.UsageError
		if errors.As(err, &ue) {
			return cli.ExitUsage, err
		}
		fmt.Fprintf(o.Stderr, "sigmabridge: %s\n", cli.Printable(err.Error()))
		return cli.ExitFailure, nil
	}
	cli.PrintDiagnostics(o.Stderr, diags)
	if o.Format == "json" {
		enc := json.NewEncoder(cli.JSONWriter(o.Stdout))
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return cli.ExitFailure, nil
		}
	} else {
		writeTable(o.Stdout, rep)
	}
	if rep.Failed > 0 || diags.HasErrors() || len(rep.Rules) == 0 {
		return cli.ExitFailure, nil
	}
	return cli.ExitOK, nil
}

// Execute loads the rules, finds their samples and runs them through the detector plugin
// (or the in-process evaluator). Rules that fail to load are reported as failed rules too.
func Execute(ctx context.Context, o *Options) (*Report, diag.List, error) {
	paths, pipelines := o.Paths, o.Pipelines
	set, _, diags, err := cli.LoadSet(paths, o.Stdin)
	if err != nil {
		return nil, diags, err
	}
	rules := set.Rules
	base := set.Base() // tested through the correlations that name them
	builtin := len(paths) == 0
	setup, about, err := cli.SamplesSetup(builtin, o.Profile, pipelines)
	if err != nil {
		return nil, diags, err
	}
	rep := &Report{Rules: []RuleReport{}, Profile: about}
	// Rules that did not load fail here, one report per file and rule id.
	seen := map[string]bool{}
	for _, d := range diags.Errors() {
		key := d.Path + "\x00" + d.RuleID
		if seen[key] {
			continue
		}
		seen[key] = true
		rep.Rules = append(rep.Rules, RuleReport{ID: d.RuleID, Path: d.Path, Failures: []string{d.String()}})
	}
	proc := sigmabridge.Prepare(setup, rules)
	ps, _ := sigmabridge.PreparedSet(setup, proc, set)
	det, err := sigmabridge.LoadDetectorSet(ctx, sigmabridge.DetectorOptions{InProcess: o.InProcess, Host: o.Host}, proc.Rules, ps)
	if err != nil {
		return nil, diags, err
	}
	defer det.Close()
	for i, r := range rules {
		if base[i] {
			continue
		}
		rr := RuleReport{ID: r.ID, Title: r.Title, Path: r.Path, Failures: []string{}}
		if needs := proc.Needs(r); needs != nil {
			for _, n := range needs {
				rr.Inactive = append(rr.Inactive, n.Key)
			}
			rep.Rules = append(rep.Rules, rr)
			continue
		}
		v := sigmabridge.RunSamples(proc, rules, i, builtin, det, nil)
		rr.Positives, rr.Negatives = v.Positives, v.Negatives
		rr.RealPositives, rr.RealNegatives, rr.Limitations = v.RealPositives, v.RealNegatives, v.Limitations
		rr.Failures = append(append(rr.Failures, proc.Failures(i)...), v.Failures...)
		rr.Passed = len(rr.Failures) == 0
		rep.Rules = append(rep.Rules, rr)
	}
	// Correlations run their sample sequences through the detector plugin, which
	// evaluates them (in process with --in-process).
	for ci, c := range set.Correlations {
		rr := RuleReport{ID: c.ID, Title: c.Title, Path: c.Path, Failures: []string{}}
		v := sigmabridge.RunCorrelationSamplesWith(det, setup, proc, set, ci, builtin, evaluator.CorrelatorOptions{})
		rr.Positives, rr.Negatives = v.Positives, v.Negatives
		rr.Failures = append(rr.Failures, v.Failures...)
		rr.Passed = len(rr.Failures) == 0
		rep.Rules = append(rep.Rules, rr)
	}
	for _, r := range rep.Rules {
		switch {
		case len(r.Inactive) > 0:
			rep.Inactive++
		case r.Passed:
			rep.Passed++
		default:
			rep.Failed++
		}
	}
	rep.Platforms = countPlatforms(rep.Rules)
	return rep, diags, nil
}

func writeTable(w io.Writer, rep *Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tPOS\tNEG\tREAL\tRULE\tPATH")
	for _, r := range rep.Rules {
		res := "PASS"
		switch {
		case len(r.Inactive) > 0:
			res = "OFF"
		case !r.Passed:
			res = "FAIL"
		}
		title := r.Title
		if title == "" {
			title = r.ID
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d+%d\t%s\t%s\n", res, r.Positives, r.Negatives, r.RealPositives, r.RealNegatives, cli.Cell(title), cli.Cell(r.Path))
	}
	tw.Flush()
	// Samples per platform: published (real) and constructed, positive and negative.
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLATFORM\tRULES\tREAL POS\tREAL NEG\tCONSTRUCTED POS\tCONSTRUCTED NEG")
	for _, c := range rep.Platforms {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", cli.Cell(c.Platform), c.Rules, c.RealPositives, c.RealNegatives, c.ConstructedPositives, c.ConstructedNegatives)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range rep.Rules {
		for _, f := range r.Failures {
			fmt.Fprintf(w, "FAIL %s: %s\n", cli.Printable(r.Path), cli.Printable(f))
		}
	}
	for _, r := range rep.Rules {
		if len(r.Inactive) > 0 {
			fmt.Fprintf(w, "OFF  %s: inactive, needs %s\n", r.Path, strings.Join(r.Inactive, ", "))
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed", rep.Passed, rep.Failed)
	if rep.Inactive > 0 {
		fmt.Fprintf(w, ", %d inactive", rep.Inactive)
	}
	fmt.Fprintf(w, " (%s)\n", rep.Profile)
}
