package profile

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// Value is one profile key that fills a rule placeholder.
type Value struct {
	// Key is the dotted profile key ("aws.account_ids").
	Key string
	// Placeholder is the name rules use (`%own_account_ids%`).
	Placeholder string
	// Help says what the value is.
	Help string

	get func(*Profile) Strings
}

// Get returns the profile's values for v (nil or empty: none).
func (v Value) Get(p *Profile) []string {
	if p == nil {
		return nil
	}
	return v.get(p)
}

// Values is the table of profile keys that fill placeholders, in profile order. The pack's
// rules use these placeholder names; a rule of another source may use them too.
var Values = []Value{
	{Key: "mail.accepted_domains", Placeholder: "accepted_mail_domains", Help: "the organisation's own mail domains",
		get: func(p *Profile) Strings { return p.Mail.AcceptedDomains }},
	{Key: "aws.account_ids", Placeholder: "own_account_ids", Help: "the organisation's own AWS account ids",
		get: func(p *Profile) Strings { return p.AWS.AccountIDs }},
	{Key: "aws.organization_id", Placeholder: "aws_organization_id", Help: "the AWS Organizations id (o-...)",
		get: func(p *Profile) Strings {
			if p.AWS.OrganizationID == "" {
				return nil
			}
			return Strings{p.AWS.OrganizationID}
		}},
	{Key: "aws.organization_account_ids", Placeholder: "aws_org_account_ids", Help: "every account of the AWS organisation (aws.account_ids are counted in)",
		get: func(p *Profile) Strings { return union(p.AWS.OrganizationAccountIDs, p.AWS.AccountIDs) }},
	{Key: "aws.trusted_deployers", Placeholder: "trusted_deployer_arns", Help: "IAM principal ARNs that deploy functions on purpose",
		get: func(p *Profile) Strings { return p.AWS.TrustedDeployers }},
	{Key: "aws.automation_principals", Placeholder: "automation_principal_arns", Help: "IAM principal ARNs of automation (CI, schedulers)",
		get: func(p *Profile) Strings { return p.AWS.AutomationPrincipals }},
	{Key: "aws.human_role_patterns", Placeholder: "human_role_patterns", Help: "role name fragments that mark a human session",
		get: func(p *Profile) Strings { return p.AWS.HumanRolePatterns }},
	{Key: "aws.allowed_layer_publishers", Placeholder: "allowed_layer_publishers", Help: "account ids of Lambda layer publishers the organisation accepts",
		get: func(p *Profile) Strings { return p.AWS.AllowedLayerPublishers }},
	{Key: "aws.privileged_roles", Placeholder: "privileged_role_patterns", Help: "privileged role ARNs or role name fragments",
		get: func(p *Profile) Strings { return p.AWS.PrivilegedRoles }},
	{Key: "azure.tenant_ids", Placeholder: "azure_tenant_ids", Help: "the organisation's Entra ID tenant ids",
		get: func(p *Profile) Strings { return p.Azure.TenantIDs }},
	{Key: "azure.subscription_ids", Placeholder: "azure_subscription_ids", Help: "the organisation's Azure subscription ids",
		get: func(p *Profile) Strings { return p.Azure.SubscriptionIDs }},
	{Key: "power_platform.sanctioned_flow_ids", Placeholder: "sanctioned_flow_ids", Help: "workflow ids of sanctioned Power Automate flows",
		get: func(p *Profile) Strings { return p.PowerPlatform.SanctionedFlowIDs }},
	{Key: "gcp.project_ids", Placeholder: "gcp_project_ids", Help: "the organisation's GCP project ids",
		get: func(p *Profile) Strings { return p.GCP.ProjectIDs }},
	{Key: "gcp.function_service_accounts", Placeholder: "gcp_function_service_accounts", Help: "service accounts Cloud Functions are expected to run as",
		get: func(p *Profile) Strings { return p.GCP.FunctionServiceAccounts }},
	{Key: "workspace.approved_apps_script_clients", Placeholder: "approved_apps_script_clients", Help: "OAuth client ids of approved Apps Script projects",
		get: func(p *Profile) Strings { return p.Workspace.ApprovedAppsScriptClients }},
}

var valueByPlaceholder = func() map[string]Value {
	m := map[string]Value{}
	for _, v := range Values {
		m[v.Placeholder] = v
	}
	return m
}()

// KeyFor returns the profile key that gives placeholder name its values: a key of Values,
// or "placeholders.<name>" for any other name.
func KeyFor(name string) string {
	if v, ok := valueByPlaceholder[name]; ok {
		return v.Key
	}
	return "placeholders." + name
}

func union(a, b Strings) Strings {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// Vars returns the placeholder values the profile gives, by placeholder name. A name with no
// value is absent (an empty list is never returned: what "no value" means is the rule's
// policy, not the profile's).
func (p *Profile) Vars() map[string][]string {
	out := map[string][]string{}
	if p == nil {
		return out
	}
	for _, v := range Values {
		if vals := v.get(p); len(vals) > 0 {
			out[v.Placeholder] = slices.Clone([]string(vals))
		}
	}
	for name, vals := range p.Placeholders {
		if len(vals) > 0 {
			out[name] = slices.Clone([]string(vals))
		}
	}
	return out
}

// AcceptedDomains returns the organisation's mail domains.
func (p *Profile) AcceptedDomains() []string {
	if p == nil {
		return nil
	}
	return slices.Clone([]string(p.Mail.AcceptedDomains))
}

// Name is how the profile is named in messages.
func (p *Profile) Name() string {
	if p == nil {
		return "no profile"
	}
	if p.Source == "" {
		return "profile"
	}
	return p.Source
}

// Target is the kind of SIEM a pipeline is built for: it decides which log locations apply.
type Target string

const (
	// NoTarget is the evaluator (scan, test): no log location applies.
	NoTarget Target = ""
	// Splunk sets the state index and sourcetype.
	Splunk Target = "splunk"
	// Elastic sets the state index to the index patterns.
	Elastic Target = "elastic"
)

// TargetOf maps a backend name to the kind of SIEM it queries.
func TargetOf(backend string) Target {
	switch backend {
	case "splunk":
		return Splunk
	case "lucene", "dsl", "esql", "eql":
		return Elastic
	}
	return NoTarget
}

// ValuesPriority and LogsPriority order the profile's pipelines among the user's: values are
// resolved first (before field mappings, as pySigma's placeholder pipelines are), and the log
// locations are set last, so the organisation's own indices win over a pipeline's defaults.
const (
	ValuesPriority = 5
	LogsPriority   = 1000
)

// ValuesPipeline returns the value_placeholders pipeline that fills the placeholders the
// profile gives values to, or nil when it gives none. Placeholders without a value are left
// alone for a later pipeline (or the rule's policy) to resolve.
func (p *Profile) ValuesPipeline() (*pipeline.Pipeline, error) {
	vars := p.Vars()
	if len(vars) == 0 {
		return nil, nil
	}
	return placeholderPipeline("profile "+p.Name(), vars)
}

// placeholderPipeline builds a value_placeholders pipeline resolving exactly the names of vars.
func placeholderPipeline(name string, vars map[string][]string) (*pipeline.Pipeline, error) {
	names := slices.Sorted(maps.Keys(vars))
	doc := map[string]any{
		"name":     name,
		"priority": ValuesPriority,
		"vars":     vars,
		"transformations": []any{map[string]any{
			"id":      "sigmabridge_profile_values",
			"type":    "value_placeholders",
			"include": names,
		}},
	}
	return buildPipeline(name, doc)
}

// LogsPipeline returns the set_state pipeline that tells target where each log source lives:
// for Splunk the state index and sourcetype, for Elastic the state index. It returns nil when
// the profile has no location for target.
func (p *Profile) LogsPipeline(target Target) (*pipeline.Pipeline, error) {
	if p == nil || target == NoTarget {
		return nil, nil
	}
	var items []any
	add := func(i int, l LogLocation, key string, val any) {
		cond := map[string]any{"type": "logsource"}
		if l.Logsource.Category != "" {
			cond["category"] = l.Logsource.Category
		}
		if l.Logsource.Product != "" {
			cond["product"] = l.Logsource.Product
		}
		if l.Logsource.Service != "" {
			cond["service"] = l.Logsource.Service
		}
		items = append(items, map[string]any{
			"id":              fmt.Sprintf("sigmabridge_profile_logs_%d_%s", i, key),
			"type":            "set_state",
			"key":             key,
			"val":             val,
			"rule_conditions": []any{cond},
		})
	}
	for i, l := range p.Logs {
		switch {
		case target == Splunk && l.Splunk != nil:
			if len(l.Splunk.Index) > 0 {
				add(i, l, "index", stateValue(l.Splunk.Index))
			}
			if l.Splunk.Sourcetype != "" {
				add(i, l, "sourcetype", l.Splunk.Sourcetype)
			}
		case target == Elastic && l.Elastic != nil:
			add(i, l, "index", stateValue(l.Elastic.Index))
		}
	}
	if len(items) == 0 {
		return nil, nil
	}
	name := "profile " + p.Name() + " logs (" + string(target) + ")"
	return buildPipeline(name, map[string]any{"name": name, "priority": LogsPriority, "transformations": items})
}

func stateValue(s Strings) any {
	if len(s) == 1 {
		return s[0]
	}
	return []string(s)
}

func buildPipeline(name string, doc map[string]any) (*pipeline.Pipeline, error) {
	data, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	pl, err := pipeline.Parse(strings.ReplaceAll(name, " ", "_")+".yml", data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pl.Source = name
	return pl, nil
}

// Matches reports whether the location is for a rule with logsource ls: every field the
// location gives equals the rule's (as the pipeline's logsource rule condition decides).
func (l Logsource) Matches(ls ir.Logsource) bool {
	return (l.Category == "" || l.Category == ls.Category) &&
		(l.Product == "" || l.Product == ls.Product) &&
		(l.Service == "" || l.Service == ls.Service)
}

// Where returns where a rule with logsource ls lives in Splunk and in Elasticsearch (nil: the
// profile does not say). When several entries match, the later one wins, as the set_state
// items of LogsPipeline do; output formats that need the location itself (a macro per log
// source, an index pattern per detection rule) read it here.
func (p *Profile) Where(ls ir.Logsource) (splunk *SplunkLocation, elastic *ElasticLocation) {
	if p == nil {
		return nil, nil
	}
	for _, l := range p.Logs {
		if !l.Logsource.Matches(ls) {
			continue
		}
		if l.Splunk != nil {
			s := *l.Splunk
			if splunk != nil && len(s.Index) == 0 {
				s.Index = splunk.Index
			}
			if splunk != nil && s.Sourcetype == "" {
				s.Sourcetype = splunk.Sourcetype
			}
			splunk = &s
		}
		if l.Elastic != nil {
			e := *l.Elastic
			elastic = &e
		}
	}
	return splunk, elastic
}
