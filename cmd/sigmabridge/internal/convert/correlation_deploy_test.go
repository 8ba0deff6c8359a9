package convert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/formats"
)

const corrBaseCreate = `title: Create Function
id: 0a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d40
name: corr_create
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: CreateFunction}
  condition: sel
`

const corrBaseDelete = `title: Delete Function
id: 0a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d41
name: corr_delete
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: DeleteFunction}
  condition: sel
`

const corrRule = `title: Create Then Delete
id: 0a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d42
author: Corr Author
level: high
tags: [attack.execution, attack.t1648]
correlation:
  type: temporal_ordered
  rules: [corr_create, corr_delete]
  group-by: [userIdentity.arn]
  timespan: 10m
`

const corrCount = `title: Many Creates
id: 0a2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d43
level: medium
correlation:
  type: event_count
  rules: [corr_create]
  group-by: [userIdentity.arn]
  timespan: 5m
  condition: {gte: 10}
`

// TestCorrelationsAreDeployableContent: a correlation is a saved search and an Elastic rule
// of its own (esql for ES|QL, eql for an EQL sequence), fed by its base rules, which get
// none; the correlation's search reads the base rule's events through the log source
// macro, and looks back over the timespan.
func TestCorrelationsAreDeployableContent(t *testing.T) {
	noUserProfile(t)
	dir := t.TempDir()
	write(t, dir, "create.yml", corrBaseCreate)
	write(t, dir, "delete.yml", corrBaseDelete)
	write(t, dir, "mr_create_delete.yml", corrRule)
	write(t, dir, "mr_many_creates.yml", corrCount)

	code, out, stderr := deployRun(t, Options{Target: "splunk", Format: "savedsearches", Paths: []string{dir}})
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(out, "\n["); n != 2 {
		t.Errorf("%d stanzas, want the 2 correlations only:\n%s", n, out)
	}
	for _, want := range []string{"[sigmabridge - Create Then Delete]", "[sigmabridge - Many Creates]",
		"dispatch.earliest_time = -20m@m-600s", "dispatch.earliest_time = -20m@m-300s", "alert.severity = 5", `"sigma_author":"Corr Author"`,
		"[search `sigmabridge_aws_cloudtrail` ", "search = `sigmabridge_aws_cloudtrail` "} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "[sigmabridge - Create Function]") || strings.Contains(out, formats.MacroIndex) {
		t.Errorf("a base rule has a stanza, or a placeholder is left:\n%s", out)
	}

	for target, typ := range map[string]string{"esql": "esql", "eql": "eql"} {
		code, out, stderr := deployRun(t, Options{Target: target, Format: "elastic-rules", Paths: []string{dir}, SkipUnsupported: true})
		if code != cli.ExitOK {
			t.Fatalf("%s: exit %d: %s", target, code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var names []string
		for _, l := range lines {
			var r formats.ElasticRule
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("%s: %v: %s", target, err, l)
			}
			names = append(names, r.Name)
			if r.Type != typ || r.Meta["sigma_correlation"] == nil {
				t.Errorf("%s: %s: type %s, meta %v", target, r.Name, r.Type, r.Meta)
			}
			if r.Name == "Create Then Delete" && (r.From != "now-960s" || r.Severity != "high" || len(r.Threat) == 0 || len(r.Author) != 1 || r.Author[0] != "Corr Author") {
				t.Errorf("%s: %s: from %s severity %s threat %v", target, r.Name, r.From, r.Severity, r.Threat)
			}
			if typ == "eql" && (len(r.Index) == 0 || !strings.HasPrefix(r.Query, "sequence")) {
				t.Errorf("eql: %s: index %v query %s", r.Name, r.Index, r.Query)
			}
		}
		if target == "eql" && (len(names) != 1 || names[0] != "Create Then Delete") {
			t.Errorf("eql rules %v, want the sequence only (an event count is no EQL sequence)", names)
		}
		if target == "esql" && len(names) == 0 {
			t.Errorf("esql: no rules")
		}
	}
	// A target that cannot express a correlation names it and fails it.
	code, _, stderr = deployRun(t, Options{Target: "lucene", Format: "elastic-rules", Paths: []string{dir}})
	if code != cli.ExitFailure || !strings.Contains(stderr, "mr_create_delete.yml") || !strings.Contains(stderr, "unsupported-correlation") {
		t.Errorf("lucene: exit %d: %s", code, stderr)
	}
	// --per-rule: one file per correlation, named from the rule tree.
	perRule := t.TempDir()
	code, _, stderr = deployRun(t, Options{Target: "splunk", Format: "savedsearches", Paths: []string{dir}, Output: perRule, Deploy: DeployOptions{PerRule: true}})
	if code != cli.ExitOK {
		t.Fatalf("--per-rule: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"mr_create_delete.conf", "mr_many_creates.conf", "macros.conf", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(perRule, name)); err != nil {
			t.Errorf("--per-rule: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(perRule, "create.conf")); err == nil {
		t.Errorf("--per-rule: the base rule has a file")
	}
}
