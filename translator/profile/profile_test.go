package profile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

func TestStarterIsAValidEmptyProfile(t *testing.T) {
	p, err := Parse("starter.yml", Starter())
	if err != nil {
		t.Fatalf("the starter does not parse: %v", err)
	}
	if len(p.Vars()) != 0 || len(p.Logs) != 0 {
		t.Errorf("the starter must give no values, got %v, %v", p.Vars(), p.Logs)
	}
	// Every key of the profile is in the starter, so a user sees all of them.
	for _, k := range Keys() {
		leaf := k[strings.LastIndex(k, ".")+1:]
		if strings.HasPrefix(k, "logs[]") || leaf == "<name>" {
			continue
		}
		if !strings.Contains(string(Starter()), leaf+":") {
			t.Errorf("the starter does not mention %s", k)
		}
	}
}

func TestMisspeltKeyFailsWithSuggestion(t *testing.T) {
	src := "version: 1\nmail:\n  acepted_domains: [example.com]\naws:\n  account_ids: ['111122223333']\n  trusted_deployer: [arn:aws:iam::111122223333:user/x]\ngpc:\n  project_ids: [p]\n"
	_, err := Parse("org.yml", []byte(src))
	var pe *Errors
	if !errors.As(err, &pe) {
		t.Fatalf("want *Errors, got %v", err)
	}
	want := []string{
		`org.yml:3: unknown key "mail.acepted_domains"; did you mean "mail.accepted_domains"?`,
		`org.yml:6: unknown key "aws.trusted_deployer"; did you mean "aws.trusted_deployers"?`,
		`org.yml:7: unknown key "gpc"; did you mean "gcp"?`,
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHostileProfileValues(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"aws:\n  account_ids: [12345]\n", "p.yml:2: aws.account_ids: \"12345\" is not a 12-digit AWS account id (quote account ids that start with 0"},
		{"aws:\n  account_ids: {a: 1}\n", "p.yml:2: want a string or a list of strings"},
		{"mail:\n  accepted_domains: ['a b']\n", "p.yml:2: mail.accepted_domains: \"a b\" is not a domain name"},
		{"logs:\n  - splunk: {index: x}\n", "p.yml:2: logs[0]: give the logsource"},
		{"version: 7\n", "p.yml:1: version 7 is not supported"},
		{"- a\n", "p.yml:1: a profile is a mapping"},
		{"mail: [\n", "p.yml:"},
		{"placeholders:\n  own_account_ids: ['111122223333']\n", "p.yml:2: placeholders.own_account_ids: the pack's placeholder own_account_ids is set by aws.account_ids"},
		{"aws:\n  account_ids: []\naws:\n  account_ids: []\n", "p.yml:3: key \"aws\" is given twice (first at line 1)"},
		{"a: 1\n---\nb: 2\n", "one YAML document"},
	} {
		_, err := Parse("p.yml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestAccountIDsKeepTheirText(t *testing.T) {
	p, err := Parse("p.yml", []byte("aws:\n  account_ids: ['012345678901', 381492046617]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Vars()["own_account_ids"]; !reflect.DeepEqual(got, []string{"012345678901", "381492046617"}) {
		t.Errorf("got %v", got)
	}
	if got := p.Vars()["aws_org_account_ids"]; !reflect.DeepEqual(got, []string{"012345678901", "381492046617"}) {
		t.Errorf("organisation accounts must count the own accounts in, got %v", got)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv(EnvVar, "")
	if _, found, err := Find(""); found || err != nil {
		t.Fatalf("no profile anywhere: found=%v err=%v", found, err)
	}
	def, err := DefaultPath()
	if err != nil {
		t.Skipf("no user config dir here: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(def), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(def, Starter(), 0o644); err != nil {
		t.Fatal(err)
	}
	if loc, found, _ := Find(""); !found || loc.Path != def || loc.From != "user config dir" {
		t.Errorf("default: %+v %v", loc, found)
	}
	t.Setenv(EnvVar, "/from/env.yml")
	if loc, _, _ := Find(""); loc.Path != "/from/env.yml" || loc.From != "$SIGMABRIDGE_PROFILE" {
		t.Errorf("env: %+v", loc)
	}
	if loc, _, _ := Find("/from/flag.yml"); loc.Path != "/from/flag.yml" || loc.From != "--profile" {
		t.Errorf("flag: %+v", loc)
	}
}

// The pack's sample profile and the pySigma pipeline placeholders.yml give the same values.
func TestSampleProfileMatchesPlaceholdersPipeline(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "rules")
	p, err := Load(filepath.Join(root, "profile.yml"))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := pipeline.ParseFile(filepath.Join(root, "placeholders.yml"))
	if err != nil {
		t.Fatal(err)
	}
	vars := p.Vars()
	delete(vars, "accepted_mail_domains") // mail domains go to the inputs, not to a placeholder of the pack
	if len(vars) != len(pl.Vars) {
		t.Errorf("profile gives %v, placeholders.yml %v", vars, pl.Vars)
	}
	for name, want := range pl.Vars {
		var ws []string
		for _, v := range want.([]any) {
			ws = append(ws, v.(string))
		}
		if got := vars[name]; !reflect.DeepEqual(got, ws) {
			t.Errorf("%s: profile %v, placeholders.yml %v", name, got, ws)
		}
	}
}

func loadRule(t *testing.T, src string) *ir.Rule {
	t.Helper()
	rs, ds := translator.LoadBytes("r.yml", []byte(src))
	if ds.HasErrors() || len(rs) != 1 {
		t.Fatalf("rule: %v", ds)
	}
	return rs[0]
}

const policyRule = `title: t
id: 11111111-2222-4333-8444-555555555555
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: CreateFunction}
  mine: {recipientAccountId|expand: '%own_account_ids%'}
  filter: {userIdentity.arn|expand: '%trusted_deployer_arns%'}
  condition: sel and mine and not filter
placeholders:
  own_account_ids: {without_value: inactive, note: needs the accounts}
  trusted_deployer_arns: {without_value: empty}
`

func TestSetupPolicy(t *testing.T) {
	r := loadRule(t, policyRule)

	// No profile: the required set leaves the rule out.
	o := (&Setup{}).Apply(r)
	if o.Rule != nil || o.Failed() || len(o.Inactive) != 1 || o.Inactive[0].Key != "aws.account_ids" {
		t.Fatalf("no profile: %+v", o)
	}

	// Accounts only: the empty allowlist excludes nothing and disappears from the query.
	p, _ := Parse("p.yml", []byte("aws: {account_ids: ['111122223333']}\nlogs:\n  - logsource: {product: aws, service: cloudtrail}\n    splunk: {index: aws, sourcetype: 'aws:cloudtrail'}\n    elastic: {index: [logs-aws.cloudtrail-*, other-*]}\n"))
	o = (&Setup{Profile: p, Target: Splunk}).Apply(r)
	if o.Failed() || o.Rule == nil {
		t.Fatalf("with accounts: %+v", o)
	}
	if got := o.Rule.Conditions[0].String(); got != `and(match(eventName, "CreateFunction"), match(recipientAccountId, "111122223333"))` {
		t.Errorf("condition: %s", got)
	}
	if len(o.Weakened) != 1 || o.Weakened[0].Key != "aws.trusted_deployers" {
		t.Errorf("weakened: %+v", o.Weakened)
	}
	if o.Rule.Deployment.Map()["index"] != "aws" || o.Rule.Deployment.Map()["sourcetype"] != "aws:cloudtrail" {
		t.Errorf("splunk state: %v", o.Rule.Deployment.Map())
	}
	o = (&Setup{Profile: p, Target: Elastic}).Apply(r)
	if got, ok := o.Rule.Deployment.Map()["index"].([]any); !ok || len(got) != 2 || got[0] != "logs-aws.cloudtrail-*" {
		t.Errorf("elastic state: %#v", o.Rule.Deployment.Map())
	}
	if _, ok := o.Rule.Deployment.Map()["sourcetype"]; ok {
		t.Errorf("elastic must not get a sourcetype: %v", o.Rule.Deployment.Map())
	}
	// A user's pipeline giving the value counts as a value.
	up, err := pipeline.Parse("u.yml", []byte("vars: {own_account_ids: ['999988887777']}\ntransformations:\n  - type: value_placeholders\n    include: [own_account_ids]\n"))
	if err != nil {
		t.Fatal(err)
	}
	o = (&Setup{Pipelines: []*pipeline.Pipeline{up}}).Apply(r)
	if o.Failed() || o.Rule == nil || !strings.Contains(o.Rule.Conditions[0].String(), "999988887777") {
		t.Errorf("user pipeline value: %+v %v", o, o.Diags)
	}
}

// A rule that declares nothing keeps pySigma's behaviour: the placeholder stays unresolved.
func TestUndeclaredPlaceholderIsLeftAlone(t *testing.T) {
	r := loadRule(t, "title: t\nid: 11111111-2222-4333-8444-555555555555\nlogsource: {product: x}\ndetection:\n  sel: {a|expand: '%thing%'}\n  condition: sel\n")
	o := (&Setup{}).Apply(r)
	if o.Failed() || len(o.Inactive) != 0 || !slices.Equal(Placeholders(o.Rule), []string{"thing"}) {
		t.Errorf("got %+v", o)
	}
	p, _ := Parse("p.yml", []byte("placeholders: {thing: [v1, v2]}\n"))
	o = (&Setup{Profile: p}).Apply(r)
	if got := o.Rule.Conditions[0].String(); got != `or(match(a, "v1"), match(a, "v2"))` {
		t.Errorf("profile placeholders: %s", got)
	}
}

func TestRulePoliciesErrors(t *testing.T) {
	base := strings.Split(policyRule, "placeholders:")[0]
	for _, tc := range []struct{ attr, want string }{
		{"placeholders:\n  own_acount_ids: {without_value: inactive}\n", `did you mean "own_account_ids"`},
		{"placeholders:\n  own_account_ids: {without_value: maybe}\n", `want "empty" or "inactive"`},
		{"placeholders:\n  own_account_ids: {note: x}\n", "without_value is required"},
		{"placeholders:\n  own_account_ids: {without_valu: empty}\n", `did you mean "without_value"`},
		{"placeholders: [a]\n", "want a mapping"},
	} {
		_, err := RulePolicies(loadRule(t, base+tc.attr))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "r.yml") {
			t.Errorf("%q: got %v, want %q", tc.attr, err, tc.want)
		}
	}
}

func TestSummaryIsOneLine(t *testing.T) {
	r := loadRule(t, policyRule)
	s := Summary([]Left{{Rule: r, Needs: []Need{{Key: "aws.account_ids"}}}}, nil)
	if strings.Contains(s, "\n") || !strings.Contains(s, "r.yml (needs aws.account_ids)") || !strings.HasPrefix(s, "1 rule inactive under no profile") {
		t.Errorf("summary: %q", s)
	}
}

// The example profile in README.md is a valid profile.
func TestReadmeExampleIsValid(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, "## Configure for your organisation")
	if i < 0 {
		t.Fatal("README.md has no section \"Configure for your organisation\"")
	}
	j := strings.Index(s[i:], "```yaml\n")
	if j < 0 {
		t.Fatal("no yaml example in the section")
	}
	body := s[i+j+len("```yaml\n"):]
	body = body[:strings.Index(body, "```")]
	p, err := Parse("README.md example", []byte(body))
	if err != nil {
		t.Fatalf("the README example does not validate: %v", err)
	}
	if len(p.AcceptedDomains()) == 0 || len(p.Logs) == 0 {
		t.Errorf("the README example should show mail domains and a log location")
	}
}

// Where agrees with what the logs pipeline sets in the rule state.
func TestWhereAgreesWithLogsPipeline(t *testing.T) {
	p, err := Parse("p.yml", []byte(`logs:
  - logsource: {product: aws}
    splunk: {index: aws, sourcetype: generic}
    elastic: {index: logs-aws-*}
  - logsource: {product: aws, service: cloudtrail}
    splunk: {sourcetype: 'aws:cloudtrail'}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := loadRule(t, "title: t\nid: 11111111-2222-4333-8444-555555555555\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {a: b}\n  condition: sel\n")
	s, e := p.Where(r.Logsource)
	if s == nil || e == nil || !reflect.DeepEqual([]string(s.Index), []string{"aws"}) || s.Sourcetype != "aws:cloudtrail" || e.Index[0] != "logs-aws-*" {
		t.Fatalf("Where: %+v %+v", s, e)
	}
	o := (&Setup{Profile: p, Target: Splunk}).Apply(r)
	if o.Rule.Deployment.Map()["index"] != "aws" || o.Rule.Deployment.Map()["sourcetype"] != "aws:cloudtrail" {
		t.Errorf("pipeline state %v, Where %+v", o.Rule.Deployment.Map(), s)
	}
	if s, e := p.Where(ir.Logsource{Product: "gcp"}); s != nil || e != nil {
		t.Errorf("gcp: %+v %+v", s, e)
	}
}
