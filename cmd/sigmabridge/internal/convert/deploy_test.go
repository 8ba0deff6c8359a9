package convert

import (
	"os"
	"path/filepath"
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

// Must show 1: on a fresh clone, convert -t T -p <the shipped deployment pipeline for T> with
// the starter profile exits 0 over the whole pack (the built-in pack, rules/), with no rule failed or skipped.
func TestConvertPackDeploysUnderShippedPipelines(t *testing.T) {
	noUserProfile(t)
	prof := starterProfile(t)
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			code, out, stderr := run(t, Options{Target: target, Pipelines: []string{deployments[target]}, Profile: prof})
			if code != cli.ExitOK {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
			}
			if strings.Contains(stderr, "failed") || strings.Contains(stderr, "skipped as unsupported") {
				t.Errorf("a rule failed or was skipped:\n%s", stderr)
			}
			if lines := strings.Count(out, "\n"); lines < 35 {
				t.Errorf("%d queries for the pack, want one per active rule condition (>= 35)", lines)
			}
		})
	}
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
