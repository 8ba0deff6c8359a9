package convert

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/internal/suggest"
	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// DeployOptions are the flags of the deployable formats (formats package) and --per-rule.
type DeployOptions struct {
	PerRule bool
	formats.Options
	// RulesLicense is a file with the rules' licence, for the Splunk app's LICENSE.txt.
	RulesLicense string
	// flags tells which schedule flags were given: the others come from the profile.
	flags *pflag.FlagSet
}

// fromProfile fills the schedule options that no flag gave from the profile's deploy section.
func (d *DeployOptions) fromProfile(p *profile.Profile) {
	if p == nil {
		return
	}
	for _, v := range []struct {
		flag string
		dst  *string
		val  string
	}{
		{"cron", &d.Cron, p.Deploy.Splunk.Cron}, {"earliest", &d.Earliest, p.Deploy.Splunk.Earliest},
		{"latest", &d.Latest, p.Deploy.Splunk.Latest}, {"interval", &d.Interval, p.Deploy.Elastic.Interval},
		{"lookback", &d.Lookback, p.Deploy.Elastic.Lookback},
	} {
		if v.val != "" && (d.flags == nil || !d.flags.Changed(v.flag)) {
			*v.dst = v.val
		}
	}
}

// deployFormatsHelp is the Formats section of convert's help for the deployable formats.
func deployFormatsHelp() string {
	var b strings.Builder
	for _, d := range formats.Builtin {
		fmt.Fprintf(&b, "  %-14s -t %s: %s\n", d.Name, strings.Join(d.Targets, "|"), d.Help)
	}
	b.WriteString(`
--per-rule -o DIR writes one file per rule, at the rule's path in its rule tree (the directory
given, or the built-in pack's platform directories) with the format's extension, and
DIR/manifest.json (rule id, title, source path, target, format, output path, sha256). Every
file is replaced atomically; nothing outside DIR is written. It works with every format but
splunk-app. A rule's custom attribute "schedule" (cron, earliest, latest, interval, lookback)
overrides the schedule flags for that rule.

A correlation rule is content of its own (a saved search, an esql or eql Elastic rule) that
looks back over its timespan too; the rules it names feed it and get none.

A target an external backend plugin serves takes the formats the plugin renders itself
('sigmabridge list formats'), with -o and --per-rule as above.
`)
	return b.String()
}

// addDeployFlags adds the flags of the deployable formats.
func addDeployFlags(f *pflag.FlagSet, d *DeployOptions) {
	d.Options = formats.Defaults
	d.flags = f
	f.BoolVar(&d.PerRule, "per-rule", false, "write one file per rule and a manifest.json under -o DIR")
	f.StringVar(&d.Cron, "cron", d.Cron, "Splunk cron_schedule of every saved search")
	f.StringVar(&d.Earliest, "earliest", d.Earliest, "Splunk dispatch.earliest_time")
	f.StringVar(&d.Latest, "latest", d.Latest, "Splunk dispatch.latest_time")
	f.StringVar(&d.Prefix, "name-prefix", d.Prefix, "Splunk saved search names: PREFIX - TITLE; macros: PREFIX_<logsource>")
	f.BoolVar(&d.Enabled, "enable", false, "ship the saved searches and Elastic rules enabled (default: disabled until reviewed)")
	f.StringVar(&d.Interval, "interval", d.Interval, "Elastic rule interval (5m)")
	f.StringVar(&d.Lookback, "lookback", d.Lookback, "Elastic rule additional look-back beyond the interval (1m)")
	f.StringSliceVar(&d.DefaultIndex, "default-index", d.DefaultIndex, "Elastic index patterns of rules whose profile and pipelines set none")
	f.StringVar(&d.App.ID, "app-id", d.App.ID, "Splunk app id (its directory name)")
	f.StringVar(&d.App.Label, "app-label", d.App.Label, "Splunk app label")
	f.StringVar(&d.App.Version, "app-version", d.App.Version, "Splunk app version")
	f.StringVar(&d.App.Author, "app-author", d.App.Author, "Splunk app author")
	f.StringVar(&d.RulesLicense, "rules-license", "", "file with the rules' licence, the Splunk app's LICENSE.txt (default: the built-in pack's, or a notice)")
}

// deploying reports whether the run is for runDeploy: a deployable format, --per-rule, or a
// format that is not built in (an external backend plugin's own, runPluginFormat).
func deploying(o *Options) bool {
	_, ok := formats.Lookup(o.Format)
	return ok || o.Deploy.PerRule || !slices.Contains(Formats, o.Format)
}

// queryExt is the extension of a per-rule file of the default format.
var queryExt = map[string]string{"splunk": ".spl", "lucene": ".lucene", "dsl": ".json", "eql": ".eql", "esql": ".esql"}

// runDeploy runs convert for a deployable format or --per-rule.
func runDeploy(o *Options) (int, error) {
	backend, err := backends.Get(o.Target)
	if err != nil {
		// Not a built-in target: an external backend plugin's, if any serves it.
		return runPluginFormat(o)
	}
	d := &o.Deploy
	d.Target = o.Target
	desc, deployable := formats.Lookup(o.Format)
	switch {
	case deployable:
		if err := desc.CheckTarget(o.Target); err != nil {
			return cli.ExitUsage, cli.UsageError{Err: err}
		}
		if desc.Bundle && d.PerRule {
			return cli.ExitUsage, cli.Usagef("--per-rule: %s is one app, not a file per rule (use -f savedsearches --per-rule)", o.Format)
		}
	case !slices.Contains(Formats, o.Format):
		return cli.ExitUsage, cli.Usagef("unknown format %q (known: %s)%s", o.Format, strings.Join(allFormats(), ", "), suggest.Hint(o.Format, allFormats()))
	}
	if err := d.App.Check(); err != nil {
		return cli.ExitUsage, cli.UsageError{Err: err}
	}
	for _, p := range d.DefaultIndex {
		if err := esclient.CheckIndexPattern(p); err != nil {
			return cli.ExitUsage, cli.Usagef("--default-index: %s", cli.Printable(err.Error()))
		}
	}
	if (d.PerRule || desc.Bundle) && o.Output == "" {
		what := "--per-rule"
		if desc.Bundle {
			what = "-f " + o.Format
		}
		return cli.ExitUsage, cli.Usagef("%s needs -o DIR", what)
	}
	prof, err := cli.LoadProfile(o.Profile)
	if err != nil {
		return cli.ExitUsage, err
	}
	d.fromProfile(prof)
	if err := d.Options.Check(); err != nil {
		return cli.ExitUsage, cli.Usagef("%s (a flag, or the profile's deploy section)", err)
	}
	setup, err := cli.NewSetup(prof, profile.TargetOf(o.Target), o.Pipelines)
	if err != nil {
		return cli.ExitUsage, err
	}
	if setup.Mapping, err = readMapping(o, false); err != nil {
		return cli.ExitUsage, err
	}
	if d.RulesLicense != "" {
		b, err := os.ReadFile(d.RulesLicense)
		if err != nil {
			return cli.ExitUsage, cli.Usagef("--rules-license: %s", cli.Printable(err.Error()))
		}
		d.App.License = string(b)
		d.LicenseName = licenseName(d.App.License)
	} else if len(o.Paths) == 0 {
		d.App.License, d.LicenseName = packLicense, rules.LicenseName
	} else {
		d.App.License = unknownLicense
	}
	set, files, loadDiags, err := cli.LoadSet(o.Paths, o.Stdin)
	if err != nil {
		return cli.ExitUsage, err
	}
	// A rule that alerts only through a correlation (ir.RuleSet.Base) is not deployable
	// content of its own: no saved search or detection rule is written for it; it feeds
	// its correlation's.
	rules := set.Alerting()
	cli.PrintDiagnostics(o.Stderr, loadDiags)
	if len(files) == 0 {
		fmt.Fprintf(o.Stderr, "sigmabridge: no Sigma rules (*.yml, *.yaml) found in %s\n", cli.Printable(strings.Join(o.Paths, " ")))
		return cli.ExitFailure, nil
	}
	if o.Output != "" && !d.PerRule && !desc.Bundle && !isDir(o.Output) {
		if err := checkOutput(o.Output, files, o.Pipelines); err != nil {
			return cli.ExitUsage, err
		}
	}
	sources := sigmabridge.RuleSources(o.Paths, files)
	results, items, err := sigmabridge.ConvertItems(context.Background(), backend, setup, rules, sources, desc.Macros)
	if err != nil {
		return cli.ExitFailure, err
	}
	// Correlations are content of their own, fed by their base rules.
	cres, citems := sigmabridge.ConvertCorrelationItems(backend, setup, set, sources, desc.Macros)
	for i, cr := range cres {
		results = append(results, Result{Rule: formats.CorrelationRule(cr.Corr), Queries: cr.Queries, Diags: cr.Diags, Failed: cr.Failed, Unsupported: cr.Unsupported})
		items = append(items, citems[i])
	}

	// The format's own rendering, over the rules that converted.
	var rendered formats.Rendered
	var ok []formats.Item
	var okIdx []int
	if deployable {
		for i, it := range items {
			if it != nil {
				ok = append(ok, *it)
				okIdx = append(okIdx, i)
			}
		}
		rendered, err = formats.Render(o.Format, ok, d.Options)
		if err != nil {
			return cli.ExitUsage, cli.UsageError{Err: err}
		}
		for k, i := range okIdx {
			results[i].Diags = append(results[i].Diags, rendered.Diags[k]...)
			if rendered.Diags[k].HasErrors() {
				results[i].Failed, results[i].Unsupported = true, rendered.Diags[k].OnlyUnsupported()
			}
		}
	}

	failed, skipped := 0, 0
	var left []profile.Left
	tree := newPerRuleFiles(rendered.Shared)
	okPos := map[int]int{}
	for k, i := range okIdx {
		okPos[i] = k
	}
	for i, r := range results {
		if len(r.Inactive) > 0 {
			left = append(left, profile.Left{Rule: r.Rule, Needs: r.Inactive})
			continue
		}
		if !deployable {
			r = frame(r, o)
			results[i] = r
		}
		if countResult(o, r.Diags, r.Failed, r.Unsupported, &failed, &skipped) {
			continue
		}
		if !d.PerRule {
			continue
		}
		var data []byte
		ext := ".jsonl"
		if deployable {
			data, ext = rendered.PerRule[okPos[i]], rendered.Ext
			if k := okPos[i]; k < len(rendered.PerRuleExt) && rendered.PerRuleExt[k] != "" {
				ext = rendered.PerRuleExt[k]
			}
		} else {
			var b bytes.Buffer
			writeResult(&b, o, r)
			data = b.Bytes()
			if o.Format == "default" {
				ext = queryExt[o.Target]
			}
		}
		if !tree.add(o, r.Rule, sources[r.Rule.Path], ext, data) {
			failed++
		}
	}
	var werr error
	switch {
	case d.PerRule:
		werr = formats.WriteDir(o.Output, tree.withManifest())
	case desc.Bundle && isArchive(o.Output):
		var tgz []byte
		if tgz, werr = formats.AppTarGz(rendered.Files, d.App); werr == nil {
			werr = writeOutput(o, tgz)
		}
	case desc.Bundle:
		werr = formats.WriteDir(o.Output, rendered.Files)
	case o.Output != "" && isDir(o.Output):
		werr = formats.WriteDir(o.Output, rendered.Files)
	case o.Output != "":
		werr = writeOutput(o, rendered.Files[0].Data)
	default:
		if _, err := o.Stdout.Write(rendered.Files[0].Data); err != nil {
			return cli.ExitFailure, nil
		}
	}
	if werr != nil {
		fmt.Fprintf(o.Stderr, "sigmabridge: %s\n", cli.Printable(werr.Error()))
		return cli.ExitFailure, nil
	}
	if len(rendered.Files) > 1 && !d.PerRule && !desc.Bundle && (o.Output == "" || !isDir(o.Output)) {
		fmt.Fprintf(o.Stderr, "sigmabridge: %s written without %s (-o DIR writes it too)\n", rendered.Files[0].Name, rendered.Files[1].Name)
	}
	cli.PrintInactive(o.Stderr, left, prof)
	exit := cli.ExitOK
	if failed > 0 || loadDiags.HasErrors() {
		exit = cli.ExitFailure
	}
	if failed > 0 || skipped > 0 || loadDiags.HasErrors() {
		fmt.Fprintf(o.Stderr, "sigmabridge: %s %s: %s converted, %d failed, %d skipped as unsupported, %s with load errors\n",
			o.Target, o.Format, cli.Count(len(results)-failed-skipped-len(left), "rule"), failed, skipped, cli.Count(loadDiags.FilesWithErrors(), "file"))
	}
	return exit, nil
}

func allFormats() []string {
	out := slices.Clone(Formats)
	for _, d := range formats.Builtin {
		out = append(out, d.Name)
	}
	return out
}

// perRuleFiles is the output of `convert --per-rule`: one file per rule, the files every
// rule shares, and the manifest of the rules' files.
type perRuleFiles struct {
	files   []formats.File
	entries []formats.ManifestEntry
	used    map[string]bool
}

// newPerRuleFiles starts the output with the shared files (macros and the like).
func newPerRuleFiles(shared []formats.File) *perRuleFiles {
	p := &perRuleFiles{files: slices.Clone(shared), used: map[string]bool{"manifest.json": true}}
	for _, f := range shared {
		p.used[f.Name] = true
	}
	return p
}

// add names rule r's own file after its place in the rule tree (source) and records it in
// the manifest; false, with the reason on stderr, when the source cannot name a file.
func (p *perRuleFiles) add(o *Options, r *ir.Rule, source, ext string, data []byte) bool {
	name, err := perRuleName(source, ext, r, p.used)
	if err != nil {
		fmt.Fprintf(o.Stderr, "%s: %s\n", cli.Printable(r.Path), cli.Printable(err.Error()))
		return false
	}
	p.files = append(p.files, formats.File{Name: name, Data: data})
	p.entries = append(p.entries, formats.ManifestEntry{RuleID: r.ID, Title: r.Title, Source: r.Path,
		Target: o.Target, Format: o.Format, Output: name, SHA256: formats.SHA256(data)})
	return true
}

// withManifest returns the files with manifest.json.
func (p *perRuleFiles) withManifest() []formats.File {
	return append(p.files, formats.File{Name: "manifest.json", Data: formats.Manifest(p.entries)})
}

// perRuleName is a rule's per-rule output path, made unique among used: the second rule
// of one file (a multi-document file) gets .2 before the extension, and so on.
func perRuleName(source, ext string, r *ir.Rule, used map[string]bool) (string, error) {
	name, err := formats.PerRulePath(source, ext)
	if err != nil {
		return "", err
	}
	base := strings.TrimSuffix(name, ext)
	for n := 2; used[name]; n++ {
		name = fmt.Sprintf("%s.%d%s", base, n, ext)
	}
	used[name] = true
	return name, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir() || strings.HasSuffix(p, string(filepath.Separator))
}

func isArchive(p string) bool {
	l := strings.ToLower(p)
	return strings.HasSuffix(l, ".tgz") || strings.HasSuffix(l, ".tar.gz") || strings.HasSuffix(l, ".spl")
}

// packLicense is LICENSE.txt of an app built from the built-in pack: the pack's licence,
// the Detection Rule License 1.1 (rules/LICENSE.Detection.Rules.md), with the attribution
// it asks for, and the ATT&CK terms of the annotations.
var packLicense = `The Sigma rules in this app are the sigmabridge T1648 rule pack
(https://github.com/sigmabridge/sigmabridge, rules/), author: sigmabridge project,
converted by sigmabridge. They are licensed under the Detection Rule License (DRL) 1.1,
whose text follows. Each saved search's annotations keep the rule's Sigma id and author.

The ATT&CK technique and tactic identifiers in the saved searches' annotations are from
MITRE ATT&CK(R), used under MITRE's ATT&CK terms of use:
"(C) 2025 The MITRE Corporation. This work is reproduced and distributed with the
permission of The MITRE Corporation."

` + rules.License

// unknownLicense is LICENSE.txt of an app built from other rules without --rules-license.
const unknownLicense = `The licence of the Sigma rules in this app was not given to sigmabridge
(convert --rules-license FILE sets this file). Rules from the SigmaHQ repository are under the
Detection Rule License (DRL) 1.1, https://github.com/SigmaHQ/Detection-Rule-License, which
requires the rules' attribution to be kept: each saved search's annotations name the rule's
author and Sigma id.
`

// licenseName is the Elastic license field for a --rules-license file: its first line that
// is not blank, without Markdown heading marks, on one line of at most 100 characters.
func licenseName(text string) string {
	for _, l := range strings.Split(text, "\n") {
		l = strings.Join(strings.Fields(strings.TrimLeft(l, "# \t")), " ")
		if l == "" {
			continue
		}
		if strings.IndexFunc(l, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return ""
		}
		if r := []rune(l); len(r) > 100 {
			l = string(r[:100])
		}
		return l
	}
	return ""
}
