// Package esclienttest connects tests to the Elasticsearch node named by SIGMABRIDGE_ES_URL
// (started by .ci/elasticsearch/start.sh): it skips the test when there is none, or fails it
// when SIGMABRIDGE_REQUIRE_ES=1, and gives each test run index names of its own.
package esclienttest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/internal/esclient"
)

// Environment variables read by this package.
const (
	// EnvURL names the node, e.g. http://127.0.0.1:9200.
	EnvURL = "SIGMABRIDGE_ES_URL"
	// EnvRequire set to 1 turns a missing node into a test failure (.ci/test.sh sets it).
	EnvRequire = "SIGMABRIDGE_REQUIRE_ES"
	// EnvKeep set to 1 keeps the test indexes for inspection.
	EnvKeep = "SIGMABRIDGE_ES_KEEP"
)

// URL returns the node's URL, or skips the test with the reason (fails it when
// SIGMABRIDGE_REQUIRE_ES=1).
func URL(t testing.TB) string {
	t.Helper()
	url := strings.TrimSpace(os.Getenv(EnvURL))
	if url == "" {
		unavailable(t, fmt.Sprintf("%s is unset: no Elasticsearch to test against (start one with `%s=$(bash .ci/elasticsearch/start.sh)`)", EnvURL, EnvURL))
	}
	return url
}

// unavailable skips the test for the reason, or fails it when SIGMABRIDGE_REQUIRE_ES=1 (the
// test command started everything the tests need, so nothing may be missing).
func unavailable(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s (%s=1)", reason, EnvRequire)
	}
	t.Skip(reason)
}

var (
	pingOnce sync.Once
	pingErr  error
	pingInfo esclient.Info
)

// Connect returns a client for the node after checking that it answers; the first call
// logs the node's version and, when start.sh started it from this checkout, its start-up
// time.
func Connect(t testing.TB) *esclient.Client {
	t.Helper()
	url := URL(t)
	c, err := esclient.New(esclient.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	first := false
	pingOnce.Do(func() {
		first = true
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		pingInfo, pingErr = c.Ping(ctx)
	})
	if pingErr != nil {
		t.Fatalf("%s=%s: %v", EnvURL, url, pingErr)
	}
	if first {
		t.Logf("Elasticsearch %s at %s; %s", pingInfo.Version.Number, url, StartupReport(url))
	}
	return c
}

// RunID is unique to this test process: index names carry it, so concurrent test runs
// against one node do not see each other's documents.
var RunID = fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixMilli()%1_000_000)

// Cleanup deletes the named indexes when the test ends (by name: the node refuses
// wildcards in deletions, action.destructive_requires_name), unless
// SIGMABRIDGE_ES_KEEP=1.
func Cleanup(t testing.TB, c *esclient.Client, names ...string) {
	t.Cleanup(func() {
		if os.Getenv(EnvKeep) == "1" {
			t.Logf("keeping indexes %s (%s=1)", strings.Join(names, ","), EnvKeep)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.DeleteIndex(ctx, names...); err != nil {
			t.Errorf("deleting test indexes: %v", err)
		}
	})
}

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// InstallTemplates puts every index template of testdata/elasticsearch/templates, so the
// tests do not depend on start.sh having done it (installing is idempotent).
func InstallTemplates(t testing.TB, c *esclient.Client) {
	t.Helper()
	dir := filepath.Join(RepoRoot(), "testdata", "elasticsearch", "templates")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no index templates in %s (%v)", dir, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PutIndexTemplate(ctx, strings.TrimSuffix(filepath.Base(f), ".json"), body); err != nil {
			t.Fatalf("template %s: %v", f, err)
		}
	}
}

var readyLine = regexp.MustCompile(`ready at (\S+) after ([0-9.]+ s) of node start`)

// StartupReport describes how long the node took to start, from the log start.sh keeps in
// .ci/elasticsearch/run, when that log belongs to the node at url.
func StartupReport(url string) string {
	run := filepath.Join(RepoRoot(), ".ci", "elasticsearch", "run")
	f, err := os.Open(filepath.Join(run, "es.log"))
	if err != nil {
		return "start-up time unknown (the node was not started by .ci/elasticsearch/start.sh from this checkout)"
	}
	defer f.Close()
	var first, ready string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if first == "" && len(line) > 30 && line[4] == '-' {
			first = line[:30]
		}
		if m := readyLine.FindStringSubmatch(line); m != nil && strings.TrimSuffix(m[1], "/") == strings.TrimSuffix(url, "/") {
			ready = m[2]
		}
	}
	if ready == "" {
		return "start-up time unknown (.ci/elasticsearch/run/es.log is from another node)"
	}
	msg := "node start-up " + ready + " (JVM start to green, .ci/elasticsearch/run/es.log)"
	if t0, err := time.Parse(time.RFC3339Nano, strings.Fields(first)[0]); err == nil {
		msg += fmt.Sprintf(", running since %s", t0.Format(time.RFC3339))
	}
	return msg + "; start.sh prints the total including the JVM launch"
}

// EnvUsers names a file of the node's file-realm users, lines name:password:role (start.sh
// writes .ci/elasticsearch/run/users, with fresh passwords at every start).
const EnvUsers = "SIGMABRIDGE_ES_USERS"

// User returns a user name and password the node accepts, from the file named by
// SIGMABRIDGE_ES_USERS or, when that is unset and start.sh of this checkout started the node,
// from .ci/elasticsearch/run/users. Without one the test skips (fails when
// SIGMABRIDGE_REQUIRE_ES=1): the node then may not check credentials at all.
func User(t testing.TB) (name, password string) {
	t.Helper()
	url := URL(t)
	path := strings.TrimSpace(os.Getenv(EnvUsers))
	if path == "" {
		run := filepath.Join(RepoRoot(), ".ci", "elasticsearch", "run")
		if started, err := os.ReadFile(filepath.Join(run, "url")); err == nil && strings.TrimSuffix(strings.TrimSpace(string(started)), "/") == strings.TrimSuffix(url, "/") {
			path = filepath.Join(run, "users")
		}
	}
	missing := func(why string) { unavailable(t, "no user to test credentials with: "+why) }
	if path == "" {
		missing(EnvUsers + " is unset and the node at " + url + " was not started by this checkout's start.sh")
	}
	users, err := ReadUsers(path)
	if err != nil {
		missing(err.Error())
	}
	return users[0].Name, users[0].Password
}

// NodeUser is one file-realm user of a node started by .ci/elasticsearch/start.sh.
type NodeUser struct{ Name, Password, Role string }

// ReadUsers reads a users file of start.sh (lines name:password:role), in its order; a file
// without a user is an error.
func ReadUsers(path string) ([]NodeUser, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var users []NodeUser
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) == 3 && parts[0] != "" && parts[1] != "" && !strings.HasPrefix(parts[0], "#") {
			users = append(users, NodeUser{parts[0], parts[1], parts[2]})
		}
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s has no line name:password:role", path)
	}
	return users, nil
}
