package esclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// Hit is one document a search found.
type Hit struct {
	Index  string          `json:"_index"`
	ID     string          `json:"_id"`
	Source json.RawMessage `json:"_source"`
}

// SearchResult is the answer to a search.
type SearchResult struct {
	// Total is the number of matching documents, which may exceed len(Hits).
	Total int64
	Hits  []Hit
}

type searchBody struct {
	Hits struct {
		Total struct {
			Value int64 `json:"value"`
		} `json:"total"`
		Hits []Hit `json:"hits"`
	} `json:"hits"`
}

// Search runs a search request body (a Query DSL document such as {"query": {...}}) on an
// index, index pattern or comma-separated list, returning at most size hits (Elasticsearch
// allows 10,000 without scrolling). A pattern that matches no index is an ErrIndexNotFound,
// not an empty answer: a hunt on a misspelt pattern must not look clean.
func (c *Client) Search(ctx context.Context, index string, body []byte, size int) (*SearchResult, error) {
	track := true
	allowNone, ignore := false, false
	seg, err := pathList(index)
	if err != nil {
		return nil, err
	}
	req := esapi.SearchRequest{
		Index:             seg,
		Body:              bytes.NewReader(body),
		Size:              &size,
		TrackTotalHits:    track,
		AllowNoIndices:    &allowNone,
		IgnoreUnavailable: &ignore,
	}
	raw, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	var sb searchBody
	if err := decode(raw, &sb); err != nil {
		return nil, c.decodeError("_search", err)
	}
	return &SearchResult{Total: sb.Hits.Total.Value, Hits: sb.Hits.Hits}, nil
}

// QueryString runs a Lucene query_string query as Kibana's Lucene mode sends it: no
// default_field, so unbound terms search the index's index.query.default_field (every
// eligible field unless the index says otherwise).
func (c *Client) QueryString(ctx context.Context, index, query string, size int) (*SearchResult, error) {
	body, err := json.Marshal(map[string]any{"query": map[string]any{"query_string": map[string]any{"query": query}}})
	if err != nil {
		return nil, err
	}
	return c.Search(ctx, index, body, size)
}

// ESQLColumn is one column of an ES|QL answer.
type ESQLColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// ESQLResult is the answer to an ES|QL query, row by row.
type ESQLResult struct {
	Columns []ESQLColumn        `json:"columns"`
	Values  [][]json.RawMessage `json:"values"`
}

// Column returns the index of the named column, or -1.
func (r *ESQLResult) Column(name string) int {
	for i, c := range r.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// ESQL runs an ES|QL query (POST /_query). The FROM clause names the indexes.
func (c *Client) ESQL(ctx context.Context, query string) (*ESQLResult, error) {
	body, err := json.Marshal(map[string]any{"query": query})
	if err != nil {
		return nil, err
	}
	raw, err := c.do(ctx, esapi.EsqlQueryRequest{Body: bytes.NewReader(body), Format: "json"})
	if err != nil {
		return nil, err
	}
	var res ESQLResult
	if err := decode(raw, &res); err != nil {
		return nil, c.decodeError("_query", err)
	}
	return &res, nil
}

// EQL runs an EQL event query on an index and returns at most size events. A node without
// x-pack-eql answers with an ErrNoEndpoint.
func (c *Client) EQL(ctx context.Context, index, query string, size int) (*SearchResult, error) {
	body, err := json.Marshal(map[string]any{"query": query, "size": size})
	if err != nil {
		return nil, err
	}
	seg, err := pathList(index)
	if err != nil {
		return nil, err
	}
	raw, err := c.do(ctx, esapi.EqlSearchRequest{Index: strings.Join(seg, ","), Body: bytes.NewReader(body)})
	if err != nil {
		return nil, err
	}
	var eb struct {
		Hits struct {
			Total struct {
				Value int64 `json:"value"`
			} `json:"total"`
			Events []Hit `json:"events"`
		} `json:"hits"`
	}
	if err := decode(raw, &eb); err != nil {
		return nil, c.decodeError("_eql/search", err)
	}
	return &SearchResult{Total: eb.Hits.Total.Value, Hits: eb.Hits.Events}, nil
}

func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w (body starts %.80q)", err, body)
	}
	return nil
}
