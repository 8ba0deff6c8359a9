package input

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMayUnwrap(t *testing.T) {
	for s, want := range map[string]bool{
		"": false, "[": false, `"Records"`: false, `{"Records":[]}`: true, `{"Records" : [1]}`: true, "{\"Records\"\t:\n[": true,
		`{"a":"Records"}`: false, `{"Records":{}}`: false, `{"x":"AWSReservedSSO","Records":1}`: false, `{"RRecords":[]}`: false,
		`{"records":[]}`: true, `{"xrecords":[1]}`: false, `{"a":["records"]}`: false, `{"logEvents":[]}`: true, `{"logEvent":[]}`: false,
		`{"a":[1],"b":"[$LATEST]","records":[{}]}`: true, `{"a":"x\u0052ecords"}`: true, `{"a":"\"quoted\""}`: false,
	} {
		if got := MayUnwrap([]byte(s)); got != want {
			t.Errorf("MayUnwrap(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestValidAgreesWithEncodingJSON checks Valid against json.Valid on hand-picked edge cases,
// the scan's shortcut relies on the two agreeing.
func TestValidAgreesWithEncodingJSON(t *testing.T) {
	cases := []string{``, ` `, `{}`, `[]`, `{"a":1}`, `{"a":1,}`, `[1,]`, `01`, `-0`, `-`, `1.`, `1.5e`, `1e+5`, `1E-5`,
		`"\u12"`, `"\u1234"`, `"\q"`, "\"\x01\"", "\"\xff\xfe\"", `tru`, `true`, `nul`, `null `, ` null`, `{"a" 1}`,
		`{"a":1} {"b":2}`, `{"a":1}x`, "{\"a\":\n1}", "\f{}", "{}\f", `[1,2,3]`, `{"a":{"b":[true,false,null]}}`,
		`{"a":1}}`, `}`, `]`, `"`, `"\"`, `"\\"`, `1 2`, `[1 2]`, `{"a":-01}`, `{"a":.5}`, `{"a":+5}`,
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		strings.Repeat(`{"a":`, 9999) + "1" + strings.Repeat("}", 9999), strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001)}
	for _, c := range cases {
		if got, want := Valid([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("Valid(%.40q) = %v, json.Valid %v", c, got, want)
		}
	}
}

// brokenReader gives data, then err.
type brokenReader struct {
	data []byte
	err  error
}

func (b *brokenReader) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, b.err
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

// TestReadErrorMidValue: when the input breaks off inside a value, the read error is the
// problem, not the value; an interrupted read (context.Canceled) stops reading and is
// returned as such, with the problems found before it.
func TestReadErrorMidValue(t *testing.T) {
	n := 0
	err := Read(JSONL, "x", &brokenReader{[]byte("{\"a\":1}\nnope\n{\"b\":"), errors.New("disk on fire")}, func(Record) error { n++; return nil })
	var es *Errors
	if !errors.As(err, &es) || n != 1 || len(es.List) != 2 || es.List[0].Line != 2 || es.List[1].Msg != "read: disk on fire" {
		t.Fatalf("records %d, error %v", n, err)
	}
	err = Read(CloudWatchLogs, "x", &brokenReader{[]byte("nope\n{\"b\":"), fmt.Errorf("stop: %w", context.Canceled)}, func(Record) error { return nil })
	if !errors.Is(err, context.Canceled) || !errors.As(err, &es) || len(es.List) != 1 || es.List[0].Line != 1 {
		t.Fatalf("interrupted read: %v", err)
	}
}
