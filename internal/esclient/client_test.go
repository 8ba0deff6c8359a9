package esclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeES answers like Elasticsearch: the product header on every answer, and the handler's
// status and body.
func fakeES(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = time.Millisecond
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestUnreachable(t *testing.T) {
	url := closedPort(t)
	c := newTestClient(t, Config{URL: url, MaxRetries: 2})
	start := time.Now()
	_, err := c.Ping(ctx(t))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v, want ErrUnreachable", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "cannot reach Elasticsearch at "+url+": ") || !strings.Contains(msg, "connection refused") {
		t.Errorf("message %q does not name the URL and the refusal", msg)
	}
	if strings.Contains(msg, `Get "`) {
		t.Errorf("message %q repeats the URL wrapper", msg)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v for two quick retries", d)
	}
}

func TestUnauthorized(t *testing.T) {
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if ok && user == "elastic" && pass == "right" {
			io.WriteString(w, `{"cluster_name":"c","version":{"number":"8.19.21"}}`)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="security"`)
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate user [elastic] for REST request [/]"}],"type":"security_exception","reason":"unable to authenticate user [elastic] for REST request [/]"},"status":401}`)
	})
	c := newTestClient(t, Config{URL: srv.URL, Username: "elastic", Password: "wrong"})
	_, err := c.Ping(ctx(t))
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
	for _, want := range []string{srv.URL, "user elastic", "401", "security_exception", "unable to authenticate user [elastic]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	good := newTestClient(t, Config{URL: srv.URL, Username: "elastic", Password: "right"})
	info, err := good.Ping(ctx(t))
	if err != nil || info.Version.Number != "8.19.21" {
		t.Fatalf("right password: %+v %v", info, err)
	}
	// An API key is sent as such and named in the message.
	var gotAuth atomic.Value
	srv2 := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"type":"security_exception","reason":"unable to authenticate with provided credentials and anonymous access is not allowed for this request","additional_unsuccessful_credentials":"API key: apikey authentication for id key encountered a failure"},"status":401}`)
	})
	_, err = newTestClient(t, Config{URL: srv2.URL, APIKey: "a2V5OnNlY3JldA=="}).Ping(ctx(t))
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "an API key") || !strings.Contains(err.Error(), "(API key: apikey authentication for id key encountered a failure)") {
		t.Errorf("api key: %v", err)
	}
	if gotAuth.Load() != "APIKey a2V5OnNlY3JldA==" {
		t.Errorf("Authorization header %q", gotAuth.Load())
	}
}

func TestIndexNotFound(t *testing.T) {
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/logs-aws.cloudtrail-*/_search" || r.URL.Query().Get("allow_no_indices") != "false" {
			t.Errorf("request %s %s", r.Method, r.URL)
		}
		w.WriteHeader(404)
		io.WriteString(w, `{"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [logs-aws.cloudtrail-*]","resource.type":"index_or_alias","resource.id":"logs-aws.cloudtrail-*","index_uuid":"_na_","index":"logs-aws.cloudtrail-*"}],"type":"index_not_found_exception","reason":"no such index [logs-aws.cloudtrail-*]","resource.type":"index_or_alias","resource.id":"logs-aws.cloudtrail-*","index_uuid":"_na_","index":"logs-aws.cloudtrail-*"},"status":404}`)
	})
	c := newTestClient(t, Config{URL: srv.URL})
	_, err := c.Search(ctx(t), "logs-aws.cloudtrail-*", []byte(`{"query":{"match_all":{}}}`), 10)
	var e *Error
	if !errors.Is(err, ErrIndexNotFound) || !errors.As(err, &e) || e.Index != "logs-aws.cloudtrail-*" {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), `index "logs-aws.cloudtrail-*" does not exist`) {
		t.Errorf("message %q", err)
	}
}

func TestRejectedQueryNamesTheRootCause(t *testing.T) {
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		io.WriteString(w, `{"error":{"root_cause":[{"type":"query_shard_exception","reason":"Failed to parse query [a:(]","index":"x"}],"type":"search_phase_execution_exception","reason":"all shards failed","phase":"query","grouped":true,"failed_shards":[{"shard":0,"index":"x","node":"n","reason":{"type":"query_shard_exception","reason":"Failed to parse query [a:(]","index":"x","caused_by":{"type":"parse_exception","reason":"Cannot parse 'a:(': Encountered \"<EOF>\""}}}]},"status":400}`)
	})
	c := newTestClient(t, Config{URL: srv.URL})
	_, err := c.QueryString(ctx(t), "x", "a:(", 10)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{"HTTP 400", "query_shard_exception", "Failed to parse query [a:(]", "parse_exception", "Cannot parse 'a:('"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

func TestNoEndpoint(t *testing.T) {
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"no handler found for uri [/x/_eql/search] and method [POST]"}`)
	})
	_, err := newTestClient(t, Config{URL: srv.URL}).EQL(ctx(t), "x", "any where true", 10)
	if !errors.Is(err, ErrNoEndpoint) || errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "no handler found") {
		t.Fatalf("got %v", err)
	}
}

func TestRetriesTransientStatuses(t *testing.T) {
	for _, status := range []int{429, 500, 502, 503, 504} {
		var calls atomic.Int32
		srv := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) < 3 {
				w.WriteHeader(status)
				io.WriteString(w, `{"error":{"type":"es_rejected_execution_exception","reason":"busy"},"status":429}`)
				return
			}
			io.WriteString(w, `{"hits":{"total":{"value":1},"hits":[{"_index":"i","_id":"1","_source":{"a":1}}]}}`)
		})
		res, err := newTestClient(t, Config{URL: srv.URL}).Search(ctx(t), "i", []byte(`{}`), 10)
		if err != nil || len(res.Hits) != 1 || res.Hits[0].ID != "1" || string(res.Hits[0].Source) != `{"a":1}` {
			t.Errorf("status %d: %+v %v", status, res, err)
		}
		if calls.Load() != 3 {
			t.Errorf("status %d: %d calls, want 3", status, calls.Load())
		}
	}
	// Past the retries, the last answer is the error; a 400 is never retried.
	var calls atomic.Int32
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(503)
		io.WriteString(w, `{"error":{"type":"cluster_block_exception","reason":"blocked by: [SERVICE_UNAVAILABLE/1/state not recovered]"},"status":503}`)
	})
	_, err := newTestClient(t, Config{URL: srv.URL, MaxRetries: 2}).Ping(ctx(t))
	if !errors.Is(err, ErrServer) || !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), "state not recovered") || calls.Load() != 3 {
		t.Errorf("503: %v after %d calls", err, calls.Load())
	}
	calls.Store(0)
	srv400 := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(400)
		io.WriteString(w, `{"error":{"type":"parsing_exception","reason":"unknown query [nope]"},"status":400}`)
	})
	_, err = newTestClient(t, Config{URL: srv400.URL}).Search(ctx(t), "i", []byte(`{"query":{"nope":{}}}`), 1)
	if !errors.Is(err, ErrRejected) || calls.Load() != 1 {
		t.Errorf("400: %v after %d calls", err, calls.Load())
	}
}

func TestTimeout(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := newTestClient(t, Config{URL: srv.URL, ResponseTimeout: 100 * time.Millisecond, MaxRetries: 1})
	_, err := c.Ping(ctx(t))
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "did not answer in time") {
		t.Fatalf("got %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d attempts, want 2 (one retry after the timeout)", calls.Load())
	}
	// The caller's deadline ends the retries.
	short, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	c2 := newTestClient(t, Config{URL: srv.URL, MaxRetries: 5})
	start := time.Now()
	if _, err := c2.Ping(short); !errors.Is(err, ErrTimeout) || time.Since(start) > 3*time.Second {
		t.Errorf("context deadline: %v after %v", err, time.Since(start))
	}
}

func TestNotElasticsearch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"name":"opensearch","version":{"distribution":"opensearch","number":"2.11.0"}}`)
	}))
	defer srv.Close()
	_, err := newTestClient(t, Config{URL: srv.URL}).Ping(ctx(t))
	if !errors.Is(err, ErrNotElasticsearch) || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("got %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "localhost:9200"}, "want http://host:port"},
		{Config{URL: "ftp://h:1"}, "want http://host:port"},
		{Config{URL: "http://u:p@h:1"}, "not in the URL"},
		{Config{URL: "https://h:1", CACertFile: filepath.Join(dir, "missing.pem")}, "no such file"},
		{Config{URL: "https://h:1", CACertFile: notPEM}, "no PEM certificate"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		io.WriteString(w, `{"cluster_name":"tls","version":{"number":"8.19.21"}}`)
	}))
	defer srv.Close()
	// Unknown CA: a TLS failure is an unreachable cluster, and the message says why.
	_, err := newTestClient(t, Config{URL: srv.URL, MaxRetries: -1}).Ping(ctx(t))
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unknown CA: %v", err)
	}
	// --insecure and --ca-cert both work.
	if info, err := newTestClient(t, Config{URL: srv.URL, Insecure: true}).Ping(ctx(t)); err != nil || info.ClusterName != "tls" {
		t.Errorf("insecure: %+v %v", info, err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	writeCertPEM(t, srv, caFile)
	if info, err := newTestClient(t, Config{URL: srv.URL, CACertFile: caFile}).Ping(ctx(t)); err != nil || info.ClusterName != "tls" {
		t.Errorf("ca cert: %+v %v", info, err)
	}
}
