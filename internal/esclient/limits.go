package esclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Defaults of the limits in Config.
const (
	// DefaultRequestTimeout bounds one call: every attempt, the waits between them and the
	// reading of the answer.
	DefaultRequestTimeout = 60 * time.Second
	// DefaultMaxResponseBytes caps one answer's body as read (after decompression): 10,000
	// hits of 6 KiB each.
	DefaultMaxResponseBytes int64 = 64 << 20
)

// errBodyTooLarge ends the reading of an answer at the cap.
var errBodyTooLarge = errors.New("answer larger than the cap")

// errRequestTimeout is the cause of a call's context when Config.RequestTimeout ran out.
var errRequestTimeout = errors.New("request timeout")

// cappedTransport caps every response body it hands out, so that no reader of an answer
// (this package, esbulk's bulk indexer, or elastic-transport-go draining the body of an answer
// it retries) reads more than max bytes of it.
type cappedTransport struct {
	rt  http.RoundTripper
	max int64
}

func (t cappedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.rt.RoundTrip(req)
	if err == nil && res.Body != nil && res.Body != http.NoBody {
		res.Body = &cappedBody{rc: res.Body, left: t.max}
	}
	return res, err
}

// cappedBody reads at most left bytes and fails with errBodyTooLarge when more follow.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte past the cap tells a longer body from one of exactly max bytes
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n - 1, errBodyTooLarge
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// readBody reads a whole answer, at most c.maxBytes of it: an announced length over the cap
// fails at once, and reading stops one byte past the cap otherwise. It reads into chunks
// (4 KiB growing to 1 MiB) rather than one buffer grown by doubling, so refusing an answer
// holds no more than the cap and a chunk, and a body of known length is read into one
// allocation.
func (c *Client) readBody(header http.Header, r io.Reader) ([]byte, error) {
	lr := io.LimitReader(r, c.maxBytes+1)
	if n, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		if n > c.maxBytes {
			return nil, errBodyTooLarge
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(lr, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	var chunks [][]byte
	var total int64
	for size := 4 << 10; ; size = min(2*size, 1<<20) {
		buf := make([]byte, size)
		n, err := io.ReadFull(lr, buf)
		chunks = append(chunks, buf[:n])
		total += int64(n)
		if total > c.maxBytes {
			return nil, errBodyTooLarge
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	body := make([]byte, 0, total)
	for i := range chunks {
		body = append(body, chunks[i]...)
		chunks[i] = nil
	}
	return body, nil
}

// withRequestTimeout bounds one call by c.requestTimeout.
func (c *Client) withRequestTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, c.requestTimeout, errRequestTimeout)
}

// limitError classifies the failure of a call made under withRequestTimeout (callCtx) inside
// the caller's ctx: the answer was too large, the client's own request timeout ran out, or
// the caller's context ended (its cause is kept, so the caller can tell its own deadlines
// apart), else whatever transportError says.
func (c *Client) limitError(ctx, callCtx context.Context, err error) *Error {
	switch {
	case errors.Is(err, errBodyTooLarge):
		return &Error{Kind: ErrTooLarge, URL: c.url, Auth: c.auth, Limit: c.maxBytes}
	case ctx.Err() != nil:
		kind := ErrUnreachable // cancelled
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			kind = ErrTimeout
		}
		return &Error{Kind: kind, URL: c.url, Auth: c.auth, Err: context.Cause(ctx)}
	case context.Cause(callCtx) == errRequestTimeout:
		return &Error{Kind: ErrTimeout, URL: c.url, Auth: c.auth, Err: context.DeadlineExceeded, Timeout: c.requestTimeout}
	}
	e := c.transportError(err)
	if errors.Is(e, ErrTimeout) && e.Timeout == 0 && callCtx.Err() != nil {
		e.Timeout = c.requestTimeout
	}
	return e
}

// FormatBytes writes a byte count as people read it: 64 MiB, 1.5 GiB, 512 KiB, 100 B.
func FormatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	f, u := float64(n), 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d %s", int64(f), units[u])
	}
	return fmt.Sprintf("%.1f %s", f, units[u])
}
