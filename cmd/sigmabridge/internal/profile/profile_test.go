package profile

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	tprofile "github.com/sigmabridge/sigmabridge/translator/profile"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func noUserProfile(t *testing.T) {
	t.Helper()
	t.Setenv(tprofile.EnvVar, "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
}

func runWith(t *testing.T, f func(*Options) (int, error), o Options) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	o.Stdout, o.Stderr = &out, &errb
	code, err := f(&o)
	if err != nil {
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

// Must show 3: profile init writes the commented starter (golden), and it is a valid profile.
func TestInitGolden(t *testing.T) {
	noUserProfile(t)
	code, out, stderr := runWith(t, RunInit, Options{})
	if code != cli.ExitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	golden := filepath.Join("testdata", "init.golden.yml")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if out != string(want) {
		t.Errorf("profile init differs from %s (go test -update rewrites it)", golden)
	}
	if _, err := tprofile.Parse("init output", []byte(out)); err != nil {
		t.Errorf("profile init output is not a valid profile: %v", err)
	}
	// Validated the way a user would.
	file := filepath.Join(t.TempDir(), "profile.yml")
	if code, _, stderr := runWith(t, RunInit, Options{Output: file}); code != cli.ExitOK {
		t.Fatalf("init -o: exit %d: %s", code, stderr)
	}
	if code, out, stderr := runWith(t, RunValidate, Options{Paths: []string{file}}); code != cli.ExitOK || !strings.Contains(out, "valid profile") {
		t.Errorf("validate the starter: exit %d, out %q, stderr %q", code, out, stderr)
	}
}

func TestInitNeverOverwritesSilently(t *testing.T) {
	noUserProfile(t)
	file := filepath.Join(t.TempDir(), "profile.yml")
	if err := os.WriteFile(file, []byte("mail: {accepted_domains: [mine.example]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runWith(t, RunInit, Options{Output: file})
	if code != cli.ExitFailure || !strings.Contains(stderr, "exists") || !strings.Contains(stderr, "--force") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if data, _ := os.ReadFile(file); string(data) != "mail: {accepted_domains: [mine.example]}\n" {
		t.Errorf("the existing profile was changed: %q", data)
	}
	if code, _, _ := runWith(t, RunInit, Options{Output: file, Force: true}); code != cli.ExitOK {
		t.Errorf("--force: exit %d", code)
	}
	if data, _ := os.ReadFile(file); !bytes.Equal(data, tprofile.Starter()) {
		t.Errorf("--force did not write the starter")
	}
}

// Must show 3: profile show lists the inactive rules and the value each lacks.
func TestShowListsInactiveAndWeakenedRules(t *testing.T) {
	noUserProfile(t)
	code, out, stderr := runWith(t, RunShow, Options{Format: "json"})
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep ShowReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range rep.Rules {
		got[e.Status+" "+e.Key+" "+e.Path] = e.Note
		if e.Note == "" {
			t.Errorf("%s %s: no explanation", e.Path, e.Key)
		}
	}
	for _, want := range []string{
		"inactive aws.account_ids rules/aws/lambda_foreign_layer_attached.yml",
		"inactive aws.organization_account_ids rules/aws/lambda_policy_cross_account_invoke.yml",
		"weakened aws.allowed_layer_publishers rules/aws/lambda_foreign_layer_attached.yml",
		"weakened aws.trusted_deployers rules/aws/lambda_function_created_by_human.yml",
		"weakened aws.privileged_roles rules/aws/lambda_privileged_role_attached.yml",
		"weakened mail.accepted_domains rules/m365/flow_mail_to_external_recipient.yml",
		"weakened mail.accepted_domains rules/m365/flow_mail_default_environment_external.yml",
		"weakened mail.accepted_domains rules/m365/logic_app_mail_to_external_recipient.yml",
		"weakened mail.accepted_domains rules/m365/power_automate_forwarding_to_external.yml",
		"weakened mail.accepted_domains rules/m365/mr_power_automate_mail_burst.yml", // its base rule
		"inactive aws.organization_account_ids rules/aws/lambda_invoked_cross_account.yml",
		"inactive aws.organization_account_ids rules/aws/lambda_layer_shared_with_account.yml",
		"inactive placeholders.departing_users rules/m365/power_automate_flow_by_departing_user.yml",
		"inactive placeholders.sensitive_power_platform_environments rules/m365/power_platform_connection_in_sensitive_environment.yml",
		"weakened aws.human_role_patterns rules/aws/lambda_function_code_updated_by_human.yml",
		"weakened aws.automation_principals rules/aws/lambda_layer_added_to_function.yml",
	} {
		if _, ok := got[want]; !ok {
			t.Errorf("show lacks %q", want)
		}
	}
	if len(got) != 26 {
		t.Errorf("want 26 entries, got %d: %v", len(got), got)
	}

	// The table names the same, and the sample profile leaves nothing out.
	code, out, _ = runWith(t, RunShow, Options{Format: "table"})
	if code != cli.ExitOK || !strings.Contains(out, "6 rules inactive, 15 rules weakened") || !strings.Contains(out, "profile: no profile") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	full := filepath.Join("..", "..", "..", "..", "testdata", "rules", "profile.yml")
	code, out, _ = runWith(t, RunShow, Options{Format: "table", Profile: full})
	if code != cli.ExitOK || !strings.Contains(out, "every rule runs with every value it reads") {
		t.Errorf("full profile: exit %d\n%s", code, out)
	}
	// Partial: the accounts make the cross-account rules decidable, the layer rules too; the
	// Power Platform rules still need their lists.
	partial := filepath.Join(t.TempDir(), "p.yml")
	os.WriteFile(partial, []byte("aws:\n  account_ids: ['111122223333']\n"), 0o644)
	_, out, _ = runWith(t, RunShow, Options{Format: "table", Profile: partial})
	if !strings.Contains(out, "2 rules inactive, 15 rules weakened") {
		t.Errorf("partial profile:\n%s", out)
	}
}

// Must show 3: a misspelt key fails with a suggestion, in show and in validate.
func TestMisspeltKey(t *testing.T) {
	noUserProfile(t)
	bad := filepath.Join(t.TempDir(), "org.yml")
	os.WriteFile(bad, []byte("version: 1\ngcp:\n  project_id: [acme-prod]\n"), 0o644)
	want := bad + `:3: unknown key "gcp.project_id"; did you mean "gcp.project_ids"?`
	code, _, stderr := runWith(t, RunValidate, Options{Paths: []string{bad}})
	if code != cli.ExitFailure || !strings.Contains(stderr, want) {
		t.Errorf("validate: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runWith(t, RunShow, Options{Format: "table", Profile: bad})
	if code != cli.ExitUsage || !strings.Contains(stderr, want) {
		t.Errorf("show: exit %d, stderr %q", code, stderr)
	}
	// $SIGMABRIDGE_PROFILE is read too.
	t.Setenv(tprofile.EnvVar, bad)
	code, _, stderr = runWith(t, RunValidate, Options{})
	if code != cli.ExitFailure || !strings.Contains(stderr, want) {
		t.Errorf("validate from the environment: exit %d, stderr %q", code, stderr)
	}
}

func TestValidateWithoutProfile(t *testing.T) {
	noUserProfile(t)
	code, _, stderr := runWith(t, RunValidate, Options{})
	if code != cli.ExitFailure || !strings.Contains(stderr, "no profile") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
