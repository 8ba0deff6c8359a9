package convert

import (
	"encoding/json"
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

// Must show 1: on a fresh clone, convert -t T -p <the shipped deployment pipeline for T> exits 0
// over the pack's single-event rules, with no --skip-unsupported, both with the starter profile
// and with the profile the pack's samples assume (every rule active). On the Elastic targets
// this holds because ecs_t1648 reads the flattened sub-keys the pack needs from the keyword (or,
// for numbers, long) copies its @custom ingest pipelines make
// (translator/pipeline/builtin/README.md): no rule is left out, on any target, EQL included,
// and no match is approximate.
//
// The pack's correlation rules (rules/*/mr_*.yml) are a target's matter, not a pipeline's: a
// target that cannot express a correlation type fails it with unsupported-correlation (README,
// correlation rules), and the second half of the test asserts that this is the only failure the
// whole pack has under each shipped pipeline.
func TestConvertPackDeploysUnderShippedPipelines(t *testing.T) {
	noUserProfile(t)
	var single []string
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "rules", "*", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pack rules: %v", err)
	}
	for _, f := range files {
		if !strings.HasPrefix(filepath.Base(f), "mr_") {
			single = append(single, f)
		}
	}
	profiles := map[string]struct {
		path string
		// active: rules converted; the starter profile leaves out the 6 rules that need
		// account ids or a placeholder list.
		active int
	}{
		"starter": {starterProfile(t), len(single) - 6},
		"samples": {filepath.Join("..", "..", "..", "..", "testdata", "rules", "profile.yml"), len(single)},
	}
	for name, prof := range profiles {
		for _, target := range targets {
			t.Run(name+"/"+target, func(t *testing.T) {
				o := Options{Target: target, Pipelines: []string{deployments[target]}, Profile: prof.path, Format: "jsonl", Paths: single}
				code, out, stderr := run(t, o)
				if code != cli.ExitOK {
					t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
				}
				failed, queries := packResults(t, out)
				if len(failed) != 0 {
					t.Errorf("rules failed: %v", failed)
				}
				if queries != prof.active {
					t.Errorf("%d queries, want %d", queries, prof.active)
				}
				// Every flattened sub-key the pack reads has its copy: nothing is widened
				// into a rendered string.
				if strings.Contains(stderr, "pipeline-approximate") || strings.Contains(stderr, "unsupported-flattened") {
					t.Errorf("approximate or flattened matches left: %s", stderr)
				}
			})
			t.Run(name+"/"+target+"/with-correlations", func(t *testing.T) {
				o := Options{Target: target, Pipelines: []string{deployments[target]}, Profile: prof.path, Format: "jsonl"}
				_, out, _ := run(t, o)
				failed, _ := packResults(t, out)
				for path, code := range failed {
					if code != "unsupported-correlation" || !strings.HasPrefix(filepath.Base(path), "mr_") {
						t.Errorf("%s failed with %s; only a correlation the target cannot express may fail", path, code)
					}
				}
			})
		}
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
