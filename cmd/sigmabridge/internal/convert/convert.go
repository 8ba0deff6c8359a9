package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	_ "github.com/sigmabridge/sigmabridge/backends/all" // register the built-in targets
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmapping"
	"github.com/sigmabridge/sigmabridge/backends/splunk"
	"github.com/sigmabridge/sigmabridge/backends/splunk/splfields"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/internal/suggest"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// Options are the flags and arguments of `sigmabridge convert`.
type Options struct {
	Target          string
	Pipelines       []string
	Format          string
	Output          string
	SkipUnsupported bool
	// AllowPipelineMismatch lets a pipeline made for other targets be used (see
	// sigmabridge.CheckPipelineTargets).
	AllowPipelineMismatch bool
	Paths                 []string
	// Profile is the --profile flag ("": $SIGMABRIDGE_PROFILE, then the user config dir).
	Profile string
	// Host says where external backend plugins come from (--plugin-dir): a target that is
	// not built in is looked up among them.
	Host sigmabridge.HostOptions
	// Deploy are the flags of the deployable formats and --per-rule (deploy.go).
	Deploy DeployOptions
	// Mapping is --mapping: a file holding Elasticsearch's GET index/_mapping answer, by
	// which the Elasticsearch targets type each leaf (backends/elasticsearch/esmapping).
	Mapping string
	// Fields is --fields: a file holding the output of Splunk's `| fieldsummary` (JSON or
	// CSV), by which the Splunk target names each leaf's field as Splunk extracts it
	// (backends/splunk/splfields).
	Fields string

	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// FormatHelp is the one-line description of each output format (sigmabridge list formats).
var FormatHelp = map[string]string{
	"default": "the queries, one per line (dsl: one JSON document per line)",
	"jsonl":   "one JSON object per line and rule result: path, id, title, target, query or error",
}

// Formats lists the output formats of convert.
var Formats = []string{"default", "jsonl"}

// NewCommand returns the cobra command.
func NewCommand() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "convert -t TARGET [-p PIPELINE]... [-f FORMAT] [-o FILE] [--skip-unsupported] [--plugin-dir DIR] [PATH|-]...",
		Short: "Convert Sigma rules into queries for a SIEM",
		Long: `Convert Sigma rules into queries for one target: ` + strings.Join(backends.Names(), ", ") + `, or a
target an external backend plugin serves (pinned in --plugin-dir; 'sigmabridge list targets'
lists them all).

PATH is a rule file or a directory searched recursively for *.yml and *.yaml; - reads one
rule file from standard input (named <stdin>); without a PATH the built-in T1648 rule pack
is converted. A PATH that is not a rule file (a log) or a directory without rules is a usage
error. Each rule condition gives one query.

Formats:
  default  the queries, one per line (dsl: one JSON document per line); a rule whose
           query would hold a raw line break or control character that the target
           cannot escape fails with unsupported-control-character (jsonl carries it)
  jsonl    one JSON object per line and rule result:
           {"path", "id", "title", "target", "query"} or {..., "error": {"code", "message"}}

The organisation profile (--profile, $SIGMABRIDGE_PROFILE, <user config dir>/sigmabridge/profile.yml)
fills the rules' placeholders and sets the index and sourcetype of each log source. A rule that
cannot run without a value the profile lacks is left out, and one line on stderr names every
such rule and the value it needs ('sigmabridge profile show' explains each); that is not a
failure.

Deployable formats:
` + deployFormatsHelp() + `
Diagnostics go to stderr as path:line: code: message.
Exit status: 0 every rule converted or left out for want of a profile value; 1 some rules
failed (all others still converted); 2 usage error (a profile that does not validate included).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Stdin = cmd.InOrStdin()
			o.Stdout = cmd.OutOrStdout()
			o.Stderr = cmd.ErrOrStderr()
			return cli.Exit(Run(o))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Target, "target", "t", "", "target query language: "+strings.Join(backends.Names(), ", ")+", or an external plugin's (sigmabridge list targets)")
	f.StringArrayVarP(&o.Pipelines, "pipeline", "p", nil, "processing pipeline: a built-in name or a pySigma pipeline YAML file (repeatable)")
	f.StringVarP(&o.Format, "format", "f", "default", "output format: "+strings.Join(allFormats(), ", "))
	f.StringVarP(&o.Output, "output", "o", "", "write the output to FILE instead of stdout: replaced atomically, a regular file that is not an input")
	cli.AddProfileFlag(f, &o.Profile)
	f.BoolVar(&o.SkipUnsupported, "skip-unsupported", false, "rules the target or a pipeline cannot express (codes unsupported-*, mapping-*, fields-*, case-sensitive-target, pipeline-unsupported, unresolved-placeholder) are reported as skipped and do not fail the run")
	f.StringVar(&o.Mapping, "mapping", "", "Elasticsearch GET index/_mapping answer (a file) of the indices the queries run on: each leaf is written for its field's real type, and a leaf the mapping cannot answer exactly fails with a mapping-* code (lucene, dsl, esql, eql)")
	f.StringVar(&o.Fields, "fields", "", "the extracted fields of the events the queries run on, as Splunk's | fieldsummary outputs them (a JSON or CSV file): a.b is written a{}.b where only that is extracted, numbers are compared numerically on numeric fields, and a leaf the description cannot answer exactly fails with a fields-* code (splunk)")
	f.BoolVar(&o.AllowPipelineMismatch, "allow-pipeline-mismatch", false, "use a pipeline whose allowed_backends do not name the target")
	cli.AddPluginDirFlag(f, &o.Host.PluginDir)
	addDeployFlags(f, &o.Deploy)
	_ = cmd.MarkFlagRequired("target")
	return cmd
}

// mappingTargets are the targets --mapping types.
var mappingTargets = []string{"lucene", "dsl", "esql", "eql"}

// readMapping reads --mapping, for a built-in Elasticsearch target only, or --fields, for
// the built-in splunk target only: nil without either flag. The error (a usage error)
// names the file.
func readMapping(o *Options, plugin bool) (*ir.IndexMapping, error) {
	if o.Fields != "" {
		if o.Mapping != "" || plugin || o.Target != splunk.Target {
			return nil, cli.Usagef("--fields describes Splunk's extracted fields for the splunk target, not %s (--mapping is the Elasticsearch targets')", o.Target)
		}
		m, err := splfields.ReadFile(o.Fields)
		if err != nil {
			return nil, cli.UsageError{Err: err}
		}
		return m, nil
	}
	if o.Mapping == "" {
		return nil, nil
	}
	if plugin || !slices.Contains(mappingTargets, o.Target) {
		return nil, cli.Usagef("--mapping types the Elasticsearch targets (%s), not %s", strings.Join(mappingTargets, ", "), o.Target)
	}
	m, err := esmapping.ReadFile(o.Mapping)
	if err != nil {
		return nil, cli.UsageError{Err: err}
	}
	return m, nil
}

// Result is the outcome of one rule on one target.
type Result = sigmabridge.Result

// Run executes convert and returns the exit code. A returned error is a usage error.
func Run(o *Options) (int, error) {
	if !o.AllowPipelineMismatch {
		// A pipeline that does not load is reported by the setup below.
		if err := sigmabridge.CheckPipelineTargets(o.Target, o.Pipelines); errors.Is(err, sigmabridge.ErrPipelineMismatch) {
			return cli.ExitUsage, cli.Usagef("%v (--allow-pipeline-mismatch uses it anyway)", err)
		}
	}
	if deploying(o) {
		return runDeploy(o)
	}
	if !slices.Contains(Formats, o.Format) {
		return cli.ExitUsage, cli.Usagef("unknown format %q (known: %s)%s", o.Format, strings.Join(allFormats(), ", "), suggest.Hint(o.Format, allFormats()))
	}
	ctx := context.Background()
	target, m, err := sigmabridge.FindTarget(ctx, o.Target, o.Host)
	if err != nil {
		return cli.ExitUsage, cli.UsageError{Err: err}
	}
	if m != nil {
		defer m.Close()
		var stop func()
		ctx, stop = m.HandleSignals(ctx)
		defer stop()
	}
	prof, err := cli.LoadProfile(o.Profile)
	if err != nil {
		return cli.ExitUsage, err
	}
	setup, err := cli.NewSetup(prof, profile.TargetOf(o.Target), o.Pipelines)
	if err != nil {
		return cli.ExitUsage, err
	}
	if setup.Mapping, err = readMapping(o, target.Backend == nil); err != nil {
		return cli.ExitUsage, err
	}
	set, files, loadDiags, err := cli.LoadSet(o.Paths, o.Stdin)
	if err != nil {
		return cli.ExitUsage, err
	}
	rules := set.Rules
	base := set.Base() // rules that alert only through a correlation (generate: false)
	if o.Output != "" {
		if err := checkOutput(o.Output, files, o.Pipelines); err != nil {
			return cli.ExitUsage, err
		}
	}
	cli.PrintDiagnostics(o.Stderr, loadDiags)
	exit := cli.ExitOK
	if loadDiags.HasErrors() {
		exit = cli.ExitFailure
	}
	if len(files) == 0 {
		fmt.Fprintf(o.Stderr, "sigmabridge: no Sigma rules (*.yml, *.yaml) found in %s\n", cli.Printable(strings.Join(o.Paths, " ")))
		return cli.ExitFailure, nil
	}

	var results []Result
	var left []profile.Left
	if target.Backend != nil {
		results, left, err = sigmabridge.Convert(ctx, target.Backend, setup, rules)
	} else {
		results, left, err = sigmabridge.ConvertPlugin(ctx, m, target, setup, rules)
	}
	if err != nil {
		fmt.Fprintf(o.Stderr, "sigmabridge: %s\n", cli.Printable(err.Error()))
		return cli.ExitFailure, nil
	}
	var out bytes.Buffer
	failed, skipped := 0, 0
	loadErrs := loadErrorsByFile(loadDiags)
	next := 0
	for _, f := range files {
		// Rules that did not load are results too (jsonl gets an error line for each).
		for _, g := range loadErrs[f.Path] {
			writeResult(&out, o, Result{Rule: &ir.Rule{Path: f.Path, ID: g[0].RuleID}, Diags: g, Failed: true})
		}
		for ; next < len(results) && results[next].Rule.Path == f.Path; next++ {
			r := results[next]
			if base[next] {
				continue
			}
			if len(r.Inactive) > 0 {
				continue
			}
			r = frame(r, o)
			countResult(o, r.Diags, r.Failed, r.Unsupported, &failed, &skipped)
			writeResult(&out, o, r)
		}
	}
	converted := len(results) - len(base)
	if len(set.Correlations) > 0 {
		cf, cs := writeCorrelations(ctx, m, &out, o, target, setup, set)
		failed, skipped, converted = failed+cf, skipped+cs, converted+len(set.Correlations)
	}
	if failed > 0 {
		exit = cli.ExitFailure
	}
	if o.Output != "" {
		if err := writeOutput(o, out.Bytes()); err != nil {
			fmt.Fprintf(o.Stderr, "sigmabridge: %v\n", err)
			return cli.ExitFailure, nil
		}
	} else if _, err := o.Stdout.Write(out.Bytes()); err != nil {
		return cli.ExitFailure, nil
	}
	cli.PrintInactive(o.Stderr, left, prof)
	if failed > 0 || skipped > 0 || loadDiags.HasErrors() {
		inactive := ""
		if len(left) > 0 {
			inactive = fmt.Sprintf(", %d inactive", len(left))
		}
		fmt.Fprintf(o.Stderr, "sigmabridge: %s: %s converted, %d failed, %d skipped as unsupported%s, %s with load errors\n",
			o.Target, cli.Count(converted-failed-skipped-len(left), "rule"), failed, skipped, inactive, cli.Count(loadDiags.FilesWithErrors(), "file"))
	}
	return exit, nil
}

// writeCorrelations renders the set's correlations after the rules (a plugin's target
// through the plugin's ConvertCorrelations), with their diagnostics on stderr.
func writeCorrelations(ctx context.Context, m *host.Manager, out *bytes.Buffer, o *Options, target sigmabridge.Target, setup *profile.Setup, set *ir.RuleSet) (failed, skipped int) {
	var results []sigmabridge.CorrelationResult
	if target.Backend != nil {
		results = sigmabridge.ConvertCorrelations(target.Backend, setup, set)
	} else {
		b, err := m.Backend(ctx, target.Plugin)
		if err == nil {
			results, err = sigmabridge.ConvertCorrelationsWithPlugin(ctx, b, target.Name, setup, set)
		}
		if err != nil {
			fmt.Fprintf(o.Stderr, "sigmabridge: correlations: %s\n", cli.Printable(err.Error()))
			return len(set.Correlations), 0
		}
	}
	for _, r := range results {
		countResult(o, r.Diags, r.Failed, r.Unsupported, &failed, &skipped)
		c := r.Corr
		writeResult(out, o, Result{Rule: &ir.Rule{Path: c.Path, ID: c.ID, Title: c.Title}, Queries: r.Queries, Diags: r.Diags, Failed: r.Failed})
	}
	return failed, skipped
}

type jsonError struct {
	Code    diag.Code `json:"code"`
	Message string    `json:"message"`
}

type jsonLine struct {
	Path   string     `json:"path"`
	ID     string     `json:"id"`
	Title  string     `json:"title"`
	Target string     `json:"target"`
	Query  any        `json:"query,omitempty"`
	Error  *jsonError `json:"error,omitempty"`
}

func writeResult(w *bytes.Buffer, o *Options, r Result) {
	if o.Format == "default" {
		for _, q := range r.Queries {
			w.WriteString(q.Text)
			w.WriteByte('\n')
		}
		return
	}
	base := jsonLine{Path: r.Rule.Path, ID: r.Rule.ID, Title: r.Rule.Title, Target: o.Target}
	enc := json.NewEncoder(cli.JSONWriter(w))
	enc.SetEscapeHTML(false)
	if r.Failed {
		l := base
		errs := r.Diags.Errors()
		if len(errs) == 0 {
			l.Error = &jsonError{Code: diag.Unsupported, Message: "the backend produced no query"}
		} else {
			msgs := make([]string, len(errs))
			for i, d := range errs {
				msgs[i] = d.Message
			}
			l.Error = &jsonError{Code: errs[0].Code, Message: strings.Join(msgs, "; ")}
		}
		_ = enc.Encode(l)
		return
	}
	for _, q := range r.Queries {
		l := base
		if q.JSON {
			l.Query = json.RawMessage(q.Text)
		} else {
			l.Query = q.Text
		}
		_ = enc.Encode(l)
	}
}

// loadErrorsByFile groups load errors by file, then by rule id in order of appearance.
func loadErrorsByFile(diags diag.List) map[string][]diag.List {
	out := map[string][]diag.List{}
	for _, d := range diags.Errors() {
		groups := out[d.Path]
		if n := len(groups); n > 0 && groups[n-1][0].RuleID == d.RuleID {
			groups[n-1] = append(groups[n-1], d)
		} else {
			groups = append(groups, diag.List{d})
		}
		out[d.Path] = groups
	}
	return out
}
