package convert

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// deployments are the shipped deployment pipelines, by target.
var deployments = map[string]string{
	"splunk": "splunk_t1648",
	"lucene": "ecs_t1648",
	"dsl":    "ecs_t1648",
	"esql":   "ecs_t1648",
	"eql":    "ecs_t1648",
}

// starterProfile writes the profile `sigmabridge profile init` writes and returns its path.
func starterProfile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.yml")
	if err := os.WriteFile(p, profile.Starter(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// notCarried are the pack's rules a shipped deployment pipeline documents it cannot carry on a
// target (translator/pipeline/builtin/README.md, "Rules a pipeline does not carry"), each
// with the code that says why. Every other active rule must convert.
var notCarried = map[string]map[string]string{
	"splunk": {},
	"lucene": gcpRequestSuffixes,
	"dsl":    gcpRequestSuffixes,
	"esql":   gcpRequestSuffixes,
	"eql": {
		"rules/aws/eventbridge_scheduled_rule_by_human.yml":        "unsupported-flattened",
		"rules/aws/lambda_execution_role_changed.yml":              "unsupported-flattened",
		"rules/aws/lambda_function_url_auth_none.yml":              "unsupported-flattened",
		"rules/aws/lambda_layer_shared_publicly.yml":               "unsupported-flattened",
		"rules/aws/lambda_maximum_resources.yml":                   "unsupported-flattened",
		"rules/aws/lambda_maximum_resources_custom_runtime.yml":    "unsupported-flattened",
		"rules/aws/lambda_policy_any_principal.yml":                "unsupported-flattened",
		"rules/gcp/cloud_function_gcploit_timeout.yml":             "unsupported-flattened",
		"rules/gcp/cloud_function_non_default_service_account.yml": "unsupported-flattened",
		"rules/gcp/cloud_function_publicly_invokable.yml":          "unsupported-flattened",
		"rules/gcp/cloud_scheduler_job_targets_function.yml":       "unsupported-flattened",
		"rules/workspace/apps_script_oauth_high_risk_scopes.yml":   "unsupported-flattened",
	},
}

// gcpRequestSuffixes: a suffix or substring of a value in the audit log's flattened request.
var gcpRequestSuffixes = map[string]string{
	"rules/gcp/cloud_function_non_default_service_account.yml": "unsupported-flattened",
	"rules/gcp/cloud_scheduler_job_targets_function.yml":       "unsupported-flattened",
}

// Must show 1: on a fresh clone, convert -t T -p <the shipped deployment pipeline for T> with
// the starter profile exits 0 over the whole pack (the built-in pack, rules/). Splunk converts
// every active rule; on the Elastic targets --skip-unsupported skips exactly the rules the
// pipeline documents it cannot carry, and without it those are the only failures.
func TestConvertPackDeploysUnderShippedPipelines(t *testing.T) {
	noUserProfile(t)
	prof := starterProfile(t)
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			o := Options{Target: target, Pipelines: []string{deployments[target]}, Profile: prof, Format: "jsonl"}
			want := notCarried[target]
			code, out, stderr := run(t, o)
			if wantCode := map[bool]int{true: cli.ExitOK, false: cli.ExitFailure}[len(want) == 0]; code != wantCode {
				t.Fatalf("without --skip-unsupported: exit %d, want %d; stderr:\n%s", code, wantCode, stderr)
			}
			if got, _ := packResults(t, out); !reflect.DeepEqual(got, want) {
				t.Errorf("without --skip-unsupported, rules failed: %v\nwant (the pipeline's documented list): %v", got, want)
			}
			o.SkipUnsupported = true
			code, out, stderr = run(t, o)
			if code != cli.ExitOK {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
			}
			got, queries := packResults(t, out)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rules not converted: %v\nwant (the pipeline's documented list): %v", got, want)
			}
			if !strings.Contains(stderr, fmt.Sprintf("0 failed, %d skipped as unsupported", len(want))) && len(want) > 0 {
				t.Errorf("summary does not count the skips: %s", stderr)
			}
			// 41 rules, 2 inactive under the starter profile (they need account ids).
			if min := 39 - len(want); queries < min {
				t.Errorf("%d queries, want at least %d", queries, min)
			}
		})
	}
}

// packResults reads convert's jsonl: the error code of each rule that failed, and the number
// of queries.
func packResults(t *testing.T, out string) (map[string]string, int) {
	t.Helper()
	got := map[string]string{}
	queries := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l struct {
			Path  string `json:"path"`
			Query any    `json:"query"`
			Error *struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if l.Error != nil {
			got[l.Path] = l.Error.Code
		} else if l.Query != nil {
			queries++
		}
	}
	return got, queries
}

// A pipeline declares the targets it is for (allowed_backends); using it for another is a
// usage error naming them, unless --allow-pipeline-mismatch.
func TestConvertPipelineTargetMismatch(t *testing.T) {
	noUserProfile(t)
	dir := t.TempDir()
	rule := write(t, dir, "r.yml", goodRule)
	code, out, stderr := run(t, Options{Target: "lucene", Pipelines: []string{"splunk_t1648"}, Paths: []string{rule}})
	if code != cli.ExitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q; want 2 and nothing", code, out)
	}
	if !strings.Contains(stderr, "pipeline splunk_t1648 is for splunk, not lucene") || !strings.Contains(stderr, "--allow-pipeline-mismatch") {
		t.Errorf("stderr does not name the pipeline's targets and the flag: %s", stderr)
	}
	code, out, stderr = run(t, Options{Target: "lucene", Pipelines: []string{"splunk_t1648"}, AllowPipelineMismatch: true, Paths: []string{rule}})
	if code != cli.ExitOK || !strings.Contains(out, "eventName") {
		t.Errorf("with --allow-pipeline-mismatch: exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	// A pipeline file without allowed_backends fits every target.
	p := write(t, dir, "p.yml", "name: any\ntransformations:\n  - type: field_name_mapping\n    mapping: {eventName: action}\n")
	if code, out, stderr := run(t, Options{Target: "esql", Pipelines: []string{p}, Paths: []string{rule}}); code != cli.ExitOK || !strings.Contains(out, "action") {
		t.Errorf("pipeline with no targets: exit %d, stdout %q, stderr %s", code, out, stderr)
	}
}

// --skip-unsupported skips a rule a pipeline declares it cannot carry (pipeline-unsupported),
// but not one whose pipeline is wrong.
func TestConvertSkipUnsupportedCoversPipelines(t *testing.T) {
	noUserProfile(t)
	dir := t.TempDir()
	rule := write(t, dir, "r.yml", goodRule)
	p := write(t, dir, "p.yml", "name: refuse\ntransformations:\n  - type: rule_failure\n    message: not carried here\n")
	code, _, stderr := run(t, Options{Target: "splunk", Pipelines: []string{p}, Paths: []string{rule}})
	if code != cli.ExitFailure || !strings.Contains(stderr, "pipeline-unsupported") {
		t.Fatalf("without --skip-unsupported: exit %d, stderr %s", code, stderr)
	}
	code, _, stderr = run(t, Options{Target: "splunk", Pipelines: []string{p}, SkipUnsupported: true, Paths: []string{rule}})
	if code != cli.ExitOK || !strings.Contains(stderr, "0 failed, 1 skipped as unsupported") {
		t.Errorf("with --skip-unsupported: exit %d, stderr %s", code, stderr)
	}
}

// An unknown pipeline is reported as such, not as a mismatch.
func TestConvertUnknownPipelineIsNotAMismatch(t *testing.T) {
	noUserProfile(t)
	rule := write(t, t.TempDir(), "r.yml", goodRule)
	code, _, stderr := run(t, Options{Target: "lucene", Pipelines: []string{"no_such_pipeline"}, Paths: []string{rule}})
	if code != cli.ExitUsage || !strings.Contains(stderr, "no_such_pipeline") || strings.Contains(stderr, "allow-pipeline-mismatch") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}
