package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"sort"
	"sync"

	"github.com/sigmabridge/sigmabridge/translator/input"
)

// lineReader reads an input exactly as input.Read does, with one shortcut for the common
// case of JSON lines: a line that is a lone JSON object (it starts with '{' and
// input.MayUnwrap says the default format reads it as the one event it is, or reports it
// when it is not valid JSON) is handed to the caller without validating it first. The
// caller's parser, the evaluator's (in this process or in the built-in detector plugin),
// validates JSON as strictly as encoding/json while it decodes the event; only when it
// rejects a line does the caller ask invalid whether input.Read would have rejected it too.
// That saves input.Read's validating pass, which on CloudTrail records costs more than
// decoding and matching them.
//
// Everything else goes through input.Read itself: gzip, every format but jsonl, input whose
// first line is not a complete JSON value (multi-line documents), lines that are arrays,
// scalars or wrappers (CloudTrail log files, {"records": [...]}), one line at a time, and,
// from a line longer than the read buffer (256 KiB) on, the rest of the input, so that
// memory stays bounded by one record however long a line is.
type lineReader struct {
	name     string
	opts     input.Options
	problems problemList
}

// lineHandler receives what a lineReader reads, in input order.
type lineHandler struct {
	// object gets a line that is a lone JSON object, trimmed, unvalidated; the slice is
	// valid until object returns.
	object func(line int, json []byte) error
	// record gets a record input.Read produced.
	record func(input.Record) error
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// read reads r in format. Problems of the input are kept for result; the returned error is
// one the handler returned, which stops reading.
func (lr *lineReader) read(format string, r io.Reader, h lineHandler) error {
	if format != input.JSONL && format != "" {
		return lr.delegate(format, r, h)
	}
	br := bufio.NewReaderSize(r, 256<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return lr.delegate(format, br, h)
	}
	// input.Read reads JSON lines when the first non-blank line (a BOM at the very start
	// removed) is a complete JSON value, and the whole input as multi-line documents
	// otherwise.
	// When input.Read must read the input from its start, the blank lines before the first
	// line are given to it as newlines made up on the fly (blank lines count only as lines),
	// so that any number of them takes no memory.
	lineNo := 0
	fromStart := func(line []byte) io.Reader {
		return io.MultiReader(&newlines{n: lineNo - 1}, bytes.NewReader(line), br)
	}
	for started := false; !started; {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A first line this long: input.Read reads the input from its start.
			lineNo++
			return lr.delegate(format, fromStart(line), h)
		}
		if len(line) > 0 {
			lineNo++
			if lineNo == 1 {
				line = bytes.TrimPrefix(line, utf8BOM)
			}
			if t := trimJSONSpace(line); len(t) > 0 {
				if !input.Valid(t) {
					return lr.delegate(format, fromStart(line), h)
				}
				started = true
				if herr := lr.line(lineNo, t, h); herr != nil {
					return herr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return lr.readFailed(err)
		}
	}
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return lr.delegateRest(lineNo, io.MultiReader(bytes.NewReader(line), br), h)
		}
		if len(line) > 0 {
			lineNo++
			if t := trimJSONSpace(line); len(t) > 0 {
				if herr := lr.line(lineNo, t, h); herr != nil {
					return herr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return lr.readFailed(err)
		}
	}
}

// newlines reads as n newlines.
type newlines struct{ n int }

func (nl *newlines) Read(p []byte) (int, error) {
	if nl.n <= 0 {
		return 0, io.EOF
	}
	k := min(len(p), nl.n)
	for i := range k {
		p[i] = '\n'
	}
	nl.n -= k
	return k, nil
}

// trimJSONSpace trims JSON white space (space, tab, CR, LF) from both ends of b; other
// white space is not JSON's, and input.Read reports it.
func trimJSONSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// line handles one non-blank line of JSON lines input.
func (lr *lineReader) line(lineNo int, t []byte, h lineHandler) error {
	if t[0] == '{' && !input.MayUnwrap(t) {
		return h.object(lineNo, t)
	}
	return lr.inputLine(lineNo, t, h.record)
}

func (lr *lineReader) readFailed(err error) error {
	if errors.Is(err, context.Canceled) {
		return err // interrupted: not a problem of the input
	}
	// input.Read reports a read error last, for the whole file.
	lr.problems.add(math.MaxInt, []*input.LineError{{File: lr.name, Msg: "read: " + err.Error()}})
	return nil
}

// delegate reads the whole input with input.Read.
func (lr *lineReader) delegate(format string, r io.Reader, h lineHandler) error {
	err := input.ReadWith(format, lr.name, r, lr.opts, h.record)
	var ie *input.Errors
	if errors.As(err, &ie) {
		lr.problems.set(ie)
		if errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}
	return err
}

// lineOpener is a valid first line put before a single line given to input.Read, so that
// input.Read reads it as the line of a JSON-lines input, not as a document.
var lineOpener = []byte("{}\n")

// delegateRest reads the rest of a JSON-lines input, from line lineNo+1 on, with
// input.Read, as the lines of that input.
func (lr *lineReader) delegateRest(lineNo int, rest io.Reader, h lineHandler) error {
	return lr.readAsLines(lineNo, io.MultiReader(bytes.NewReader(lineOpener), rest), h.record)
}

// inputLine gives line lineNo (trimmed) to input.Read as it would read it in a JSON-lines
// input: records go to record, problems are kept.
func (lr *lineReader) inputLine(lineNo int, t []byte, record func(input.Record) error) error {
	data := make([]byte, 0, len(lineOpener)+len(t))
	data = append(append(data, lineOpener...), t...)
	return lr.readAsLines(lineNo-1, bytes.NewReader(data), record)
}

// readAsLines reads data, whose first line is lineOpener standing for line lineNo of the
// input, with input.Read: records go to record, problems are kept.
func (lr *lineReader) readAsLines(lineNo int, data io.Reader, record func(input.Record) error) error {
	shift := lineNo - 1
	err := input.Read(input.JSONL, lr.name, data, func(rec input.Record) error {
		if rec.Line < 2 {
			return nil // the opener
		}
		rec.Line += shift
		return record(rec)
	})
	var ie *input.Errors
	if errors.As(err, &ie) {
		for _, e := range ie.List {
			at := math.MaxInt // a read error, after the lines
			if e.Line > 0 {
				e.Line += shift
				at = e.Line
			}
			lr.problems.add(at, []*input.LineError{e})
		}
		lr.problems.addDropped(ie.Dropped)
		if errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}
	return err
}

// invalid is called when the caller's parser rejected an object line: it reports whether
// input.Read would have rejected the line as well, and if so keeps input.Read's problem
// for it (the caller then drops the line). When it returns false, the line is valid JSON
// and the caller's own error stands, as it would have without the shortcut. Safe for use
// while read runs.
func (lr *lineReader) invalid(lineNo int, t []byte) bool {
	if input.Valid(t) {
		return false
	}
	return lr.inputLine(lineNo, t, func(input.Record) error { return nil }) == nil
}

// result returns the problems of the input as input.Read would: nil or an *input.Errors.
func (lr *lineReader) result() error { return lr.problems.result() }

// inputErrorLimit is the number of problems input.Read keeps for one input; the ones after
// it are only counted (TestLineReaderAgreesWithInput pins the value).
const inputErrorLimit = 100

// problemList keeps the first inputErrorLimit problems of an input in input order, even
// when they are found out of order (a rejected object line is checked once its batch comes
// back from the detector plugin, after later lines were read).
type problemList struct {
	mu      sync.Mutex
	list    []problem
	dropped int
	seq     int
}

type problem struct {
	line, seq int
	err       *input.LineError
}

// add records the problems of one line (math.MaxInt: of the whole input, after the lines).
func (p *problemList) add(line int, errs []*input.LineError) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range errs {
		p.seq++
		pr := problem{line: line, seq: p.seq, err: e}
		i := sort.Search(len(p.list), func(i int) bool {
			q := p.list[i]
			return q.line > line || (q.line == line && q.seq > pr.seq)
		})
		if len(p.list) == inputErrorLimit {
			p.dropped++
			if i == len(p.list) {
				continue
			}
			p.list = p.list[:len(p.list)-1]
		}
		p.list = append(p.list, problem{})
		copy(p.list[i+1:], p.list[i:])
		p.list[i] = pr
	}
}

// addDropped counts problems input.Read found but did not list.
func (p *problemList) addDropped(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropped += n
}

// set takes the problems input.Read returned for a whole input.
func (p *problemList) set(ie *input.Errors) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = p.list[:0]
	for i, e := range ie.List {
		p.list = append(p.list, problem{line: i, seq: i, err: e})
	}
	p.dropped = ie.Dropped
}

func (p *problemList) result() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.list) == 0 {
		return nil
	}
	out := &input.Errors{Dropped: p.dropped}
	for _, pr := range p.list {
		out.List = append(out.List, pr.err)
	}
	return out
}
