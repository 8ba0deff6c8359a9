package serve

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

//go:embed assets
var assetsFS embed.FS

// Config configures the playground.
type Config struct {
	// Profile is the organisation profile; nil means none.
	Profile *profile.Profile
	// ES is a live Elasticsearch node for /api/es; nil turns the endpoint off.
	ES *esclient.Client
	// Plugins is a plugin host whose external backend plugins (pinned in its plugin
	// directory) convert beside the built-in targets; nil means none. The caller closes it.
	Plugins *host.Manager
	// MaxBodyBytes caps a request body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxEvents caps the events of one request (default DefaultMaxEvents).
	MaxEvents int
	// RequestTimeout is the deadline of one API request (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	// Slots is how many API requests do work at once; the others wait (default twice
	// GOMAXPROCS).
	Slots int
}

// Defaults of Config.
const (
	DefaultMaxBodyBytes   = 8 << 20
	DefaultMaxEvents      = 10_000
	DefaultRequestTimeout = 30 * time.Second
)

// Server is the playground's HTTP handler. It is safe for concurrent use.
type Server struct {
	cfg   Config
	mux   *http.ServeMux
	slots chan struct{}
	pack  *packIndex
}

// New returns the playground's handler.
func New(cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxEvents <= 0 {
		cfg.MaxEvents = DefaultMaxEvents
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Slots <= 0 {
		cfg.Slots = 2 * runtime.GOMAXPROCS(0)
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), slots: make(chan struct{}, cfg.Slots), pack: &packIndex{}}
	assets, err := fs.Sub(assetsFS, "assets")
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}
	static := http.FileServerFS(assets)
	s.mux.Handle("GET /", withHeaders(static))
	s.mux.Handle("GET /api/pipelines", s.api(s.pipelines))
	s.mux.Handle("POST /api/convert", s.api(s.convert))
	s.mux.Handle("POST /api/lint", s.api(s.lint))
	s.mux.Handle("POST /api/match", s.api(s.match))
	s.mux.Handle("GET /api/pack", s.api(s.packList))
	s.mux.Handle("GET /api/pack/rule", s.api(s.packRule))
	s.mux.Handle("GET /api/info", s.api(s.info))
	s.mux.Handle("POST /api/es", s.api(s.es))
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// withHeaders sets the headers every page answer carries: nothing may be loaded from
// elsewhere, and the page may not be framed.
func withHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// apiError is an answer with a status other than 200.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string { return e.Message }

func badRequest(format string, args ...any) error {
	return &apiError{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// api wraps a handler: the body limit, the deadline, a work slot, the JSON answer.
func (s *Server) api(h func(ctx context.Context, r *http.Request) (any, error)) http.Handler {
	return withHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		var (
			out any
			err error
		)
		select {
		case s.slots <- struct{}{}:
			out, err = h(ctx, r.WithContext(ctx))
			<-s.slots
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}))
}

func writeError(w http.ResponseWriter, err error) {
	status, msg := http.StatusInternalServerError, err.Error()
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		status = ae.Status
	case errors.As(err, &mbe):
		status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mbe.Limit)
	case errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusServiceUnavailable, "the request ran past its deadline"
	case errors.Is(err, context.Canceled):
		status, msg = 499, "the request was cancelled"
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// decode reads a JSON body into v: one object, no unknown fields.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("request body: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("request body: one JSON object expected")
	}
	return nil
}

// CheckAddr refuses a listen address that is not loopback unless allowRemote: the page
// runs rules and events the user pastes, and has no authentication.
func CheckAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %v", addr, err)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil || !ip.IsLoopback() {
		what := host
		if what == "" {
			what = "every interface"
		}
		return fmt.Errorf("--addr %q listens on %s, not on loopback; the playground has no authentication, so pass --allow-remote to mean it", addr, what)
	}
	return nil
}

// HTTPServer returns an http.Server for h with the playground's timeouts.
func HTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}
