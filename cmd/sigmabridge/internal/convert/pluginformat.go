package convert

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/internal/suggest"
	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// runPluginFormat runs convert for a target an external backend plugin serves, in a format
// the plugin renders itself (plugin.FormatDescription, through the protocol's Render) or,
// with --per-rule, in the default or jsonl format. The plugin gets the rules after their
// pipelines and profile, as Convert does, with each rule's place in its rule tree.
func runPluginFormat(o *Options) (int, error) {
	ctx := context.Background()
	d := &o.Deploy
	target, m, err := sigmabridge.FindTarget(ctx, o.Target, o.Host)
	if err != nil {
		return cli.ExitUsage, cli.UsageError{Err: err}
	}
	defer m.Close()
	ctx, stop := m.HandleSignals(ctx)
	defer stop()
	b, err := m.Backend(ctx, target.Plugin)
	if err != nil {
		fmt.Fprintf(o.Stderr, "sigmabridge: %s\n", cli.Printable(err.Error()))
		return cli.ExitFailure, nil
	}
	own := !slices.Contains(Formats, o.Format)
	var fd plugin.FormatDescription
	if own {
		if desc, ok := formats.Lookup(o.Format); ok {
			return cli.ExitUsage, cli.UsageError{Err: desc.CheckTarget(o.Target)}
		}
		if err := b.CheckFormat(o.Target, o.Format); err != nil {
			known := append(allFormats(), pluginFormats(b.Description(), o.Target)...)
			return cli.ExitUsage, cli.Usagef("unknown format %q for target %s (known: %s)%s\n  %s", o.Format, o.Target,
				strings.Join(known, ", "), suggest.Hint(o.Format, known), cli.Printable(err.Error()))
		}
		fd, _ = b.Description().Format(o.Format)
		if d.PerRule && !fd.PerRule {
			return cli.ExitUsage, cli.Usagef("--per-rule: format %s of plugin %s is one whole, not a file per rule", o.Format, cli.Printable(target.Plugin))
		}
	}
	if d.PerRule && o.Output == "" {
		return cli.ExitUsage, cli.Usagef("--per-rule needs -o DIR")
	}
	prof, err := cli.LoadProfile(o.Profile)
	if err != nil {
		return cli.ExitUsage, err
	}
	setup, err := cli.NewSetup(prof, profile.TargetOf(o.Target), o.Pipelines)
	if err != nil {
		return cli.ExitUsage, err
	}
	set, files, loadDiags, err := cli.LoadSet(o.Paths, o.Stdin)
	if err != nil {
		return cli.ExitUsage, err
	}
	cli.PrintDiagnostics(o.Stderr, loadDiags)
	if len(files) == 0 {
		fmt.Fprintf(o.Stderr, "sigmabridge: no Sigma rules (*.yml, *.yaml) found in %s\n", cli.Printable(strings.Join(o.Paths, " ")))
		return cli.ExitFailure, nil
	}
	if o.Output != "" && !d.PerRule && !isDir(o.Output) {
		if err := checkOutput(o.Output, files, o.Pipelines); err != nil {
			return cli.ExitUsage, err
		}
	}
	rules := set.Alerting()
	sources := sigmabridge.RuleSources(o.Paths, files)
	var (
		results []Result
		left    []profile.Left
		perRule [][]byte
		whole   []formats.File
	)
	if own {
		results, left, perRule, whole, err = renderPlugin(ctx, b, o.Target, o.Format, setup, rules, sources)
	} else {
		results, left, err = sigmabridge.ConvertBackendPlugin(ctx, b, o.Target, setup, rules)
	}
	if err != nil {
		fmt.Fprintf(o.Stderr, "sigmabridge: %s\n", cli.Printable(err.Error()))
		return cli.ExitFailure, nil
	}
	// The protocol carries no correlations: each one fails, named, as in the default format.
	for _, c := range set.Correlations {
		cd := backends.CorrDiag(c, o.Target, diag.UnsupportedCorrelation, "target %s is served by plugin %s, and the plugin protocol does not carry correlations", o.Target, target.Plugin)
		results = append(results, Result{Rule: &ir.Rule{Path: c.Path, Line: c.Line, ID: c.ID, Title: c.Title}, Diags: diag.List{cd}, Failed: true, Unsupported: true})
	}

	failed, skipped := 0, 0
	tree := newPerRuleFiles(nil)
	var stream bytes.Buffer
	for i, r := range results {
		if len(r.Inactive) > 0 {
			continue
		}
		if !own {
			r = frame(r, o)
		}
		if countResult(o, r.Diags, r.Failed, r.Unsupported, &failed, &skipped) {
			continue
		}
		var data []byte
		ext := fd.Extension
		if own {
			data = perRule[i]
		} else {
			var b bytes.Buffer
			writeResult(&b, o, r)
			data = b.Bytes()
			stream.Write(data)
			ext = ".jsonl"
			if o.Format == "default" {
				// The target's name, as .spl and .eql are the built-in targets' (.kql).
				ext = ".query"
				if plainExt.MatchString(o.Target) {
					ext = "." + o.Target
				}
			}
		}
		if !d.PerRule {
			continue
		}
		if own && len(data) == 0 {
			fmt.Fprintf(o.Stderr, "%s: plugin %s rendered no file for this rule in its per-rule format %s\n",
				cli.Printable(r.Rule.Path), cli.Printable(target.Plugin), cli.Printable(o.Format))
			failed++
			continue
		}
		if !tree.add(o, r.Rule, sources[r.Rule.Path], ext, data) {
			failed++
		}
	}
	if !own {
		whole = []formats.File{{Name: "queries" + map[string]string{"default": ".txt", "jsonl": ".jsonl"}[o.Format], Data: stream.Bytes()}}
	}
	var werr error
	switch {
	case d.PerRule:
		werr = formats.WriteDir(o.Output, tree.withManifest())
	case o.Output != "" && isDir(o.Output):
		werr = formats.WriteDir(o.Output, whole)
	case o.Output != "":
		werr = writeOutput(o, whole[0].Data)
	default:
		if _, err := o.Stdout.Write(whole[0].Data); err != nil {
			return cli.ExitFailure, nil
		}
	}
	if werr != nil {
		fmt.Fprintf(o.Stderr, "sigmabridge: %s\n", cli.Printable(werr.Error()))
		return cli.ExitFailure, nil
	}
	if len(whole) > 1 && !d.PerRule && (o.Output == "" || !isDir(o.Output)) {
		fmt.Fprintf(o.Stderr, "sigmabridge: %s written without %s (-o DIR writes it too)\n", cli.Printable(whole[0].Name), cli.Printable(whole[1].Name))
	}
	cli.PrintInactive(o.Stderr, left, prof)
	exit := cli.ExitOK
	if failed > 0 || loadDiags.HasErrors() {
		exit = cli.ExitFailure
	}
	if failed > 0 || skipped > 0 || loadDiags.HasErrors() {
		fmt.Fprintf(o.Stderr, "sigmabridge: %s %s: %s converted, %d failed, %d skipped as unsupported, %s with load errors\n",
			cli.Printable(o.Target), cli.Printable(o.Format), cli.Count(len(results)-failed-skipped-len(left), "rule"), failed, skipped, cli.Count(loadDiags.FilesWithErrors(), "file"))
	}
	return exit, nil
}

// plainExt is a target name that can be a file extension as it is.
var plainExt = regexp.MustCompile(`^[a-z0-9]{1,16}$`)

// pluginFormats are the names of the formats b renders itself for target.
func pluginFormats(d plugin.BackendDescription, target string) []string {
	var out []string
	for _, f := range d.FormatDescriptions {
		if f.TakesTarget(target) {
			out = append(out, f.Name)
		}
	}
	return out
}

// renderPlugin prepares rules with s and renders the prepared ones with b's format, then
// puts the outcome back in input order: results (failed where the pipelines or the plugin
// failed the rule), the rules left inactive, each rule's own file (per input rule) and the
// whole rendering.
func renderPlugin(ctx context.Context, b *host.Backend, target, format string, s *profile.Setup, rules []*ir.Rule, sources map[string]string) ([]Result, []profile.Left, [][]byte, []formats.File, error) {
	prep := sigmabridge.Prepare(s, rules)
	src := make([]string, len(prep.Rules))
	for i, r := range prep.Rules {
		src[i] = sources[r.Path]
	}
	resp, err := b.Render(ctx, target, format, prep.Rules, src)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	needs := map[*ir.Rule][]profile.Need{}
	for _, l := range prep.Inactive {
		needs[l.Rule] = l.Needs
	}
	results := make([]Result, len(rules))
	perRule := make([][]byte, len(rules))
	for i, r := range rules {
		res := Result{Rule: r, Diags: prep.Diags[i], Inactive: needs[r]}
		switch p := prep.Index[i]; {
		case res.Inactive != nil:
		case p < 0:
			res.Failed, res.Unsupported = true, res.Diags.OnlyUnsupported()
		default:
			rr := resp.Results[p]
			res.Diags = append(res.Diags, rr.Diagnostics...)
			if rr.Diagnostics.HasErrors() {
				res.Failed, res.Unsupported = true, rr.Diagnostics.OnlyUnsupported()
			} else {
				perRule[i] = rr.Data
			}
		}
		results[i] = res
	}
	whole := make([]formats.File, len(resp.Files))
	for i, f := range resp.Files {
		whole[i] = formats.File{Name: f.Name, Data: f.Data}
	}
	return results, prep.Inactive, perRule, whole, nil
}
