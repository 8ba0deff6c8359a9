package formats_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

var (
	splunkPipelines  = []string{"splunk_t1648"}
	elasticPipelines = []string{"ecs_t1648"}
)

func TestGoldenSavedSearchesAndApp(t *testing.T) {
	items := convertPackAll(t, packProfile(t), "splunk", splunkPipelines, true)
	if len(items) < 35 {
		t.Fatalf("only %d pack rules converted for splunk", len(items))
	}
	r, err := formats.Render("savedsearches", items, options("splunk"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "savedsearches/savedsearches.conf", r.Files[0].Data)
	golden(t, "savedsearches/macros.conf", r.Files[1].Data)
	app, err := formats.Render("splunk-app", items, options("splunk"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range app.Files {
		golden(t, "splunk-app/"+f.Name, f.Data)
	}
	// The app's searches are the savedsearches format's.
	if string(app.Files[4].Data) != string(r.Files[0].Data) || app.Files[4].Name != "default/savedsearches.conf" {
		t.Errorf("the app's savedsearches.conf differs from -f savedsearches")
	}
}

func TestGoldenElasticRules(t *testing.T) {
	for _, target := range []string{"lucene", "dsl", "eql", "esql"} {
		t.Run(target, func(t *testing.T) {
			items := convertPackAll(t, packProfile(t), target, elasticPipelines, false)
			if len(items) < 25 {
				t.Fatalf("only %d pack rules converted for %s", len(items), target)
			}
			r, err := formats.Render("elastic-rules", items, options(target))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "elastic-rules/"+target+".ndjson", r.Files[0].Data)
		})
	}
}

func TestGoldenCoverage(t *testing.T) {
	rules, set := packDeployed(t)
	cov := formats.Coverage(rules)
	golden(t, "coverage/layer.json", formats.NavigatorLayer(cov, "sigmabridge coverage", "the built-in pack"))
	golden(t, "coverage/coverage.md", formats.CoverageMarkdown(cov))
	// T1648 is every deployable pack rule's technique, correlations included: all count.
	if len(set.Correlations) < 21 || len(rules) != len(set.Alerting())+len(set.Correlations) {
		t.Fatalf("%d rules deployed, %d alerting rules and %d correlations", len(rules), len(set.Alerting()), len(set.Correlations))
	}
	i := slices.IndexFunc(cov, func(c formats.Covered) bool { return c.Technique.ID == "T1648" })
	if i < 0 || len(cov[i].Rules) != len(rules) {
		t.Fatalf("T1648 coverage %+v, want all %d rules", cov[i], len(rules))
	}
	score := 0
	for _, r := range rules {
		score += formats.LevelWeight[r.Level]
	}
	if cov[i].Score != score {
		t.Errorf("T1648 score %d, want %d", cov[i].Score, score)
	}
	// A correlation's own technique counts it: each correlation is among the rules of the
	// techniques its tags name, and a rule that only feeds correlations is among none.
	base := set.Base()
	for ci, c := range set.Correlations {
		for _, tq := range formats.ParseTags(c.Tags).Techniques {
			j := slices.IndexFunc(cov, func(cv formats.Covered) bool { return cv.Technique.ID == tq.ID })
			if j < 0 || !slices.ContainsFunc(cov[j].Rules, func(r *ir.Rule) bool { return r.Path == c.Path && r.ID == c.ID }) {
				t.Errorf("correlation %d (%s) is not counted for %s", ci, c.Path, tq.ID)
			}
		}
	}
	for _, cv := range cov {
		for _, r := range cv.Rules {
			for bi := range base {
				if r == set.Rules[bi] {
					t.Errorf("%s: rule %s only feeds correlations and is counted", cv.Technique.ID, r.Path)
				}
			}
		}
	}
}

// packDeployed returns the pack's deployed rules (formats.DeployedRules) and its set.
func packDeployed(t testing.TB) ([]*ir.Rule, *ir.RuleSet) {
	t.Helper()
	files, diags, err := sigmabridge.RuleFiles(nil)
	if err != nil || diags.HasErrors() {
		t.Fatalf("pack: %v %v", err, diags)
	}
	set, ds := ruleset.LoadSet(files)
	if ds.HasErrors() {
		t.Fatalf("pack: %v", ds)
	}
	return formats.DeployedRules(set), set
}

// TestSavedSearchesReadBack reads savedsearches.conf and macros.conf back with Splunk's
// .conf parser and checks that every rule has its stanza, with its search and settings.
func TestSavedSearchesReadBack(t *testing.T) {
	items := convertPackAll(t, packProfile(t), "splunk", splunkPipelines, true)
	o := options("splunk")
	o.Cron, o.Earliest, o.Latest = "*/5 * * * *", "-15m@m", "-5m@m"
	r, err := formats.Render("savedsearches", items, o)
	if err != nil {
		t.Fatal(err)
	}
	stanzas := readConf(t, r.Files[0].Data)
	macros := readConf(t, r.Files[1].Data)
	n, corrs := 0, 0
	for _, it := range items {
		for ci, q := range it.Queries {
			n++
			name := "sigmabridge - " + it.Rule.Title
			if len(it.Queries) > 1 {
				name += fmt.Sprintf(" (condition %d)", ci+1)
			}
			st, ok := stanzas[name]
			if !ok {
				t.Errorf("%s: no stanza %q", it.Rule.Path, name)
				continue
			}
			earliest := "-15m@m"
			if c := it.Correlation; c == nil {
				// The macro takes the place of the placeholder index the query was rendered with.
				macro, rest, ok := strings.Cut(strings.TrimPrefix(st["search"], "`"), "`")
				if !ok || !strings.HasPrefix(q.Text, `index="`+formats.MacroIndex+`"`) || "`"+macro+"`"+rest != strings.Replace(q.Text, `index="`+formats.MacroIndex+`"`, "`"+macro+"`", 1) {
					t.Errorf("%s: search %q for query %s", it.Rule.Path, st["search"], q.Text)
				}
				if _, ok := macros[macro]; !ok {
					t.Errorf("%s: macro %s is not in macros.conf", it.Rule.Path, macro)
				}
			} else {
				// Each named rule's placeholder index is its log source's macro, and the
				// search looks back over the correlation's timespan too.
				corrs++
				want := q.Text
				for k, b := range it.Bases {
					term := `index="` + formats.CorrMacroIndex(k) + `"`
					if b == nil || !strings.Contains(q.Text, term) {
						t.Errorf("%s: named rule %d has no placeholder in %s", it.Rule.Path, k, q.Text)
						continue
					}
					i := strings.Index(want, term)
					macro, _, _ := strings.Cut(strings.TrimPrefix(st["search"][i:], "`"), "`")
					if _, ok := macros[macro]; !ok || !strings.HasPrefix(st["search"][i:], "`") {
						t.Errorf("%s: named rule %d: no macro in macros.conf at %q", it.Rule.Path, k, st["search"][i:min(len(st["search"]), i+60)])
						continue
					}
					want = strings.ReplaceAll(want, term, "`"+macro+"`")
				}
				if st["search"] != want || strings.Contains(st["search"], formats.MacroIndex) {
					t.Errorf("%s: search\n %s\nwant\n %s", it.Rule.Path, st["search"], want)
				}
				earliest = fmt.Sprintf("-15m@m-%ds", int(c.Timespan.Seconds()))
			}
			want := map[string]string{
				"cron_schedule": "*/5 * * * *", "dispatch.earliest_time": earliest, "dispatch.latest_time": "-5m@m",
				"enableSched": "1", "disabled": "1", "alert.track": "1",
				"alert.severity":                 fmt.Sprint(formats.Levels[it.Rule.Level].Splunk),
				"action.correlationsearch.label": it.Rule.Title,
			}
			for k, v := range want {
				if st[k] != v {
					t.Errorf("%s: %s = %q, want %q", it.Rule.Path, k, st[k], v)
				}
			}
			var ann struct {
				MITRE []string `json:"mitre_attack"`
				ID    string   `json:"sigma_id"`
			}
			if err := json.Unmarshal([]byte(st["action.correlationsearch.annotations"]), &ann); err != nil {
				t.Errorf("%s: annotations: %v", it.Rule.Path, err)
			}
			if w := formats.ParseTags(it.Rule.Tags).TechniqueIDs(); !slices.Equal(ann.MITRE, w) || ann.ID != it.Rule.ID || len(w) == 0 {
				t.Errorf("%s: annotations %+v, want techniques %v and id %s", it.Rule.Path, ann, w, it.Rule.ID)
			}
			if st["description"] == "" {
				t.Errorf("%s: no description", it.Rule.Path)
			}
		}
	}
	if len(stanzas) != n {
		t.Errorf("%d stanzas for %d rule conditions", len(stanzas), n)
	}
	if corrs < 20 {
		t.Errorf("%d correlation stanzas, want the pack's (21)", corrs)
	}
	// The profile's logs entry reaches the cloudtrail macro, and two indexes are ORed.
	if d := macros["sigmabridge_aws_cloudtrail"]["definition"]; d != `index="aws" sourcetype="aws:cloudtrail"` {
		t.Errorf("cloudtrail macro %q", d)
	}
	if d := macros["sigmabridge_azure_activitylogs"]["definition"]; !strings.HasPrefix(d, `(index="azure" OR index="azure_archive")`) {
		t.Errorf("activitylogs macro %q", d)
	}
	t.Logf("%d stanzas and %d macros read back", len(stanzas), len(macros))
}

// TestElasticRulesSchema validates every Elastic rule of the pack, for every target, in
// both shapes (NDJSON and one file per rule), against the schema written from Elastic's
// API documentation; and a broken rule against it, so the schema is known to refuse.
func TestElasticRulesSchema(t *testing.T) {
	tools(t)
	dir := t.TempDir()
	var files []string
	for _, target := range []string{"lucene", "dsl", "eql", "esql"} {
		items := convertPackAll(t, packProfile(t), target, elasticPipelines, false)
		r, err := formats.Render("elastic-rules", items, options(target))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, target+".ndjson")
		if err := os.WriteFile(p, r.Files[0].Data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
		for i, data := range r.PerRule {
			if data == nil || len(items[i].Queries) > 1 {
				continue
			}
			p := filepath.Join(dir, fmt.Sprintf("%s-%d.json", target, i))
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, p)
		}
	}
	out, err := python(t, append([]string{"schema", filepath.Join("testdata", "elastic-rule.schema.json")}, files...)...)
	if err != nil {
		t.Fatalf("schema validation failed: %v\n%s", err, out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name":"x","description":"x","type":"esql","language":"esql","query":"FROM x","index":["x"],"severity":"severe","risk_score":101}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = python(t, "schema", filepath.Join("testdata", "elastic-rule.schema.json"), bad)
	if err == nil || !strings.Contains(string(out), "3 errors") {
		t.Errorf("the schema accepted a broken rule (esql with index, bad severity, risk_score 101): %s", out)
	}
}

// TestNavigatorLayerSchema validates the coverage layer against the layer format 4.5.
func TestNavigatorLayerSchema(t *testing.T) {
	tools(t)
	rules, _ := packDeployed(t)
	p := filepath.Join(t.TempDir(), "layer.json")
	if err := os.WriteFile(p, formats.NavigatorLayer(formats.Coverage(rules), "n", "d"), 0o644); err != nil {
		t.Fatal(err)
	}
	schema := filepath.Join("testdata", "navigator-layer-4.5.schema.json")
	if out, err := python(t, "schema", schema, p); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name":"x","domain":"enterprise","versions":{"layer":"4.4","navigator":"5.1.0"},"techniques":[{"techniqueID":"1648"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := python(t, "schema", schema, bad); err == nil || !strings.Contains(string(out), "3 errors") {
		t.Errorf("the schema accepted a broken layer: %s", out)
	}
}

// TestREADMECoverageTable keeps the README's coverage table the pack's.
func TestREADMECoverageTable(t *testing.T) {
	rules, _ := packDeployed(t)
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), string(formats.CoverageMarkdown(formats.Coverage(rules)))) {
		t.Error("README.md's coverage table is not the pack's: paste `sigmabridge coverage --markdown` into it")
	}
}

// TestEQLRulesParse parses every EQL rule of the pack with Elastic's EQL parser (PyPI eql,
// Elasticsearch syntax): the test node cannot run EQL (.ci/elasticsearch/README.md). A
// broken query must fail, so the parser is known to refuse.
func TestEQLRulesParse(t *testing.T) {
	tools(t)
	items := convertPackAll(t, packProfile(t), "eql", elasticPipelines, false)
	r, err := formats.Render("elastic-rules", items, options("eql"))
	if err != nil {
		t.Fatal(err)
	}
	// The pack's temporal correlations are EQL sequences among the parsed rules.
	sequences := 0
	for _, line := range strings.Split(strings.TrimSpace(string(r.Files[0].Data)), "\n") {
		var er formats.ElasticRule
		if err := json.Unmarshal([]byte(line), &er); err != nil {
			t.Fatal(err)
		}
		if _, ok := er.Meta["sigma_correlation"]; ok {
			if er.Type != "eql" || !strings.HasPrefix(er.Query, "sequence") {
				t.Errorf("%s: correlation rule of type %s: %.60s", er.Name, er.Type, er.Query)
			}
			sequences++
		}
	}
	if sequences < 11 {
		t.Errorf("%d correlation rules among the parsed EQL rules, want the pack's 11", sequences)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "eql.ndjson")
	if err := os.WriteFile(p, r.Files[0].Data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := python(t, "eql", p)
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("parsed %d EQL queries, 0 errors", strings.Count(string(r.Files[0].Data), "\n"))) {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s (%d of them correlation sequences)", strings.TrimSpace(string(out)), sequences)
	bad := filepath.Join(dir, "bad.ndjson")
	if err := os.WriteFile(bad, []byte(`{"name":"x","query":"any where a =="}`+"\n"+`{"name":"y","query":"any where a rlike \"x\""}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := python(t, "eql", bad); err == nil || !strings.Contains(string(out), "2 errors") {
		t.Errorf("the EQL parser accepted broken queries: %s", out)
	}
}

// TestATTACKTableOnTheSigmaHQCorpus: every tactic tag of the SigmaHQ corpus resolves, and
// almost every technique tag; the ones that do not (ATT&CK 19's new techniques, revoked
// ids) are listed.
func TestATTACKTableOnTheSigmaHQCorpus(t *testing.T) {
	root := os.Getenv("SIGMABRIDGE_CORPUS")
	if root == "" {
		t.Skip("SIGMABRIDGE_CORPUS is not set")
	}
	rules, _, _, err := sigmabridge.LoadRules([]string{filepath.Join(root, "rules"), filepath.Join(root, "rules-threat-hunting"), filepath.Join(root, "rules-emerging-threats")})
	if err != nil {
		t.Fatal(err)
	}
	tags, unknown := 0, map[string]int{}
	for _, r := range rules {
		for _, tag := range r.Tags {
			if strings.HasPrefix(strings.ToLower(tag), "attack.") {
				tags++
			}
		}
		for _, u := range formats.ParseTags(r.Tags).Unknown {
			unknown[strings.ToLower(u)]++
		}
	}
	missed := 0
	for tag, n := range unknown {
		missed += n
		if !regexp.MustCompile(`^attack\.t\d{4}(\.\d{3})?$`).MatchString(tag) {
			t.Errorf("tag %s (%d rules) is not a technique and does not resolve", tag, n)
		}
	}
	t.Logf("%d rules, %d attack.* tags, %d unresolved: %v", len(rules), tags, missed, unknown)
	if tags < 5000 || missed*100 > tags*3 {
		t.Errorf("%d of %d attack.* tags unresolved, want at most 3%%", missed, tags)
	}
}
