package hunt

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// fakeCluster answers like an Elasticsearch 8 node with no documents, and records the paths
// searched.
func fakeCluster(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/" {
			io.WriteString(w, `{"name":"n","cluster_name":"c","version":{"number":"8.19.0","build_flavor":"default"},"tagline":"You Know, for Search"}`)
			return
		}
		p, _ := url.PathUnescape(r.URL.EscapedPath())
		mu.Lock()
		paths = append(paths, p)
		mu.Unlock()
		io.WriteString(w, `{"took":1,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},"hits":{"total":{"value":0,"relation":"eq"},"max_score":null,"hits":[]}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), paths...)
	}
}

// The profile's Elastic index patterns are where hunt searches, and the pack's rules that
// cannot run without a profile value are named once, not failed.
func TestHuntUsesProfileIndices(t *testing.T) {
	t.Setenv(profile.EnvVar, "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	srv, searched := fakeCluster(t)
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
