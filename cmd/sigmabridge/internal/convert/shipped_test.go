package convert

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/translator/diag"
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
// Over the whole pack, the 21 correlation files (rules/*/mr_*.yml) included, convert with
// --skip-unsupported exits 0, and the rules it skips are exactly those the pipelines'
// documentation declares it cannot carry for the target (the table "What each pipeline cannot
// carry" in translator/pipeline/builtin/README.md), each with the declared code and reason.
// The expectation is read from that table only: a target that learns a correlation type needs
// its row deleted there, and nothing here.
func TestConvertPackDeploysUnderShippedPipelines(t *testing.T) {
	noUserProfile(t)
	rulesDir := filepath.Join("..", "..", "..", "..", "rules")
	var single, all []string
	files, err := filepath.Glob(filepath.Join(rulesDir, "*", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pack rules: %v", err)
	}
	corr := 0
	for _, f := range files {
		rel, err := filepath.Rel(rulesDir, f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, filepath.ToSlash(rel))
		if strings.HasPrefix(filepath.Base(f), "mr_") {
			corr++
		} else {
			single = append(single, f)
		}
	}
	if corr < 21 {
		t.Fatalf("only %d correlation files in the pack", corr)
	}
	declared := cannotCarry(t, all)
	profiles := map[string]struct {
		path string
		// inactive: rules left out for want of a profile value; the starter profile leaves
		// out the 6 rules that need account ids or a placeholder list.
		inactive int
	}{
		"starter": {starterProfile(t), 6},
		"samples": {filepath.Join("..", "..", "..", "..", "testdata", "rules", "profile.yml"), 0},
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
				if want := len(single) - prof.inactive; queries != want {
					t.Errorf("%d queries, want %d", queries, want)
				}
				// Every flattened sub-key the pack reads has its copy: nothing is widened
				// into a rendered string.
				if strings.Contains(stderr, "pipeline-approximate") || strings.Contains(stderr, "unsupported-flattened") {
					t.Errorf("approximate or flattened matches left: %s", stderr)
				}
			})
			t.Run(name+"/"+target+"/whole-pack", func(t *testing.T) {
				pipe := deployments[target]
				want := declared[pipe+"/"+target]
				o := Options{Target: target, Pipelines: []string{pipe}, Profile: prof.path, Format: "jsonl", SkipUnsupported: true, Paths: []string{rulesDir}}
				code, out, stderr := run(t, o)
				if code != cli.ExitOK {
					t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
				}
				lines := packLines(t, out)
				converted := map[string]bool{}
				skipped := map[string]bool{}
				for _, l := range lines {
					rel, err := filepath.Rel(rulesDir, l.Path)
					if err != nil {
						t.Fatal(err)
					}
					rel = filepath.ToSlash(rel)
					if l.Error == nil {
						converted[rel] = true
						continue
					}
					skipped[rel] = true
					d, ok := want[rel]
					switch {
					case !ok:
						t.Errorf("%s skipped (%s: %s), but %s does not declare it for %s", rel, l.Error.Code, l.Error.Message, pipe, target)
					case l.Error.Code != d.code || !strings.Contains(l.Error.Message, d.reason):
						t.Errorf("%s skipped with %s: %q; declared %s: %q", rel, l.Error.Code, l.Error.Message, d.code, d.reason)
					}
				}
				for rel := range want {
					if !skipped[rel] {
						t.Errorf("%s is declared not carried by %s on %s, but was not skipped (converted: %v)", rel, pipe, target, converted[rel])
					}
				}
				// Everything else converts or is inactive; the summary counts the skips.
				missing := 0
				for _, rel := range all {
					if !converted[rel] && !skipped[rel] {
						missing++
						if strings.HasPrefix(path.Base(rel), "mr_") {
							t.Errorf("correlation %s neither converted nor skipped", rel)
						}
					}
				}
				if missing != prof.inactive {
					t.Errorf("%d rule files neither converted nor skipped, want the %d inactive ones", missing, prof.inactive)
				}
				if len(want) > 0 && !strings.Contains(stderr, fmt.Sprintf(" 0 failed, %d skipped as unsupported", len(want))) {
					t.Errorf("summary does not count %d skips and no failure: %s", len(want), stderr)
				}
			})
		}
	}
}

// declaredSkip is one rule a pipeline's documentation declares it cannot carry on a target.
type declaredSkip struct{ code, reason string }

// cannotCarry reads the table "What each pipeline cannot carry" of
// translator/pipeline/builtin/README.md: by "pipeline/target", the rules (relative to rules/)
// and the code and reason of each. Every row must name a shipped deployment pipeline, one of
// its targets, a skippable code and rule files of the pack, each once.
func cannotCarry(t *testing.T, pack []string) map[string]map[string]declaredSkip {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "translator", "pipeline", "builtin", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(data), "\n## What each pipeline cannot carry\n")
	if !ok {
		t.Fatal(`translator/pipeline/builtin/README.md has no section "What each pipeline cannot carry"`)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	out := map[string]map[string]declaredSkip{}
	rows, header := 0, false
	for _, line := range strings.Split(sec, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		if strings.Trim(line, "|- ") == "" {
			continue // the separator row
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if !header {
			if strings.Join(cells, ",") != "pipeline,target,code,reason,rules" {
				t.Fatalf("table header %q, want pipeline | target | code | reason | rules", line)
			}
			header = true
			continue
		}
		if len(cells) != 5 {
			t.Fatalf("row %q: %d cells, want 5", line, len(cells))
		}
		rows++
		pipe, target, code, reason := strings.Trim(cells[0], "`"), cells[1], strings.Trim(cells[2], "`"), cells[3]
		if deployments[target] != pipe {
			t.Errorf("row %q: %s is not the shipped deployment pipeline of target %q", line, pipe, target)
		}
		if !diag.IsUnsupported(diag.Code(code)) {
			t.Errorf("row %q: %s is not a code --skip-unsupported skips", line, code)
		}
		if reason == "" {
			t.Errorf("row %q gives no reason", line)
		}
		key := pipe + "/" + target
		if out[key] == nil {
			out[key] = map[string]declaredSkip{}
		}
		for _, r := range strings.Split(cells[4], "<br>") {
			r = strings.Trim(strings.TrimSpace(r), "`")
			if !slices.Contains(pack, r) {
				t.Errorf("row %q names %q, not a rule file of the pack", line, r)
			}
			if _, dup := out[key][r]; dup {
				t.Errorf("%s is declared twice for %s", r, key)
			}
			out[key][r] = declaredSkip{code: code, reason: reason}
		}
	}
	if rows == 0 {
		t.Fatal("the table of rules the pipelines cannot carry has no row")
	}
	return out
}

// packLine is one line of convert's jsonl output.
type packLine struct {
	Path  string `json:"path"`
	Query any    `json:"query"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func packLines(t *testing.T, out string) []packLine {
	t.Helper()
	var ls []packLine
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l packLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		ls = append(ls, l)
	}
	return ls
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

// --skip-unsupported follows the diagnostic class table (diag.IsUnsupported): a rule is
// skipped when a target-class code (unsupported-*), a deployment-class code
// (unresolved-placeholder) or pipeline-unsupported is all that is wrong with it, and fails
// the run otherwise (pipeline-error, an invalid rule). The expectation of each case is read
// from the table, and the flag's help and both READMEs name every skippable code.
func TestConvertSkipUnsupportedFollowsTheClassTable(t *testing.T) {
	noUserProfile(t)
	dir := t.TempDir()
	placeholder := write(t, dir, "placeholder.yml", `title: Placeholder
id: 5b0c7a52-1d1e-4f4a-9b55-0e1f6a7c8d90
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    userIdentity.accountId|expand: '%acct%'
  condition: sel
`)
	contains := write(t, dir, "contains.yml", `title: Contains
id: 5b0c7a52-1d1e-4f4a-9b55-0e1f6a7c8d94
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    requestParameters.name|contains: evil
  condition: sel
`)
	correlation := write(t, dir, "correlation.yml", `title: Burst
id: 5b0c7a52-1d1e-4f4a-9b55-0e1f6a7c8d95
correlation:
  type: event_count
  rules: [base_create]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition: {gte: 3}
---
title: Create (base)
id: 5b0c7a52-1d1e-4f4a-9b55-0e1f6a7c8d96
name: base_create
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: CreateFunction20150331}
  condition: sel
`)
	flattened := write(t, dir, "flattened.yml", "name: flat\ntransformations:\n  - type: sigmabridge_flattened_object\n    prefix: requestParameters.\n")
	refuse := write(t, dir, "refuse.yml", "name: refuse\ntransformations:\n  - type: rule_failure\n    message: not carried here\n")
	twoFields := write(t, dir, "two.yml", "name: two\ntransformations:\n  - type: field_name_mapping\n    mapping:\n      userIdentity.arn: [user.a, user.b]\n")
	keyword := write(t, dir, "keyword.yml", keywordRule)
	bad := write(t, dir, "bad.yml", badModifier)

	cases := []struct {
		code     diag.Code
		target   string
		pipeline string
		rule     string
	}{
		{diag.UnsupportedKeyword, "eql", "", keyword},
		{diag.UnsupportedFlattened, "lucene", flattened, contains},
		{diag.UnsupportedCorrelation, "lucene", "", correlation},
		{diag.UnresolvedPlaceholder, "splunk", "", placeholder},
		{diag.PipelineUnsupported, "splunk", refuse, placeholder},
		{diag.PipelineError, "splunk", twoFields, correlation},
		{diag.UnknownModifier, "splunk", "", bad},
	}
	classes := map[diag.Class]bool{}
	for _, c := range cases {
		t.Run(string(c.code), func(t *testing.T) {
			o := Options{Target: c.target, Paths: []string{c.rule}}
			if c.pipeline != "" {
				o.Pipelines = []string{c.pipeline}
			}
			code, _, stderr := run(t, o)
			if code != cli.ExitFailure || !strings.Contains(stderr, ": "+string(c.code)+": ") {
				t.Fatalf("without --skip-unsupported: exit %d, want 1 with %s; stderr %s", code, c.code, stderr)
			}
			o.SkipUnsupported = true
			code, _, stderr = run(t, o)
			if diag.IsUnsupported(c.code) {
				classes[c.code.Class()] = true
				if code != cli.ExitOK || !strings.Contains(stderr, " 0 failed, 1 skipped as unsupported") {
					t.Errorf("%s (class %s) is skippable: exit %d, stderr %s", c.code, c.code.Class(), code, stderr)
				}
			} else if code != cli.ExitFailure || !strings.Contains(stderr, " 0 skipped as unsupported") {
				t.Errorf("%s (class %s) is not skippable: exit %d, stderr %s", c.code, c.code.Class(), code, stderr)
			}
		})
	}
	for _, cl := range []diag.Class{diag.Target, diag.Deployment, diag.Pipeline} {
		if !classes[cl] {
			t.Errorf("no case of a skippable %s code", cl)
		}
	}

	help := NewCommand().Flags().Lookup("skip-unsupported").Usage
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	builtinReadme, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "translator", "pipeline", "builtin", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range diag.Codes() {
		if !diag.IsUnsupported(c) {
			continue
		}
		name := "`" + string(c) + "`"
		if c == diag.Unsupported || strings.HasPrefix(string(c), diag.Unsupported+"-") {
			c, name = "unsupported-*", "`unsupported-*`"
		}
		if strings.HasPrefix(string(c), "mapping-") {
			c, name = "mapping-*", "`mapping-*`"
		}
		if strings.HasPrefix(string(c), "fields-") {
			c, name = "fields-*", "`fields-*`"
		}
		if !strings.Contains(help, string(c)) {
			t.Errorf("--skip-unsupported's help does not name %s: %q", c, help)
		}
		if !strings.Contains(string(readme), name) {
			t.Errorf("README.md does not name %s among what --skip-unsupported skips", name)
		}
		if !strings.Contains(string(builtinReadme), string(c)) && !(strings.HasSuffix(string(c), "-*") && strings.Contains(string(builtinReadme), "every `"+string(c)+"` code")) {
			t.Errorf("translator/pipeline/builtin/README.md does not name %s", c)
		}
	}
}
