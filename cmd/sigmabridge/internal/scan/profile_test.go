package scan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// noUserProfile keeps the developer's own profile out of a test.
func noUserProfile(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(profile.EnvVar, "")
	t.Setenv("XDG_CONFIG_HOME", dir)
}

// The pack's mail rules, by id.
const (
	flowExternal       = "ec913899-e26c-4259-ae7f-fa347c45d829" // flow_mail_to_external_recipient
	flowDefaultEnv     = "2a449c0e-62c7-487d-b293-29e6c2882fa2" // flow_mail_default_environment_external
	logicAppExternal   = "e80fc4b9-9abd-4b4b-9981-3522b29ffd3e" // logic_app_mail_to_external_recipient
	flowForwardExt     = "1831f61e-fae2-433d-8e49-5bb8dbb6422e" // power_automate_forwarding_to_external
	mailDir            = "testdata/mail"
	organisationDomain = "fabrikam.example"
)

// wantMail is what each message must fire: every pack mail rule fires on at least one, and the
// message whose recipients are all internal fires nothing.
var wantMail = map[string][]string{
	"flow_forward_external.eml":            {flowExternal, flowForwardExt},
	"flow_forward_internal.eml":            nil,
	"flow_send_external_dedicated_env.eml": {flowExternal},
	"flow_send_external_default_env.eml":   {flowDefaultEnv, flowExternal},
	"logic_app_send_external.eml":          {logicAppExternal},
}

// graphOrder is the order of the messages in graph_messages.json (the same messages).
var graphOrder = []string{"flow_forward_external.eml", "flow_forward_internal.eml", "flow_send_external_dedicated_env.eml", "flow_send_external_default_env.eml", "logic_app_send_external.eml"}

// matchesBy groups jsonl matches by file (eml) or by the message the record index names (graph).
func matchesBy(t *testing.T, out string, graph bool) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m jsonMatch
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad output line %q: %v", line, err)
		}
		key := filepath.Base(m.File)
		if graph {
			if m.Line < 1 || m.Line > len(graphOrder) {
				t.Fatalf("graph record index %d out of range", m.Line)
			}
			key = graphOrder[m.Line-1]
		}
		got[key] = append(got[key], m.RuleID)
	}
	for k := range got {
		sort.Strings(got[k])
	}
	return got
}

func wantFired() map[string][]string {
	out := map[string][]string{}
	for k, v := range wantMail {
		if len(v) > 0 {
			s := append([]string(nil), v...)
			sort.Strings(s)
			out[k] = s
		}
	}
	return out
}

func emlFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(mailDir, "*.eml"))
	if err != nil || len(files) != len(wantMail) {
		t.Fatalf("eml fixtures: %v %v", files, err)
	}
	return files
}

// Must show 1: with --accepted-domain, or a profile, naming the sender's domain, each pack
// mail rule fires from scan --input eml and --input graph-headers on real-shaped messages.
func TestPackMailRulesFireWithAcceptedDomains(t *testing.T) {
	noUserProfile(t)
	prof := filepath.Join(t.TempDir(), "profile.yml")
	if err := os.WriteFile(prof, []byte("mail:\n  accepted_domains: ["+organisationDomain+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ways := map[string]func(*Options){
		"flag":    func(o *Options) { o.AcceptedDomains = []string{organisationDomain} },
		"profile": func(o *Options) { o.Profile = prof },
	}
	modes(t, func(t *testing.T, base Options) {
		for name, set := range ways {
			t.Run(name, func(t *testing.T) {
				o := base
				set(&o)
				o.Input, o.Files = "eml", emlFiles(t)
				code, out, stderr := runScan(t, o)
				if code != cli.ExitOK {
					t.Fatalf("eml: exit %d: %s", code, stderr)
				}
				if got := matchesBy(t, out, false); !reflect.DeepEqual(got, wantFired()) {
					t.Errorf("eml matches\n got %v\nwant %v", got, wantFired())
				}

				o = base
				set(&o)
				o.Input, o.Files = "graph-headers", []string{filepath.Join(mailDir, "graph_messages.json")}
				code, out, stderr = runScan(t, o)
				if code != cli.ExitOK {
					t.Fatalf("graph: exit %d: %s", code, stderr)
				}
				if got := matchesBy(t, out, true); !reflect.DeepEqual(got, wantFired()) {
					t.Errorf("graph matches\n got %v\nwant %v", got, wantFired())
				}
			})
		}
		// Without the domains nothing can be known about direction: nothing fires, and scan says why.
		o := base
		o.Input, o.Files = "eml", emlFiles(t)
		code, out, stderr := runScan(t, o)
		if code != cli.ExitOK || strings.TrimSpace(out) != "" {
			t.Errorf("no domains: exit %d, matches %q", code, out)
		}
		if strings.Count(stderr, "no accepted mail domains") != 1 {
			t.Errorf("no domains: want one warning, stderr %q", stderr)
		}
		// A domain that is not the sender's: every message is inbound, nothing fires.
		o = base
		o.Input, o.Files, o.AcceptedDomains = "eml", emlFiles(t), []string{"contoso.example"}
		if _, out, _ := runScan(t, o); strings.TrimSpace(out) != "" {
			t.Errorf("other domain: matches %q", out)
		}
	})
}

func TestAcceptedDomainFlagIsChecked(t *testing.T) {
	noUserProfile(t)
	code, _, _ := runScan(t, Options{InProcess: true, AcceptedDomains: []string{"not a domain"}})
	if code != cli.ExitUsage {
		t.Errorf("exit %d, want 2", code)
	}
}

// Must show 2 (scan): with no profile, scan of the pack prints no per-rule warning, only one
// line naming the inactive rules, once per run whatever the number of files.
func TestScanPackWithoutProfileWarnsOnce(t *testing.T) {
	noUserProfile(t)
	dir := t.TempDir()
	var files []string
	for i := 0; i < 3; i++ {
		f := filepath.Join(dir, "f"+string(rune('a'+i))+".jsonl")
		if err := os.WriteFile(f, []byte(`{"eventSource":"lambda.amazonaws.com","eventName":"Invoke"}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	modes(t, func(t *testing.T, base Options) {
		o := base
		o.Files = files
		code, _, stderr := runScan(t, o)
		if code != cli.ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "sigmabridge: 6 rules inactive under no profile") {
			t.Fatalf("want exactly one summary line, got %q", stderr)
		}
		for _, want := range []string{"lambda_foreign_layer_attached.yml (needs aws.account_ids)", "lambda_policy_cross_account_invoke.yml (needs aws.organization_account_ids)"} {
			if !strings.Contains(lines[0], want) {
				t.Errorf("summary lacks %q: %s", want, lines[0])
			}
		}
		// With the values, nothing is inactive and nothing is said.
		o.Profile = filepath.Join("..", "..", "..", "..", "testdata", "rules", "profile.yml")
		if _, _, stderr := runScan(t, o); strings.TrimSpace(stderr) != "" {
			t.Errorf("with a full profile stderr should be empty, got %q", stderr)
		}
	})
}

func TestScanBadProfileIsUsageError(t *testing.T) {
	noUserProfile(t)
	bad := filepath.Join(t.TempDir(), "p.yml")
	if err := os.WriteFile(bad, []byte("mail:\n  accepted_domain: [x.example]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, _ := runScan(t, Options{InProcess: true, Profile: bad})
	if code != cli.ExitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	t.Setenv(profile.EnvVar, bad)
	code, _, _ = runScan(t, Options{InProcess: true})
	if code != cli.ExitUsage {
		t.Errorf("from the environment: exit %d, want 2", code)
	}
}
