package esbulk

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/internal/esclient"
)

// fakeES answers like Elasticsearch: the product header on every answer, then the handler.
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

func newTestClient(t *testing.T, cfg esclient.Config) *esclient.Client {
	t.Helper()
	cfg.RetryBackoff = time.Millisecond
	c, err := esclient.New(cfg)
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

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestBulkCollectsItemFailures(t *testing.T) {
	var bulkCalls atomic.Int32
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_bulk" {
			t.Errorf("path %s", r.URL.Path)
		}
		bulkCalls.Add(1)
		body, _ := io.ReadAll(r.Body)
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		var items []string
		for i := 0; i < len(lines); i += 2 {
			if strings.Contains(lines[i+1], "bad") {
				items = append(items, `{"index":{"_index":"i","_id":"x","status":400,"error":{"type":"document_parsing_exception","reason":"[1:8] failed to parse field [n] of type [long]","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"bad\""}}}}`)
			} else {
				items = append(items, `{"index":{"_index":"i","_id":"x","status":201,"result":"created"}}`)
			}
		}
		io.WriteString(w, `{"took":1,"errors":true,"items":[`+strings.Join(items, ",")+`]}`)
	})
	c := newTestClient(t, esclient.Config{URL: srv.URL})
	docs := []Doc{{Index: "i", ID: "1", Source: []byte(`{"n":1}`)}, {Index: "i", ID: "2", Source: []byte(`{"n":"bad"}`)}, {Index: "i", ID: "3", Source: []byte(`{"n":3}`)}}
	res, err := Load(ctx(t), c, docs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Indexed != 2 || len(res.Failures) != 1 {
		t.Fatalf("result %+v", res)
	}
	f := res.Failures[0]
	if f.ID != "2" || f.Index != "i" || f.Status != 400 || f.Type != "document_parsing_exception" || !strings.Contains(f.Reason, `For input string: \"bad\"`) && !strings.Contains(f.Reason, `For input string: "bad"`) {
		t.Errorf("failure %+v", f)
	}
	if e := res.Err(); e == nil || !strings.Contains(e.Error(), "1 of 3 documents were not indexed") || !strings.Contains(e.Error(), "i/2: HTTP 400") {
		t.Errorf("Err() = %v", e)
	}
	if bulkCalls.Load() != 1 {
		t.Errorf("%d bulk requests for 3 small documents, want 1", bulkCalls.Load())
	}
}

func TestBulkWholeRequestErrorIsClassified(t *testing.T) {
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"type":"security_exception","reason":"missing authentication credentials for REST request [/_bulk]"},"status":401}`)
	})
	res, err := Load(ctx(t), newTestClient(t, esclient.Config{URL: srv.URL}), []Doc{{Index: "i", ID: "1", Source: []byte(`{}`)}})
	if !errors.Is(err, esclient.ErrUnauthorized) || !strings.Contains(err.Error(), "missing authentication credentials") || !strings.Contains(err.Error(), "no credentials") {
		t.Fatalf("got %v", err)
	}
	if res.Indexed != 0 || len(res.Failures) != 1 {
		t.Errorf("result %+v", res)
	}
	_, err = Load(ctx(t), newTestClient(t, esclient.Config{URL: closedPort(t), MaxRetries: -1}), []Doc{{Index: "i", ID: "1", Source: []byte(`{}`)}})
	if !errors.Is(err, esclient.ErrUnreachable) || !strings.Contains(err.Error(), "cannot reach Elasticsearch at") {
		t.Fatalf("closed port: %v", err)
	}
}
