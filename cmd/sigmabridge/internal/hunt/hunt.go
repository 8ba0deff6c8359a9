package hunt

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/dsl"
	"github.com/sigmabridge/sigmabridge/backends/elasticsearch/esmapping"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// Options are the flags and arguments of `sigmabridge hunt`.
type Options struct {
	ES        string
	Index     string
	Since     string
	Until     string
	TimeField string
	APIKey    string
	User      string
	Password  string
	CACert    string
	Insecure  bool
	Pipelines []string
	// Mapping is --mapping: a GET _mapping answer in a file, used instead of asking the
	// cluster for the mapping of each index searched.
	Mapping string
	Format  string
	MaxHits int
	Paths   []string
	// Timeout bounds the whole hunt, RequestTimeout each request to the cluster (retries and
	// the reading of the answer included), MaxResponse the bytes of one answer. Zero means
	// the default (DefaultTimeout, DefaultRequestTimeout, DefaultMaxResponse).
	Timeout, RequestTimeout time.Duration
	MaxResponse             int64

	Stdout, Stderr io.Writer
	// Progress shows a progress bar on Stderr (the command sets it when stderr is a terminal).
	Progress bool
	// Getenv reads ELASTIC_API_KEY, ELASTIC_USERNAME and ELASTIC_PASSWORD (os.Getenv when nil).
	Getenv func(string) string
	// Now is the clock --since counts back from (time.Now when nil).
	Now func() time.Time
	// Profile is the --profile flag ("": $SIGMABRIDGE_PROFILE, then the user config dir).
	Profile string
	// ReadPassword asks for the password of --user without echo, when neither --password nor
	// ELASTIC_PASSWORD gives one (the command sets it when stdin is a terminal).
	ReadPassword func(prompt string) (string, error)
}

// The defaults of the limits (Options.Timeout, RequestTimeout, MaxResponse).
const (
	DefaultTimeout        = 10 * time.Minute
	DefaultRequestTimeout = esclient.DefaultRequestTimeout
	DefaultMaxResponse    = esclient.DefaultMaxResponseBytes
)

// Formats lists the output formats.
var Formats = []string{"table", "jsonl"}

// NewCommand returns the cobra command.
func NewCommand() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "hunt --es URL [--index PATTERN] [--since DURATION] [--until TIME] [--api-key KEY | --user U --password P] [-p PIPELINE]... [-f table|jsonl] [RULES]...",
		Short: "Run rules as Query DSL searches on a live Elasticsearch cluster",
		Long: `Run each rule's Query DSL (the dsl target) on an Elasticsearch cluster and print every
document it finds. RULES are rule files or directories; without them the built-in T1648 pack
runs.

The index searched is --index, else the pipeline state "index" that a pipeline sets for the
rule's logsource (-p ecs_t1648 for the Elastic integrations). A pattern that matches no index
is an error, not an empty result.

--since and --until restrict the search to a time window on --time-field (default
@timestamp), through a range filter added to each query. --since takes a duration (90m, 24h,
7d); --until an RFC 3339 time, a date (2025-05-14) or a duration before now.

Credentials: ELASTIC_API_KEY, or ELASTIC_USERNAME and ELASTIC_PASSWORD from the environment;
--api-key, or --user and --password, override them, with a warning: other local users can read
a command line. --user without a password asks for it when stdin is a terminal.

Limits: --timeout bounds the whole hunt (default 10m; rules not run by then are reported),
--request-timeout each request to the cluster, reading the answer included (default 1m), and
--max-response the size of one answer (default 64MiB). Hits already found are kept and
printed when a limit stops a rule.

Formats:
  table  LEVEL, RULE, INDEX, ID per hit (default)
  jsonl  one JSON object per hit: {"rule_id", "title", "level", "index", "id", "source"}

Each query is written for the index's real mapping (GET index/_mapping, or --mapping FILE):
a text field is compared on its keyword multi-field, numbers as numbers, ip fields as
addresses. A rule whose query the mapping cannot answer exactly (analysed text without a
keyword multi-field, a value ignore_above may have left unindexed, conflicting types) is
never reported as a clean hunt: it is named on stderr with the reason and counted as failed.
ignore_above is checked against the data: a keyword field for which no document of the
index has an ignored value (the _ignored field) answers exactly.

A rule that cannot run (not expressible as Query DSL, refused by the cluster, missing index,
no time field) is reported on stderr with its name and the other rules still run.
Exit status: 0 every rule ran; 1 some rule failed or the cluster could not be used; 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Stdout = cmd.OutOrStdout()
			o.Stderr = cmd.ErrOrStderr()
			if f, ok := o.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				o.Progress = true
			}
			if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
				o.ReadPassword = func(prompt string) (string, error) {
					fmt.Fprint(o.Stderr, prompt)
					pw, err := term.ReadPassword(fd)
					fmt.Fprintln(o.Stderr)
					return string(pw), err
				}
			}
			// SIGINT or SIGTERM stops the hunt between two requests: the hits found so far
			// are written and the exit status is 130 or 143.
			ctx, cancel := context.WithCancelCause(cmd.Context())
			defer cancel(nil)
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sigs)
			var caught atomic.Value
			go func() {
				select {
				case s := <-sigs:
					caught.Store(s)
					cancel(fmt.Errorf("interrupted by %v", s))
				case <-ctx.Done():
				}
			}()
			code, err := Run(ctx, o)
			if err != nil {
				return err
			}
			if s, ok := caught.Load().(syscall.Signal); ok {
				code = 128 + int(s)
			}
			if code != cli.ExitOK {
				return cli.ExitError{Code: code}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ES, "es", "", "Elasticsearch URL, e.g. https://localhost:9200 (required)")
	f.StringVar(&o.Index, "index", "", "index or pattern to search for every rule (default: the pipeline state \"index\")")
	f.StringVar(&o.Since, "since", "", "only documents newer than this duration (e.g. 24h, 7d)")
	f.StringVar(&o.Until, "until", "", "only documents up to this time (RFC 3339, a date, or a duration ago)")
	f.StringVar(&o.TimeField, "time-field", "@timestamp", "the date field --since and --until apply to")
	f.StringVar(&o.APIKey, "api-key", "", "API key (base64 \"encoded\" form); prefer $ELASTIC_API_KEY: a command line is visible to other users")
	f.StringVar(&o.User, "user", "", "user name for basic authentication (default $ELASTIC_USERNAME)")
	f.StringVar(&o.Password, "password", "", "password for --user; prefer $ELASTIC_PASSWORD or the prompt: a command line is visible to other users")
	f.StringVar(&o.CACert, "ca-cert", "", "PEM file of the certificate authority to trust")
	f.BoolVar(&o.Insecure, "insecure", false, "do not verify the cluster's TLS certificate")
	f.StringArrayVarP(&o.Pipelines, "pipeline", "p", nil, "processing pipeline: a built-in name or a pipeline YAML file (repeatable)")
	f.StringVar(&o.Mapping, "mapping", "", "read the index mapping from this GET index/_mapping answer instead of asking the cluster (which needs the view_index_metadata privilege)")
	cli.AddProfileFlag(f, &o.Profile)
	f.StringVarP(&o.Format, "format", "f", "table", "output format: "+strings.Join(Formats, ", "))
	f.IntVar(&o.MaxHits, "max-hits", 10000, "most hits read per rule query (Elasticsearch's default window is 10000)")
	f.DurationVar(&o.Timeout, "timeout", DefaultTimeout, "deadline of the whole hunt")
	f.DurationVar(&o.RequestTimeout, "request-timeout", DefaultRequestTimeout, "deadline of one request to the cluster, retries and reading the answer included")
	o.MaxResponse = DefaultMaxResponse
	f.Var(byteSize{&o.MaxResponse}, "max-response", "largest answer read from the cluster (e.g. 64MiB, 1GiB)")
	return cmd
}

// Hit is one jsonl output line.
type Hit struct {
	RuleID string          `json:"rule_id"`
	Title  string          `json:"title"`
	Level  string          `json:"level"`
	Index  string          `json:"index"`
	ID     string          `json:"id"`
	Source json.RawMessage `json:"source"`
}

// settings are the validated options.
type settings struct {
	cfg       esclient.Config
	timeRange map[string]any // the range body on the time field, or nil
	// setup applies the organisation profile (its values and Elastic index patterns) and the
	// pipelines.
	setup   *profile.Setup
	profile *profile.Profile
	timeout time.Duration
	// mapping is --mapping, read; nil: ask the cluster.
	mapping *ir.IndexMapping
}

// errDeadline is the cause of the hunt's context when --timeout runs out.
var errDeadline = errors.New("the hunt's deadline (--timeout) passed")

// Run executes hunt and returns the exit code. A returned error is a usage error.
func Run(ctx context.Context, o *Options) (int, error) {
	st, err := validate(o)
	if err != nil {
		return cli.ExitUsage, err
	}
	client, err := esclient.New(st.cfg)
	if err != nil {
		return cli.ExitUsage, cli.UsageError{Err: err}
	}
	for _, w := range secretWarnings(o) {
		fmt.Fprintf(o.Stderr, "sigmabridge: hunt: warning: %s\n", w)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, st.timeout, errDeadline)
	defer cancel()
	rules, files, loadDiags, err := cli.LoadRules(o.Paths, nil)
	if err != nil {
		return cli.CodeOf(err), err
	}
	cli.PrintDiagnostics(o.Stderr, loadDiags)
	if len(files) == 0 {
		fmt.Fprintf(o.Stderr, "sigmabridge: hunt: no Sigma rules (*.yml, *.yaml) found in %s\n", cli.Printable(strings.Join(o.Paths, " ")))
		return cli.ExitFailure, nil
	}
	h := &hunter{o: o, st: st, client: client, timeFields: map[string]error{}, mappings: map[string]mappingOrError{}}
	if _, err := client.Ping(ctx); err != nil {
		h.report("%s%s", h.explain(ctx, err), tlsHint(err, o))
		return cli.ExitFailure, nil
	}

	proc := sigmabridge.Prepare(st.setup, rules)
	cli.PrintInactive(o.Stderr, proc.Inactive, st.profile)
	var jobs []job
	for i, r := range rules {
		if proc.Needs(r) == nil {
			j := job{rule: r, diags: proc.Diags[i]}
			if p := proc.Index[i]; p >= 0 {
				j.ready = proc.Rules[p]
			}
			jobs = append(jobs, j)
		}
	}
	if o.Progress {
		h.bar = progressbar.NewOptions(len(jobs),
			progressbar.OptionSetWriter(o.Stderr),
			progressbar.OptionSetDescription("hunting"),
			progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond))
	}
	var table *tabwriter.Writer
	if o.Format == "table" {
		table = tabwriter.NewWriter(o.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(table, "LEVEL\tRULE\tINDEX\tID")
	}
	failed, withHits, hits, unanswerable := 0, 0, 0, 0
	for i, j := range jobs {
		r := j.rule
		if ctx.Err() != nil { // the deadline passed or the user interrupted between two rules
			h.report("stopping (%s): %d more rules not run", h.explain(ctx, context.Cause(ctx)), len(jobs)-i)
			failed += len(jobs) - i
			break
		}
		found, err := h.hunt(ctx, j)
		if err == nil {
			if len(found) > 0 {
				withHits++
			}
			hits += len(found)
			if werr := h.write(table, found); werr != nil {
				fmt.Fprintf(o.Stderr, "sigmabridge: hunt: writing the output: %v\n", werr)
				return cli.ExitFailure, nil
			}
		} else {
			failed++
			if errors.Is(err, errUnanswerable) {
				unanswerable++
			}
			h.report("%s (%s): %s", r.Path, r.Title, h.explain(ctx, err))
			if fatal(err) || ctx.Err() != nil {
				h.report("stopping: %d more rules not run", len(jobs)-i-1)
				failed += len(jobs) - i - 1
				break
			}
		}
		if h.bar != nil {
			_ = h.bar.Add(1)
		}
	}
	if h.bar != nil {
		_ = h.bar.Finish()
	}
	if table != nil && hits > 0 { // no hits: no table, not a header alone (stderr says 0 hits)
		_ = table.Flush()
	}
	note := loadErrorNote(loadDiags)
	if unanswerable > 0 {
		note = fmt.Sprintf(" (%d of them not answerable on the index mapping)", unanswerable) + note
	}
	fmt.Fprintf(o.Stderr, "sigmabridge: hunt: %s, %d with hits, %s, %d failed%s\n",
		cli.Count(len(jobs), "rule"), withHits, cli.Count(hits, "hit"), failed, note)
	if failed > 0 || loadDiags.HasErrors() {
		return cli.ExitFailure, nil
	}
	return cli.ExitOK, nil
}

// job is one rule to hunt with: as loaded, and as the setup prepared it (nil when the
// pipelines failed it, with their diagnostics).
type job struct {
	rule, ready *ir.Rule
	diags       diag.List
}

func loadErrorNote(ds diag.List) string {
	if !ds.HasErrors() {
		return ""
	}
	return ", " + cli.Count(ds.FilesWithErrors(), "file") + " with load errors"
}

// fatal reports whether an error ends the hunt: the cluster is gone or refuses us, so every
// later rule would fail the same way. A rule whose search ran out of --request-timeout or
// --max-response is not: the next rule's search may be lighter.
func fatal(err error) bool {
	var ee *esclient.Error
	if errors.As(err, &ee) && ee.Kind == esclient.ErrTimeout && ee.Timeout > 0 {
		return false
	}
	return errors.Is(err, esclient.ErrUnreachable) || errors.Is(err, esclient.ErrUnauthorized) ||
		errors.Is(err, esclient.ErrTimeout) || errors.Is(err, esclient.ErrNotElasticsearch)
}

// explain says which limit stopped a call, by its flag, or else what went wrong.
func (h *hunter) explain(ctx context.Context, err error) string {
	if errors.Is(err, errDeadline) {
		return fmt.Sprintf("stopped by --timeout %v, the deadline of the whole hunt", h.st.timeout)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return "interrupted"
	}
	var ee *esclient.Error
	if errors.As(err, &ee) {
		switch {
		case ee.Kind == esclient.ErrTimeout && ee.Timeout > 0:
			return fmt.Sprintf("Elasticsearch at %s did not complete its answer within --request-timeout %v", ee.URL, ee.Timeout)
		case ee.Kind == esclient.ErrTooLarge:
			return fmt.Sprintf("the answer from %s is larger than --max-response %s; reading stopped there (narrow the search with --since or --max-hits, or raise --max-response)", ee.URL, esclient.FormatBytes(ee.Limit))
		}
	}
	return err.Error()
}

// secretWarnings are the warnings about secrets given on the command line, which any local
// user can read (ps, /proc/PID/cmdline) and the shell may keep in its history.
func secretWarnings(o *Options) []string {
	var out []string
	if o.Password != "" {
		out = append(out, "--password on the command line is visible to other local users (ps) and may stay in the shell history: set ELASTIC_PASSWORD instead, or give --user alone on a terminal to be asked for it")
	}
	if o.APIKey != "" {
		out = append(out, "--api-key on the command line is visible to other local users (ps) and may stay in the shell history: set ELASTIC_API_KEY instead")
	}
	return out
}

func validate(o *Options) (settings, error) {
	var st settings
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if o.ES == "" {
		return st, cli.Usagef("--es URL is required")
	}
	if !slices.Contains(Formats, o.Format) {
		return st, cli.Usagef("unknown format %q (known: %s)", o.Format, strings.Join(Formats, ", "))
	}
	if o.MaxHits < 1 || o.MaxHits > 10000 {
		return st, cli.Usagef("--max-hits %d: want 1 to 10000", o.MaxHits)
	}
	if o.APIKey != "" && o.User != "" {
		return st, cli.Usagef("--api-key and --user are exclusive")
	}
	if o.Index != "" {
		if err := esclient.CheckIndexPattern(o.Index); err != nil {
			return st, cli.Usagef("--index %q: %s", o.Index, invalidIndexReason(err))
		}
	}
	limits := []struct {
		flag string
		v    *time.Duration
		def  time.Duration
	}{{"--timeout", &st.timeout, DefaultTimeout}, {"--request-timeout", &st.cfg.RequestTimeout, DefaultRequestTimeout}}
	for i, v := range []time.Duration{o.Timeout, o.RequestTimeout} {
		switch {
		case v < 0:
			return st, cli.Usagef("%s %v: want a positive duration", limits[i].flag, v)
		case v == 0:
			v = limits[i].def
		}
		*limits[i].v = v
	}
	maxResponse := o.MaxResponse
	switch {
	case maxResponse < 0:
		return st, cli.Usagef("--max-response %d: want a positive size", maxResponse)
	case maxResponse == 0:
		maxResponse = DefaultMaxResponse
	}
	cfg := esclient.Config{URL: o.ES, CACertFile: o.CACert, Insecure: o.Insecure,
		RequestTimeout: st.cfg.RequestTimeout, MaxResponseBytes: maxResponse}
	switch {
	case o.APIKey != "":
		cfg.APIKey = o.APIKey
	case o.User != "":
		cfg.Username, cfg.Password = o.User, o.Password
		if cfg.Password == "" {
			cfg.Password = getenv("ELASTIC_PASSWORD")
		}
		if cfg.Password == "" && o.ReadPassword != nil {
			pw, err := o.ReadPassword(fmt.Sprintf("Password for %s at %s: ", cli.Printable(o.User), cli.Printable(o.ES)))
			if err != nil {
				return st, cli.Usagef("reading the password: %v", err)
			}
			cfg.Password = pw
		}
		if cfg.Password == "" {
			return st, cli.Usagef("--user needs a password: set ELASTIC_PASSWORD, run on a terminal to be asked for it, or pass --password (visible to other local users)")
		}
	case o.Password != "":
		return st, cli.Usagef("--password needs --user")
	case getenv("ELASTIC_API_KEY") != "":
		cfg.APIKey = getenv("ELASTIC_API_KEY")
	case getenv("ELASTIC_USERNAME") != "":
		cfg.Username, cfg.Password = getenv("ELASTIC_USERNAME"), getenv("ELASTIC_PASSWORD")
	}
	st.cfg = cfg

	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	rng := map[string]any{}
	var since, until time.Time
	if o.Since != "" {
		d, err := parseDuration(o.Since)
		if errors.Is(err, errTooLong) {
			return st, cli.Usagef("--since %q: %v", o.Since, err)
		}
		if err != nil || d <= 0 {
			return st, cli.Usagef("--since %q: want a positive duration such as 90m, 24h or 7d", o.Since)
		}
		since = now().Add(-d).UTC()
		rng["gte"] = since.Format(time.RFC3339Nano)
	}
	if o.Until != "" {
		t, err := parseUntil(o.Until, now())
		if err != nil {
			return st, cli.Usagef("--until %q: %v", o.Until, err)
		}
		until = t.UTC()
		rng["lte"] = until.Format(time.RFC3339Nano)
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		return st, cli.Usagef("--until %s is before --since (%s)", rng["lte"], rng["gte"])
	}
	if len(rng) > 0 {
		if o.TimeField == "" {
			return st, cli.Usagef("--time-field must name a field")
		}
		rng["format"] = "strict_date_optional_time"
		st.timeRange = map[string]any{"range": map[string]any{o.TimeField: rng}}
	}
	if o.Mapping != "" {
		m, err := esmapping.ReadFile(o.Mapping)
		if err != nil {
			return st, cli.UsageError{Err: err}
		}
		st.mapping = m
	}
	prof, err := cli.LoadProfile(o.Profile)
	if err != nil {
		return st, err
	}
	st.profile = prof
	if st.setup, err = cli.NewSetup(prof, profile.Elastic, o.Pipelines); err != nil {
		return st, err
	}
	return st, nil
}

var (
	dayDuration = regexp.MustCompile(`^(\d+)d$`)
	// goDuration is the syntax of time.ParseDuration, which refuses a duration that overflows
	// with the same error as a malformed one.
	goDuration = regexp.MustCompile(`^[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$`)
)

// maxDays is the longest duration in days: time.Duration counts nanoseconds in an int64.
const maxDays = math.MaxInt64 / int64(24*time.Hour)

// errTooLong is a duration past time.Duration's range (about 292 years).
var errTooLong = fmt.Errorf("longer than the longest duration, %dd (about 292 years)", maxDays)

// parseDuration is time.ParseDuration plus whole days ("7d"), refusing durations that do not
// fit a time.Duration rather than letting them wrap around (213504d would be 25 minutes).
func parseDuration(s string) (time.Duration, error) {
	if m := dayDuration.FindStringSubmatch(s); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > maxDays {
			return 0, errTooLong
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil && goDuration.MatchString(s) && strings.ContainsAny(s, "0123456789") {
		return 0, errTooLong
	}
	return d, err
}

func parseUntil(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(24*time.Hour - time.Nanosecond), nil // the whole day
	}
	d, err := parseDuration(s)
	if errors.Is(err, errTooLong) {
		return time.Time{}, err
	}
	if err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, errors.New("want an RFC 3339 time (2025-05-14T08:00:00Z), a date (2025-05-14) or a duration ago (2h)")
}

type hunter struct {
	o      *Options
	st     settings
	client *esclient.Client
	bar    *progressbar.ProgressBar
	// timeFields caches, per index, whether the time field is usable there.
	timeFields map[string]error
	// mappings caches the mapping of each index pattern searched.
	mappings map[string]mappingOrError
}

type mappingOrError struct {
	m   *ir.IndexMapping
	err error
}

// report prints one line on stderr, clearing the progress bar first. The line quotes rule
// files and titles and the cluster's own words (index names, error reasons): control
// characters in them are escaped (cli.Printable), so they cannot drive the terminal.
func (h *hunter) report(format string, args ...any) {
	if h.bar != nil {
		_ = h.bar.Clear()
	}
	fmt.Fprintf(h.o.Stderr, "sigmabridge: hunt: %s\n", cli.Printable(fmt.Sprintf(format, args...)))
}

type found struct {
	rule *ir.Rule
	hit  esclient.Hit
}

// hunt runs one rule and returns its hits (each document once, whatever the condition).
func (h *hunter) hunt(ctx context.Context, j job) ([]found, error) {
	if j.ready == nil {
		return nil, fmt.Errorf("pipeline: %s", firstError(j.diags))
	}
	r, rule := j.rule, j.ready
	index, fromState := h.o.Index, false
	if index == "" {
		var err error
		if index, err = stateIndex(rule, h.o.Pipelines); err != nil {
			return nil, err
		}
		fromState = true
	}
	m, err := h.mapping(ctx, index, fromState)
	if err != nil {
		return nil, err
	}
	rule = rule.Clone()
	rule.Deployment.Mapping = m
	queries, ds := dsl.Backend{}.Convert(rule)
	if ds.HasErrors() {
		if onMapping(ds) {
			return nil, fmt.Errorf("%w on the mapping of %s, so its hits could not be trusted: %s", errUnanswerable, index, firstError(ds))
		}
		return nil, fmt.Errorf("cannot be expressed in Query DSL: %s", firstError(ds))
	}
	if h.st.timeRange != nil {
		if err := h.checkTimeField(ctx, index, fromState); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	var out []found
	for _, q := range queries {
		body := []byte(q.Text)
		if h.st.timeRange != nil {
			var doc map[string]json.RawMessage
			if err := json.Unmarshal(body, &doc); err != nil {
				return nil, fmt.Errorf("query of condition %d is not a JSON object: %v", q.Condition, err)
			}
			doc["query"], _ = json.Marshal(map[string]any{"bool": map[string]any{"filter": []any{doc["query"], h.st.timeRange}}})
			body, _ = json.Marshal(doc)
		}
		res, err := h.client.Search(ctx, index, body, h.o.MaxHits)
		if err != nil {
			return nil, searchError(err, index, fromState)
		}
		if res.Total > int64(len(res.Hits)) {
			h.report("%s (%s): %d hits, showing the first %d (raise --max-hits or narrow --since)", r.Path, r.Title, res.Total, len(res.Hits))
		}
		for _, hit := range res.Hits {
			key := hit.Index + "\x00" + hit.ID
			if !seen[key] {
				seen[key] = true
				out = append(out, found{rule: r, hit: hit})
			}
		}
	}
	return out, nil
}

// errUnanswerable wraps the failure of a rule whose query the index mapping cannot answer
// exactly.
var errUnanswerable = errors.New("cannot be answered exactly")

// onMapping reports whether some error of ds says the index mapping cannot answer a leaf.
func onMapping(ds diag.List) bool {
	for _, d := range ds.Errors() {
		if strings.HasPrefix(string(d.Code), "mapping-") {
			return true
		}
	}
	return false
}

// mapping returns the mapping of the indexes a pattern names: --mapping when given, else the
// cluster's (GET index/_mapping), with ignore_above lifted from every keyword field for
// which no document of those indexes has an ignored value (the _ignored field), since then
// no value was left out.
func (h *hunter) mapping(ctx context.Context, index string, fromState bool) (*ir.IndexMapping, error) {
	if h.st.mapping != nil {
		return h.st.mapping, nil
	}
	if c, ok := h.mappings[index]; ok {
		return c.m, c.err
	}
	m, err := h.fetchMapping(ctx, index)
	switch {
	case errors.Is(err, esclient.ErrIndexNotFound):
		err = searchError(err, index, fromState)
	case err != nil:
		err = fmt.Errorf("reading the mapping of %s, which the query is written for: %w", index, searchError(err, index, fromState))
	}
	if !transient(err) {
		h.mappings[index] = mappingOrError{m, err}
	}
	return m, err
}

func (h *hunter) fetchMapping(ctx context.Context, index string) (*ir.IndexMapping, error) {
	body, err := h.client.Mapping(ctx, index)
	if err != nil {
		return nil, err
	}
	m, err := esmapping.Read("GET "+index+"/_mapping", body)
	if err != nil {
		return nil, fmt.Errorf("the cluster's answer: %v", err)
	}
	ignored, complete, err := h.client.IgnoredFields(ctx, index)
	if err != nil {
		return nil, err
	}
	if complete {
		esmapping.LiftIgnoreAbove(m, ignored)
	}
	return m, nil
}

func searchError(err error, index string, fromState bool) error {
	switch {
	case errors.Is(err, esclient.ErrIndexNotFound) && fromState:
		return fmt.Errorf("%v (the pipeline state names it; pass --index to search another)", err)
	case errors.Is(err, esclient.ErrIndexNotFound):
		return err
	case errors.Is(err, esclient.ErrRejected):
		return fmt.Errorf("the cluster refused the query on %s: %v", index, err)
	}
	return err
}

// checkTimeField makes sure the time field exists as a date in the index: a range filter on a
// missing field matches nothing, which would look like a clean hunt.
func (h *hunter) checkTimeField(ctx context.Context, index string, fromState bool) error {
	if err, ok := h.timeFields[index]; ok {
		return err
	}
	field := h.o.TimeField
	types, err := h.client.FieldTypes(ctx, index, field)
	switch {
	case err != nil:
		err = searchError(err, index, fromState)
	case len(types[field]) == 0:
		err = fmt.Errorf("index %s has no field %s to apply --since/--until to (name the index's date field with --time-field)", index, field)
	default:
		for _, t := range types[field] {
			if t != "date" && t != "date_nanos" {
				err = fmt.Errorf("field %s is mapped as %s in %s, not as a date: --since/--until need a date field (--time-field)", field, strings.Join(types[field], ", "), index)
				break
			}
		}
	}
	if !transient(err) {
		h.timeFields[index] = err
	}
	return err
}

// transient reports whether a failure may not happen again (a limit, a lost connection, an
// overloaded cluster), so it must not be remembered for the next rule.
func transient(err error) bool {
	for _, kind := range []error{esclient.ErrTimeout, esclient.ErrTooLarge, esclient.ErrUnreachable, esclient.ErrServer} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

func invalidIndexReason(err error) string {
	var ee *esclient.Error
	if errors.As(err, &ee) {
		return ee.Reason
	}
	return err.Error()
}

// stateIndex reads the pipeline state "index" (a string or a list of strings) and checks it
// as --index is checked: a name that could address another API never reaches a request.
func stateIndex(r *ir.Rule, pipelines []string) (string, error) {
	index, err := stateIndexValue(r, pipelines)
	if err != nil {
		return "", err
	}
	if err := esclient.CheckIndexPattern(index); err != nil {
		return "", fmt.Errorf("pipeline state index %q is refused, no request was sent: %s", index, invalidIndexReason(err))
	}
	return index, nil
}

// stateIndexValue's hint names a pipeline to pass only when none was: after -p ecs_t1648,
// suggesting -p ecs_t1648 again would send the user round in circles.
func stateIndexValue(r *ir.Rule, pipelines []string) (string, error) {
	names := r.Deployment.Index
	if len(names) == 0 {
		if len(pipelines) > 0 {
			return "", fmt.Errorf("no index to search: the pipelines given (-p %s) set no index for logsource %s; pass --index, or give it an elastic index in the profile (logs[])", cli.Printable(strings.Join(pipelines, ", -p ")), r.Logsource)
		}
		return "", fmt.Errorf("no index to search: pass --index, give logsource %s an elastic index in the profile (logs[]), or a pipeline that sets the state \"index\" for it (e.g. -p ecs_t1648)", r.Logsource)
	}
	if slices.Contains(names, "") {
		return "", fmt.Errorf("pipeline state index %q holds an empty name", names)
	}
	return strings.Join(names, ","), nil
}

func firstError(ds diag.List) string {
	errs := ds.Errors()
	if len(errs) == 0 {
		return ""
	}
	msg := string(errs[0].Code) + ": " + errs[0].Message
	if len(errs) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(errs)-1)
	}
	return msg
}

func (h *hunter) write(table *tabwriter.Writer, hits []found) error {
	if table != nil {
		for _, f := range hits {
			fmt.Fprintf(table, "%s\t%s\t%s\t%s\n", cli.Cell(cli.OrDash(f.rule.Level)), cli.Cell(f.rule.Title), cli.Cell(f.hit.Index), cli.Cell(f.hit.ID))
		}
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, f := range hits {
		if err := enc.Encode(Hit{RuleID: f.rule.ID, Title: f.rule.Title, Level: f.rule.Level, Index: f.hit.Index, ID: f.hit.ID, Source: f.hit.Source}); err != nil {
			return err
		}
	}
	if h.bar != nil && buf.Len() > 0 {
		_ = h.bar.Clear()
	}
	_, err := cli.JSONWriter(h.o.Stdout).Write(buf.Bytes())
	return err
}

// tlsHint tells how to make a certificate the client could not verify acceptable: the flag
// that names the cluster's CA, or the flag that skips the check.
func tlsHint(err error, o *Options) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	switch {
	case errors.As(err, &unknown) && o.CACert == "":
		return " (pass the CA certificate that signed the cluster's with --ca-cert FILE, or skip the check with --insecure)"
	case errors.As(err, &unknown):
		return " (" + o.CACert + " did not sign the cluster's certificate)"
	case errors.As(err, &host):
		return " (the certificate is not for this host name: use the name it was issued for in --es, or skip the check with --insecure)"
	}
	return ""
}
