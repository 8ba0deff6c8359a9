package input

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// value is one top-level JSON value of the input.
type value struct {
	raw []byte
	// line is the 1-based input line raw starts on.
	line int
}

// lineOf returns the input line of byte offset off of v.raw.
func (v value) lineOf(off int) int {
	return v.line + bytes.Count(v.raw[:off], []byte{'\n'})
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// readValues calls fn for every top-level JSON value of r. Input whose first non-empty line
// is a complete JSON value is read as JSON lines, streaming: a line that is not valid JSON is
// reported and skipped. Otherwise the whole input is read as one or more multi-line JSON
// documents; when that fails it is read line by line after all, so a JSON-lines file with a
// broken first line still yields its other lines.
func readValues(r *bufio.Reader, c *collector, fn func(value) error) error {
	lineNo := 0
	var first []byte
	firstLine := 0
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			lineNo++
			if lineNo == 1 {
				line = bytes.TrimPrefix(line, utf8BOM)
			}
			if t := bytes.TrimSpace(line); len(t) > 0 {
				first, firstLine = line, lineNo
				break
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	if json.Valid(first) {
		if err := lineValue(first, firstLine, c, fn); err != nil {
			return err
		}
		return readLines(r, lineNo, c, fn)
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	all := append(first, rest...)
	if values, ok := documentValues(all, firstLine); ok {
		for _, v := range values {
			if err := fn(v); err != nil {
				return err
			}
		}
		return nil
	}
	// Not a sequence of JSON documents either: report line by line.
	if err := lineValue(first, firstLine, c, fn); err != nil {
		return err
	}
	return readLines(bufio.NewReader(bytes.NewReader(rest)), firstLine, c, fn)
}

// readLines reads the remaining lines of r as JSON lines; lineNo is the number of the line
// read last.
func readLines(r *bufio.Reader, lineNo int, c *collector, fn func(value) error) error {
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			lineNo++
			if e := lineValue(line, lineNo, c, fn); e != nil {
				return e
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// lineValue hands one input line to fn, or reports it when it is not valid JSON.
func lineValue(line []byte, lineNo int, c *collector, fn func(value) error) error {
	t := bytes.TrimSpace(line)
	if len(t) == 0 {
		return nil
	}
	if !json.Valid(t) {
		var probe any
		err := json.Unmarshal(t, &probe)
		c.add(lineNo, "not valid JSON: %v", syntaxMessage(err))
		return nil
	}
	return fn(value{raw: t, line: lineNo})
}

// syntaxMessage returns err's message, naming the column of a syntax error.
func syntaxMessage(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d of the line)", se, se.Offset)
	}
	if err == nil {
		return "invalid"
	}
	return err.Error()
}

// documentValues splits data into its top-level JSON values; ok is false when data is not a
// sequence of JSON values.
func documentValues(data []byte, firstLine int) (values []value, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	line, pos := firstLine, 0
	for {
		var raw json.RawMessage
		start := skipSpace(data, int(dec.InputOffset()))
		if err := dec.Decode(&raw); err == io.EOF {
			return values, len(values) > 0
		} else if err != nil {
			return nil, false
		}
		line += bytes.Count(data[pos:start], []byte{'\n'})
		pos = start
		values = append(values, value{raw: data[start : start+len(raw)], line: line})
	}
}

// skipSpace returns the offset of the first byte at or after off that is not JSON white space
// or a comma.
func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// span is one JSON value inside another, with its offset in the outer value.
type span struct {
	raw []byte
	off int
}

// arrayElements returns the elements of the JSON array raw.
func arrayElements(raw []byte) ([]span, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("not a JSON array")
	}
	var out []span
	for dec.More() {
		start := skipSpace(raw, int(dec.InputOffset()))
		var el json.RawMessage
		if err := dec.Decode(&el); err != nil {
			return nil, err
		}
		out = append(out, span{raw: raw[start : start+len(el)], off: start})
	}
	return out, nil
}

// objectMember returns the value of the member key of the JSON object raw.
func objectMember(raw []byte, key string) (span, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return span{}, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return span{}, false
		}
		start := skipSpace(raw, int(dec.InputOffset()))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return span{}, false
		}
		if k, _ := tok.(string); k == key {
			return span{raw: raw[start : start+len(v)], off: start}, true
		}
	}
	return span{}, false
}

// isObject reports whether raw (valid JSON) is an object.
func isObject(raw []byte) bool { return len(raw) > 0 && raw[0] == '{' }

// isArray reports whether raw (valid JSON) is an array.
func isArray(raw []byte) bool { return len(raw) > 0 && raw[0] == '[' }

// wrappedArray returns the elements of the array held by member key of the object v, when
// there is one.
func wrappedArray(v value, key string) ([]span, bool) {
	if !isObject(v.raw) || !bytes.Contains(v.raw, []byte(`"`+key+`"`)) {
		return nil, false
	}
	m, ok := objectMember(v.raw, key)
	if !ok || !isArray(m.raw) {
		return nil, false
	}
	els, err := arrayElements(m.raw)
	if err != nil {
		return nil, false
	}
	for i := range els {
		els[i].off += m.off
	}
	return els, true
}

// eachElement calls fn for every object of the array v (elements that are not objects are
// reported), or for v itself when it is an object.
func eachObject(v value, c *collector, what string, fn func(raw []byte, line int) error) error {
	if isObject(v.raw) {
		return fn(v.raw, v.line)
	}
	if !isArray(v.raw) {
		c.add(v.line, "%s: expected a JSON object or an array of objects, found %s", what, jsonKind(v.raw))
		return nil
	}
	els, err := arrayElements(v.raw)
	if err != nil {
		c.add(v.line, "%s: %v", what, err)
		return nil
	}
	return eachSpan(v, els, c, what, fn)
}

// eachSpan calls fn for every element of els that is an object; els are offsets into v.raw.
func eachSpan(v value, els []span, c *collector, what string, fn func(raw []byte, line int) error) error {
	defer func() { c.index = 0 }()
	for i, el := range els {
		line := v.lineOf(el.off)
		if !isObject(el.raw) {
			c.add(line, "%s: expected a JSON object, found %s", what, jsonKind(el.raw))
			continue
		}
		c.index = i + 1
		if err := fn(el.raw, line); err != nil {
			return err
		}
	}
	return nil
}

// jsonKind names the kind of the JSON value raw, for messages.
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
