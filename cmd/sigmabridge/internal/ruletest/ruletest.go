package ruletest

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
	"github.com/sigmabridge/sigmabridge/translator/samples"
)

// Options are the flags and arguments of `sigmabridge test`.
type Options struct {
	Paths     []string
	Pipelines []string
	Format    string

	Stdout io.Writer
	Stderr io.Writer
}

// NewCommand returns the cobra command.
func NewCommand() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "test [PATH]... [-p PIPELINE]... [-f table|json]",
		Short: "Run every rule's sample logs",
		Long: `Run every rule's samples: each sample expected to match must fire the rule, each
sample expected not to match must not.

PATH is a rule file or directory (default: the built-in pack). A rule's samples are in a
directory beside it named like the rule file, or in the mirrored tree testdata/rules/<rel>/
next to the rules/ directory, listed by samples.yml (see testdata/rules/README.md).
For the built-in pack the placeholder values its samples assume are applied.

Formats:
  table  one line per rule, failures below it
  json   {"rules": [{"id","title","path","positives","negatives","passed","failures"}],
          "passed": N, "failed": N}

Exit status: 0 every rule passed; 1 any rule failed or has no samples; 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			code, err := Run(o)
			if err != nil {
				return err
			}
			if code != cli.ExitOK {
				return cli.ExitError{Code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&o.Format, "format", "f", "table", "output format: table or json")
	cmd.Flags().StringArrayVarP(&o.Pipelines, "pipeline", "p", nil, "processing pipeline applied to the rules first (repeatable)")
	return cmd
}

// RuleReport is one rule's outcome.
type RuleReport struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Path      string   `json:"path"`
	Positives int      `json:"positives"`
	Negatives int      `json:"negatives"`
	Passed    bool     `json:"passed"`
	Failures  []string `json:"failures"`
}

// Report is the whole outcome.
type Report struct {
	Rules  []RuleReport `json:"rules"`
	Passed int          `json:"passed"`
	Failed int          `json:"failed"`
}

// Run executes test and returns the exit code; a returned error is a usage error.
func Run(o *Options) (int, error) {
	if o.Format != "table" && o.Format != "json" {
		return cli.ExitUsage, cli.Usagef("unknown format %q (known: table, json)", o.Format)
	}
	rep, diags, err := Execute(o.Paths, o.Pipelines)
	if err != nil {
		return cli.ExitUsage, err
	}
	cli.PrintDiagnostics(o.Stderr, diags)
	if o.Format == "json" {
		enc := json.NewEncoder(o.Stdout)
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

// Execute loads the rules, finds their samples and runs them through the in-process
// evaluator. Rules that fail to load are reported as failed rules too.
func Execute(paths, pipelines []string) (*Report, diag.List, error) {
	rules, _, diags, err := cli.LoadRules(paths)
	if err != nil {
		return nil, diags, err
	}
	builtin := len(paths) == 0
	chainNames := pipelines
	var chain *pipeline.Pipeline
	if builtin {
		p, err := packPlaceholders()
		if err != nil {
			return nil, diags, err
		}
		chain = p
	}
	if len(chainNames) > 0 {
		p, err := pipeline.LoadChain(chainNames...)
		if err != nil {
			return nil, diags, cli.UsageError{Err: err}
		}
		if chain != nil {
			chain = pipeline.Chain(chain, p)
		} else {
			chain = p
		}
	}
	rep := &Report{Rules: []RuleReport{}}
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
	processed := make([]*ir.Rule, len(rules))
	pipeFail := make([][]string, len(rules))
	for i, r := range rules {
		processed[i] = r
		if chain != nil {
			pr, ds := chain.Apply(r)
			if ds.HasErrors() {
				for _, d := range ds.Errors() {
					pipeFail[i] = append(pipeFail[i], d.String())
				}
				continue
			}
			processed[i] = pr
		}
	}
	prog, errs := evaluator.Compile(processed)
	compileFail := map[int][]string{}
	for _, e := range errs {
		// Compile errors carry the rule's path; attribute them by path and id.
		var d diag.Diagnostic
		if de, ok := e.(diag.Diagnostic); ok {
			d = de
		}
		for i, r := range processed {
			if r.Path == d.Path && r.ID == d.RuleID {
				compileFail[i] = append(compileFail[i], e.Error())
			}
		}
	}
	match := samples.ProgramMatch(prog)
	for i, r := range rules {
		rr := RuleReport{ID: r.ID, Title: r.Title, Path: r.Path, Failures: []string{}}
		rr.Failures = append(rr.Failures, pipeFail[i]...)
		rr.Failures = append(rr.Failures, compileFail[i]...)
		m, err := manifestFor(r, builtin)
		switch {
		case err != nil:
			rr.Failures = append(rr.Failures, err.Error())
		case m == nil:
			rr.Failures = append(rr.Failures, fmt.Sprintf("%s: no samples (expected %s in a directory named like the rule, or in testdata/rules/)", r.Path, samples.ManifestName))
		case m.RuleID != "" && m.RuleID != r.ID:
			rr.Failures = append(rr.Failures, fmt.Sprintf("%s: the manifest is for rule %s, not %s", path.Join(m.Display, samples.ManifestName), m.RuleID, r.ID))
		case len(rr.Failures) == 0:
			v := samples.Run(m, i, match)
			rr.Positives, rr.Negatives = v.Positives, v.Negatives
			rr.Failures = append(rr.Failures, v.Failures...)
		default:
			rr.Positives, rr.Negatives = m.Positives(), m.Negatives()
		}
		rr.Passed = len(rr.Failures) == 0
		rep.Rules = append(rep.Rules, rr)
	}
	for _, r := range rep.Rules {
		if r.Passed {
			rep.Passed++
		} else {
			rep.Failed++
		}
	}
	return rep, diags, nil
}

// packPlaceholders is the pipeline with the placeholder values the pack's samples assume.
func packPlaceholders() (*pipeline.Pipeline, error) {
	data, err := fs.ReadFile(sigmabridge.PackSamples, "placeholders.yml")
	if err != nil {
		return nil, err
	}
	return pipeline.Parse("testdata/rules/placeholders.yml", data)
}

// manifestFor finds a rule's samples: in the embedded tree for the built-in pack, on disk
// otherwise. It returns nil, nil when the rule has none.
func manifestFor(r *ir.Rule, builtin bool) (*samples.Manifest, error) {
	if builtin {
		rel := strings.TrimPrefix(r.Path, cli.BuiltinPrefix+"/")
		dir := strings.TrimSuffix(rel, path.Ext(rel))
		if _, err := fs.Stat(sigmabridge.PackSamples, path.Join(dir, samples.ManifestName)); err != nil {
			return nil, nil
		}
		return samples.ReadManifest(sigmabridge.PackSamples, dir, path.Join("testdata/rules", dir))
	}
	dir := samples.Locate(r.Path)
	if dir == "" {
		return nil, nil
	}
	return samples.ReadManifest(os.DirFS(dir), ".", dir)
}

func writeTable(w io.Writer, rep *Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tPOS\tNEG\tRULE\tPATH")
	for _, r := range rep.Rules {
		res := "PASS"
		if !r.Passed {
			res = "FAIL"
		}
		title := r.Title
		if title == "" {
			title = r.ID
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", res, r.Positives, r.Negatives, title, r.Path)
	}
	tw.Flush()
	for _, r := range rep.Rules {
		for _, f := range r.Failures {
			fmt.Fprintf(w, "FAIL %s: %s\n", r.Path, f)
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", rep.Passed, rep.Failed)
}
