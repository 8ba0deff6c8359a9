package convert

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
)

// cloudTrailSummary is | fieldsummary over CloudTrail events, exported as CSV.
const cloudTrailSummary = "field,count,distinct_count,is_exact,numeric_count,values\r\n" +
	"eventName,20,4,1,0,[]\r\n" +
	"resources{}.ARN,12,9,1,0,[]\r\n"

const arnRule = `title: ARN
id: 9f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {resources.ARN|contains: ':function:'}
  condition: sel
`

const unlistedRule = `title: Unlisted
id: af2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {userAgent: boto3}
  condition: sel
`

func TestConvertWithFields(t *testing.T) {
	dir := t.TempDir()
	fields := write(t, dir, "fields.csv", cloudTrailSummary)
	arn := write(t, dir, "rules/arn.yml", arnRule)
	unlisted := write(t, dir, "rules/unlisted.yml", unlistedRule)

	code, stdout, stderr := run(t, Options{Target: "splunk", Fields: fields, Paths: []string{arn}})
	if code != cli.ExitOK || !strings.Contains(stdout, "'resources{}.ARN'") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, stdout, _ := run(t, Options{Target: "splunk", Paths: []string{arn}}); strings.Contains(stdout, "{}") {
		t.Errorf("without --fields: %s", stdout)
	}
	code, _, stderr = run(t, Options{Target: "splunk", Fields: fields, Paths: []string{arn, unlisted}})
	if code != cli.ExitFailure || !strings.Contains(stderr, unlisted) || !strings.Contains(stderr, "fields-unlisted-field") || !strings.Contains(stderr, "fields "+fields) {
		t.Errorf("unlisted: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, Options{Target: "splunk", Fields: fields, SkipUnsupported: true, Paths: []string{arn, unlisted}})
	if code != cli.ExitOK || !strings.Contains(stderr, "1 skipped as unsupported") {
		t.Errorf("--skip-unsupported: exit %d, stderr %q", code, stderr)
	}
}

func TestHostileFieldsFlag(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.yml", goodRule)
	junk := write(t, dir, "junk.json", `[{"field": nope`)
	junkCSV := write(t, dir, "junk.csv", "a,b\n1,2\n")
	missing := filepath.Join(dir, "missing.csv")
	ok := write(t, dir, "ok.csv", cloudTrailSummary)
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"missing file", Options{Target: "splunk", Fields: missing}, "fields " + missing + ": open " + missing},
		{"junk json", Options{Target: "splunk", Fields: junk}, "fields " + junk + ": not JSON"},
		{"junk csv", Options{Target: "splunk", Fields: junkCSV}, "fields " + junkCSV + ": line 1: the header has no \"field\" column"},
		{"not splunk", Options{Target: "esql", Fields: ok}, "--fields describes Splunk's extracted fields for the splunk target, not esql"},
		{"with --mapping", Options{Target: "splunk", Fields: ok, Mapping: ok}, "--fields describes Splunk's extracted fields"},
	} {
		tc.o.Paths = []string{good}
		code, stdout, stderr := run(t, tc.o)
		if code != cli.ExitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.name, code, stdout, stderr, tc.want)
		}
	}
}

// TestDeployableWithFields: savedsearches.conf is written for the description too.
func TestDeployableWithFields(t *testing.T) {
	dir := t.TempDir()
	fields := write(t, dir, "fields.csv", cloudTrailSummary)
	arn := write(t, dir, "rules/arn.yml", arnRule)
	code, stdout, stderr := deployRun(t, Options{Target: "splunk", Format: "savedsearches", Fields: fields, Paths: []string{arn}})
	if code != cli.ExitOK || !strings.Contains(stdout, "'resources{}.ARN'") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	missing := filepath.Join(dir, "missing.csv")
	code, _, stderr = deployRun(t, Options{Target: "splunk", Format: "savedsearches", Fields: missing, Paths: []string{arn}})
	if code != cli.ExitUsage || !strings.Contains(stderr, "fields "+missing) {
		t.Errorf("missing: exit %d, stderr %q", code, stderr)
	}
}
