package formats_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/formats"
)

// TestAppInspect builds the Splunk app of the built-in pack as convert -f splunk-app does
// and runs Splunk's splunk-appinspect (PyPI) over the .tgz: no failure and no error is
// allowed; warnings and every other result that is not a success are listed.
func TestAppInspect(t *testing.T) {
	bin := tools(t)
	items := convertPackAll(t, packProfile(t), "splunk", splunkPipelines, true)
	o := options("splunk")
	r, err := formats.Render("splunk-app", items, o)
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := formats.AppTarGz(r.Files, o.App)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pkg := filepath.Join(dir, o.App.ID+".tgz")
	if err := os.WriteFile(pkg, tgz, 0o644); err != nil {
		t.Fatal(err)
	}
	// The default checks, and the Splunk Cloud vetting set.
	for _, tags := range [][]string{nil, {"--included-tags", "cloud"}} {
		t.Run("tags="+strings.Join(tags, " "), func(t *testing.T) { inspect(t, bin, dir, pkg, tags) })
	}
}

func inspect(t *testing.T, bin, dir, pkg string, tags []string) {
	report := filepath.Join(dir, "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "splunk-appinspect"), append([]string{"inspect", pkg, "--data-format", "json", "--output-file", report}, tags...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("splunk-appinspect: %v\n%s", err, out)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Summary map[string]int `json:"summary"`
		Reports []struct {
			Groups []struct {
				Checks []struct {
					Name     string `json:"name"`
					Result   string `json:"result"`
					Messages []struct {
						Message string `json:"message"`
					} `json:"messages"`
				} `json:"checks"`
			} `json:"groups"`
		} `json:"reports"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	checks := 0
	for _, r := range rep.Reports {
		for _, g := range r.Groups {
			for _, c := range g.Checks {
				checks++
				switch c.Result {
				case "success", "not_applicable":
					continue
				case "failure", "error":
					t.Errorf("appinspect %s: %s: %v", c.Result, c.Name, c.Messages)
				default:
					t.Logf("appinspect %s: %s: %v", c.Result, c.Name, c.Messages)
				}
			}
		}
	}
	t.Logf("appinspect summary: %v (%d checks)", rep.Summary, checks)
	if checks < 100 || rep.Summary["success"] < 50 {
		t.Errorf("appinspect ran %d checks, %d successes: the report is not a full inspection", checks, rep.Summary["success"])
	}
	if rep.Summary["failure"] != 0 || rep.Summary["error"] != 0 {
		t.Errorf("appinspect summary %v: want no failure and no error", rep.Summary)
	}
	t.Logf("appinspect warnings: %d", rep.Summary["warning"])
}
