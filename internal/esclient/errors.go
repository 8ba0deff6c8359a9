package esclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of failure. Every error the client returns is an *Error that wraps one of them, so
// callers test the cause with errors.Is.
var (
	// ErrUnreachable: no HTTP answer at all (connection refused, DNS, TLS handshake, reset).
	ErrUnreachable = errors.New("cannot reach Elasticsearch")
	// ErrTimeout: the cluster did not answer in time.
	ErrTimeout = errors.New("Elasticsearch did not answer in time")
	// ErrUnauthorized: HTTP 401, the credentials were refused or are missing.
	ErrUnauthorized = errors.New("Elasticsearch refused the credentials")
	// ErrForbidden: HTTP 403, the user may not do this.
	ErrForbidden = errors.New("Elasticsearch denied the request")
	// ErrIndexNotFound: HTTP 404 index_not_found_exception.
	ErrIndexNotFound = errors.New("index not found")
	// ErrRejected: HTTP 400, the cluster refused the request (a query it cannot parse or run).
	ErrRejected = errors.New("Elasticsearch rejected the request")
	// ErrNoEndpoint: the node has no handler for the API (EQL without x-pack-eql, say).
	ErrNoEndpoint = errors.New("Elasticsearch has no such API")
	// ErrNotElasticsearch: the server did not identify itself as Elasticsearch.
	ErrNotElasticsearch = errors.New("the server is not Elasticsearch")
	// ErrServer: any other error status (5xx after the retries, 429, 409, ...).
	ErrServer = errors.New("Elasticsearch answered with an error")
	// ErrTooLarge: an answer longer than Config.MaxResponseBytes; reading stopped at the cap.
	ErrTooLarge = errors.New("Elasticsearch's answer is too large")
	// ErrInvalidIndex: an index name or pattern that is not a valid Elasticsearch name, so
	// it was not put into a request path (CheckIndexPattern). No request was sent.
	ErrInvalidIndex = errors.New("invalid index name or pattern")
)

// Error is a failed call to Elasticsearch.
type Error struct {
	// Kind is one of the Err* values of this package.
	Kind error
	// URL is the cluster's address as configured.
	URL string
	// Status is the HTTP status; 0 when no response arrived.
	Status int
	// Type and Reason are Elasticsearch's error type (parse_exception, ...) and message,
	// taken from the root cause when the top-level error only says that shards failed.
	Type, Reason string
	// Index is the missing index of an ErrIndexNotFound.
	Index string
	// Auth describes the credentials used ("user elastic", "an API key", "no credentials").
	Auth string
	// Err is the transport error behind ErrUnreachable, ErrTimeout and ErrNotElasticsearch.
	Err error
	// Timeout is set on an ErrTimeout when the client's own Config.RequestTimeout ran out
	// (rather than the caller's context).
	Timeout time.Duration
	// Limit is the cap an ErrTooLarge answer exceeded, in bytes.
	Limit int64
}

// Error says what failed, at which cluster, and Elasticsearch's reason.
func (e *Error) Error() string {
	esReason := e.Reason
	if e.Type != "" {
		esReason = e.Type + ": " + e.Reason
	}
	switch e.Kind {
	case ErrUnreachable:
		return fmt.Sprintf("cannot reach Elasticsearch at %s: %v", e.URL, e.Err)
	case ErrTimeout:
		if e.Timeout > 0 {
			return fmt.Sprintf("Elasticsearch at %s did not complete its answer within the request timeout (%v)", e.URL, e.Timeout)
		}
		return fmt.Sprintf("Elasticsearch at %s did not answer in time: %v", e.URL, e.Err)
	case ErrNotElasticsearch:
		return fmt.Sprintf("the server at %s is not Elasticsearch: it sent no X-Elastic-Product: Elasticsearch header", e.URL)
	case ErrUnauthorized:
		return fmt.Sprintf("Elasticsearch at %s refused the credentials (%s; HTTP 401): %s", e.URL, e.Auth, esReason)
	case ErrForbidden:
		return fmt.Sprintf("Elasticsearch at %s denied the request to %s (HTTP 403): %s", e.URL, e.Auth, esReason)
	case ErrIndexNotFound:
		return fmt.Sprintf("index %q does not exist on %s (HTTP 404 %s)", e.Index, e.URL, esReason)
	case ErrRejected:
		return fmt.Sprintf("Elasticsearch rejected the request (HTTP 400 %s)", esReason)
	case ErrTooLarge:
		return fmt.Sprintf("Elasticsearch at %s sent an answer larger than the limit of %s per answer; reading stopped there", e.URL, FormatBytes(e.Limit))
	case ErrInvalidIndex:
		return fmt.Sprintf("index %q is refused, no request was sent: %s", e.Index, e.Reason)
	case ErrNoEndpoint:
		return fmt.Sprintf("Elasticsearch at %s does not offer this API (HTTP %d): %s", e.URL, e.Status, esReason)
	}
	return fmt.Sprintf("Elasticsearch at %s answered HTTP %d: %s", e.URL, e.Status, esReason)
}

// Unwrap gives errors.Is and errors.As both the kind and the transport error.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// errorBody is the error document Elasticsearch sends with a non-2xx status. Its "error"
// member is an object, or a plain string for "no handler found" answers.
type errorBody struct {
	Error  json.RawMessage `json:"error"`
	Status int             `json:"status"`
}

type esCause struct {
	Type       string `json:"type"`
	Reason     string `json:"reason"`
	Index      string `json:"index"`
	ResourceID any    `json:"resource.id"`
	// Unsuccessful names the credentials security tried and why each failed (a 401 with an
	// API key says which key id failed, beside the generic reason).
	Unsuccessful string    `json:"additional_unsuccessful_credentials"`
	RootCause    []esCause `json:"root_cause"`
	CausedBy     *esCause  `json:"caused_by"`
	FailedShards []struct {
		Reason *esCause `json:"reason"`
	} `json:"failed_shards"`
}

// ResponseError classifies an error answer (a status outside 2xx) from its status and body,
// for callers that send requests through Perform themselves.
func (c *Client) ResponseError(status int, body []byte) *Error { return c.statusError(status, body) }

// TransportError classifies an error that came without an HTTP answer, for callers that send
// requests through Perform themselves.
func (c *Client) TransportError(err error) *Error { return c.transportError(err) }

// statusError classifies an error response from its status and body.
func (c *Client) statusError(status int, body []byte) *Error {
	e := &Error{URL: c.url, Status: status, Auth: c.auth}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && len(eb.Error) > 0 {
		var s string
		var cause esCause
		if json.Unmarshal(eb.Error, &s) == nil {
			e.Reason = s
		} else if json.Unmarshal(eb.Error, &cause) == nil {
			e.Type, e.Reason, e.Index = describeCause(cause)
		}
		e.Type, e.Reason = clip(e.Type, 200), clip(e.Reason, maxReasonBytes)
	} else {
		e.Reason = clip(strings.TrimSpace(string(body)), 300)
		if e.Reason == "" {
			e.Reason = "(empty body)"
		}
	}
	switch {
	case status == 401:
		e.Kind = ErrUnauthorized
	case status == 403:
		e.Kind = ErrForbidden
	case status == 404 && e.Type == "index_not_found_exception":
		e.Kind = ErrIndexNotFound
	case strings.HasPrefix(e.Reason, "no handler found for uri") || strings.Contains(e.Reason, "Incorrect HTTP method for uri"):
		e.Kind = ErrNoEndpoint
	case status == 400:
		e.Kind = ErrRejected
	default:
		e.Kind = ErrServer
	}
	return e
}

// maxReasonBytes bounds the reason an error message repeats from an error answer.
const maxReasonBytes = 2000

// clip shortens s to at most n bytes (on a character boundary) plus "...".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// describeCause picks the most specific cause: a search that failed on every shard reports
// search_phase_execution_exception on top and the real reason (parse_exception, ...) in
// its root causes or shard failures.
func describeCause(c esCause) (typ, reason, index string) {
	typ, reason, index = c.Type, c.Reason, c.Index
	generic := typ == "search_phase_execution_exception" || typ == "status_exception" || reason == "" || reason == "all shards failed"
	if generic {
		switch {
		case len(c.FailedShards) > 0 && c.FailedShards[0].Reason != nil:
			return describeCause(*c.FailedShards[0].Reason)
		case len(c.RootCause) > 0:
			typ, reason, index = c.RootCause[0].Type, c.RootCause[0].Reason, c.RootCause[0].Index
		case c.CausedBy != nil:
			return describeCause(*c.CausedBy)
		}
	}
	if c.CausedBy != nil && c.CausedBy.Reason != "" && c.CausedBy.Reason != reason && !generic {
		reason += " (caused by " + c.CausedBy.Type + ": " + c.CausedBy.Reason + ")"
	}
	if c.Unsuccessful != "" {
		reason += " (" + c.Unsuccessful + ")"
	}
	if index == "" {
		if s, ok := c.ResourceID.(string); ok {
			index = s
		}
	}
	return typ, reason, index
}

// transportError classifies an error that came without an HTTP response.
func (c *Client) transportError(err error) *Error {
	var ee *Error
	if errors.As(err, &ee) {
		return ee
	}
	e := &Error{URL: c.url, Auth: c.auth, Err: innermost(err)}
	var ne net.Error
	switch {
	case errors.Is(err, errNotElasticsearch):
		e.Kind = ErrNotElasticsearch
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		e.Kind = ErrTimeout
	default:
		e.Kind = ErrUnreachable
	}
	return e
}

// innermost drops the url.Error wrapper ("Post \"http://...\": ") whose URL the message
// already names.
func innermost(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
