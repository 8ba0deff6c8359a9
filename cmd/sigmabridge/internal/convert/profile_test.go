package convert

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

func noUserProfile(t *testing.T) {
	t.Helper()
	t.Setenv(profile.EnvVar, "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
}

var targets = []string{"splunk", "lucene", "dsl", "esql", "eql"}

// Must show 2 (convert): with no profile, convert of the pack exits 0 for every target; every
// rule either gives a query or is named once, in one line, with the value it needs.
func TestConvertPackWithoutProfile(t *testing.T) {
	noUserProfile(t)
	files, err := ruleset.DiscoverFS(rules.FS, sigmabridge.BuiltinPrefix)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := ruleset.LoadSet(files)
	base := set.Base() // not converted alone: their correlations are
	var all []*ir.Rule
	for i, r := range set.Rules {
		if !base[i] {
			all = append(all, r)
		}
	}
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			// Correlations a target cannot express are refused by name and skipped.
			code, out, stderr := run(t, Options{Target: target, Format: "jsonl", SkipUnsupported: true})
			if code != cli.ExitOK {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			var summary string
			for _, l := range lines {
				if strings.Contains(l, "inactive under no profile") {
					if summary != "" {
						t.Errorf("the inactive rules are named in more than one line:\n%s", stderr)
					}
					summary = l
				} else if !strings.Contains(l, "warning: ") && !strings.Contains(l, ": unsupported-correlation: ") && !strings.HasPrefix(l, "sigmabridge: "+target+": ") {
					t.Errorf("unexpected stderr line: %s", l)
				}
			}
			converted := map[string]bool{}
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				var jl jsonLine
				if err := json.Unmarshal([]byte(l), &jl); err != nil {
					t.Fatalf("bad jsonl %q: %v", l, err)
				}
				if jl.Error != nil && jl.Error.Code != diag.UnsupportedCorrelation {
					t.Errorf("%s failed: %+v", jl.Path, jl.Error)
				}
				converted[jl.Path] = true
			}
			listed := 0
			for _, r := range all {
				inSummary := strings.Count(summary, r.Path+" (needs ")
				switch {
				case converted[r.Path] && inSummary == 0:
				case !converted[r.Path] && inSummary == 1:
					listed++
				default:
					t.Errorf("%s: converted %v, named %d times in %q", r.Path, converted[r.Path], inSummary, summary)
				}
			}
			wantInactive := []string{
				"lambda_foreign_layer_attached.yml (needs aws.account_ids)",
				"lambda_policy_cross_account_invoke.yml (needs aws.organization_account_ids)",
				"lambda_layer_shared_with_account.yml (needs aws.organization_account_ids)",
				"lambda_invoked_cross_account.yml (needs aws.organization_account_ids)",
				"power_automate_flow_by_departing_user.yml (needs placeholders.departing_users)",
				"power_platform_connection_in_sensitive_environment.yml (needs placeholders.sensitive_power_platform_environments)",
			}
			for _, w := range wantInactive {
				if !strings.Contains(summary, w) {
					t.Errorf("summary lacks %q: %s", w, summary)
				}
			}
			if listed != len(wantInactive) {
				t.Errorf("want the %d rules that cannot decide without the organisation's accounts or lists, got %d: %s", len(wantInactive), listed, summary)
			}
		})
	}
}

// With the profile the pack's samples assume, nothing is left out and no line is printed.
func TestConvertPackWithFullProfile(t *testing.T) {
	noUserProfile(t)
	prof := filepath.Join("..", "..", "..", "..", "testdata", "rules", "profile.yml")
	for _, target := range targets {
		code, _, stderr := run(t, Options{Target: target, Profile: prof, SkipUnsupported: true})
		if code != cli.ExitOK || strings.Contains(stderr, "inactive") {
			t.Errorf("%s: exit %d, stderr %s", target, code, stderr)
		}
	}
}

// The profile's log locations reach the query through the pipeline state the targets read, and
// win over a pipeline's own index.
func TestConvertProfileSetsIndices(t *testing.T) {
	noUserProfile(t)
	dir := t.TempDir()
	rule := write(t, dir, "r.yml", goodRule)
	prof := write(t, dir, "p.yml", `logs:
  - logsource: {product: aws, service: cloudtrail}
    splunk: {index: aws_prod, sourcetype: 'aws:cloudtrail'}
    elastic: {index: [acme-cloudtrail-*, acme-archive-*]}
`)
	code, out, stderr := run(t, Options{Target: "splunk", Profile: prof, Paths: []string{rule}})
	if code != cli.ExitOK || !strings.HasPrefix(out, `index="aws_prod" AND sourcetype="aws:cloudtrail" AND eventName="CreateFunction"`) {
		t.Errorf("splunk: exit %d, out %q, stderr %s", code, out, stderr)
	}
	code, out, stderr = run(t, Options{Target: "esql", Profile: prof, Pipelines: []string{"ecs_t1648"}, Paths: []string{rule}})
	if code != cli.ExitOK || !strings.HasPrefix(out, "FROM acme-cloudtrail-*, acme-archive-*") {
		t.Errorf("esql: exit %d, out %q, stderr %s", code, out, stderr)
	}
	if _, err := backends.Get("esql"); err != nil {
		t.Fatal(err)
	}
}

func TestConvertMisspeltProfileKey(t *testing.T) {
	noUserProfile(t)
	dir := t.TempDir()
	prof := write(t, dir, "p.yml", "aws:\n  acount_ids: ['111122223333']\n")
	code, _, stderr := run(t, Options{Target: "splunk", Profile: prof})
	if code != cli.ExitUsage || !strings.Contains(stderr, prof+`:2: unknown key "aws.acount_ids"; did you mean "aws.account_ids"?`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// Rules from other sources keep pySigma's behaviour: an unresolved placeholder fails the rule
// unless a pipeline (or the profile) resolves it.
func TestConvertForeignPlaceholder(t *testing.T) {
	noUserProfile(t)
	dir := t.TempDir()
	rule := write(t, dir, "r.yml", "title: T\nid: 8f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {userIdentity.arn|expand: '%admins%'}\n  condition: sel\n")
	code, _, stderr := run(t, Options{Target: "splunk", Paths: []string{rule}})
	if code != cli.ExitFailure || !strings.Contains(stderr, "unresolved-placeholder") {
		t.Errorf("no value: exit %d, stderr %q", code, stderr)
	}
	prof := write(t, dir, "p.yml", "placeholders:\n  admins: ['arn:aws:iam::111122223333:user/root-ops']\n")
	code, out, stderr := run(t, Options{Target: "splunk", Profile: prof, Paths: []string{rule}})
	if code != cli.ExitOK || !strings.Contains(out, `userIdentity.arn="arn:aws:iam::111122223333:user/root-ops"`) {
		t.Errorf("profile value: exit %d, out %q, stderr %q", code, out, stderr)
	}
}
