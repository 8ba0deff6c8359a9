package formats_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

func TestRuleUUID(t *testing.T) {
	r := &ir.Rule{ID: "e891c012-2efa-4cab-965d-4e156aa29fc4"}
	// Python: uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/sigmabridge/sigmabridge"),
	//                    "sigma:e891c012-2efa-4cab-965d-4e156aa29fc4/0")
	if got := formats.RuleUUID(r, "aws/x.yml", 0); got != "93f6d01e-e15e-511e-915b-f36657dca08a" {
		t.Errorf("RuleUUID = %s", got)
	}
	if formats.RuleUUID(r, "aws/x.yml", 1) == formats.RuleUUID(r, "aws/x.yml", 0) {
		t.Error("two conditions share a rule_id")
	}
	if formats.RuleUUID(r, "a.yml", 0) != formats.RuleUUID(r, "b.yml", 0) {
		t.Error("a rule with an id is named by its place in the tree")
	}
	noID := &ir.Rule{}
	if formats.RuleUUID(noID, "a.yml", 0) == formats.RuleUUID(noID, "b.yml", 0) {
		t.Error("rules without an id in two files share a rule_id")
	}
}

// TestATTACKTableCoversThePack: every attack.* tag of every pack rule, base rules and
// correlations included, resolves in the table to a named technique or tactic with its
// reference, and each technique's tactics and parent resolve too.
func TestATTACKTableCoversThePack(t *testing.T) {
	files, diags, err := sigmabridge.RuleFiles(nil)
	if err != nil || diags.HasErrors() {
		t.Fatalf("pack: %v %v", err, diags)
	}
	set, _ := ruleset.LoadSet(files)
	type tagged struct {
		path string
		tags []string
		// base: a rule that only feeds correlations, which may have no tags.
		base bool
	}
	var all []tagged
	base := set.Base()
	for i, r := range set.Rules {
		all = append(all, tagged{r.Path, r.Tags, base[i]})
	}
	for _, c := range set.Correlations {
		all = append(all, tagged{c.Path, c.Tags, false})
	}
	if len(all) < 100 || len(set.Correlations) < 20 {
		t.Fatalf("%d rules and correlations, want the whole pack", len(all))
	}
	seen := map[string]bool{}
	for _, r := range all {
		m := formats.ParseTags(r.tags)
		if len(m.Unknown) > 0 || len(m.Techniques) == 0 && !r.base {
			t.Errorf("%s: tags %v: unknown %v", r.path, r.tags, m.Unknown)
		}
		for _, tc := range m.Tactics {
			if tc.Name == "" || !strings.HasPrefix(tc.URL(), "https://attack.mitre.org/tactics/TA") {
				t.Errorf("%s: tactic %+v", r.path, tc)
			}
		}
		for _, tq := range m.Techniques {
			seen[tq.ID] = true
			parent, ok := formats.LookupTechnique(tq.Parent())
			if tq.Name == "" || len(tq.Tactics) == 0 || !ok || parent.Name == "" ||
				!strings.HasPrefix(tq.URL(), "https://attack.mitre.org/techniques/"+parent.ID+"/") {
				t.Errorf("%s: technique %+v (parent %+v)", r.path, tq, parent)
			}
			for _, s := range tq.Tactics {
				if tc, ok := formats.LookupTactic(s); !ok || tc.Name == "" {
					t.Errorf("%s: %s: tactic %q does not resolve", r.path, tq.ID, s)
				}
			}
		}
	}
	t.Logf("%d techniques of the pack resolve", len(seen))
	tq, ok := formats.LookupTechnique("t1098.003")
	if !ok || tq.Name != "Additional Cloud Roles" || tq.URL() != "https://attack.mitre.org/techniques/T1098/003/" || tq.Parent() != "T1098" {
		t.Errorf("T1098.003: %+v", tq)
	}
	// Tags as SigmaHQ writes them, old underscore tactics included.
	m := formats.ParseTags([]string{"attack.defense_evasion", "attack.t1059.001", "attack.g0016", "attack.s0002", "attack.t9999", "attack.lateral-movement", "attack.command-and-control"})
	if len(m.Tactics) != 3 || m.Tactics[0].ID != "TA0005" || m.Tactics[2].URL() != "https://attack.mitre.org/tactics/TA0011/" {
		t.Errorf("tactics %+v", m.Tactics)
	}
	if len(m.Techniques) != 1 || m.Techniques[0].Name != "PowerShell" {
		t.Errorf("techniques %+v", m.Techniques)
	}
	if len(m.Unknown) != 1 || m.Unknown[0] != "attack.t9999" {
		t.Errorf("unknown %v", m.Unknown)
	}
}

func TestThreatMapping(t *testing.T) {
	items := []formats.Item{{
		Rule:    &ir.Rule{ID: "x", Title: "t", Level: "critical", Tags: []string{"attack.persistence", "attack.t1098.003", "attack.t1648", "attack.t1098"}},
		Source:  "x.yml",
		Queries: []backends.Query{{Text: "a:b"}},
	}}
	e := formats.RenderElastic(items, options("lucene"))
	if e.Diags[0].HasErrors() || len(e.ByRule[0]) != 1 {
		t.Fatalf("%v", e.Diags[0])
	}
	er := e.ByRule[0][0]
	if er.Severity != "critical" || er.RiskScore != 99 || er.Index[0] != "logs-*" || er.From != "now-360s" || er.Interval != "5m" {
		t.Errorf("rule %+v", er)
	}
	th := er.Threat
	if len(th) != 2 || th[0].Tactic.ID != "TA0003" || th[1].Tactic.ID != "TA0002" {
		t.Fatalf("threat %+v", th)
	}
	if tq := th[0].Technique; len(tq) != 1 || tq[0].ID != "T1098" || len(tq[0].Subtechnique) != 1 || tq[0].Subtechnique[0].ID != "T1098.003" {
		t.Errorf("persistence techniques %+v", tq)
	}
	if tq := th[1].Technique; len(tq) != 1 || tq[0].ID != "T1648" || tq[0].Name != "Serverless Execution" {
		t.Errorf("execution techniques %+v", tq)
	}
}

func TestScheduleAttribute(t *testing.T) {
	o := options("splunk")
	r := &ir.Rule{Custom: map[string]any{"schedule": map[string]any{"cron": "0 * * * *", "earliest": "-70m@m", "interval": "1h", "lookback": "10m"}}}
	s, ds := o.For(r)
	if ds.HasErrors() || s.Cron != "0 * * * *" || s.Earliest != "-70m@m" || s.Latest != formats.Defaults.Latest || s.From() != "now-4200s" {
		t.Errorf("settings %+v %v", s, ds)
	}
	for _, bad := range []any{
		map[string]any{"crn": "0 * * * *"},
		map[string]any{"cron": "0 * * *"},
		map[string]any{"cron": "0 * * * *\nsearch = x"},
		map[string]any{"interval": "5 minutes"},
		map[string]any{"earliest": "-1d\n"},
		"hourly",
	} {
		r.Custom["schedule"] = bad
		if _, ds := o.For(r); !ds.HasErrors() || ds[0].Code != diag.RuleStructure {
			t.Errorf("schedule %q accepted: %v", bad, ds)
		}
	}
	if err := (formats.Options{Cron: "* * * * *", Earliest: "now", Latest: "now", Interval: "5m", Lookback: "0m"}).Check(); err == nil {
		t.Error("lookback 0m accepted")
	}
}

// TestHostileSearchText: a query that a .conf value cannot carry as it is fails its rule
// alone, with a named diagnostic; the rule beside it is written.
func TestHostileSearchText(t *testing.T) {
	cases := []struct {
		id, query string
		code      diag.Code // "" when the rule is written
	}{
		{"lf", "a=\"x\ny\"", diag.UnsupportedControl},
		{"bs", `a=x\`, diag.UnsupportedControl},
		{"ok", `a="x"`, ""},
		{"u2028", "a=\"x\u2028\"", diag.UnsupportedControl},
		{"late", `a=1 AND index="` + formats.MacroIndex + `"`, diag.UnsupportedValue},
	}
	var items []formats.Item
	for _, c := range cases {
		items = append(items, formats.Item{Rule: &ir.Rule{ID: c.id, Title: c.id, Path: c.id + ".yml"}, Source: c.id + ".yml", Queries: []backends.Query{{Text: c.query}}})
	}
	s := formats.RenderSplunk(items, options("splunk"))
	for i, c := range cases {
		errs := s.Diags[i].Errors()
		switch {
		case c.code == "" && len(errs) > 0:
			t.Errorf("%s failed: %v", c.id, errs)
		case c.code != "" && (len(errs) == 0 || errs[0].Code != c.code):
			t.Errorf("%s: %v, want %s", c.id, errs, c.code)
		}
	}
	if len(s.Stanzas) != 1 || !strings.Contains(s.Stanzas[0], "search = `sigmabridge_any` a=\"x\"\n") {
		t.Errorf("stanzas %q", s.Stanzas)
	}
}

// TestSchedulePerLogsourceFromAPipeline: a pipeline's set_custom_attribute sets the
// schedule of every rule of a log source, as the README says.
func TestSchedulePerLogsourceFromAPipeline(t *testing.T) {
	p := filepath.Join(t.TempDir(), "schedule.yml")
	if err := os.WriteFile(p, []byte(`name: hourly-cloudtrail
priority: 50
transformations:
  - id: hourly
    type: set_custom_attribute
    attribute: schedule
    value: {cron: '0 * * * *', earliest: '-70m@m', latest: '-10m@m'}
    rule_conditions: [{type: logsource, product: aws, service: cloudtrail}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	items := convertPack(t, packProfile(t), "splunk", []string{"splunk_t1648", p}, true)
	s := formats.RenderSplunk(items, options("splunk"))
	hourly, other := 0, 0
	for i, it := range items {
		for _, st := range s.ByRule[i] {
			isHourly := strings.Contains(st, "\ncron_schedule = 0 * * * *\n") && strings.Contains(st, "\ndispatch.earliest_time = -70m@m\n")
			switch {
			case it.Rule.Logsource.Service == "cloudtrail" && isHourly:
				hourly++
			case it.Rule.Logsource.Service != "cloudtrail" && strings.Contains(st, "\ncron_schedule = "+formats.Defaults.Cron+"\n"):
				other++
			default:
				t.Errorf("%s: wrong schedule:\n%s", it.Rule.Path, st)
			}
		}
	}
	if hourly < 10 || other < 10 {
		t.Errorf("%d hourly cloudtrail stanzas, %d others", hourly, other)
	}
}

// TestThreatMappingUnderATTACK19Tactics: a technique of 18.1's Defense Evasion tagged with
// 19's Stealth goes under the one TA0005 entry, named as the tag names it.
func TestThreatMappingUnderATTACK19Tactics(t *testing.T) {
	items := []formats.Item{{Rule: &ir.Rule{ID: "x", Title: "t", Tags: []string{"attack.stealth", "attack.t1578.005", "attack.defense-impairment"}},
		Source: "x.yml", Queries: []backends.Query{{Text: "a:b"}}}}
	th := formats.RenderElastic(items, options("lucene")).ByRule[0][0].Threat
	if len(th) != 2 || th[0].Tactic.ID != "TA0005" || th[0].Tactic.Name != "Stealth" || th[1].Tactic.ID != "TA0112" || th[1].Tactic.Name != "Defense Impairment" {
		t.Fatalf("threat %+v", th)
	}
	if tq := th[0].Technique; len(tq) != 1 || tq[0].ID != "T1578" || len(tq[0].Subtechnique) != 1 || tq[0].Subtechnique[0].ID != "T1578.005" {
		t.Errorf("TA0005 techniques %+v", tq)
	}
}
