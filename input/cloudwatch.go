package input

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// readCloudWatch reads CloudWatch Logs subscription payloads and the envelopes that carry
// them (see the package documentation). nested is true inside the base64 data of a
// Kinesis, Firehose or Lambda record: only payloads are accepted there, so data cannot
// nest without end.
func readCloudWatch(s *scanner, c *collector, opts Options, emit func(Record) error, nested bool) error {
	if !nested {
		if err := s.space(false); err != nil {
			return err
		}
		if s.peekN(4) && bytes.Equal(s.buf[s.pos:s.pos+4], []byte("H4sI")) {
			return readBase64Lines(s, c, opts, emit)
		}
	}
	f := &jsonFormat{
		what: "CloudWatch Logs payload",
		record: func(raw []byte, line, index int, from origin, c *collector) error {
			return cloudWatchObject(raw, line, index, c, opts, emit, nested)
		},
	}
	if !nested {
		f.wrappers = map[string]string{"Records": "Kinesis record", "records": "Firehose record"}
	}
	return readJSON(s, c, f)
}

// cloudWatchObject reads one object: a payload, or (outside data) a record carrying one in
// base64.
func cloudWatchObject(raw []byte, line, index int, c *collector, opts Options, emit func(Record) error, nested bool) error {
	var m map[string]json.RawMessage
	if err := unmarshal(raw, &m); err != nil {
		c.add(line, "CloudWatch Logs payload: %v", err)
		return nil
	}
	if _, ok := m["logEvents"]; ok {
		return cloudWatchPayload(m, raw, line, c, emit)
	}
	if _, ok := m["messageType"]; ok {
		return cloudWatchPayload(m, raw, line, c, emit)
	}
	what := "record"
	if index > 0 {
		what = fmt.Sprintf("record %d", index)
	}
	if !nested {
		for _, path := range [][]string{{"awslogs", "data"}, {"kinesis", "data"}, {"data"}, {"Data"}} {
			data, ok := stringAt(m, path)
			if !ok {
				continue
			}
			return cloudWatchData(data, line, what+" ("+strings.Join(path, ".")+")", c, opts, emit)
		}
	}
	if _, ok := m["events"]; ok && (m["searchedLogStreams"] != nil || m["nextForwardToken"] != nil || m["nextBackwardToken"] != nil) {
		c.add(line, "%s: output of aws logs filter-log-events or get-log-events, which does not carry the log group the records need: export the log group through a subscription filter (to Kinesis, Firehose or Lambda) instead", what)
		return nil
	}
	c.add(line, "%s: not a CloudWatch Logs subscription payload (no logEvents), nor a Lambda, Kinesis or Firehose record whose data carries one", what)
	return nil
}

// stringAt returns the string at path in m.
func stringAt(m map[string]json.RawMessage, path []string) (string, bool) {
	raw, ok := m[path[0]]
	if !ok {
		return "", false
	}
	if len(path) > 1 {
		var inner map[string]json.RawMessage
		if json.Unmarshal(raw, &inner) != nil {
			return "", false
		}
		return stringAt(inner, path[1:])
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// cloudWatchData decodes base64 data holding one or more payloads, gzip-compressed (as
// CloudWatch Logs writes them) or not, and reads them. Everything found inside is reported
// at line, the line of the record that held the data.
func cloudWatchData(data string, line int, what string, c *collector, opts Options, emit func(Record) error) error {
	data = strings.TrimSpace(data)
	dec, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		if d2, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(data, "=")); err2 == nil {
			dec, err = d2, nil
		}
	}
	if err != nil {
		c.add(line, "%s: data is not base64: %v", what, err)
		return nil
	}
	var r io.Reader = bytes.NewReader(dec)
	if len(dec) >= 2 && dec[0] == 0x1f && dec[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			c.add(line, "%s: data: gzip: %v", what, err)
			return nil
		}
		r = zr
	}
	sub := &collector{file: c.file}
	err = readCloudWatch(newScanner(r, opts.MaxRecordBytes), sub, opts, func(rec Record) error {
		rec.Line = line
		return emit(rec)
	}, true)
	for _, le := range sub.errs.List {
		where := ""
		if le.Line > 0 {
			where = fmt.Sprintf(" (line %d of the decoded data)", le.Line)
		}
		c.add(line, "%s: data%s: %s", what, where, le.Msg)
	}
	c.errs.Dropped += sub.errs.Dropped
	var ee emitError
	if errors.As(err, &ee) {
		return err
	}
	if err != nil {
		c.add(line, "%s: data: %v", what, err)
	}
	return nil
}

// readBase64Lines reads a file of base64 payloads, one per line (Kinesis or Firehose data
// copied out one record a line).
func readBase64Lines(s *scanner, c *collector, opts Options, emit func(Record) error) error {
	for {
		if err := s.space(false); err != nil {
			return err
		}
		if _, ok := s.peek(); !ok {
			break
		}
		line := s.line
		s.capture()
		for {
			i := bytes.IndexByte(s.buf[s.pos:s.end], '\n')
			if i >= 0 {
				s.pos += i
				break
			}
			s.pos = s.end
			if !s.fill() {
				break
			}
		}
		raw := s.captured()
		s.mark = -1
		if raw == nil {
			c.add(line, "line of more than %d bytes: skipped", s.limit)
			continue
		}
		if err := cloudWatchData(string(raw), line, "line", c, opts, emit); err != nil {
			return err
		}
	}
	if s.rerr != nil && s.rerr != io.EOF {
		return s.rerr
	}
	return nil
}

// cloudWatchPayload emits one record per log event of a DATA_MESSAGE payload (m, read
// from raw, which starts on line); a CONTROL_MESSAGE (CloudWatch Logs checking that the
// destination is reachable) has none. Each record names the line its log event starts on.
func cloudWatchPayload(m map[string]json.RawMessage, raw []byte, line int, c *collector, emit func(Record) error) error {
	var mt string
	if v, ok := m["messageType"]; ok {
		if json.Unmarshal(v, &mt) != nil {
			c.add(line, "CloudWatch Logs payload: messageType is not a string")
			return nil
		}
	}
	if mt == "CONTROL_MESSAGE" {
		return nil
	}
	if mt != "" && mt != "DATA_MESSAGE" {
		c.add(line, "CloudWatch Logs payload: unknown messageType %q", mt)
		return nil
	}
	evRaw, ok := m["logEvents"]
	if !ok {
		c.add(line, `CloudWatch Logs payload: no "logEvents" array`)
		return nil
	}
	if t := bytes.TrimSpace(evRaw); len(t) == 0 || t[0] != '[' {
		c.add(line, `CloudWatch Logs payload: "logEvents" is %s, not an array`, jsonKind(t))
		return nil
	}
	// The payload is valid JSON: read it again, its log events one by one, for their lines.
	f := &jsonFormat{
		wrappers: map[string]string{"logEvents": "CloudWatch Logs payload: log event"},
		what:     "CloudWatch Logs payload",
		record: func(ev []byte, evLine, index int, from origin, _ *collector) error {
			if from != fromWrapper {
				return nil
			}
			return cloudWatchEvent(m, ev, line+evLine-1, index, c, emit)
		},
	}
	sub := &collector{file: c.file}
	err := readJSON(newScanner(bytes.NewReader(raw), len(raw)+1), sub, f)
	for _, le := range sub.errs.List {
		c.add(line+le.Line-1, "%s", le.Msg)
	}
	return err
}

// cloudWatchEvent emits the record of one log event ev of the payload m.
func cloudWatchEvent(m map[string]json.RawMessage, ev []byte, line, index int, c *collector, emit func(Record) error) error {
	var fields map[string]json.RawMessage
	if err := unmarshal(ev, &fields); err != nil {
		c.add(line, "CloudWatch Logs payload: log event %d: %v", index, err)
		return nil
	}
	out := make(map[string]json.RawMessage, len(m)+len(fields)+4)
	for k, v := range m {
		if k != "logEvents" {
			out[k] = v
		}
	}
	for k, v := range fields {
		out[k] = v
	}
	if parsed := messageObject(fields["message"]); parsed != nil {
		var inner map[string]json.RawMessage
		if unmarshal(parsed, &inner) == nil {
			out["parsed"] = parsed
			for k, v := range inner {
				if _, taken := out[k]; !taken {
					out[k] = v
				}
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		c.add(line, "CloudWatch Logs payload: log event %d: %v", index, err)
		return nil
	}
	return emit(Record{File: c.file, Line: line, JSON: b, Index: index})
}

// messageObject returns the JSON object a log event's message holds (Lambda's JSON log
// format, platform.* records), or nil when the message is text.
func messageObject(raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return nil
	}
	var msg string
	if json.Unmarshal(raw, &msg) != nil {
		return nil
	}
	t := bytes.TrimSpace([]byte(msg))
	if len(t) < 2 || t[0] != '{' || !json.Valid(t) {
		return nil
	}
	return t
}
