package sigmabridge_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// A detector plugin that evaluates no correlations (the faulty test plugin's detonly
// mode, a well-behaved detector of revision 1 that lists no correlation type) gets the
// rules alone: the detector loads and matches, and CorrelationErr is the typed
// Unimplemented failure naming the plugin, which the correlations' samples report.
func TestDetectorWithoutCorrelationsLoadsTheRulesAlone(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, plugin.BinaryPrefix+"detonly")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/sigmabridge/sigmabridge/plugin/internal/testplugins/faulty").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if _, err := host.PinPlugins(dir, nil); err != nil {
		t.Fatal(err)
	}
	m, err := host.New(host.Config{Dir: dir, Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: os.Stderr})})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := &ir.Rule{ID: "r0", Title: "r0", Conditions: []ir.Node{&ir.Exists{Field: "x"}}}
	set := &ir.RuleSet{Rules: []*ir.Rule{r}, Correlations: []*ir.Correlation{{ID: "c0", Title: "c0", Type: ir.EventCount,
		Timespan: time.Minute, Refs: []ir.CorrelationRef{{Name: "r0", Rule: 0, Correlation: -1}}, Condition: ir.Range{HasMin: true, MinIncl: true, Min: 2}}}}
	ctx := context.Background()
	d, err := sigmabridge.NamedPluginDetectorSet(ctx, m, "detonly", set.Rules, set, evaluator.CorrelatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pe, ok := host.AsPluginError(d.CorrelationErr)
	if !ok || pe.Plugin != "detonly" || pe.Failure != host.Unimplemented || d.Correlates() || d.Loaded != 1 {
		t.Fatalf("CorrelationErr %v, correlates %v, %d loaded", d.CorrelationErr, d.Correlates(), d.Loaded)
	}
	got, err := d.Match([][]byte{[]byte(`{"x":"hit"}`), []byte(`{"x":1}`)})
	if err != nil || len(got[0]) != 1 || len(got[1]) != 0 {
		t.Errorf("matching: %v, %v", got, err)
	}
	v := sigmabridge.RunCorrelationSamplesWith(d, nil, sigmabridge.Prepared{}, set, 0, false, evaluator.CorrelatorOptions{})
	if len(v.Failures) != 1 || !strings.Contains(v.Failures[0], "plugin detonly does not implement the call") {
		t.Errorf("the correlation's samples: %v", v.Failures)
	}
}
