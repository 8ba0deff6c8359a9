package rules

import (
	"maps"
	"slices"
	"testing"

	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// Every placeholder of the pack declares what "no value" means, and the profile the samples
// assume gives every one of them a value.
func TestPackPlaceholderPolicy(t *testing.T) {
	files, err := ruleset.DiscoverFS(FS, "rules")
	if err != nil {
		t.Fatal(err)
	}
	rules, ds := ruleset.Load(files)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	sample, err := profile.Load(samplesRoot + "/profile.yml")
	if err != nil {
		t.Fatal(err)
	}
	withValues := &profile.Setup{Profile: sample}
	declared := 0
	for _, r := range rules {
		used := profile.Placeholders(r)
		pols, err := profile.RulePolicies(r)
		if err != nil {
			t.Errorf("%s: %v", r.Path, err)
			continue
		}
		if got := slices.Sorted(maps.Keys(pols)); !slices.Equal(got, used) {
			t.Errorf("%s: placeholders %v, declared %v", r.Path, used, got)
		}
		declared += len(pols)
		for name, p := range pols {
			if p.Note == "" {
				t.Errorf("%s: %s: say in a note what the rule loses without the value", r.Path, name)
			}
		}
		if in, weak, err := withValues.Assess(r); err != nil || len(in)+len(weak) > 0 {
			t.Errorf("%s: the sample profile leaves %v inactive, %v weakened (%v)", r.Path, in, weak, err)
		}
	}
	if declared < 5 {
		t.Errorf("only %d placeholders declared in the pack", declared)
	}
}
