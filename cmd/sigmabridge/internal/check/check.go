package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	_ "github.com/sigmabridge/sigmabridge/backends/all" // the built-in backend plugins
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/lint"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// Options are the flags and arguments of `sigmabridge check`.
type Options struct {
	Paths     []string
	Pipelines []string
	Format    string
	Host      sigmabridge.HostOptions

	Stdout io.Writer
	Stderr io.Writer
	// Profile is the --profile flag ("": $SIGMABRIDGE_PROFILE, then the user config dir).
	Profile string
}

// NewCommand returns the cobra command.
func NewCommand() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "check [PATH]... [-p PIPELINE]... [-f table|json] [--plugin-dir DIR]",
		Short: "Lint, convert through every backend plugin and run the samples through the detector plugin",
		Long: `For every rule: lint it; convert it through every backend plugin (built-in and external)
for each target the plugin serves; run its samples through the detector plugin.

PATH is a rule file or directory (default: the built-in pack). The built-in pack is checked
under the profile its samples assume (testdata/rules/profile.yml), whatever your profile;
other rules under your profile. The output says which. A rule left out for want of a
profile value is reported as inactive, not failed. A target that cannot express a rule exactly names the reason; that
is reported, not failed. Everything else that goes wrong fails the rule.

With -p, the rules are checked the way that pipeline deploys them: they are converted for
the targets the pipeline is for (its allowed_backends) only, and each rule's samples, written
in the vendor's raw field names, are first brought into the deployment's shape by the event
transform that goes with the pipeline (the same items read the other way: field renames,
Elasticsearch flattened objects, Splunk's {} array names; see 'pipeline.Shape' and
translator/pipeline/builtin/README.md) before the detector runs the pipeline-applied rules.
Without -p, the samples and rules are checked as written.

  json: {"rules": [{"id","title","path","ok","lint": [...],
          "targets": {"splunk": {"ok": true, "queries": [...]} | {"ok": false, "unsupported": bool,
                      "error": {"code","message"}}, ...},
          "samples": {"positives": N, "negatives": N, "passed": bool, "failures": [...]}}],
         "plugins": [{"name","error"}], "ok": bool, "targets": [...], "profile": "...",
         "pipelines": [...] (with -p)}

Exit status: 0 every rule passed; 1 anything failed; 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return cli.Exit(Run(cmd.Context(), o))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Format, "format", "f", "table", "output format: table or json")
	f.StringArrayVarP(&o.Pipelines, "pipeline", "p", nil, "processing pipeline applied before converting and matching (repeatable)")
	cli.AddProfileFlag(f, &o.Profile)
	f.StringVar(&o.Host.PluginDir, "plugin-dir", "", "plugin directory (default $SIGMABRIDGE_PLUGIN_DIR or <user config dir>/sigmabridge/plugins)")
	f.DurationVar(&o.Host.CallTimeout, "plugin-timeout", host.DefaultCallTimeout, "deadline of one plugin call; a plugin that takes longer is reported as hung")
	return cmd
}

// Finding is a lint finding in the report.
type Finding struct {
	Line     int    `json:"line"`
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// ErrorInfo is why a target failed.
type ErrorInfo struct {
	Code    diag.Code `json:"code"`
	Message string    `json:"message"`
}

// TargetResult is one rule on one target.
type TargetResult struct {
	OK          bool       `json:"ok"`
	Unsupported bool       `json:"unsupported,omitempty"`
	Plugin      string     `json:"plugin"`
	Queries     []string   `json:"queries,omitempty"`
	Error       *ErrorInfo `json:"error,omitempty"`
}

// SampleResult is a rule's samples through the detector.
type SampleResult struct {
	Positives int      `json:"positives"`
	Negatives int      `json:"negatives"`
	Passed    bool     `json:"passed"`
	Failures  []string `json:"failures,omitempty"`
}

// RuleResult is everything check learnt about one rule.
type RuleResult struct {
	ID       string                   `json:"id"`
	Title    string                   `json:"title"`
	Path     string                   `json:"path"`
	OK       bool                     `json:"ok"`
	Lint     []Finding                `json:"lint"`
	Problems []string                 `json:"problems,omitempty"`
	Targets  map[string]*TargetResult `json:"targets"`
	Samples  SampleResult             `json:"samples"`
	// Inactive names the profile values the rule lacks; it was not converted or run.
	Inactive []string `json:"inactive,omitempty"`
	// BaseOf names the correlations that test this rule (generate: false): it has no
	// samples of its own.
	BaseOf []string `json:"base_of,omitempty"`
}

// PluginProblem is a plugin that could not be used.
type PluginProblem struct {
	Name  string `json:"name"`
	Error string `json:"error"`
}

// Report is the whole outcome.
type Report struct {
	Rules   []*RuleResult   `json:"rules"`
	Plugins []PluginProblem `json:"plugins"`
	OK      bool            `json:"ok"`
	// Targets lists every target checked, in column order.
	Targets []string `json:"targets"`
	// Profile says which profile the rules were checked under.
	Profile string `json:"profile"`
	// Pipelines are the -p pipelines the rules were checked as deployed by; the samples ran
	// in their deployment's shape.
	Pipelines []string `json:"pipelines,omitempty"`
}

// Run executes check and returns the exit code; a returned error is a usage error.
func Run(ctx context.Context, o *Options) (int, error) {
	if o.Format != "table" && o.Format != "json" {
		return cli.ExitUsage, cli.Usagef("unknown format %q (known: table, json)", o.Format)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	builtinPack := len(o.Paths) == 0
	setup, about, err := cli.SamplesSetup(builtinPack, o.Profile, o.Pipelines)
	if err != nil {
		return cli.ExitUsage, err
	}
	files, discoverDiags, err := cli.RuleFiles(o.Paths, nil)
	if err != nil {
		return cli.CodeOf(err), err
	}
	if len(files) == 0 {
		cli.PrintDiagnostics(o.Stderr, discoverDiags)
		fmt.Fprintf(o.Stderr, "sigmabridge: no Sigma rules found in %s\n", cli.Printable(strings.Join(o.Paths, " ")))
		return cli.ExitFailure, nil
	}
	set, loadDiags := ruleset.LoadSet(files)
	rules := set.Rules
	lintRep := lint.Run(files, lint.Config{})

	m, err := sigmabridge.OpenHost(o.Host)
	if err != nil {
		return cli.ExitUsage, cli.UsageError{Err: err}
	}
	defer m.Close()
	ctx, stop := m.HandleSignals(ctx)
	defer stop()

	rep := &Report{Rules: []*RuleResult{}, Plugins: []PluginProblem{}, Profile: about, Pipelines: o.Pipelines}
	for _, p := range m.Problems() {
		rep.Plugins = append(rep.Plugins, PluginProblem{Name: pluginName(p), Error: p.Error()})
	}

	// Rules that did not load are failed rules with their diagnostics.
	for _, d := range append(discoverDiags, loadDiags.Errors()...) {
		rep.Rules = append(rep.Rules, &RuleResult{ID: d.RuleID, Path: d.Path, Problems: []string{d.String()}, Targets: map[string]*TargetResult{}})
	}

	proc := sigmabridge.Prepare(setup, rules)
	processed, procIndex := proc.Rules, proc.Index
	results := make([]*RuleResult, len(rules))
	for i, r := range rules {
		results[i] = &RuleResult{ID: r.ID, Title: r.Title, Path: r.Path, Lint: []Finding{}, Targets: map[string]*TargetResult{}, Problems: proc.Failures(i)}
		for _, n := range proc.Needs(r) {
			results[i].Inactive = append(results[i].Inactive, n.Key)
		}
	}
	attachLint(results, rules, lintRep)

	// A pipeline made for some targets is checked on those only (see
	// sigmabridge.CheckPipelineTargets): its field names mean nothing to the others.
	forTarget := func(target string) bool { return sigmabridge.CheckPipelineTargets(target, o.Pipelines) == nil }
	rep.Targets = convertAll(ctx, m, processed, procIndex, results, rep, forTarget)
	det := runSamples(ctx, m, setup, proc, set, results, builtinPack, rep)
	results = append(results, checkCorrelations(ctx, m, det, set, setup, proc, results, builtinPack, rep.Targets)...)

	rep.OK = len(rep.Plugins) == 0
	for _, r := range results {
		r.OK = ruleOK(r)
		rep.Rules = append(rep.Rules, r)
	}
	for _, r := range rep.Rules {
		if !r.OK {
			rep.OK = false
		}
	}
	sort.SliceStable(rep.Rules, func(i, j int) bool { return rep.Rules[i].Path < rep.Rules[j].Path })

	if o.Format == "json" {
		if err := cli.WriteJSON(o.Stdout, rep); err != nil {
			return cli.ExitFailure, nil
		}
	} else {
		writeTable(o.Stdout, rep)
	}
	if !rep.OK {
		return cli.ExitFailure, nil
	}
	return cli.ExitOK, nil
}

// pluginName names the plugin, or the refused plugin directory, an error is about.
func pluginName(err error) string {
	var ue *host.UnsafeError
	if pe, ok := host.AsPluginError(err); ok {
		return pe.Plugin
	} else if errors.As(err, &ue) {
		return ue.What + " " + ue.Path
	}
	return "unknown"
}

// attachLint gives each rule the findings of its file that are about it (or about no
// rule in particular).
func attachLint(results []*RuleResult, rules []*ir.Rule, rep *lint.Report) {
	for _, f := range rep.Findings {
		for i, r := range rules {
			if r.Path != f.Path || (f.RuleID != "" && f.RuleID != r.ID) {
				continue
			}
			results[i].Lint = append(results[i].Lint, Finding{Line: f.Line, Check: f.Check, Severity: f.Severity.String(), Message: f.Message})
		}
	}
}

// convertAll converts the processed rules through every backend plugin and target that
// forTarget accepts. It returns the targets in column order.
func convertAll(ctx context.Context, m *host.Manager, processed []*ir.Rule, procIndex []int, results []*RuleResult, rep *Report, forTarget func(string) bool) []string {
	all, problems := sigmabridge.ConvertThroughPlugins(ctx, m, processed)
	var runs []sigmabridge.PluginRun
	for _, run := range all {
		if forTarget(run.Target) {
			runs = append(runs, run)
		}
	}
	for _, err := range problems {
		rep.Plugins = append(rep.Plugins, PluginProblem{Name: pluginName(err), Error: err.Error()})
	}
	// Two plugins may serve the same target: the column is then "plugin:target".
	count := map[string]int{}
	for _, run := range runs {
		count[run.Target]++
	}
	var targets []string
	for _, run := range runs {
		column := run.Target
		if count[run.Target] > 1 {
			column = run.Plugin + ":" + run.Target
		}
		targets = append(targets, column)
		for i, r := range results {
			p := procIndex[i]
			if p < 0 {
				continue
			}
			tr := &TargetResult{Plugin: run.Plugin}
			r.Targets[column] = tr
			if run.Err != nil {
				tr.Error = &ErrorInfo{Code: "plugin-error", Message: run.Err.Error()}
				continue
			}
			res := run.Results[p]
			if errs := res.Diagnostics.Errors(); len(errs) > 0 {
				tr.Error = &ErrorInfo{Code: errs[0].Code, Message: joinMessages(errs)}
				tr.Unsupported = errs.OnlyUnsupported()
				continue
			}
			tr.OK = true
			for _, q := range res.Queries {
				tr.Queries = append(tr.Queries, q.Text)
			}
		}
	}
	return targets
}

// runSamples loads the processed rules, with the set's correlations, into the detector
// plugin and runs each rule's samples through it. It returns the detector (nil when it
// could not be loaded) for the correlations' samples.
func runSamples(ctx context.Context, m *host.Manager, setup *profile.Setup, proc sigmabridge.Prepared, set *ir.RuleSet, results []*RuleResult, builtinPack bool, rep *Report) *sigmabridge.Detector {
	rules := set.Rules
	ps, _ := sigmabridge.PreparedSet(setup, proc, set)
	det, err := sigmabridge.PluginDetectorSet(ctx, m, proc.Rules, ps, evaluator.CorrelatorOptions{})
	if err != nil {
		rep.Plugins = append(rep.Plugins, PluginProblem{Name: pluginName(err), Error: err.Error()})
	} else if det.CorrelationErr != nil {
		rep.Plugins = append(rep.Plugins, PluginProblem{Name: pluginName(det.CorrelationErr), Error: det.CorrelationErr.Error()})
	}
	for i := range rules {
		res := results[i]
		v := sigmabridge.RunSamples(proc, rules, i, builtinPack, det, err)
		res.Samples.Positives, res.Samples.Negatives, res.Samples.Failures = v.Positives, v.Negatives, v.Failures
		res.Samples.Passed = len(v.Failures) == 0
	}
	return det
}

func ruleOK(r *RuleResult) bool {
	if len(r.Problems) > 0 || !r.Samples.Passed {
		return false
	}
	for _, f := range r.Lint {
		if f.Severity == diag.Error.String() {
			return false
		}
	}
	for _, t := range r.Targets {
		if !t.OK && !t.Unsupported {
			return false
		}
	}
	return true
}

func joinMessages(errs diag.List) string {
	msgs := make([]string, len(errs))
	for i, d := range errs {
		msgs[i] = d.Message
	}
	return strings.Join(msgs, "; ")
}

func writeTable(w io.Writer, rep *Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	header := []string{"RESULT", "LINT"}
	for _, t := range rep.Targets {
		header = append(header, strings.ToUpper(t))
	}
	header = append(header, "SAMPLES", "RULE")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	passed, inactive := 0, 0
	for _, r := range rep.Rules {
		res := "FAIL"
		switch {
		case r.OK && len(r.Inactive) > 0:
			res = "off"
			inactive++
		case r.OK:
			res = "ok"
			passed++
		}
		errs, warns := 0, 0
		for _, f := range r.Lint {
			if f.Severity == diag.Error.String() {
				errs++
			} else {
				warns++
			}
		}
		cols := []string{res, fmt.Sprintf("%dE/%dW", errs, warns)}
		for _, t := range rep.Targets {
			tr := r.Targets[t]
			switch {
			case tr == nil:
				cols = append(cols, "-")
			case tr.OK:
				cols = append(cols, "ok")
			case tr.Unsupported:
				cols = append(cols, "n/a")
			default:
				cols = append(cols, "FAIL")
			}
		}
		s := "FAIL"
		switch {
		case len(r.Inactive) > 0:
			s = "off"
		case r.Samples.Passed:
			s = "ok"
		}
		cols = append(cols, fmt.Sprintf("%s %d+/%d-", s, r.Samples.Positives, r.Samples.Negatives))
		title := r.Title
		if title == "" {
			title = r.Path
		}
		cols = append(cols, cli.Cell(title))
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	tw.Flush()
	for _, r := range rep.Rules {
		for _, p := range r.Problems {
			fmt.Fprintf(w, "FAIL %s: %s\n", cli.Printable(r.Path), cli.Printable(p))
		}
		for _, f := range r.Lint {
			if f.Severity == diag.Error.String() {
				fmt.Fprintf(w, "FAIL %s:%d: lint %s: %s\n", cli.Printable(r.Path), f.Line, f.Check, cli.Printable(f.Message))
			}
		}
		for _, t := range rep.Targets {
			if tr := r.Targets[t]; tr != nil && tr.Error != nil {
				verdict := "FAIL"
				if tr.Unsupported {
					verdict = "n/a "
				}
				fmt.Fprintf(w, "%s %s: %s: %s: %s\n", verdict, cli.Printable(r.Path), t, tr.Error.Code, cli.Printable(tr.Error.Message))
			}
		}
		for _, f := range r.Samples.Failures {
			fmt.Fprintf(w, "FAIL %s: samples: %s\n", cli.Printable(r.Path), cli.Printable(f))
		}
		if len(r.Inactive) > 0 {
			fmt.Fprintf(w, "off  %s: inactive, needs %s\n", r.Path, strings.Join(r.Inactive, ", "))
		}
	}
	for _, p := range rep.Plugins {
		fmt.Fprintf(w, "FAIL plugin %s: %s\n", cli.Printable(p.Name), cli.Printable(p.Error))
	}
	off := ""
	if inactive > 0 {
		off = fmt.Sprintf(", %d inactive", inactive)
	}
	deployed := ""
	if len(rep.Pipelines) > 0 {
		deployed = "; checked as deployed by " + cli.Printable(strings.Join(rep.Pipelines, " + ")) + ", samples in its shape"
	}
	fmt.Fprintf(w, "%d passed, %d failed%s (%s%s)\n", passed, len(rep.Rules)-passed-inactive, off, rep.Profile, deployed)
}
