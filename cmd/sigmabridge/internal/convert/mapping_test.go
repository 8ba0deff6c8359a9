package convert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
)

// dynamicMapping is what Elasticsearch's default dynamic mapping makes of CloudTrail
// events: strings as text with a keyword multi-field cut at 256 characters.
const dynamicMapping = `{"logs-cloudtrail": {"mappings": {"properties": {
  "eventName": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
  "eventSource": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
}}}}`

const containsRule = `title: Contains
id: 7f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName|contains: Function}
  condition: sel
`

func TestConvertWithMapping(t *testing.T) {
	dir := t.TempDir()
	mapping := write(t, dir, "mapping.json", dynamicMapping)
	good := write(t, dir, "rules/good.yml", goodRule)
	contains := write(t, dir, "rules/contains.yml", containsRule)

	// The exact value is compared on the keyword multi-field.
	code, stdout, stderr := run(t, Options{Target: "dsl", Mapping: mapping, Paths: []string{good}})
	if code != cli.ExitOK || !strings.Contains(stdout, `"eventName.keyword"`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// Without --mapping the field is taken as keyword.
	if _, stdout, _ := run(t, Options{Target: "dsl", Paths: []string{good}}); strings.Contains(stdout, ".keyword") {
		t.Errorf("without --mapping: %s", stdout)
	}
	// A substring could sit in a value past ignore_above: the rule fails, named, and
	// --skip-unsupported counts it as unsupported.
	for _, target := range []string{"lucene", "dsl", "esql", "eql"} {
		code, _, stderr = run(t, Options{Target: target, Mapping: mapping, Paths: []string{good, contains}})
		if code != cli.ExitFailure || !strings.Contains(stderr, contains) || !strings.Contains(stderr, "mapping-ignore-above") || !strings.Contains(stderr, "mapping "+mapping) {
			t.Errorf("%s: exit %d, stderr %q", target, code, stderr)
		}
		code, _, stderr = run(t, Options{Target: target, Mapping: mapping, SkipUnsupported: true, Paths: []string{good, contains}})
		if code != cli.ExitOK || !strings.Contains(stderr, "1 skipped as unsupported") {
			t.Errorf("%s --skip-unsupported: exit %d, stderr %q", target, code, stderr)
		}
	}
}

func TestHostileMappingFlag(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.yml", goodRule)
	junk := write(t, dir, "junk.json", "{\"logs\": {\"mappings\": nope")
	missing := filepath.Join(dir, "missing.json")
	for _, tc := range []struct {
		name, target, file, want string
	}{
		{"missing file", "dsl", missing, "mapping " + missing + ": open " + missing},
		{"junk", "lucene", junk, "mapping " + junk + ": not a JSON object"},
		{"not an Elasticsearch target", "splunk", write(t, dir, "ok.json", dynamicMapping), "--mapping types the Elasticsearch targets (lucene, dsl, esql, eql), not splunk"},
	} {
		code, stdout, stderr := run(t, Options{Target: tc.target, Mapping: tc.file, Paths: []string{good}})
		if code != cli.ExitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.name, code, stdout, stderr, tc.want)
		}
	}
}

// TestDeployableWithMapping: the deployable Elastic rules are written for the mapping too.
func TestDeployableWithMapping(t *testing.T) {
	dir := t.TempDir()
	mapping := write(t, dir, "mapping.json", dynamicMapping)
	good := write(t, dir, "rules/good.yml", goodRule)
	out := filepath.Join(dir, "rules.ndjson")
	code, _, stderr := deployRun(t, Options{Target: "lucene", Format: "elastic-rules", Output: out, Mapping: mapping, Paths: []string{good}})
	data, _ := os.ReadFile(out)
	if code != cli.ExitOK || !strings.Contains(string(data), `eventName.keyword`) {
		t.Errorf("exit %d, stderr %q, rules %s", code, stderr, data)
	}
	contains := write(t, dir, "rules/contains.yml", containsRule)
	code, _, stderr = deployRun(t, Options{Target: "esql", Format: "elastic-rules", Output: out, Mapping: mapping, Paths: []string{contains}})
	if code != cli.ExitFailure || !strings.Contains(stderr, "mapping-ignore-above") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
