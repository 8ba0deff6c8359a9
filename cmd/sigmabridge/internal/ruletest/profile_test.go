package ruletest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// The pack's samples run under the profile they declare, and the output says so; a user's
// profile with other values neither breaks them nor is used for them, and that is said too.
func TestPackSamplesDeclareTheirProfile(t *testing.T) {
	t.Setenv(profile.EnvVar, "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	mine := filepath.Join(t.TempDir(), "mine.yml")
	if err := os.WriteFile(mine, []byte("aws:\n  account_ids: ['111122223333']\n  trusted_deployers: ['arn:aws:iam::111122223333:role/ci']\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		profile string
		want    []string
	}{
		{"", []string{"samples ran under testdata/rules/profile.yml, the profile the pack's samples assume"}},
		{mine, []string{"samples ran under testdata/rules/profile.yml", "your profile " + mine + " is for your rules and logs"}},
	} {
		code, out, stderr := runTest(t, Options{InProcess: true, Profile: tc.profile})
		var rep Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if code != cli.ExitOK || rep.Failed != 0 || rep.Inactive != 0 {
			t.Errorf("profile %q: exit %d, %d failed, %d inactive: %s", tc.profile, code, rep.Failed, rep.Inactive, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(rep.Profile, w) {
				t.Errorf("profile %q: report says %q, want %q", tc.profile, rep.Profile, w)
			}
		}
	}
	// The table ends with the same statement.
	_, out, _ := runTest(t, Options{InProcess: true, Format: "table"})
	if !strings.Contains(out, "0 failed (samples ran under testdata/rules/profile.yml") {
		t.Errorf("table: %s", out[max(0, len(out)-300):])
	}
}

// Other rules run under the user's profile: an inactive rule is named, not failed.
func TestOwnRulesUnderUserProfile(t *testing.T) {
	t.Setenv(profile.EnvVar, "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := t.TempDir()
	rule := filepath.Join(dir, "r.yml")
	os.WriteFile(rule, []byte(`title: Mine
id: 9f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {recipientAccountId|expand: '%own_account_ids%'}
  condition: sel
placeholders:
  own_account_ids: {without_value: inactive}
`), 0o644)
	code, out, _ := runTest(t, Options{InProcess: true, Paths: []string{rule}})
	var rep Report
	json.Unmarshal([]byte(out), &rep)
	if code != cli.ExitOK || rep.Inactive != 1 || rep.Profile != "samples ran under no profile" || len(rep.Rules) != 1 || rep.Rules[0].Inactive[0] != "aws.account_ids" {
		t.Errorf("exit %d, report %+v", code, rep)
	}
}
