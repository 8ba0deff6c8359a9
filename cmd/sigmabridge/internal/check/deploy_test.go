package check

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// Must show 2: check -p ecs_t1648 passes on the pack through the plugin host: the rules are
// converted with the pipeline for the Elastic targets only, and the samples, shaped into the
// integrations' layout, match the pipeline-applied rules in the detector plugin.
func TestCheckPackUnderECSPipeline(t *testing.T) {
	code, rep, stderr := runCheck(t, Options{Pipelines: []string{"ecs_t1648"}})
	if code != cli.ExitOK || !rep.OK {
		for _, r := range rep.Rules {
			if !r.OK {
				t.Errorf("%s: %v %v", r.Path, r.Problems, r.Samples.Failures)
			}
		}
		t.Fatalf("exit %d ok %v; stderr %s", code, rep.OK, stderr)
	}
	if !slices.Equal(rep.Pipelines, []string{"ecs_t1648"}) {
		t.Errorf("the report must name the pipeline, got %v", rep.Pipelines)
	}
	if want := []string{"dsl", "eql", "esql", "lucene"}; !slices.Equal(sortedCopy(rep.Targets), want) {
		t.Errorf("targets %v, want the pipeline's %v", rep.Targets, want)
	}
	shaped := 0
	for _, r := range rep.Rules {
		if !r.OK {
			t.Errorf("%s: %v %v", r.Path, r.Problems, r.Samples.Failures)
		}
		if strings.HasPrefix(path.Base(r.Path), "mr_") {
			if !r.Samples.Passed || (len(r.BaseOf) == 0 && r.Samples.Positives == 0) {
				t.Errorf("%s sequences %+v", r.Path, r.Samples)
			}
			continue // a correlation: targets below
		}
		if !r.Samples.Passed || r.Samples.Positives == 0 {
			t.Errorf("%s samples %+v", r.Path, r.Samples)
		}
		lu := r.Targets["lucene"]
		if lu != nil && lu.OK && strings.Contains(strings.Join(lu.Queries, " "), "event.action") {
			shaped++ // the rule reads ECS names, and its raw samples still matched
		}
	}
	if shaped < 20 {
		t.Errorf("only %d rules read event.action under ecs_t1648", shaped)
	}
	// Every rule converts on every target, EQL included: the flattened sub-keys the pack reads
	// come from the keyword copies of the pipeline's @custom ingest pipelines.
	for _, r := range rep.Rules {
		for target, tr := range r.Targets {
			if strings.HasPrefix(path.Base(r.Path), "mr_") && tr != nil && (tr.OK || tr.Unsupported) {
				continue // a correlation a target cannot express is refused by name
			}
			if tr == nil || !tr.OK || tr.Unsupported {
				t.Errorf("%s on %s: %+v", r.Path, target, tr)
			}
		}
	}
	if tr := ruleByPath(rep, "rules/aws/lambda_function_url_auth_none.yml").Targets["eql"]; tr == nil || !strings.Contains(strings.Join(tr.Queries, " "), "sigmabridge.aws.cloudtrail.request_parameters.authType") {
		t.Errorf("function URL rule on eql does not read the keyword copy: %+v", tr)
	}
}

// Must show 2: check -p splunk_t1648 passes on the pack, every rule converted for Splunk, the
// samples shaped with Splunk's {} array names and the Workspace add-on's layout, with and
// without the starter profile: exit 0 and every rule, correlations included, passed.
func TestCheckPackUnderSplunkPipeline(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "profile.yml")
	if err := os.WriteFile(prof, profile.Starter(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{Pipelines: []string{"splunk_t1648"}}, {Pipelines: []string{"splunk_t1648"}, Profile: prof}} {
		code, rep, stderr := runCheck(t, o)
		if code != cli.ExitOK || !rep.OK {
			for _, r := range rep.Rules {
				if !r.OK {
					t.Errorf("%s: %v %v", r.Path, r.Problems, r.Samples.Failures)
				}
			}
			t.Fatalf("profile %q: exit %d ok %v; stderr %s", o.Profile, code, rep.OK, stderr)
		}
		for _, r := range rep.Rules {
			if !r.OK || !r.Samples.Passed {
				t.Errorf("%s: %v %+v", r.Path, r.Problems, r.Samples)
			}
			if strings.HasPrefix(path.Base(r.Path), "mr_") && len(r.BaseOf) == 0 && r.Samples.Positives == 0 {
				t.Errorf("%s: no positive sequence ran", r.Path) // the correlation, not a base rule
			}
		}
		if !slices.Equal(rep.Targets, []string{"splunk"}) {
			t.Errorf("targets %v, want [splunk]", rep.Targets)
		}
		for _, r := range rep.Rules {
			if tr := r.Targets["splunk"]; tr == nil || !tr.OK {
				t.Errorf("%s on splunk: %+v", r.Path, tr)
			}
		}
		ws := ruleByPath(rep, "rules/workspace/apps_script_oauth_high_risk_scopes.yml")
		if q := strings.Join(ws.Targets["splunk"].Queries, " "); !strings.Contains(q, "'parameters.scope_data{}.product_bucket{}'") {
			t.Errorf("workspace query does not read the add-on's field: %s", q)
		}
	}
}

const shapedRule = `title: Shaped
id: 7d1b2c3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d
logsource: {product: acme, service: audit}
detection:
  sel:
    eventName: CreateFunction
    request.memory: 512
  condition: sel
`

const shapedPipeline = `name: acme
allowed_backends: [lucene, dsl]
transformations:
  - type: field_name_mapping
    mapping: {eventName: event.action}
  - type: field_name_prefix_mapping
    mapping: {request.: acme.req.}
`

// check -p shapes a user's samples by the pipeline's own items; without -p the rule and its
// samples are checked as written; a sample whose shape the pipeline changes would fail
// against the pipeline-applied rule if it were not shaped.
func TestCheckPipelineShapesUserSamples(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rule := write("rules/shaped.yml", shapedRule)
	write("rules/shaped/samples.yml", `rule_id: 7d1b2c3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d
samples:
  - {file: pos.jsonl, expect: match}
  - {file: neg.jsonl, expect: no_match}
`)
	write("rules/shaped/pos.jsonl", `{"eventName": "CreateFunction", "request": {"memory": 512, "name": "f"}}`+"\n")
	write("rules/shaped/neg.jsonl", `{"eventName": "CreateFunction", "request": {"memory": 128}}`+"\n")
	pipe := write("acme.yml", shapedPipeline)
	t.Setenv(profile.EnvVar, "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())

	for _, pipes := range [][]string{nil, {pipe}} {
		code, rep, stderr := runCheck(t, Options{Paths: []string{rule}, Pipelines: pipes})
		r := ruleByPath(rep, rule)
		if code != cli.ExitOK || r == nil || !r.Samples.Passed || r.Samples.Positives != 1 || r.Samples.Negatives != 1 {
			t.Fatalf("pipelines %v: exit %d, rule %+v; stderr %s", pipes, code, r, stderr)
		}
		q := strings.Join(r.Targets["lucene"].Queries, " ")
		if pipes != nil && (!strings.Contains(q, "event.action") || !strings.Contains(q, "acme.req.memory")) {
			t.Errorf("the pipeline did not apply: %s", q)
		}
		if pipes != nil && !slices.Equal(sortedCopy(rep.Targets), []string{"dsl", "lucene"}) {
			t.Errorf("targets %v, want the pipeline's [dsl lucene]", rep.Targets)
		}
	}
}

func ruleByPath(rep *Report, path string) *RuleResult {
	for _, r := range rep.Rules {
		if r.Path == path {
			return r
		}
	}
	return nil
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
