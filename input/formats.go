package input

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// jsonFormats returns the reader of a JSON format.
func jsonFormats(format string, opts Options, emit func(Record) error) *jsonFormat {
	pass := func(what string) func(raw []byte, line, index int, _ origin, c *collector) error {
		return func(raw []byte, line, index int, _ origin, c *collector) error {
			return emit(Record{File: c.file, Line: line, JSON: raw, Index: index})
		}
	}
	switch format {
	case CloudTrail:
		const notCT = `not a CloudTrail log file: expected an object with a "Records" array, found %s`
		return &jsonFormat{
			wrappers: map[string]string{"Records": "CloudTrail record"},
			what:     "CloudTrail log file",
			noArrays: fmt.Sprintf(notCT, "an array"),
			record: func(raw []byte, line, index int, from origin, c *collector) error {
				if from == fromTop {
					c.add(line, notCT, jsonKind(raw))
					return nil
				}
				return emit(Record{File: c.file, Line: line, JSON: raw, Index: index})
			},
		}
	case Workspace:
		return &jsonFormat{
			wrappers: map[string]string{"items": "activity"},
			what:     "activity",
			record: func(raw []byte, line, index int, _ origin, c *collector) error {
				return flattenActivity(raw, line, index, c, emit)
			},
		}
	case GraphHeaders:
		return &jsonFormat{
			wrappers: map[string]string{"value": "Graph message"},
			what:     "Graph message",
			record: func(raw []byte, line, index int, _ origin, c *collector) error {
				return graphRecord(raw, line, index, c, opts, emit)
			},
		}
	case AzureActivity:
		return &jsonFormat{
			wrappers: map[string]string{"records": "activity log record", "value": "activity log record"},
			what:     "activity log record",
			record: func(raw []byte, line, index int, _ origin, c *collector) error {
				out, err := azureRecord(raw)
				if err != nil {
					c.add(line, "activity log record: %v", err)
					return nil
				}
				return emit(Record{File: c.file, Line: line, JSON: out, Index: index})
			},
		}
	case AzureResource:
		return &jsonFormat{
			wrappers: map[string]string{"records": "resource log record", "Records": "resource log record"},
			what:     "resource log record",
			record:   pass("resource log record"),
		}
	}
	return jsonlFormat(emit, opts)
}

// jsonlFormat is the default format: every object is an event, and "Records" or
// "records" arrays are unwrapped, except what only cloudwatch-logs can read.
func jsonlFormat(emit func(Record) error, opts Options) *jsonFormat {
	var base64Records int
	f := &jsonFormat{
		wrappers: map[string]string{"Records": "CloudTrail record", "records": "record"},
		what:     "event",
	}
	if opts.TrustObjects {
		f.trusted = func(raw []byte, line int, c *collector) error {
			return emit(Record{File: c.file, Line: line, JSON: raw, Unchecked: true})
		}
	}
	f.record = func(raw []byte, line, index int, from origin, c *collector) error {
		switch {
		case from == fromTop && looksLikeCloudWatchPayload(raw):
			c.add(line, "a CloudWatch Logs subscription payload (logEvents), not an event: read it with --input %s", CloudWatchLogs)
			return nil
		case from == fromWrapper && carriesBase64Data(raw):
			base64Records++
			return nil
		}
		return emit(Record{File: c.file, Line: line, JSON: raw, Index: index})
	}
	f.wrapped = func(key string, line int, c *collector) {
		if base64Records > 0 {
			c.add(line, "%q holds %d Kinesis or Firehose records whose data is base64-encoded, not events: read them with --input %s", key, base64Records, CloudWatchLogs)
			base64Records = 0
		}
	}
	return f
}

// MayUnwrap reports whether the default format might read a JSON-lines object line as
// something other than the one event it is: true when a member named "Records", "records"
// or "logEvents" holds an array (the wrappers the format unwraps or reports), and whenever
// the line holds a \u escape, which could spell such a name. When it is false and the line
// is valid JSON, the line is exactly one record as it stands.
func MayUnwrap(line []byte) bool {
	if bytes.IndexByte(line, '\\') >= 0 && bytes.Contains(line, []byte(`\u`)) {
		return true
	}
	// Arrays are rare in events, and '[' is found fast: look back from each for a key.
	for i := 0; ; i++ {
		j := bytes.IndexByte(line[i:], '[')
		if j < 0 {
			return false
		}
		i += j
		if wrapperKeyBefore(line[:i]) {
			return true
		}
	}
}

// wrapperKeyBefore reports whether b ends with a wrapper key and its colon.
func wrapperKeyBefore(b []byte) bool {
	k := len(b)
	space := func() {
		for k > 0 && (b[k-1] == ' ' || b[k-1] == '\t' || b[k-1] == '\r' || b[k-1] == '\n') {
			k--
		}
	}
	space()
	if k == 0 || b[k-1] != ':' {
		return false
	}
	k--
	space()
	if k == 0 || b[k-1] != '"' {
		return false
	}
	k--
	for _, w := range []string{`"Records`, `"records`, `"logEvents`} {
		if bytes.HasSuffix(b[:k], []byte(w)) {
			return true
		}
	}
	return false
}

// mentionsKey reports whether line contains '"'+word, found through the byte word[k]
// (chosen rare, which makes the search several times faster than bytes.Contains on JSON,
// where '"' starts every string).
func mentionsKey(line []byte, word string, k int) bool {
	for i := k + 1; i < len(line); {
		j := bytes.IndexByte(line[i:], word[k])
		if j < 0 {
			return false
		}
		i += j
		if start := i - k; line[start-1] == '"' && bytes.HasPrefix(line[start:], []byte(word)) {
			return true
		}
		i++
	}
	return false
}

// looksLikeCloudWatchPayload reports whether raw is a CloudWatch Logs subscription
// payload.
func looksLikeCloudWatchPayload(raw []byte) bool {
	if !mentionsKey(raw, `logEvents"`, 3) {
		return false
	}
	var p struct {
		MessageType string          `json:"messageType"`
		LogEvents   json.RawMessage `json:"logEvents"`
	}
	return json.Unmarshal(raw, &p) == nil && p.MessageType != "" && len(p.LogEvents) > 0 && p.LogEvents[0] == '['
}

// carriesBase64Data reports whether raw is a Kinesis or Firehose record whose data is a
// base64 string ({"kinesis": {"data": ...}}, {"recordId": ..., "data": ...}, or the
// GetRecords {"Data": ...}).
func carriesBase64Data(raw []byte) bool {
	if !bytes.Contains(raw, []byte(`ata"`)) {
		return false
	}
	var r struct {
		Kinesis *struct {
			Data *string `json:"data"`
		} `json:"kinesis"`
		RecordID       *string `json:"recordId"`
		Data           *string `json:"data"`
		SequenceNumber *string `json:"SequenceNumber"`
		DataUpper      *string `json:"Data"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return false
	}
	return r.Kinesis != nil && r.Kinesis.Data != nil || r.RecordID != nil && r.Data != nil || r.SequenceNumber != nil && r.DataUpper != nil
}
