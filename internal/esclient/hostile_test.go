package esclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/bench/growthtest"
)

// recorder is a fake Elasticsearch that records the raw request target of every request.
type recorder struct {
	mu      sync.Mutex
	targets []string
}

func (rec *recorder) seen() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.targets...)
}

func newRecorder(t *testing.T) (*recorder, string) {
	rec := &recorder{}
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.targets = append(rec.targets, r.Method+" "+strings.SplitN(r.RequestURI, "?", 2)[0])
		rec.mu.Unlock()
		io.WriteString(w, `{"hits":{"total":{"value":0},"hits":[]},"fields":{}}`)
	})
	return rec, srv.URL
}

// TestHostileIndexNames: a name that is not a valid Elasticsearch name never reaches a request
// path, whichever method gets it, and valid names that need escaping arrive as one segment.
func TestHostileIndexNames(t *testing.T) {
	rec, url := newRecorder(t)
	c := newTestClient(t, Config{URL: url})
	hostile := []string{
		"x/_close#", "x/_close", "../_close", "..", ".", "x?pretty", "x#frag", `x\y`, `x"`, "a b",
		"x|y", "<logs-{now/d}>", "_close", "-x", "+x", "", "a,,b", "a,", ":x", "x:",
		"x\x1b[31m", "x\u202e", "x\xff", strings.Repeat("a", 256), "logs-*,_cat",
	}
	calls := map[string]func(string) error{
		"Search":              func(n string) error { _, err := c.Search(ctx(t), n, []byte(`{}`), 1); return err },
		"QueryString":         func(n string) error { _, err := c.QueryString(ctx(t), n, "a:b", 1); return err },
		"EQL":                 func(n string) error { _, err := c.EQL(ctx(t), n, "any where true", 1); return err },
		"FieldTypes":          func(n string) error { _, err := c.FieldTypes(ctx(t), n, "f"); return err },
		"CreateIndex":         func(n string) error { return c.CreateIndex(ctx(t), n, nil) },
		"DeleteIndex":         func(n string) error { return c.DeleteIndex(ctx(t), "ok", n) },
		"Refresh":             func(n string) error { return c.Refresh(ctx(t), n) },
		"PutMapping":          func(n string) error { return c.PutMapping(ctx(t), n, []byte(`{}`)) },
		"PutIndexTemplate":    func(n string) error { return c.PutIndexTemplate(ctx(t), n, []byte(`{}`)) },
		"DeleteIndexTemplate": func(n string) error { return c.DeleteIndexTemplate(ctx(t), n) },
	}
	for name, call := range calls {
		for _, n := range hostile {
			err := call(n)
			var e *Error
			if !errors.Is(err, ErrInvalidIndex) || !errors.As(err, &e) || !strings.Contains(err.Error(), "no request was sent") {
				t.Errorf("%s(%q): %v, want ErrInvalidIndex", name, n, err)
			}
		}
	}
	if got := rec.seen(); len(got) != 0 {
		t.Fatalf("hostile names sent requests: %q", got)
	}
	if err := CheckIndexPattern("x/_close#"); err == nil || !strings.Contains(err.Error(), `'/'`) {
		t.Errorf("the message names the character: %v", err)
	}

	// Valid names and patterns, escaped where a URL needs it: each stays one path segment.
	for _, tc := range []struct{ index, target string }{
		{"logs-aws.cloudtrail-*", "POST /logs-aws.cloudtrail-*/_search"},
		{"logs-*,-logs-secret", "POST /logs-*,-logs-secret/_search"},
		{"remote:logs-*", "POST /remote:logs-*/_search"},
		{"_all", "POST /_all/_search"},
		{"a%2Fb", "POST /a%252Fb/_search"}, // '%' is legal in a name: sent as a literal percent
		{"é", "POST /%C3%A9/_search"},
	} {
		before := len(rec.seen())
		if _, err := c.Search(ctx(t), tc.index, []byte(`{}`), 1); err != nil {
			t.Errorf("Search(%q): %v", tc.index, err)
			continue
		}
		if got := rec.seen()[before:]; len(got) != 1 || got[0] != tc.target {
			t.Errorf("Search(%q) sent %q, want %q", tc.index, got, tc.target)
		}
	}
	// Behind a path prefix (a proxy at /es) the escaping survives the transport's join.
	pc := newTestClient(t, Config{URL: url + "/es"})
	before := len(rec.seen())
	if _, err := pc.Search(ctx(t), "a%b", []byte(`{}`), 1); err != nil {
		t.Fatal(err)
	}
	if got := rec.seen()[before:]; len(got) != 1 || got[0] != "POST /es/a%25b/_search" {
		t.Errorf("behind a prefix: sent %q", got)
	}
}

// trickle answers 200 with the product header, then one byte per tick until the client
// hangs up: a body that never ends.
func trickle(tick time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.WriteHeader(200)
		io.WriteString(w, `{"hits":{"hits":[`)
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(tick):
			}
			if _, err := io.WriteString(w, " "); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}
}

// TestHostileTricklingAnswer: the request timeout covers the reading of the body, and the
// caller's own deadline keeps its cause.
func TestHostileTricklingAnswer(t *testing.T) {
	srv := fakeES(t, trickle(50*time.Millisecond))
	c := newTestClient(t, Config{URL: srv.URL, RequestTimeout: 300 * time.Millisecond})
	start := time.Now()
	_, err := c.Search(ctx(t), "i", []byte(`{}`), 1)
	var e *Error
	if !errors.Is(err, ErrTimeout) || !errors.As(err, &e) || e.Timeout != 300*time.Millisecond {
		t.Fatalf("got %v, want an ErrTimeout of the request timeout", err)
	}
	if !strings.Contains(err.Error(), "within the request timeout (300ms)") {
		t.Errorf("message %q", err)
	}
	if d := time.Since(start); d > 10*time.Second { // the test's context would end it at 20 s
		t.Errorf("took %v", d)
	}
	// The caller's deadline, shorter than the request timeout, is reported as the caller's.
	mine := errors.New("my deadline")
	short, cancel := context.WithTimeoutCause(context.Background(), 200*time.Millisecond, mine)
	defer cancel()
	c2 := newTestClient(t, Config{URL: srv.URL, RequestTimeout: time.Minute})
	_, err = c2.Search(short, "i", []byte(`{}`), 1)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, mine) || !errors.As(err, &e) || e.Timeout != 0 {
		t.Errorf("caller's deadline: %v", err)
	}
}

// TestHostileSilentServer: a server that accepts connections and never answers.
func TestHostileSilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	c := newTestClient(t, Config{URL: "http://" + l.Addr().String(), RequestTimeout: 400 * time.Millisecond})
	start := time.Now()
	_, err = c.Ping(ctx(t))
	var e *Error
	if !errors.Is(err, ErrTimeout) || !errors.As(err, &e) || e.Timeout != 400*time.Millisecond {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

// endless streams an answer of n bytes (n < 0: without end) with the given status.
func endless(status int, n int64) http.HandlerFunc {
	chunk := []byte(strings.Repeat(`{"_index":"i","_id":"x","_source":{"a":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}},`, 512))
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.WriteHeader(status)
		io.WriteString(w, `{"hits":{"total":{"value":1},"hits":[`)
		for sent := int64(0); n < 0 || sent < n; sent += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// TestHostileOversizedAnswer: an answer over the cap fails with ErrTooLarge naming the cap,
// after reading no more than the cap, whether it is a success, an error that is retried (its
// body drained by the transport) or one with an announced length.
func TestHostileOversizedAnswer(t *testing.T) {
	const limit = 1 << 20
	const answer = 64 << 20
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"200, 64 MiB", endless(200, answer)},
		{"200, endless", endless(200, -1)},
		{"503, endless (retried)", endless(503, -1)},
		{"400, 64 MiB", endless(400, answer)},
		{"announced length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
			w.Header().Set("Content-Length", "1073741824")
			w.WriteHeader(200)
			io.WriteString(w, `{"hits":`)
		}},
	} {
		srv := fakeES(t, tc.handler)
		c := newTestClient(t, Config{URL: srv.URL, MaxResponseBytes: limit})
		var err error
		alloc := growthtest.Allocated(func() { _, err = c.Search(ctx(t), "i", []byte(`{}`), 10) })
		var e *Error
		if !errors.Is(err, ErrTooLarge) || !errors.As(err, &e) || e.Limit != limit || !strings.Contains(err.Error(), "limit of 1 MiB per answer") {
			t.Errorf("%s: got %v", tc.name, err)
		}
		if alloc > 16<<20 {
			t.Errorf("%s: allocated %s while refusing an answer over %s", tc.name, FormatBytes(int64(alloc)), FormatBytes(limit))
		}
		srv.Close()
	}
	// An answer of exactly the cap is read.
	body := `{"hits":{"total":{"value":0},"hits":[]}}`
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
	if _, err := newTestClient(t, Config{URL: srv.URL, MaxResponseBytes: int64(len(body))}).Search(ctx(t), "i", []byte(`{}`), 1); err != nil {
		t.Errorf("answer of exactly the cap: %v", err)
	}
	if _, err := newTestClient(t, Config{URL: srv.URL, MaxResponseBytes: int64(len(body)) - 1}).Search(ctx(t), "i", []byte(`{}`), 1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("one byte over the cap: %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{100: "100 B", 1 << 20: "1 MiB", 64 << 20: "64 MiB", 3 << 29: "1.5 GiB", 1536: "1.5 KiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
