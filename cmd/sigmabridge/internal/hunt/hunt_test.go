package hunt

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// runHunt runs the command in-process and returns its exit code, stdout and stderr.
func runHunt(t *testing.T, o Options) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	o.Stdout, o.Stderr = &stdout, &stderr
	if o.Format == "" {
		o.Format = "table"
	}
	if o.MaxHits == 0 {
		o.MaxHits = 10000
	}
	if o.TimeField == "" {
		o.TimeField = "@timestamp"
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code, err := Run(ctx, &o)
	if err != nil {
		stderr.WriteString(err.Error())
	}
	return code, stdout.String(), stderr.String()
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "--es URL is required"},
		{Options{ES: "http://127.0.0.1:9", Format: "csv"}, `unknown format "csv"`},
		{Options{ES: "http://127.0.0.1:9", APIKey: "k", User: "u"}, "--api-key and --user are exclusive"},
		{Options{ES: "http://127.0.0.1:9", User: "u"}, "--user needs a password: set ELASTIC_PASSWORD, run on a terminal to be asked for it"},
		{Options{ES: "http://127.0.0.1:9", Password: "p"}, "--password needs --user"},
		{Options{ES: "http://127.0.0.1:9", Since: "yesterday"}, `--since "yesterday"`},
		{Options{ES: "http://127.0.0.1:9", Since: "-5h"}, "positive duration"},
		{Options{ES: "http://127.0.0.1:9", Until: "soon"}, "RFC 3339"},
		{Options{ES: "http://127.0.0.1:9", Since: "1h", Until: "2h"}, "is before --since"},
		{Options{ES: "http://127.0.0.1:9", MaxHits: 20000}, "--max-hits 20000"},
		{Options{ES: "http://127.0.0.1:9", Pipelines: []string{"no_such_pipeline.yml"}}, "pipeline no_such_pipeline.yml"},
		{Options{ES: "127.0.0.1:9200"}, "want http://host:port"},
		{Options{ES: "http://127.0.0.1:9", Index: "x/_close#"}, `--index "x/_close#": Elasticsearch names cannot contain '/'`},
		{Options{ES: "http://127.0.0.1:9", Since: "213504d"}, `--since "213504d": longer than the longest duration, 106751d`},
		{Options{ES: "http://127.0.0.1:9", Timeout: -time.Second}, "--timeout -1s: want a positive duration"},
		{Options{ES: "http://127.0.0.1:9", RequestTimeout: -time.Second}, "--request-timeout -1s: want a positive duration"},
		{Options{ES: "http://127.0.0.1:9", MaxResponse: -1}, "--max-response -1: want a positive size"},
	} {
		code, _, stderr := runHunt(t, tc.o)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%+v: exit %d, stderr %q; want 2 and %q", tc.o, code, stderr, tc.want)
		}
	}
}

func TestTimeArguments(t *testing.T) {
	now := time.Date(2025, 5, 14, 12, 0, 0, 0, time.UTC)
	o := Options{ES: "http://127.0.0.1:9", Format: "table", MaxHits: 1, Since: "7d", Until: "2025-05-13", TimeField: "eventTime", Now: func() time.Time { return now }}
	st, err := validate(&o)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(st.timeRange)
	want := `{"range":{"eventTime":{"format":"strict_date_optional_time","gte":"2025-05-07T12:00:00Z","lte":"2025-05-13T23:59:59.999999999Z"}}}`
	if string(body) != want {
		t.Errorf("range %s, want %s", body, want)
	}
	o.Since, o.Until = "", "90m"
	st, _ = validate(&o)
	if body, _ := json.Marshal(st.timeRange); !strings.Contains(string(body), `"lte":"2025-05-14T10:30:00Z"`) || strings.Contains(string(body), "gte") {
		t.Errorf("until 90m ago: %s", body)
	}
	o.Until = ""
	if st, _ := validate(&o); st.timeRange != nil {
		t.Errorf("no window, got a range %v", st.timeRange)
	}
}

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestUnreachableCluster(t *testing.T) {
	url := closedPort(t)
	code, stdout, stderr := runHunt(t, Options{ES: url})
	if code != 1 || stdout != "" || !strings.Contains(stderr, "cannot reach Elasticsearch at "+url) || !strings.Contains(stderr, "connection refused") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestRejectedCredentials uses a local server that answers like a secured Elasticsearch
// (401 with the product header) and records the Authorization header, to pin which
// credentials are sent from flags and from the environment. The live node's own answers to
// wrong credentials are tested in TestHuntErrorPaths.
func TestRejectedCredentials(t *testing.T) {
	var lastAuth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lastAuth.Store(r.Header.Get("Authorization"))
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("WWW-Authenticate", `Basic realm="security" charset="UTF-8"`)
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate user [elastic] for REST request [/]"}],"type":"security_exception","reason":"unable to authenticate user [elastic] for REST request [/]"},"status":401}`)
	}))
	defer srv.Close()
	code, _, stderr := runHunt(t, Options{ES: srv.URL, User: "elastic", Password: "wrong"})
	if code != 1 || !strings.Contains(stderr, "refused the credentials (user elastic; HTTP 401)") || !strings.Contains(stderr, "unable to authenticate user [elastic]") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if got := lastAuth.Load(); got != "Basic ZWxhc3RpYzp3cm9uZw==" {
		t.Errorf("Authorization %q", got)
	}
	// Credentials from the environment: an API key first, else user and password.
	env := map[string]string{"ELASTIC_API_KEY": "a2V5OnNlY3JldA==", "ELASTIC_USERNAME": "ignored"}
	code, _, stderr = runHunt(t, Options{ES: srv.URL, Getenv: func(k string) string { return env[k] }})
	if code != 1 || lastAuth.Load() != "APIKey a2V5OnNlY3JldA==" || !strings.Contains(stderr, "an API key") {
		t.Errorf("env api key: exit %d, auth %q, stderr %q", code, lastAuth.Load(), stderr)
	}
	env = map[string]string{"ELASTIC_USERNAME": "hunter", "ELASTIC_PASSWORD": "pw"}
	runHunt(t, Options{ES: srv.URL, Getenv: func(k string) string { return env[k] }})
	if lastAuth.Load() != "Basic aHVudGVyOnB3" {
		t.Errorf("env user: auth %q", lastAuth.Load())
	}
	// A flag beats the environment.
	runHunt(t, Options{ES: srv.URL, User: "flag", Password: "pw", Getenv: func(k string) string { return map[string]string{"ELASTIC_API_KEY": "x"}[k] }})
	if lastAuth.Load() != "Basic ZmxhZzpwdw==" {
		t.Errorf("flag over env: auth %q", lastAuth.Load())
	}
}
