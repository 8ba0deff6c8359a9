package convert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/rules"
)

// TestPackLicenceShipsWithTheContent: the Splunk app of the built-in pack ships the pack's
// licence (the DRL 1.1 text of rules/LICENSE.Detection.Rules.md, with its attribution),
// and every Elastic rule of the pack names it in its license field; rules from a path with
// --rules-license get that file and its first line as the name.
func TestPackLicenceShipsWithTheContent(t *testing.T) {
	noUserProfile(t)
	app := t.TempDir()
	code, _, stderr := deployRun(t, Options{Target: "splunk", Format: "splunk-app", Output: app, Pipelines: []string{"splunk_t1648"}})
	if code == cli.ExitUsage {
		t.Fatalf("usage: %s", stderr)
	}
	lic, err := os.ReadFile(filepath.Join(app, "LICENSE.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(lic), rules.License) || !strings.Contains(string(lic), "author: sigmabridge project") ||
		!strings.HasPrefix(rules.License, "# Detection Rule License (DRL) 1.1\n") {
		t.Errorf("LICENSE.txt:\n%s", lic)
	}
	code, out, stderr := deployRun(t, Options{Target: "esql", Format: "elastic-rules", Pipelines: []string{"ecs_t1648"}})
	if code == cli.ExitUsage {
		t.Fatalf("usage: %s", stderr)
	}
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r formats.ElasticRule
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		n++
		if r.License != "DRL 1.1" {
			t.Errorf("%s: license %q", r.Name, r.License)
		}
	}
	if n < 25 {
		t.Errorf("only %d rules", n)
	}

	dir := t.TempDir()
	write(t, dir, "good.yml", goodRule)
	licFile := write(t, t.TempDir(), "LICENSE.md", "\n# Example Rule Licence 2.0\n\nterms\n")
	o := Options{Target: "lucene", Format: "elastic-rules", Paths: []string{dir}}
	o.Deploy.RulesLicense = licFile
	code, out, stderr = deployRun(t, o)
	if code != cli.ExitOK || !strings.Contains(out, `"license":"Example Rule Licence 2.0"`) {
		t.Errorf("--rules-license: exit %d %s %s", code, out, stderr)
	}
	// Without --rules-license the licence of rules from a path is unknown: no license field.
	code, out, _ = deployRun(t, Options{Target: "lucene", Format: "elastic-rules", Paths: []string{dir}})
	if code != cli.ExitOK || strings.Contains(out, `"license"`) {
		t.Errorf("no --rules-license: exit %d %s", code, out)
	}
}
