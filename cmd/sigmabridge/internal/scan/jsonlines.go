package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"sort"
	"sync"

	"github.com/sigmabridge/sigmabridge/translator/input"
)

// lineReader reads an input exactly as input.Read does, with one shortcut for the common
// case of JSON lines: a line that is a lone JSON object (it starts with '{' and does not
// mention "Records", so input.Read would emit it as one record, or report it when it is not
// valid JSON) is handed to the caller without validating it first. The caller's parser, the
// evaluator's (in this process or in the built-in detector plugin), validates JSON as
// strictly as encoding/json while it decodes the event; only when it rejects a line does the
// caller ask invalid whether input.Read would have rejected it too. That saves input.Read's
// json.Valid pass, which on CloudTrail records costs more than decoding and matching them.
//
// Everything else goes through input.Read itself: gzip, every format but jsonl, input whose
// first line is not a complete JSON value (multi-line documents), and lines that are
// arrays, scalars or mention "Records" (CloudTrail log files), one line at a time.
type lineReader struct {
	name     string
	opts     input.Options
	problems problemList
	scratch  []byte
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
	var prefix []byte
	lineNo := 0
	for started := false; !started; {
		line, err := readLine(br, &lr.scratch)
		if len(line) > 0 {
			lineNo++
			prefix = append(prefix, line...)
			if lineNo == 1 {
				line = bytes.TrimPrefix(line, utf8BOM)
			}
			if t := bytes.TrimSpace(line); len(t) > 0 {
				if !json.Valid(line) {
					return lr.delegate(format, io.MultiReader(bytes.NewReader(prefix), br), h)
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
		line, err := readLine(br, &lr.scratch)
		if len(line) > 0 {
			lineNo++
			if t := bytes.TrimSpace(line); len(t) > 0 {
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

// line handles one non-blank line of JSON lines input.
func (lr *lineReader) line(lineNo int, t []byte, h lineHandler) error {
	if t[0] == '{' && !mentionsRecords(t) {
		return h.object(lineNo, t)
	}
	return lr.inputLine(lineNo, t, h.record)
}

// mentionsRecords is bytes.Contains(t, `"Records"`), found through the rare 'R' instead of
// the '"' that starts every JSON string (which makes bytes.Contains several times slower
// on JSON).
func mentionsRecords(t []byte) bool {
	const word = `Records"`
	for i := 1; i < len(t); {
		j := bytes.IndexByte(t[i:], 'R')
		if j < 0 {
			return false
		}
		i += j
		if t[i-1] == '"' && bytes.HasPrefix(t[i:], []byte(word)) {
			return true
		}
		i++
	}
	return false
}

// readLine returns the next line of br with its '\n'. The slice is valid until the next
// call; a line longer than br's buffer is assembled in scratch.
func readLine(br *bufio.Reader, scratch *[]byte) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	buf := append((*scratch)[:0], line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = br.ReadSlice('\n')
		buf = append(buf, line...)
	}
	*scratch = buf
	return buf, err
}

func (lr *lineReader) readFailed(err error) error {
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
		return nil
	}
	return err
}

// lineOpener is a valid first line put before a single line given to input.Read, so that
// input.Read reads it as the line of a JSON-lines input, not as a document.
var lineOpener = []byte("{}\n")

// inputLine gives line lineNo (trimmed) to input.Read as it would read it in a JSON-lines
// input: records go to record, problems are kept.
func (lr *lineReader) inputLine(lineNo int, t []byte, record func(input.Record) error) error {
	data := make([]byte, 0, len(lineOpener)+len(t))
	data = append(append(data, lineOpener...), t...)
	err := input.Read(input.JSONL, lr.name, bytes.NewReader(data), func(rec input.Record) error {
		if rec.Line < 2 {
			return nil // the opener
		}
		rec.Line += lineNo - 2
		return record(rec)
	})
	var ie *input.Errors
	if errors.As(err, &ie) {
		for _, e := range ie.List {
			e.Line += lineNo - 2
		}
		lr.problems.add(lineNo, ie.List)
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
	if json.Valid(t) {
		return false
	}
	if err := lr.inputLine(lineNo, t, func(input.Record) error { return nil }); err != nil {
		return false
	}
	return true
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
