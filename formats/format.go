package formats

import (
	"crypto/sha1"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Item is one converted rule: the rule after its pipelines and profile (its Deployment is
// what they set), where it sits in the rule tree, and the target's queries.
type Item struct {
	// Rule is the prepared rule. For a format whose Macros is true its queries were rendered
	// without the Deployment's index, sourcetype and source, which the format places itself.
	Rule *ir.Rule
	// Source is the rule file's path relative to the root of its rule tree, slash-separated
	// ("aws/lambda_function_url_auth_none.yml"). It never comes from a rule's own fields.
	Source  string
	Queries []backends.Query
	// Correlation is set when the item is a Sigma correlation rule: Rule is then
	// CorrelationRule(Correlation), and Bases[k] is the prepared rule Correlation.Refs[k]
	// names (nil for a correlation it names), whose events feed it. For a format whose
	// Macros is true, the queries carry CorrMacroIndex(k) where rule k's index goes.
	Correlation *ir.Correlation
	Bases       []*ir.Rule
}

// CorrelationRule is correlation c as a rule, for the metadata deployable content shows:
// its place, id, title, description, author, references, level, status, tags and false
// positives. It has no
// detection: its queries are the correlation's.
func CorrelationRule(c *ir.Correlation) *ir.Rule {
	return &ir.Rule{Path: c.Path, Line: c.Line, Doc: c.Doc, ID: c.ID, Name: c.Name, Title: c.Title, Status: c.Status,
		Description: c.Description, Level: c.Level, Tags: c.Tags, FalsePositives: c.FalsePositives, Deployment: c.Deployment,
		Author: c.Author, References: c.References}
}

// CorrMacroIndex is the index the k-th named rule of a correlation is rendered with for a
// Splunk format (sigmabridge.ConvertCorrelationItems): the Splunk formats put that rule's
// log source macro in the place of its term.
func CorrMacroIndex(k int) string { return fmt.Sprintf("%s-ref%d", MacroIndex, k) }

// File is one output file of a format: Name is a slash-separated path relative to the
// output directory (or the app's directory).
type File struct {
	Name string
	Data []byte
}

// Options are the defaults every rule gets; a rule's ScheduleAttribute overrides them.
type Options struct {
	// Target is the query language the queries are in.
	Target string
	// Splunk: the saved search schedule and time range, the saved search name prefix, and
	// whether the searches ship enabled.
	Cron, Earliest, Latest string
	Prefix                 string
	Enabled                bool
	// App describes the Splunk app (splunk-app).
	App App
	// Elastic: how often the rule runs and how much further back than its interval it
	// looks (lookback covers ingest delay); Go durations in whole seconds ("5m", "1m").
	Interval, Lookback string
	// DefaultIndex is the Elastic index patterns of a rule whose pipelines set none.
	DefaultIndex []string
	// LicenseName is the rules' licence as Elastic's license field gives it ("DRL 1.1");
	// empty leaves the field out.
	LicenseName string
}

// App is the identity of a generated Splunk app.
type App struct {
	ID, Label, Version, Author, Description string
	// License is the text of the rules' licence (LICENSE.txt); Readme the app's README.
	License, Readme string
}

// Defaults are the option values used when a flag is not given.
var Defaults = Options{
	Cron: "*/10 * * * *", Earliest: "-20m@m", Latest: "-10m@m",
	Prefix:   "sigmabridge",
	Interval: "5m", Lookback: "1m",
	DefaultIndex: []string{"logs-*"},
	App: App{
		ID: "sigmabridge_detections", Label: "sigmabridge detections", Version: "1.0.0",
		Author:      "sigmabridge",
		Description: "Saved searches converted from Sigma rules by sigmabridge.",
	},
}

// ScheduleAttribute is the rule's top-level custom attribute that overrides Options for
// that rule:
//
//	schedule:
//	  cron: '*/5 * * * *'   # Splunk cron_schedule
//	  earliest: -15m@m      # Splunk dispatch.earliest_time
//	  latest: -5m@m         # Splunk dispatch.latest_time
//	  interval: 5m          # Elastic interval
//	  lookback: 2m          # Elastic: from = now - (interval + lookback)
//
// Every key is optional; an unknown key or a malformed value fails the rule (rule-structure).
// A pipeline can set it too (set_custom_attribute), for a whole log source at once.
const ScheduleAttribute = "schedule"

// Settings are the schedule a rule runs on, after its ScheduleAttribute.
type Settings struct {
	Cron, Earliest, Latest string
	Interval, Lookback     string
}

var (
	cronField   = regexp.MustCompile(`^[0-9*,/\-A-Za-z]+$`)
	splunkTime  = regexp.MustCompile(`^(now|rt|0|[+-]?\d*[a-zA-Z]+(@[a-zA-Z0-9]+)?([+-]\d*[a-zA-Z]+)*|@[a-zA-Z0-9]+|\d{9,10})$`)
	elasticSpan = regexp.MustCompile(`^[1-9]\d{0,5}[smhd]$`)
)

// seconds converts an Elastic span ("5m") to seconds.
func seconds(span string) int {
	n, _ := strconv.Atoi(span[:len(span)-1])
	switch span[len(span)-1] {
	case 'm':
		n *= 60
	case 'h':
		n *= 3600
	case 'd':
		n *= 86400
	}
	return n
}

// Check reports what is wrong with the options, naming the flag.
func (o Options) Check() error {
	s := Settings{Cron: o.Cron, Earliest: o.Earliest, Latest: o.Latest, Interval: o.Interval, Lookback: o.Lookback}
	for _, p := range s.problems() {
		return fmt.Errorf("--%s", p)
	}
	if bad := badPrefix(o.Prefix); bad != "" {
		return fmt.Errorf("--name-prefix %q: %s", o.Prefix, bad)
	}
	return nil
}

func badPrefix(p string) string {
	if strings.ContainsAny(p, "[]\\$`") || strings.IndexFunc(p, isControl) >= 0 {
		return "holds [, ], \\, $, ` or a control character"
	}
	return ""
}

func (s Settings) problems() []string {
	var out []string
	if f := strings.Fields(s.Cron); len(f) != 5 || s.Cron != strings.Join(f, " ") || slices.ContainsFunc(f, func(x string) bool { return !cronField.MatchString(x) }) {
		out = append(out, fmt.Sprintf("cron %q: want five cron fields separated by single spaces", s.Cron))
	}
	for _, t := range []struct{ k, v string }{{"earliest", s.Earliest}, {"latest", s.Latest}} {
		if !splunkTime.MatchString(t.v) {
			out = append(out, fmt.Sprintf("%s %q: not a Splunk time modifier (-20m@m, now)", t.k, t.v))
		}
	}
	for _, t := range []struct{ k, v string }{{"interval", s.Interval}, {"lookback", s.Lookback}} {
		if !elasticSpan.MatchString(t.v) {
			out = append(out, fmt.Sprintf("%s %q: want a number and s, m, h or d (5m)", t.k, t.v))
		}
	}
	return out
}

// For returns r's settings: o's, overridden by r's ScheduleAttribute. The diagnostics are
// errors naming the rule when the attribute is malformed.
func (o Options) For(r *ir.Rule) (Settings, diag.List) {
	s := Settings{Cron: o.Cron, Earliest: o.Earliest, Latest: o.Latest, Interval: o.Interval, Lookback: o.Lookback}
	raw, ok := r.Custom[ScheduleAttribute]
	if !ok {
		return s, nil
	}
	bad := func(format string, args ...any) (Settings, diag.List) {
		return s, diag.List{{Path: r.Path, Line: r.Line, RuleID: r.ID, Code: diag.RuleStructure, Severity: diag.Error,
			Message: ScheduleAttribute + ": " + fmt.Sprintf(format, args...)}}
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return bad("want a mapping of cron, earliest, latest, interval, lookback")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := m[k].(string)
		if !ok {
			return bad("%s: want a string", k)
		}
		switch k {
		case "cron":
			s.Cron = v
		case "earliest":
			s.Earliest = v
		case "latest":
			s.Latest = v
		case "interval":
			s.Interval = v
		case "lookback":
			s.Lookback = v
		default:
			return bad("unknown key %q (known: cron, earliest, latest, interval, lookback)", k)
		}
	}
	if p := s.problems(); len(p) > 0 {
		return bad("%s", strings.Join(p, "; "))
	}
	return s, nil
}

// widen returns s with its time ranges reaching span further back, so that a correlation
// whose events span up to span and end in the scheduled range is seen whole: Splunk's
// dispatch.earliest_time (an offset chained to a relative time; an absolute one is kept)
// and Elastic's lookback.
func (s Settings) widen(span time.Duration) Settings {
	sec := int(span / time.Second)
	if sec <= 0 {
		return s
	}
	if s.Earliest != "0" && s.Earliest != "now" && !strings.HasPrefix(s.Earliest, "rt") && !absoluteTime.MatchString(s.Earliest) {
		s.Earliest += fmt.Sprintf("-%ds", sec)
	}
	s.Lookback = fmt.Sprintf("%ds", seconds(s.Lookback)+sec)
	return s
}

var absoluteTime = regexp.MustCompile(`^\d{9,10}$`)

// From is the Elastic rule's `from`: its interval plus its lookback before now.
func (s Settings) From() string {
	return fmt.Sprintf("now-%ds", seconds(s.Interval)+seconds(s.Lookback))
}

// Levels maps a Sigma level to Splunk's alert.severity, Elastic's severity and risk_score.
var Levels = map[string]struct {
	Splunk  int
	Elastic string
	Risk    int
}{
	"informational": {2, "low", 1},
	"low":           {3, "low", 21},
	"medium":        {4, "medium", 47},
	"high":          {5, "high", 73},
	"critical":      {6, "critical", 99},
}

// level returns r's level, medium when it has none (Sigma's level is optional).
func level(r *ir.Rule) string {
	if _, ok := Levels[r.Level]; ok {
		return r.Level
	}
	return "medium"
}

// RuleUUID is the deterministic identifier of condition cond of r in generated content
// (an Elastic rule_id): a name-based UUID (RFC 9562 version 5, SHA-1) in sigmabridge's
// namespace over the Sigma id and the condition, so a re-import replaces the rule. A rule
// without an id is named by its place in the rule tree instead.
func RuleUUID(r *ir.Rule, source string, cond int) string {
	name := "sigma:" + r.ID
	if r.ID == "" {
		name = "source:" + source + "#" + strconv.Itoa(r.Doc)
	}
	name += "/" + strconv.Itoa(cond)
	u := uuid5(namespace, name)
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// uuid5 is the name-based UUID of name in ns (RFC 9562, version 5).
func uuid5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

// namespace is sigmabridge's UUID namespace: the version 5 UUID of the module path in RFC
// 9562's URL namespace (6ba7b811-9dad-11d1-80b4-00c04fd430c8).
var namespace = uuid5([16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8},
	"https://github.com/sigmabridge/sigmabridge")

func isControl(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029
}

// condSuffix names condition i of a rule with n conditions in a title.
func condSuffix(i, n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(" (condition %d)", i+1)
}
