package profile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// Options are the flags and arguments of the profile subcommands.
type Options struct {
	// Profile is the --profile flag (show, validate).
	Profile string
	// Output is init's -o FILE ("": stdout).
	Output string
	// Force lets init replace an existing file.
	Force bool
	// Format is show's output format.
	Format string
	// Paths are show's rules (default: the built-in pack), or validate's file.
	Paths []string

	Stdout io.Writer
	Stderr io.Writer
}

// NewCommand returns the `profile` command and its subcommands.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile init|show|validate",
		Short: "Write, inspect and validate the organisation profile",
		Long: `The organisation profile holds what only you know: your mail domains, AWS accounts and
principals, Azure tenants, GCP projects, and where each log source lives in Splunk and
Elasticsearch. convert, scan, test, check and hunt read it from --profile FILE, else
$` + profile.EnvVar + `, else <user config dir>/sigmabridge/profile.yml.`,
	}
	cmd.AddCommand(newInit(), newShow(), newValidate())
	return cmd
}

func newInit() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "init [-o FILE] [--force]",
		Short: "Write a commented starter profile",
		Long: `Write a commented starter profile: every key, empty, with how to find its value. To
stdout, or to FILE with -o; an existing FILE is never replaced unless --force.

Exit status: 0 written; 1 FILE exists or cannot be written; 2 usage error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return cli.Exit(RunInit(o))
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write the profile to FILE instead of stdout")
	cmd.Flags().BoolVar(&o.Force, "force", false, "replace FILE when it exists")
	return cmd
}

func newShow() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "show [--profile FILE] [-f table|json] [PATH]...",
		Short: "List the rules the profile leaves inactive or weakened, and the value each lacks",
		Long: `List every rule (default: the built-in pack) that the current profile leaves inactive
(it does not run) or weakened (it runs, but a list it reads is empty), with the profile key
that would give the missing value.

Formats:
  table  one line per rule and missing value
  json   {"profile": "...", "rules": [{"path","id","title","status","key","placeholder","note"}]}

Exit status: 0 listed (whatever the list); 1 a rule could not be read; 2 usage error
(a profile that does not validate included).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return cli.Exit(RunShow(o))
		},
	}
	cli.AddProfileFlag(cmd.Flags(), &o.Profile)
	cmd.Flags().StringVarP(&o.Format, "format", "f", "table", "output format: table or json")
	return cmd
}

func newValidate() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a profile file (default: the profile the commands would read)",
		Long: `Check a profile: every key known (a misspelt key is reported with the nearest known one),
every value of the right shape. Every problem is reported as FILE:LINE: message.

Exit status: 0 valid; 1 not valid or not found; 2 usage error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return cli.Exit(RunValidate(o))
		},
	}
	cli.AddProfileFlag(cmd.Flags(), &o.Profile)
	return cmd
}

// RunInit writes the starter profile.
func RunInit(o *Options) (int, error) {
	data := profile.Starter()
	if o.Output == "" {
		if _, err := o.Stdout.Write(data); err != nil {
			return cli.ExitFailure, nil
		}
		return cli.ExitOK, nil
	}
	if o.Force {
		if err := cli.WriteFileAtomic(o.Output, data); err != nil {
			fmt.Fprintf(o.Stderr, "sigmabridge: profile init: %v\n", err)
			return cli.ExitFailure, nil
		}
	} else {
		f, err := os.OpenFile(o.Output, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				fmt.Fprintf(o.Stderr, "sigmabridge: profile init: %s exists; it was left as it is (pass --force to replace it)\n", o.Output)
			} else {
				fmt.Fprintf(o.Stderr, "sigmabridge: profile init: %v\n", err)
			}
			return cli.ExitFailure, nil
		}
		_, werr := f.Write(data)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(o.Output)
			fmt.Fprintf(o.Stderr, "sigmabridge: profile init: writing %s: %v\n", o.Output, werr)
			return cli.ExitFailure, nil
		}
	}
	fmt.Fprintf(o.Stderr, "sigmabridge: wrote a starter profile to %s; fill it in, then point --profile or $%s at it (or keep it at %s)\n",
		o.Output, profile.EnvVar, defaultPathText())
	return cli.ExitOK, nil
}

func defaultPathText() string {
	p, err := profile.DefaultPath()
	if err != nil {
		return "<user config dir>/sigmabridge/profile.yml"
	}
	return p
}

// Entry is one missing value of one rule.
type Entry struct {
	Path        string `json:"path"`
	ID          string `json:"id"`
	Title       string `json:"title"`
	Status      string `json:"status"` // inactive or weakened
	Key         string `json:"key"`
	Placeholder string `json:"placeholder,omitempty"`
	Note        string `json:"note,omitempty"`
}

// ShowReport is the outcome of show.
type ShowReport struct {
	Profile string  `json:"profile"`
	Rules   []Entry `json:"rules"`
}

// Show computes what RunShow prints.
func Show(o *Options) (*ShowReport, int, error) {
	if o.Format != "table" && o.Format != "json" {
		return nil, cli.ExitUsage, cli.Usagef("unknown format %q (known: table, json)", o.Format)
	}
	prof, err := cli.LoadProfile(o.Profile)
	if err != nil {
		return nil, cli.ExitUsage, err
	}
	setup, err := cli.NewSetup(prof, profile.NoTarget, nil)
	if err != nil {
		return nil, cli.ExitUsage, err
	}
	rules, _, diags, err := cli.LoadRules(o.Paths, nil)
	if err != nil {
		return nil, cli.CodeOf(err), err
	}
	cli.PrintDiagnostics(o.Stderr, diags)
	exit := cli.ExitOK
	if diags.HasErrors() {
		exit = cli.ExitFailure
	}
	rep := &ShowReport{Profile: prof.Name(), Rules: []Entry{}}
	if prof != nil {
		rep.Profile = prof.Source
	}
	for _, r := range rules {
		inactive, weakened, err := setup.Assess(r)
		if err != nil {
			fmt.Fprintln(o.Stderr, err)
			exit = cli.ExitFailure
			continue
		}
		add := func(status string, n profile.Need) {
			rep.Rules = append(rep.Rules, Entry{Path: r.Path, ID: r.ID, Title: r.Title, Status: status, Key: n.Key, Placeholder: n.Placeholder, Note: n.Note})
		}
		for _, n := range inactive {
			add("inactive", n)
		}
		for _, n := range weakened {
			add("weakened", n)
		}
		if len(prof.AcceptedDomains()) == 0 && readsMailDirection(r) {
			rep.Rules = append(rep.Rules, Entry{Path: r.Path, ID: r.ID, Title: r.Title, Status: "weakened", Key: "mail.accepted_domains",
				Note: "scan --input eml and graph-headers cannot tell outbound mail or external recipients without the organisation's domains (or --accepted-domain)"})
		}
	}
	return rep, exit, nil
}

// readsMailDirection reports whether r reads the fields the mail inputs compute from the
// accepted domains.
func readsMailDirection(r *ir.Rule) bool {
	found := false
	for _, c := range r.Conditions {
		if c == nil {
			continue
		}
		ir.Inspect(c, func(n ir.Node) bool {
			if f := ir.Field(n); f == "direction" || f == "has_external_recipient" {
				found = true
			}
			return !found
		})
	}
	return found && r.Logsource.Service == "message_headers"
}

// RunShow prints the rules the profile leaves inactive or weakened.
func RunShow(o *Options) (int, error) {
	rep, exit, err := Show(o)
	if err != nil {
		return exit, err
	}
	if o.Format == "json" {
		if err := cli.WriteJSON(o.Stdout, rep); err != nil {
			return cli.ExitFailure, nil
		}
		return exit, nil
	}
	fmt.Fprintf(o.Stdout, "profile: %s\n", cli.Printable(rep.Profile))
	if len(rep.Rules) == 0 {
		fmt.Fprintln(o.Stdout, "every rule runs with every value it reads")
		return exit, nil
	}
	tw := tabwriter.NewWriter(o.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tNEEDS\tRULE\tWHY")
	for _, e := range rep.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Status, e.Key, cli.Printable(e.Path), cli.Printable(e.Note))
	}
	tw.Flush()
	var in, weak []string
	for _, e := range rep.Rules {
		if e.Status == "inactive" {
			in = appendOnce(in, e.Path)
		} else {
			weak = appendOnce(weak, e.Path)
		}
	}
	fmt.Fprintf(o.Stdout, "%s inactive, %s weakened; 'sigmabridge profile init' writes a starter to fill in\n", cli.Count(len(in), "rule"), cli.Count(len(weak), "rule"))
	return exit, nil
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// RunValidate checks a profile file.
func RunValidate(o *Options) (int, error) {
	path := o.Profile
	if len(o.Paths) == 1 {
		if path != "" {
			return cli.ExitUsage, cli.Usagef("give the profile as FILE or --profile, not both")
		}
		path = o.Paths[0]
	}
	loc, found, err := profile.Find(path)
	if err != nil {
		fmt.Fprintf(o.Stderr, "sigmabridge: %v\n", err)
		return cli.ExitFailure, nil
	}
	if len(o.Paths) == 1 {
		loc.From = "the command line"
	}
	if !found {
		fmt.Fprintf(o.Stderr, "sigmabridge: no profile: none given, $%s is not set and %s does not exist\n", profile.EnvVar, defaultPathText())
		return cli.ExitFailure, nil
	}
	p, err := profile.Load(loc.Path)
	if err != nil {
		fmt.Fprintln(o.Stderr, cli.Printable(err.Error()))
		return cli.ExitFailure, nil
	}
	n := 0
	for _, v := range p.Vars() {
		n += len(v)
	}
	var keys []string
	for _, v := range profile.Values {
		if len(v.Get(p)) > 0 {
			keys = append(keys, v.Key)
		}
	}
	fmt.Fprintf(o.Stdout, "%s: valid profile (from %s): %s in %s, %s\n", cli.Printable(loc.Path), loc.From,
		cli.Count(n, "value"), cli.Count(len(keys), "key"), cli.Count(len(p.Logs), "log location"))
	if len(keys) > 0 {
		fmt.Fprintf(o.Stdout, "set: %s\n", strings.Join(keys, ", "))
	}
	return cli.ExitOK, nil
}
