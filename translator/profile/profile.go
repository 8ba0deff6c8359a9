package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/agnivade/levenshtein"
	"gopkg.in/yaml.v3"
)

// EnvVar names the environment variable that points at a profile.
const EnvVar = "SIGMABRIDGE_PROFILE"

// Version is the profile format version this package reads.
const Version = 1

// Profile is an organisation profile. The zero Profile knows nothing: every placeholder is
// without value and no log location is set.
type Profile struct {
	// Version is the format version (1); 0 when the file does not say.
	Version int `yaml:"version"`
	// Mail is the organisation's mail.
	Mail Mail `yaml:"mail"`
	// AWS is the organisation's AWS estate.
	AWS AWS `yaml:"aws"`
	// Azure is the organisation's Azure estate.
	Azure Azure `yaml:"azure"`
	// PowerPlatform is the organisation's Power Platform (Power Automate, Power Apps).
	PowerPlatform PowerPlatform `yaml:"power_platform"`
	// GCP is the organisation's Google Cloud estate.
	GCP GCP `yaml:"gcp"`
	// Workspace is the organisation's Google Workspace.
	Workspace Workspace `yaml:"workspace"`
	// Logs say where each log source lives in the SIEM.
	Logs []LogLocation `yaml:"logs"`
	// Placeholders gives values to placeholders of other rules, by the name the rules use
	// (the keys above fill the pack's placeholders).
	Placeholders map[string]Strings `yaml:"placeholders"`
	// Deploy are the organisation's defaults for deployable content (convert's savedsearches,
	// splunk-app and elastic-rules formats); convert's flags win over them. The formats
	// package checks the values when it uses them.
	Deploy Deploy `yaml:"deploy"`

	// Source is the file the profile was read from.
	Source string `yaml:"-"`
}

// Deploy holds the schedule defaults of deployable content; "" means sigmabridge's own.
type Deploy struct {
	Splunk struct {
		Cron     string `yaml:"cron"`
		Earliest string `yaml:"earliest"`
		Latest   string `yaml:"latest"`
	} `yaml:"splunk"`
	Elastic struct {
		Interval string `yaml:"interval"`
		Lookback string `yaml:"lookback"`
	} `yaml:"elastic"`
}

// Mail holds the mail settings.
type Mail struct {
	// AcceptedDomains are the organisation's own mail domains (Exchange accepted domains).
	AcceptedDomains Strings `yaml:"accepted_domains"`
}

// AWS holds the AWS identity and tenancy values.
type AWS struct {
	AccountIDs             Strings `yaml:"account_ids"`
	OrganizationID         string  `yaml:"organization_id"`
	OrganizationAccountIDs Strings `yaml:"organization_account_ids"`
	TrustedDeployers       Strings `yaml:"trusted_deployers"`
	AutomationPrincipals   Strings `yaml:"automation_principals"`
	HumanRolePatterns      Strings `yaml:"human_role_patterns"`
	AllowedLayerPublishers Strings `yaml:"allowed_layer_publishers"`
	PrivilegedRoles        Strings `yaml:"privileged_roles"`
}

// Azure holds the Azure tenancy values.
type Azure struct {
	TenantIDs       Strings `yaml:"tenant_ids"`
	SubscriptionIDs Strings `yaml:"subscription_ids"`
}

// PowerPlatform holds the Power Platform values.
type PowerPlatform struct {
	SanctionedFlowIDs Strings `yaml:"sanctioned_flow_ids"`
}

// GCP holds the Google Cloud values.
type GCP struct {
	ProjectIDs              Strings `yaml:"project_ids"`
	FunctionServiceAccounts Strings `yaml:"function_service_accounts"`
}

// Workspace holds the Google Workspace values.
type Workspace struct {
	ApprovedAppsScriptClients Strings `yaml:"approved_apps_script_clients"`
}

// LogLocation says where one log source lives.
type LogLocation struct {
	// Logsource selects the rules: every field given must equal the rule's.
	Logsource Logsource `yaml:"logsource"`
	// Splunk is where the source is in Splunk.
	Splunk *SplunkLocation `yaml:"splunk"`
	// Elastic is where the source is in Elasticsearch.
	Elastic *ElasticLocation `yaml:"elastic"`
}

// Logsource is a Sigma logsource (the fields given must match the rule's).
type Logsource struct {
	Category string `yaml:"category"`
	Product  string `yaml:"product"`
	Service  string `yaml:"service"`
}

func (l Logsource) String() string {
	var parts []string
	for _, kv := range [][2]string{{"category", l.Category}, {"product", l.Product}, {"service", l.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, ",")
}

// SplunkLocation is a Splunk index (or several) and sourcetype.
type SplunkLocation struct {
	Index      Strings `yaml:"index"`
	Sourcetype string  `yaml:"sourcetype"`
}

// ElasticLocation is a list of index patterns or data streams.
type ElasticLocation struct {
	Index Strings `yaml:"index"`
}

// Strings is a list of strings that may be written as a single scalar. Numbers are kept as
// written (an AWS account id stays "012345678901").
type Strings []string

// UnmarshalYAML reads a scalar or a sequence of scalars.
func (s *Strings) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*s = nil
			return nil
		}
		*s = Strings{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(Strings, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
				return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a string, got %s", c.Line, kindName(c))}}
			}
			out = append(out, c.Value)
		}
		*s = out
		return nil
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a string or a list of strings, got %s", n.Line, kindName(n))}}
}

// Location is where a profile was found.
type Location struct {
	// Path is the profile file.
	Path string
	// From says how it was found: "--profile", "$SIGMABRIDGE_PROFILE" or "user config dir".
	From string
}

// DefaultPath is <user config dir>/sigmabridge/profile.yml.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "sigmabridge", "profile.yml"), nil
}

// Find locates the profile: path when not empty, else $SIGMABRIDGE_PROFILE, else the
// default path when that file exists. found is false when there is no profile. A path given
// explicitly (flag or variable) that does not exist is an error.
func Find(path string) (loc Location, found bool, err error) {
	if path != "" {
		return Location{Path: path, From: "--profile"}, true, nil
	}
	if env := os.Getenv(EnvVar); env != "" {
		return Location{Path: env, From: "$" + EnvVar}, true, nil
	}
	def, err := DefaultPath()
	if err != nil {
		return Location{}, false, nil // no config dir: no default profile
	}
	if _, err := os.Stat(def); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Location{}, false, nil
		}
		return Location{}, false, fmt.Errorf("profile %s: %w", def, err)
	}
	return Location{Path: def, From: "user config dir"}, true, nil
}

// Load reads and validates the profile at path.
func Load(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	return Parse(path, data)
}

// Errors are the problems of one profile file, each naming file:line.
type Errors struct {
	File string
	List []Problem
}

// Problem is one problem at one line.
type Problem struct {
	Line int
	Msg  string
}

func (e *Errors) Error() string {
	var b strings.Builder
	for i, p := range e.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		if p.Line > 0 {
			fmt.Fprintf(&b, "%s:%d: %s", e.File, p.Line, p.Msg)
		} else {
			fmt.Fprintf(&b, "%s: %s", e.File, p.Msg)
		}
	}
	return b.String()
}

func (e *Errors) add(line int, format string, args ...any) {
	e.List = append(e.List, Problem{Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Parse reads a profile from data; name is used in messages. Every problem is reported, each
// at its line: unknown keys (with the nearest known key), values of the wrong type, and
// values that cannot be right (an AWS account id that is not 12 digits, a log location with
// no log source).
func Parse(name string, data []byte) (*Profile, error) {
	errs := &Errors{File: name}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Profile{Source: name}, nil // an empty file is an empty profile
		}
		errs.add(yamlLine(err), "%s", yamlMessage(err))
		return nil, errs
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		errs.add(extra.Line, "a profile is one YAML document; this file has more")
		return nil, errs
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return &Profile{Source: name}, nil
	}
	if root.Kind != yaml.MappingNode {
		errs.add(root.Line, "a profile is a mapping of sections (mail, aws, azure, ...), got %s", kindName(root))
		return nil, errs
	}
	checkKeys(root, reflect.TypeOf(Profile{}), "", errs)
	if len(errs.List) > 0 {
		return nil, errs
	}
	var p Profile
	if err := root.Decode(&p); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				errs.add(yamlLine(errors.New(m)), "%s", yamlMessage(errors.New(m)))
			}
		} else {
			errs.add(0, "%v", err)
		}
		return nil, errs
	}
	p.Source = name
	p.validate(root, errs)
	if len(errs.List) > 0 {
		sort.SliceStable(errs.List, func(i, j int) bool { return errs.List[i].Line < errs.List[j].Line })
		return nil, errs
	}
	return &p, nil
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

func yamlLine(err error) int {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func yamlMessage(err error) string {
	return yamlLineRE.ReplaceAllString(err.Error(), "")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing (null)"
	}
	return "a scalar"
}

var stringsType = reflect.TypeOf(Strings{})

// checkKeys reports every key of mapping n that the struct type t does not have, with the
// nearest known key as a suggestion, and walks into the known ones.
func checkKeys(n *yaml.Node, t reflect.Type, prefix string, errs *Errors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == stringsType:
		return
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			checkKeys(c, t.Elem(), prefix+"[]", errs)
		}
		return
	case t.Kind() != reflect.Struct || n.Kind != yaml.MappingNode:
		return // a type mismatch: Decode reports it with its line
	}
	fields := map[string]reflect.Type{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = t.Field(i).Type
		names = append(names, tag)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		full := join(prefix, k.Value)
		ft, ok := fields[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", full)
			if s := suggest(k.Value, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", join(prefix, s))
			} else {
				msg += fmt.Sprintf(" (known here: %s)", strings.Join(names, ", "))
			}
			errs.add(k.Line, "%s", msg)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			errs.add(k.Line, "key %q is given twice (first at line %d)", full, first)
			continue
		}
		seen[k.Value] = k.Line
		if ft.Kind() != reflect.Map {
			checkKeys(v, ft, full, errs)
		}
	}
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// suggest returns the known name nearest to s, when it is near enough to be a misspelling.
func suggest(s string, known []string) string {
	best, bestD := "", 0
	for _, k := range known {
		d := levenshtein.ComputeDistance(strings.ToLower(s), k)
		if best == "" || d < bestD {
			best, bestD = k, d
		}
	}
	limit := max(2, len(s)/3)
	if best == "" || bestD > limit {
		return ""
	}
	return best
}

var (
	awsAccountRE = regexp.MustCompile(`^\d{12}$`)
	awsOrgRE     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// validate checks values that cannot be right, at their lines.
func (p *Profile) validate(root *yaml.Node, errs *Errors) {
	line := func(path ...string) int { return lineOf(root, path...) }
	if p.Version != 0 && p.Version != Version {
		errs.add(line("version"), "version %d is not supported (this sigmabridge reads version %d)", p.Version, Version)
	}
	for _, d := range p.Mail.AcceptedDomains {
		if bare := strings.TrimPrefix(d, "@"); bare == "" || strings.ContainsAny(bare, " \t@/:") || !strings.Contains(bare, ".") {
			errs.add(line("mail", "accepted_domains"), "mail.accepted_domains: %q is not a domain name", d)
		}
	}
	for _, k := range []struct {
		key  string
		list Strings
	}{{"account_ids", p.AWS.AccountIDs}, {"organization_account_ids", p.AWS.OrganizationAccountIDs}, {"allowed_layer_publishers", p.AWS.AllowedLayerPublishers}} {
		for _, id := range k.list {
			if !awsAccountRE.MatchString(id) {
				hint := ""
				if len(id) < 12 && strings.Trim(id, "0123456789") == "" {
					hint = " (quote account ids that start with 0: '0123...')"
				}
				errs.add(line("aws", k.key), "aws.%s: %q is not a 12-digit AWS account id%s", k.key, id, hint)
			}
		}
	}
	if o := p.AWS.OrganizationID; o != "" && !awsOrgRE.MatchString(o) {
		errs.add(line("aws", "organization_id"), "aws.organization_id: %q is not an AWS Organizations id (o-...)", o)
	}
	for i, l := range p.Logs {
		at := lineOfIndex(root, "logs", i)
		if l.Logsource == (Logsource{}) {
			errs.add(at, "logs[%d]: give the logsource (product, service or category) these locations are for", i)
		}
		if l.Splunk == nil && l.Elastic == nil {
			errs.add(at, "logs[%d] (%s): give a splunk or an elastic location", i, l.Logsource)
		}
		if l.Splunk != nil && len(l.Splunk.Index) == 0 && l.Splunk.Sourcetype == "" {
			errs.add(at, "logs[%d] (%s): splunk needs an index or a sourcetype", i, l.Logsource)
		}
		if l.Elastic != nil && len(l.Elastic.Index) == 0 {
			errs.add(at, "logs[%d] (%s): elastic needs an index pattern", i, l.Logsource)
		}
	}
	for name := range p.Placeholders {
		if v, ok := valueByPlaceholder[name]; ok {
			errs.add(line("placeholders", name), "placeholders.%s: the pack's placeholder %s is set by %s", name, name, v.Key)
		}
	}
}

// lineOf returns the line of the key at path, or of the nearest enclosing key found.
func lineOf(root *yaml.Node, path ...string) int {
	n, line := root, root.Line
	for _, k := range path {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

func lineOfIndex(root *yaml.Node, key string, i int) int {
	line := lineOf(root, key)
	for j := 0; j+1 < len(root.Content); j += 2 {
		if root.Content[j].Value == key && root.Content[j+1].Kind == yaml.SequenceNode && i < len(root.Content[j+1].Content) {
			return root.Content[j+1].Content[i].Line
		}
	}
	return line
}

// Keys returns every key a profile may hold, dotted ("aws.account_ids", "logs[].splunk.index"),
// in the order of the types; maps are shown as "placeholders.<name>".
func Keys() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case t == stringsType:
			out = append(out, prefix)
			return
		case t.Kind() == reflect.Slice:
			walk(t.Elem(), prefix+"[]")
			return
		case t.Kind() == reflect.Map:
			out = append(out, prefix+".<name>")
			return
		case t.Kind() != reflect.Struct:
			out = append(out, prefix)
			return
		}
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			walk(t.Field(i).Type, join(prefix, tag))
		}
	}
	walk(reflect.TypeOf(Profile{}), "")
	return slices.Clip(out)
}
