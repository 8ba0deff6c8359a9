package esclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// Config says how to reach a cluster.
type Config struct {
	// URL is the cluster's address, e.g. https://localhost:9200.
	URL string
	// APIKey is a base64-encoded API key (the "encoded" value Elasticsearch returns). It
	// takes precedence over Username and Password.
	APIKey string
	// Username and Password are HTTP basic credentials.
	Username, Password string
	// CACertFile is a PEM file of certificate authorities to trust instead of the system's.
	CACertFile string
	// Insecure skips TLS certificate verification.
	Insecure bool
	// MaxRetries is how often a request is retried after HTTP 429 or 5xx, a timeout or a
	// connection error, with exponential backoff. 0 means the default (3); negative means
	// never.
	MaxRetries int
	// RetryBackoff is the wait before the first retry, doubled for each later one (default
	// 200 ms, at most 5 s per wait).
	RetryBackoff time.Duration
	// ResponseTimeout bounds the wait for the response headers of one attempt (default
	// 60 s, or RequestTimeout when that is shorter).
	ResponseTimeout time.Duration
	// RequestTimeout bounds each call of the client's methods as a whole: every attempt, the
	// waits between them and the reading of the answer, so a server that trickles its answer
	// cannot hold a call longer (default DefaultRequestTimeout). A call that runs out fails
	// with an ErrTimeout whose Timeout field is set. Callers bound several calls with their
	// context.
	RequestTimeout time.Duration
	// MaxResponseBytes caps the body of one answer as read, after decompression (default
	// DefaultMaxResponseBytes). Reading stops one byte past the cap and the call fails with
	// an ErrTooLarge, so memory stays bounded whatever the server sends.
	MaxResponseBytes int64
	// Transport replaces the HTTP transport; TLS settings are then the caller's business.
	Transport http.RoundTripper
}

// Client calls one Elasticsearch cluster. It is safe for concurrent use.
//
// It drives go-elasticsearch's esapi requests over elastic-transport-go directly rather than
// through the root go-elasticsearch package, which would bring its typed API (858 packages,
// minutes of cold compile and 20 MB of binary) into every program that searches.
type Client struct {
	tp   *elastictransport.Client
	url  string
	auth string

	requestTimeout time.Duration
	maxBytes       int64

	mu       sync.Mutex
	verified bool // a 2xx answer carried X-Elastic-Product: Elasticsearch
}

// retryStatuses are the answers worth another attempt: overload and transient server errors.
var retryStatuses = []int{429, 500, 502, 503, 504}

// New checks the configuration and builds a client; it does not contact the cluster (Ping
// does).
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("Elasticsearch URL %q: want http://host:port or https://host:port", cfg.URL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("Elasticsearch URL %q: pass credentials as an API key or user and password, not in the URL", cfg.URL)
	}
	shown := strings.TrimSuffix(u.String(), "/")
	requestTimeout := cfg.RequestTimeout
	if requestTimeout <= 0 {
		requestTimeout = DefaultRequestTimeout
	}
	maxBytes := cfg.MaxResponseBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxResponseBytes
	}
	transport := cfg.Transport
	if transport == nil {
		tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.Insecure} //nolint:gosec // an explicit user choice (--insecure)
		if cfg.CACertFile != "" {
			pem, err := os.ReadFile(cfg.CACertFile)
			if err != nil {
				return nil, fmt.Errorf("CA certificate: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("CA certificate %s: no PEM certificate in the file", cfg.CACertFile)
			}
			tlsConfig.RootCAs = pool
		}
		timeout := cfg.ResponseTimeout
		if timeout <= 0 {
			timeout = min(60*time.Second, requestTimeout)
		}
		transport = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       tlsConfig,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
		}
	}
	maxRetries := cfg.MaxRetries
	switch {
	case maxRetries == 0:
		maxRetries = 3
	case maxRetries < 0:
		maxRetries = 0
	}
	backoff := cfg.RetryBackoff
	if backoff <= 0 {
		backoff = 200 * time.Millisecond
	}
	opts := []elastictransport.Option{
		elastictransport.WithURLs(u),
		elastictransport.WithUserAgent("sigmabridge"),
		elastictransport.WithTransport(cappedTransport{rt: transport, max: maxBytes}),
		elastictransport.WithRetryOnStatus(retryStatuses...),
		elastictransport.WithRetryOnError(func(req *http.Request, err error) bool {
			// The caller gave up: another attempt would fail the same way. A transport
			// timeout (no response headers in time) is worth another attempt.
			return req.Context().Err() == nil
		}),
		elastictransport.WithRetryBackoff(func(attempt int) time.Duration {
			d := backoff << (attempt - 1)
			if d > 5*time.Second || d <= 0 {
				d = 5 * time.Second
			}
			return d/2 + rand.N(d/2+1) // jitter, so parallel clients do not retry in step
		}),
	}
	if maxRetries == 0 {
		opts = append(opts, elastictransport.WithDisableRetry())
	} else {
		opts = append(opts, elastictransport.WithMaxRetries(maxRetries))
	}
	switch {
	case cfg.APIKey != "":
		opts = append(opts, elastictransport.WithAPIKey(cfg.APIKey))
	case cfg.Username != "" || cfg.Password != "":
		opts = append(opts, elastictransport.WithBasicAuth(cfg.Username, cfg.Password))
	}
	tp, err := elastictransport.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("Elasticsearch client: %w", err)
	}
	auth := "no credentials"
	switch {
	case cfg.APIKey != "":
		auth = "an API key"
	case cfg.Username != "":
		auth = "user " + cfg.Username
	}
	return &Client{tp: tp, url: shown, auth: auth, requestTimeout: requestTimeout, maxBytes: maxBytes}, nil
}

// errNotElasticsearch is the product check's failure.
var errNotElasticsearch = errors.New("no X-Elastic-Product: Elasticsearch header")

// Perform sends one HTTP request with retries (esapi.Transport, so esapi requests and
// go-elasticsearch's bulk indexer can use the client). Like go-elasticsearch's own client it
// checks once that a successful answer comes from Elasticsearch.
func (c *Client) Perform(req *http.Request) (*http.Response, error) {
	res, err := c.tp.Perform(req)
	if err != nil || res.StatusCode < 200 || res.StatusCode > 299 {
		return res, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.verified {
		if res.Header.Get("X-Elastic-Product") != "Elasticsearch" {
			res.Body.Close()
			return nil, errNotElasticsearch
		}
		c.verified = true
	}
	return res, nil
}

// URL is the cluster's address as configured.
func (c *Client) URL() string { return c.url }

// request is implemented by every esapi request type.
type request interface {
	Do(ctx context.Context, transport esapi.Transport) (*esapi.Response, error)
}

// do runs req and returns the body of a 2xx answer, or a classified *Error. The call, the
// reading of the answer included, is bounded by the request timeout, and the answer by the
// size cap.
func (c *Client) do(ctx context.Context, req request) ([]byte, error) {
	callCtx, cancel := c.withRequestTimeout(ctx)
	defer cancel()
	res, err := req.Do(callCtx, c)
	if err != nil {
		return nil, c.limitError(ctx, callCtx, err)
	}
	defer res.Body.Close()
	body, err := c.readBody(res.Header, res.Body)
	if err != nil {
		return nil, c.limitError(ctx, callCtx, err)
	}
	if res.IsError() {
		return nil, c.statusError(res.StatusCode, body)
	}
	return body, nil
}

// Info is what the cluster's root endpoint says about itself.
type Info struct {
	ClusterName string `json:"cluster_name"`
	Version     struct {
		Number string `json:"number"`
	} `json:"version"`
}

// Ping asks the cluster who it is; the first call also runs go-elasticsearch's product check.
func (c *Client) Ping(ctx context.Context) (Info, error) {
	var info Info
	body, err := c.do(ctx, esapi.InfoRequest{})
	if err != nil {
		return info, err
	}
	if err := decode(body, &info); err != nil {
		return info, c.decodeError("GET /", err)
	}
	return info, nil
}

func (c *Client) decodeError(what string, err error) error {
	return &Error{Kind: ErrServer, URL: c.url, Auth: c.auth, Status: 200, Reason: fmt.Sprintf("cannot read the answer to %s: %v", what, err)}
}

// PutIndexTemplate installs (or replaces) a composable index template.
func (c *Client) PutIndexTemplate(ctx context.Context, name string, body []byte) error {
	seg, err := pathNames(name)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, esapi.IndicesPutIndexTemplateRequest{Name: seg[0], Body: bytes.NewReader(body)})
	return err
}

// DeleteIndexTemplate removes a composable index template.
func (c *Client) DeleteIndexTemplate(ctx context.Context, name string) error {
	seg, err := pathNames(name)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, esapi.IndicesDeleteIndexTemplateRequest{Name: seg[0]})
	return err
}

// CreateIndex creates an index. body (settings, mappings) may be nil: the index templates
// whose patterns match name then give it its mappings.
func (c *Client) CreateIndex(ctx context.Context, name string, body []byte) error {
	seg, err := pathNames(name)
	if err != nil {
		return err
	}
	req := esapi.IndicesCreateRequest{Index: seg[0]}
	if body != nil {
		req.Body = bytes.NewReader(body)
	}
	_, err = c.do(ctx, req)
	return err
}

// DeleteIndex deletes indexes by name (clusters refuse wildcards in deletions unless
// action.destructive_requires_name is false); missing ones are ignored.
func (c *Client) DeleteIndex(ctx context.Context, names ...string) error {
	ignore := true
	names, err := pathNames(names...)
	if err != nil {
		return err
	}
	for _, chunk := range urlChunks(names) {
		if _, err := c.do(ctx, esapi.IndicesDeleteRequest{Index: chunk, IgnoreUnavailable: &ignore}); err != nil {
			return err
		}
	}
	return nil
}

// urlChunks splits index names into lists short enough for one request line
// (http.max_initial_line_length is 4 KB by default).
func urlChunks(names []string) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, n := range names {
		if len(cur) > 0 && size+len(n)+1 > 3000 {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, n)
		size += len(n) + 1
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// PutMapping adds fields to an index's mapping.
func (c *Client) PutMapping(ctx context.Context, index string, body []byte) error {
	seg, err := pathList(index)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, esapi.IndicesPutMappingRequest{Index: seg, Body: bytes.NewReader(body)})
	return err
}

// Refresh makes everything indexed so far in the named indexes searchable.
func (c *Client) Refresh(ctx context.Context, indexes ...string) error {
	indexes, err := pathNames(indexes...)
	if err != nil {
		return err
	}
	for _, chunk := range urlChunks(indexes) {
		if _, err := c.do(ctx, esapi.IndicesRefreshRequest{Index: chunk}); err != nil {
			return err
		}
	}
	return nil
}

// FieldTypes returns, for each of fields that some index matching the pattern maps, the
// field types it has there (more than one when the indexes disagree). A field in no mapping
// is absent from the map.
func (c *Client) FieldTypes(ctx context.Context, index string, fields ...string) (map[string][]string, error) {
	allow := false
	seg, err := pathList(index)
	if err != nil {
		return nil, err
	}
	body, err := c.do(ctx, esapi.FieldCapsRequest{Index: seg, Fields: fields, AllowNoIndices: &allow})
	if err != nil {
		return nil, err
	}
	var caps struct {
		Fields map[string]map[string]json.RawMessage `json:"fields"`
	}
	if err := decode(body, &caps); err != nil {
		return nil, c.decodeError("_field_caps", err)
	}
	out := map[string][]string{}
	for f, types := range caps.Fields {
		for t := range types {
			out[f] = append(out[f], t)
		}
	}
	return out, nil
}

// Mapping returns the answer of GET index/_mapping for an index pattern: each index that
// matches it with its mappings (esmapping.Read reads it). A pattern that matches no index is
// ErrIndexNotFound.
func (c *Client) Mapping(ctx context.Context, index string) ([]byte, error) {
	allow := false
	seg, err := pathList(index)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, esapi.IndicesGetMappingRequest{Index: seg, AllowNoIndices: &allow})
}

// IgnoredFields returns the fields for which some document of the indexes matching the
// pattern had a value left unindexed (ignore_above, ignore_malformed: the _ignored metadata
// field). complete is false when there were more such fields than one answer lists.
func (c *Client) IgnoredFields(ctx context.Context, index string) (fields []string, complete bool, err error) {
	seg, err := pathList(index)
	if err != nil {
		return nil, false, err
	}
	body := []byte(`{"size":0,"track_total_hits":false,"aggs":{"ignored":{"terms":{"field":"_ignored","size":10000}}}}`)
	res, err := c.do(ctx, esapi.SearchRequest{Index: seg, Body: bytes.NewReader(body)})
	if err != nil {
		return nil, false, err
	}
	var ans struct {
		Aggregations struct {
			Ignored struct {
				Other   int64 `json:"sum_other_doc_count"`
				Buckets []struct {
					Key string `json:"key"`
				} `json:"buckets"`
			} `json:"ignored"`
		} `json:"aggregations"`
	}
	if err := decode(res, &ans); err != nil {
		return nil, false, c.decodeError("the _ignored aggregation", err)
	}
	for _, b := range ans.Aggregations.Ignored.Buckets {
		fields = append(fields, b.Key)
	}
	return fields, ans.Aggregations.Ignored.Other == 0, nil
}
