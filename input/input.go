package input

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Record is one event in the shape the rules read: a JSON object.
type Record struct {
	// File is the name the input was read under.
	File string
	// Line is the 1-based line of the input where the event starts (for gzipped input, a line
	// of the decompressed text).
	Line int
	// JSON is the event as one JSON object. It is not retained by the reader.
	JSON []byte
	// Index is the 1-based position of the record inside the JSON array (or CloudTrail
	// "Records" array, Graph "value" list, ...) it came from, or 0 when the record stood on
	// its own, as a JSON line does.
	Index int
	// Unchecked: a JSON-lines object line handed on without validating it
	// (Options.TrustObjects). A caller whose parser rejects it asks Check whether Read
	// would have rejected it too.
	Unchecked bool
}

// Input formats.
const (
	// JSONL is JSON lines, one event per line; it also accepts JSON arrays of events, JSON
	// documents spread over several lines or concatenated, and wrapped batches: a top-level
	// object whose "Records" or "records" member is an array of objects (CloudTrail log
	// files, S3 event notifications, Azure resource logs from Event Hubs or storage) is read
	// as the records of that array. Wrappers it cannot read as events are reported, not read as one event: a
	// CloudWatch Logs subscription payload ("logEvents") and Kinesis or Firehose records whose
	// data is base64 ("kinesis.data", "recordId" with "data") name the cloudwatch-logs format.
	// It is the default.
	JSONL = "jsonl"
	// CloudTrail is CloudTrail log files: {"Records": [...]} documents, one per file or one
	// per line.
	CloudTrail = "cloudtrail"
	// CloudWatchLogs is CloudWatch Logs subscription payloads, one record per log event; see
	// the package documentation for the record shape and the envelopes it unwraps.
	CloudWatchLogs = "cloudwatch-logs"
	// Workspace is Google Workspace Admin SDK Reports API activities (bare activities, JSON
	// lines of them, or list responses with "items"). Each event of an activity ("events" an
	// array, or one object) becomes one record with its parameters flattened by name into
	// events.parameters.<name>.
	Workspace = "workspace"
	// EML is RFC 5322 messages (one message, or an mbox of several); the header block becomes
	// one m365/message_headers record.
	EML = "eml"
	// GraphHeaders is Microsoft Graph message resources with internetMessageHeaders (one
	// message, JSON lines of messages, or list responses with "value"); each message becomes
	// one m365/message_headers record.
	GraphHeaders = "graph-headers"
	// AzureActivity is Azure activity log records in the diagnostic-settings export shape
	// (passed through) or the REST API shape (normalised to the export shape), bare, as JSON
	// lines, or wrapped in {"records": [...]} or {"value": [...]}.
	AzureActivity = "azure-activity"
	// AzureResource is Azure resource logs of any category (FunctionAppLogs,
	// AppServiceHTTPLogs, WorkflowRuntime, the activity log's export, ...) as diagnostic
	// settings write them: {"records": [...]} batches (Event Hubs, older storage exports),
	// JSON lines (storage exports' PT1H.json), arrays or bare records. Records pass through
	// unchanged.
	AzureResource = "azure-resource"
)

// Formats returns the names of the input formats, the default first.
func Formats() []string {
	return []string{JSONL, CloudTrail, CloudWatchLogs, Workspace, EML, GraphHeaders, AzureActivity, AzureResource}
}

// Options tune how records are built.
type Options struct {
	// AcceptedDomains are the organisation's own mail domains (matched exactly, without regard
	// to case). The mail formats use them to set direction and has_external_recipient; when it
	// is empty those two fields are left out of the record, since they cannot be known.
	AcceptedDomains []string
	// MaxRecordBytes bounds the bytes one record (or one top-level value that is not a
	// wrapper) may take; a larger one is skipped and reported. 0 means
	// DefaultMaxRecordBytes.
	MaxRecordBytes int
	// TrustObjects, in the default format once the input has shown itself to be JSON
	// lines, hands a line that is a lone JSON object of at most 256 KiB (and that MayUnwrap
	// says is one record as it stands) to emit without validating it, with
	// Record.Unchecked set. It saves the validating pass for a caller whose parser
	// validates as strictly as encoding/json while it decodes: when that parser rejects
	// such a record, Check says whether Read would have rejected it too, and AddProblems
	// puts the problems so found among the ones Read returned. Anything else, a longer
	// line included, is read and validated as without it.
	TrustObjects bool
}

// LineError is a problem at one place of an input file.
type LineError struct {
	File string
	// Line is the 1-based line of the problem, or 0 when it concerns the whole file.
	Line int
	Msg  string
}

func (e *LineError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// maxErrors bounds the problems kept for one file, so a file in the wrong format does not
// produce one error per line without end.
const maxErrors = 100

// Errors holds the problems found in one input, in input order. Read returns it after it has
// read the whole input.
type Errors struct {
	List []*LineError
	// Dropped counts problems found after the first maxErrors.
	Dropped int
}

func (e *Errors) Error() string {
	var b strings.Builder
	for i, le := range e.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(le.Error())
	}
	if e.Dropped > 0 {
		fmt.Fprintf(&b, "\n... and %d more problems", e.Dropped)
	}
	return b.String()
}

// collector gathers the problems of one input.
type collector struct {
	file string
	errs Errors
}

// insert puts le among the problems in input order (a problem of the whole file, line 0,
// comes last), keeping the first maxErrors.
func (e *Errors) insert(le *LineError) {
	i := len(e.List)
	for i > 0 && (e.List[i-1].Line == 0 || e.List[i-1].Line > le.Line) {
		i--
	}
	if len(e.List) >= maxErrors {
		e.Dropped++
		if i == len(e.List) {
			return
		}
		e.List = e.List[:len(e.List)-1]
	}
	e.List = slices.Insert(e.List, i, le)
}

// AddProblems returns err, what Read returned (nil or an *Errors), with the problems
// Check found put in input order among the ones Read found, as Read would have listed
// them. Any other error is returned as it is.
func AddProblems(err error, found []*LineError) error {
	if len(found) == 0 {
		return err
	}
	ie, ok := err.(*Errors)
	if !ok {
		if err != nil {
			return err
		}
		ie = &Errors{}
	}
	for _, le := range found {
		ie.insert(le)
	}
	return ie
}

// Check returns the problem Read reports for an object line of JSON lines (line is its
// 1-based line, raw the line trimmed, as in a Record that is Unchecked), or nil when it
// is valid JSON, and so the one record Read gives for it.
func Check(name string, line int, raw []byte) *LineError {
	if Valid(raw) {
		return nil
	}
	c := &collector{file: name}
	s := newScannerSize(bytes.NewReader(raw), len(raw)+1, len(raw)+16)
	s.line = line
	if readJSONIn(s, c, jsonlFormat(func(Record) error { return nil }, Options{}), linesLayout) != nil || len(c.errs.List) == 0 {
		return &LineError{File: name, Line: line, Msg: "not valid JSON"}
	}
	return c.errs.List[0]
}

func (c *collector) add(line int, format string, args ...any) {
	if len(c.errs.List) >= maxErrors {
		c.errs.Dropped++
		return
	}
	c.errs.List = append(c.errs.List, &LineError{File: c.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (c *collector) result() error {
	if len(c.errs.List) == 0 {
		return nil
	}
	return &c.errs
}

// emitError wraps an error returned by the caller's emit function, so it passes through the
// readers untouched and is never mistaken for a problem of the input.
type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }

// Read reads the input r, named name in records and errors, in the given format ("" means
// jsonl), and calls emit for every record in input order. Gzip-compressed input (one gzip
// member or several concatenated) is detected and decompressed. Reading streams: memory is
// bounded by the largest record, and time is linear in the input.
//
// An error returned by emit stops reading and is returned as is. Problems of the input
// itself are collected and returned together as an *Errors after the whole input has been
// read; the records that could be read were emitted regardless. A read error of r is
// reported as a problem, except one that wraps context.Canceled (an interrupted read),
// which stops reading and is returned joined with the problems found before it.
func Read(format, name string, r io.Reader, emit func(Record) error) error {
	return ReadWith(format, name, r, Options{}, emit)
}

// ReadWith is Read with options.
func ReadWith(format, name string, r io.Reader, opts Options, emit func(Record) error) error {
	if format == "" {
		format = JSONL
	}
	if !slices.Contains(Formats(), format) {
		return fmt.Errorf("%s: unknown input format %q (known: %s)", name, format, strings.Join(Formats(), ", "))
	}
	c := &collector{file: name}
	size := 64 << 10
	br := bufio.NewReaderSize(r, size)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			return &Errors{List: []*LineError{{File: name, Msg: "gzip: " + err.Error()}}}
		}
		defer zr.Close()
		src = zr
	}
	wrapped := func(rec Record) error {
		if err := emit(rec); err != nil {
			return emitError{err}
		}
		return nil
	}
	var err error
	switch format {
	case EML:
		err = readEML(bufio.NewReaderSize(src, 64<<10), c, opts, wrapped)
	case CloudWatchLogs:
		err = readCloudWatch(newScannerSize(src, opts.MaxRecordBytes, size), c, opts, wrapped, false)
	default:
		if opts.TrustObjects {
			// A buffer larger than br's lets most reads bypass br's copy.
			size = maxTrustedLine
		}
		err = readJSON(newScannerSize(src, opts.MaxRecordBytes, size), c, jsonFormats(format, opts, wrapped))
	}
	var ee emitError
	if errors.As(err, &ee) {
		return ee.err
	}
	if errors.Is(err, context.Canceled) {
		return errors.Join(err, c.result())
	}
	if err != nil {
		c.add(0, "read: %v", err)
	}
	return c.result()
}
