// Package esbulk loads documents into Elasticsearch with go-elasticsearch's bulk indexer
// (esutil.BulkIndexer) over an esclient.Client, and reports every refused document.
//
// It is a package of its own because esutil imports the root go-elasticsearch package and
// with it the typed API (858 packages): the tests that load data pay for it, the CLI does not.
package esbulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/sigmabridge/sigmabridge/internal/esclient"
)

// Doc is one document to index.
type Doc struct {
	Index string
	// ID is the document id; empty lets Elasticsearch choose one.
	ID     string
	Source []byte
}

// Failure is a document Elasticsearch refused.
type Failure struct {
	Index, ID string
	Status    int
	// Type and Reason are Elasticsearch's error (mapper_parsing_exception, ...) and its
	// cause, or the transport error when the whole request failed.
	Type, Reason string
}

func (f Failure) String() string {
	return fmt.Sprintf("%s/%s: HTTP %d %s: %s", f.Index, f.ID, f.Status, f.Type, f.Reason)
}

// Result reports a bulk load.
type Result struct {
	Indexed  int
	Failures []Failure
}

// Err summarises the failures, or returns nil when every document was indexed.
func (r Result) Err() error {
	if len(r.Failures) == 0 {
		return nil
	}
	lines := make([]string, 0, 5)
	for i, f := range r.Failures {
		if i == 5 {
			lines = append(lines, fmt.Sprintf("... and %d more", len(r.Failures)-5))
			break
		}
		lines = append(lines, f.String())
	}
	return fmt.Errorf("%d of %d documents were not indexed:\n  %s", len(r.Failures), len(r.Failures)+r.Indexed, strings.Join(lines, "\n  "))
}

// Load indexes docs with go-elasticsearch's bulk indexer (batched _bulk requests). Documents
// the cluster refuses are listed in the result, one by one; the error is reserved for a
// request that failed as a whole (unreachable cluster, bad credentials), an *esclient.Error
// like every error of esclient. Nothing is refreshed: call Refresh once afterwards.
func Load(ctx context.Context, c *esclient.Client, docs []Doc) (Result, error) {
	var (
		mu     sync.Mutex
		result Result
		whole  error
	)
	rec := &recordingTransport{inner: c, client: c}
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:     rec,
		NumWorkers: 1, // one queue: small loads go out as a single _bulk request
		FlushBytes: 1 << 20,
		OnError: func(_ context.Context, err error) {
			mu.Lock()
			defer mu.Unlock()
			if whole == nil {
				whole = err
			}
		},
	})
	if err != nil {
		return result, err
	}
	for _, d := range docs {
		// _bulk is one JSON document per line: a pretty-printed source (a published log file
		// as it was written) is compacted, which only drops whitespace between tokens.
		src := d.Source
		if bytes.ContainsAny(src, "\r\n") {
			var buf bytes.Buffer
			if err := json.Compact(&buf, src); err == nil {
				src = buf.Bytes()
			}
		}
		item := esutil.BulkIndexerItem{
			Index:      d.Index,
			Action:     "index",
			DocumentID: d.ID,
			Body:       bytes.NewReader(src),
			OnSuccess: func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem) {
				mu.Lock()
				result.Indexed++
				mu.Unlock()
			},
			OnFailure: func(_ context.Context, item esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
				f := Failure{Index: item.Index, ID: item.DocumentID, Status: res.Status, Type: res.Error.Type, Reason: res.Error.Reason}
				if res.Error.Cause.Reason != "" {
					f.Reason += " (caused by " + res.Error.Cause.Type + ": " + res.Error.Cause.Reason + ")"
				}
				if err != nil {
					f.Type, f.Reason = "request failed", err.Error()
				}
				mu.Lock()
				result.Failures = append(result.Failures, f)
				mu.Unlock()
			},
		}
		if err := bi.Add(ctx, item); err != nil {
			_ = bi.Close(ctx)
			return result, c.TransportError(err)
		}
	}
	if err := bi.Close(ctx); err != nil && whole == nil {
		whole = err
	}
	if whole != nil {
		if e := rec.firstError(); e != nil {
			return result, e
		}
		return result, c.TransportError(whole)
	}
	return result, nil
}

// recordingTransport keeps the first error answer the bulk indexer receives, because the
// indexer reduces it to a string; its body is handed on unchanged.
type recordingTransport struct {
	inner  esapi.Transport
	client *esclient.Client
	mu     sync.Mutex
	first  error
}

func (t *recordingTransport) Perform(req *http.Request) (*http.Response, error) {
	res, err := t.inner.Perform(req)
	if err != nil {
		t.record(t.client.TransportError(err))
		return res, err
	}
	if res.StatusCode > 299 {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(body))
		t.record(t.client.ResponseError(res.StatusCode, body))
	}
	return res, nil
}

func (t *recordingTransport) record(e *esclient.Error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.first == nil {
		t.first = e
	}
}

func (t *recordingTransport) firstError() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var e *esclient.Error
	if errors.As(t.first, &e) {
		return e
	}
	return nil
}
