package hunt

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// searchedPaths is the unescaped path of every search request c saw.
func searchedPaths(c *fakeCluster) []string {
	var paths []string
	for _, req := range c.seen() {
		method, raw, _ := strings.Cut(req, " ")
		if p, err := url.PathUnescape(raw); err == nil && method == "POST" {
			paths = append(paths, p)
		}
	}
	return paths
}

// The profile's Elastic index patterns are where hunt searches, and the pack's rules that
// cannot run without a profile value are named once, not failed.
func TestHuntUsesProfileIndices(t *testing.T) {
	t.Setenv(profile.EnvVar, "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	srv := newFakeCluster(t, func(w http.ResponseWriter, _ *http.Request, _ string) { answer(w) })
	searched := func() []string { return searchedPaths(srv) }
	dir := t.TempDir()
	rule := filepath.Join(dir, "r.yml")
	os.WriteFile(rule, []byte("title: T\nid: 1f2a9a4e-8d0c-4c1e-9a43-6f0a1c2b3d4e\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: CreateFunction}\n  condition: sel\n"), 0o644)
	prof := filepath.Join(dir, "p.yml")
	os.WriteFile(prof, []byte("logs:\n  - logsource: {product: aws, service: cloudtrail}\n    elastic: {index: [acme-ct-*, acme-ct-archive-*]}\n"), 0o644)

	code, _, stderr := runHunt(t, Options{ES: srv.URL, Profile: prof, Paths: []string{rule}})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	found := false
	for _, p := range searched() {
		if strings.HasPrefix(p, "/acme-ct-*,acme-ct-archive-*/") {
			found = true
		}
	}
	if !found {
		t.Errorf("hunt did not search the profile's indices: %v", searched())
	}

	// The pack with no profile: the two rules that need the AWS accounts are left out, in one line.
	code, _, stderr = runHunt(t, Options{ES: srv.URL, Index: "logs-*"})
	if code != 0 {
		t.Fatalf("pack: exit %d: %s", code, stderr)
	}
	if n := strings.Count(stderr, "inactive under no profile"); n != 1 || !strings.Contains(stderr, "lambda_foreign_layer_attached.yml (needs aws.account_ids)") {
		t.Errorf("pack: stderr %q", stderr)
	}
}
