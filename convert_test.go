package sigmabridge_test

import (
	"context"
	"path"
	"reflect"
	"strings"
	"testing"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// TestConvertPack: every rule of the pack comes back in input order; with no profile the
// two rules that need a profile value are inactive, not failed, and every other converts.
func TestConvertPack(t *testing.T) {
	rules, _, diags, err := sigmabridge.LoadRules(nil)
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	setup, err := sigmabridge.Setup(nil, profile.Splunk, nil)
	if err != nil {
		t.Fatal(err)
	}
	splunk, _ := backends.Get("splunk")
	res, left, err := sigmabridge.Convert(context.Background(), splunk, setup, rules)
	if err != nil || len(res) != len(rules) {
		t.Fatalf("%d results for %d rules, %v", len(res), len(rules), err)
	}
	var inactive []string
	for i, r := range res {
		switch {
		case r.Rule != rules[i]:
			t.Fatalf("result %d is for %s, not %s", i, r.Rule.Path, rules[i].Path)
		case r.Inactive != nil:
			inactive = append(inactive, strings.TrimSuffix(path.Base(r.Rule.Path), ".yml"))
			if len(left) == 0 || left[0].Rule != r.Rule || !reflect.DeepEqual(left[0].Needs, r.Inactive) {
				t.Errorf("%s: inactive, but not next in the inactive list %v", r.Rule.Path, left)
			} else {
				left = left[1:]
			}
		case r.Failed || len(r.Queries) == 0:
			t.Errorf("%s: %v", r.Rule.Path, r.Diags)
		}
	}
	if got := strings.Join(inactive, " "); got != "lambda_foreign_layer_attached lambda_invoked_cross_account lambda_layer_shared_with_account lambda_policy_cross_account_invoke power_automate_flow_by_departing_user power_platform_connection_in_sensitive_environment" {
		t.Errorf("inactive: %s", got)
	}
	if len(left) > 0 {
		t.Errorf("inactive list holds more rules than the results: %v", left)
	}
}

// TestConvertFailsARuleWithItsDiagnostic: a rule that cannot be prepared or converted
// fails with a diagnostic naming its file, line and code; an unknown pipeline is refused
// before any rule.
func TestConvertFailsARuleWithItsDiagnostic(t *testing.T) {
	if _, err := sigmabridge.Setup(nil, profile.NoTarget, []string{"no_such_pipeline"}); err == nil || !strings.Contains(err.Error(), "no_such_pipeline") {
		t.Errorf("unknown pipeline: %v", err)
	}
	rules, ds := translator.LoadBytes("r.yml", []byte(`title: T
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {f|expand: '%undefined_value%'}
  condition: sel
`))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	setup, err := sigmabridge.Setup(nil, profile.Splunk, nil)
	if err != nil {
		t.Fatal(err)
	}
	splunk, _ := backends.Get("splunk")
	res, _, err := sigmabridge.Convert(context.Background(), splunk, setup, rules)
	if err != nil || len(res) != 1 || !res[0].Failed || len(res[0].Diags.Errors()) == 0 {
		t.Fatalf("%+v, %v", res, err)
	}
	if d := res[0].Diags.Errors()[0]; d.Path != "r.yml" || d.Line != 4 || d.Code != "unresolved-placeholder" {
		t.Errorf("diagnostic %v", d)
	}
}
