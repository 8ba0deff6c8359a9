package scan

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/internal/suggest"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// Options are the flags and arguments of `sigmabridge scan`.
type Options struct {
	// Rules are rule files or directories (default: the built-in pack).
	Rules     []string
	Pipelines []string
	Format    string
	Input     string
	// Files are the logs (--logs; "-" is standard input). With none, standard input is
	// read unless it is a terminal.
	Files []string
	// Profile is the --profile flag ("": $SIGMABRIDGE_PROFILE, then the user config dir).
	Profile string
	// AcceptedDomains are mail domains added to the profile's for this run (--accepted-domain).
	AcceptedDomains []string
	// InProcess matches with the library evaluator instead of the detector plugin.
	InProcess bool
	PluginDir string
	// Executable serves the built-in plugins (default: this executable).
	Executable string

	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// NewCommand returns the cobra command.
func NewCommand() *cobra.Command {
	o := &Options{}
	var oldRules []string
	cmd := &cobra.Command{
		Use:   "scan [RULES]... [--logs FILE|-]... [-p PIPELINE]... [-f table|jsonl] [--input FORMAT]",
		Short: "Match log files against Sigma rules",
		Long: `Match events against Sigma rules and print every match.

RULES are rule files or directories, as in every command (default: the built-in T1648
pack); an argument that is not a rule file (a log) or a directory without rules is a usage
error. The logs come with --logs FILE (repeatable; - is standard input); without --logs,
standard input is read unless it is a terminal. A FILE is read in the --input format
(default jsonl: JSON lines, JSON arrays or documents, and {"Records": [...]} or
{"records": [...]} batches such as CloudTrail log files and Azure resource logs, gzipped
or not). Other formats: cloudtrail, cloudwatch-logs
(subscription payloads, plain, gzipped, or base64 in Lambda, Kinesis and Firehose records),
workspace, eml, graph-headers, azure-activity, azure-resource.

Formats:
  table  one aligned line per match
  jsonl  {"file", "line", "rule_id", "title", "level", "tags"} per match
         (line = 1-based line for JSON lines, the record's index for arrays)

The organisation profile (--profile, $SIGMABRIDGE_PROFILE, <user config dir>/sigmabridge/profile.yml)
fills the rules' placeholders and gives the eml and graph-headers inputs the organisation's
mail domains, without which direction and has_external_recipient cannot be known;
--accepted-domain adds domains for one run. A rule that cannot run without a value the
profile lacks is left out and named once, in one line on stderr.

Matches are written as they are found. On SIGINT or SIGTERM scan stops reading, writes the
matches of the events already read, and exits 130 or 143.

Exit status: 0 whether or not anything matched; 1 when some input could not be read or
parsed (the rest is still scanned, each bad line named on stderr) or some rule could not be
loaded (when none could, nothing is scanned); 2 usage error; 130 or 143 interrupted.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := arguments(o, oldRules, args); err != nil {
				return err
			}
			o.Stdin, o.Stdout, o.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return cli.Exit(Run(cmd.Context(), o))
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.Files, "logs", nil, "log file to scan (repeatable; - is standard input; default: standard input unless it is a terminal)")
	f.StringArrayVarP(&oldRules, "rules", "r", nil, "rule file or directory (repeatable)")
	_ = f.MarkDeprecated("rules", "give rules as arguments and logs with --logs: scan RULES... --logs FILE")
	f.StringArrayVarP(&o.Pipelines, "pipeline", "p", nil, "processing pipeline applied to the rules before matching (repeatable)")
	f.StringVarP(&o.Format, "format", "f", "table", "output format: table or jsonl")
	f.StringVar(&o.Input, "input", input.JSONL, "input format: "+strings.Join(input.Formats(), ", "))
	cli.AddProfileFlag(f, &o.Profile)
	f.StringArrayVar(&o.AcceptedDomains, "accepted-domain", nil, "an accepted mail domain of the organisation, added to the profile's for this run (repeatable)")
	f.BoolVar(&o.InProcess, "in-process", false, "match in this process instead of through the detector plugin")
	f.StringVar(&o.PluginDir, "plugin-dir", "", "plugin directory (default $SIGMABRIDGE_PLUGIN_DIR or <user config dir>/sigmabridge/plugins)")
	return cmd
}

// arguments sets o.Rules from the arguments. With the deprecated -r, the arguments are the
// logs, as they were before -r was deprecated; a lone - among the arguments is standard
// input's logs, as it was too.
func arguments(o *Options, oldRules, args []string) error {
	if len(oldRules) > 0 {
		if len(o.Files) > 0 && len(args) > 0 {
			return cli.Usagef("with the deprecated -r the arguments are logs; give logs either as arguments or with --logs, not both")
		}
		o.Rules, o.Files = oldRules, append(o.Files, args...)
		return nil
	}
	for _, a := range args {
		if a == "-" {
			o.Files = append(o.Files, "-")
		} else {
			o.Rules = append(o.Rules, a)
		}
	}
	return nil
}

// Run executes scan and returns the exit code; a returned error is a usage error.
func Run(ctx context.Context, o *Options) (int, error) {
	if o.Format != "table" && o.Format != "jsonl" {
		return cli.ExitUsage, cli.Usagef("unknown format %q (known: table, jsonl)", o.Format)
	}
	if !slices.Contains(input.Formats(), o.Input) {
		return cli.ExitUsage, cli.Usagef("unknown input format %q (known: %s)%s", o.Input, strings.Join(input.Formats(), ", "), suggest.Hint(o.Input, input.Formats()))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if len(o.Files) == 0 {
		if f, ok := o.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return cli.ExitUsage, cli.Usagef("no logs to scan: pass --logs FILE (repeatable, - for standard input) or pipe them in")
		}
	}
	prof, err := cli.LoadProfile(o.Profile)
	if err != nil {
		return cli.ExitUsage, err
	}
	inputOpts, err := inputOptions(prof, o.AcceptedDomains)
	if err != nil {
		return cli.ExitUsage, err
	}
	if (o.Input == input.EML || o.Input == input.GraphHeaders) && len(inputOpts.AcceptedDomains) == 0 {
		fmt.Fprintln(o.Stderr, "sigmabridge: warning: no accepted mail domains (mail.accepted_domains in the profile, or --accepted-domain): direction and has_external_recipient are left out of every message, so no rule that reads them can match")
	}
	rules, set, exit, err := loadSet(o.Rules, o.Pipelines, prof, o.Stderr)
	if err != nil {
		return cli.ExitUsage, err
	}
	det, err := sigmabridge.LoadDetectorSet(ctx, sigmabridge.DetectorOptions{InProcess: o.InProcess,
		Host: sigmabridge.HostOptions{PluginDir: o.PluginDir, Executable: o.Executable}}, rules, set)
	if err != nil {
		fmt.Fprintf(o.Stderr, "sigmabridge: %v\n", err)
		return cli.ExitFailure, nil
	}
	defer det.Close()
	if det.CorrelationErr != nil {
		// The rules run; the correlations cannot.
		fmt.Fprintln(o.Stderr, cli.Printable(fmt.Sprintf("sigmabridge: %v; the correlations are not evaluated", det.CorrelationErr)))
		exit = cli.ExitFailure
	}
	m := newMatcher(det, rules)
	for _, e := range m.loadErrors() {
		// A rule whose placeholders have no value cannot run until a pipeline gives them
		// one: it is skipped with a warning, since the deployment, not the rule, is
		// incomplete. Any other load error is a failure.
		if e.Code == diag.UnresolvedPlaceholder {
			fmt.Fprintf(o.Stderr, "%s (rule skipped; give the value with -p PIPELINE)\n", e)
			continue
		}
		fmt.Fprintln(o.Stderr, e)
		exit = cli.ExitFailure
	}
	if m.loaded() == 0 {
		fmt.Fprintln(o.Stderr, "sigmabridge: no rule could be loaded; nothing to scan with")
		return cli.ExitFailure, nil
	}
	out := bufio.NewWriterSize(o.Stdout, 64<<10)
	defer out.Flush()
	w := newWriter(o.Format, out)
	files := o.Files
	if len(files) == 0 {
		files = []string{"-"}
	}
	intr := catchInterrupts()
	defer intr.release()
	for _, name := range files {
		if intr.caught() {
			break
		}
		var r io.Reader
		shown := name
		if name == "-" {
			r, shown = o.Stdin, "<stdin>"
		} else {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintln(o.Stderr, cli.Printable(fmt.Sprintf("%s: %v", name, unwrapPath(err))))
				exit = cli.ExitFailure
				continue
			}
			r = f
			defer f.Close()
		}
		src := intr.reader(r)
		corr := newCorrelations(set, w, o.Stderr, det)
		m.correlate(corr)
		bad, err := m.scan(ctx, o.Input, inputOpts, shown, src, func(pos position, rule *ir.Rule, event []byte) {
			if corr.observe(pos, rule, event) {
				w.write(pos, rule)
			}
		})
		corr.finish()
		src.close()
		if intr.caught() && errors.Is(err, context.Canceled) {
			break
		}
		if bad > 0 {
			exit = cli.ExitFailure
		}
		if err != nil {
			printErr(o.Stderr, err)
			exit = cli.ExitFailure
			var pe *host.PluginError
			if errors.As(err, &pe) && pe.Fatal() {
				return cli.ExitFailure, nil // the detector is gone: nothing else can be scanned
			}
		}
		if bad > 0 {
			for _, msg := range m.takeEventErrors() {
				fmt.Fprintln(o.Stderr, cli.Printable(msg))
			}
		}
	}
	if code := intr.exitCode(); code != 0 {
		out.Flush()
		fmt.Fprintln(o.Stderr, "sigmabridge: interrupted; the matches of the events read so far were written")
		return code, nil
	}
	return exit, nil
}

// printErr prints an input error, one problem a line, each through cli.Printable: the
// messages quote file names and input text.
func printErr(stderr io.Writer, err error) {
	var ie *input.Errors
	if errors.As(err, &ie) {
		for _, le := range ie.List {
			fmt.Fprintln(stderr, cli.Printable(le.Error()))
		}
		if ie.Dropped > 0 {
			fmt.Fprintf(stderr, "... and %d more problems\n", ie.Dropped)
		}
		return
	}
	fmt.Fprintln(stderr, cli.Printable(err.Error()))
}

// LoadRules loads rule paths (default: the built-in pack) and applies the profile (nil: none)
// and the pipelines. Load problems are printed, and the rules left out for want of profile
// values are named in one line; the exit code says whether any problem occurred. The error is
// a usage error (an unknown pipeline).
func LoadRules(paths, pipelines []string, prof *profile.Profile, stderr io.Writer) ([]*ir.Rule, int, error) {
	rules, _, exit, err := loadSet(paths, pipelines, prof, stderr)
	return rules, exit, err
}

// loadSet is LoadRules also returning the set with its rules prepared (nil where the
// pipelines failed one), for the correlations.
func loadSet(paths, pipelines []string, prof *profile.Profile, stderr io.Writer) ([]*ir.Rule, *ir.RuleSet, int, error) {
	setup, err := cli.NewSetup(prof, profile.NoTarget, pipelines)
	if err != nil {
		return nil, nil, cli.ExitUsage, err
	}
	if slices.Contains(paths, "-") {
		return nil, nil, cli.ExitUsage, cli.Usagef("scan reads logs, not rules, from standard input (--logs -)")
	}
	set, _, diags, err := cli.LoadSet(paths, nil)
	if err != nil {
		return nil, nil, cli.ExitUsage, err
	}
	rules := set.Rules
	cli.PrintDiagnostics(stderr, diags)
	exit := cli.ExitOK
	if diags.HasErrors() {
		exit = cli.ExitFailure
	}
	proc := sigmabridge.Prepare(setup, rules)
	for _, ds := range proc.Diags {
		cli.PrintDiagnostics(stderr, ds)
	}
	if len(proc.Rules)+len(proc.Inactive) < len(rules) {
		exit = cli.ExitFailure // the pipelines failed some rule
	}
	cli.PrintInactive(stderr, proc.Inactive, prof)
	ps, mdiags := sigmabridge.PreparedSet(setup, proc, set)
	for _, ds := range mdiags {
		cli.PrintDiagnostics(stderr, ds)
		if ds.HasErrors() {
			exit = cli.ExitFailure
		}
	}
	return proc.Rules, ps, exit, nil
}

// inputOptions gives the input adapters the profile's mail domains and the ones added on
// the command line.
func inputOptions(prof *profile.Profile, extra []string) (input.Options, error) {
	domains := prof.AcceptedDomains()
	for _, d := range extra {
		bare := strings.TrimPrefix(strings.TrimSpace(d), "@")
		if bare == "" || strings.ContainsAny(bare, " \t@/:") || !strings.Contains(bare, ".") {
			return input.Options{}, cli.Usagef("--accepted-domain %q is not a domain name", d)
		}
		domains = append(domains, bare)
	}
	return input.Options{AcceptedDomains: domains}, nil
}

type matchWriter struct {
	format string
	out    *bufio.Writer
	enc    *json.Encoder
}

func newWriter(format string, out *bufio.Writer) *matchWriter {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	return &matchWriter{format: format, out: out, enc: enc}
}

type jsonMatch struct {
	File   string   `json:"file"`
	Line   int      `json:"line"`
	RuleID string   `json:"rule_id"`
	Title  string   `json:"title"`
	Level  string   `json:"level"`
	Tags   []string `json:"tags"`
}

// write writes one match and flushes it, so that a later failure loses no match already
// found. jsonl stays one valid JSON object a line whatever the rule or file name holds
// (encoding/json escapes control characters and replaces invalid UTF-8); the table passes
// every text through cli.Printable.
func (w *matchWriter) write(pos position, rule *ir.Rule) {
	defer w.out.Flush()
	if w.format == "jsonl" {
		tags := rule.Tags
		if tags == nil {
			tags = []string{}
		}
		// The contract: the line for JSON lines, the record's index for arrays.
		line := pos.line
		if pos.index > 0 {
			line = pos.index
		}
		_ = w.enc.Encode(jsonMatch{File: pos.file, Line: line, RuleID: rule.ID, Title: rule.Title, Level: rule.Level, Tags: tags})
		return
	}
	where := fmt.Sprintf("%s:%d", cli.Printable(pos.file), pos.line)
	if pos.index > 0 {
		where += fmt.Sprintf("#%d", pos.index)
	}
	fmt.Fprintf(w.out, "%s\t%-13s %s\t%s\n", where, cli.Printable(strings.ToUpper(cli.OrDash(rule.Level))), cli.Printable(rule.Title), cli.Printable(rule.ID))
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
