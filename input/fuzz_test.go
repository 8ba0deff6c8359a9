package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead drives every input format (chosen by which) over arbitrary bytes: reading never
// panics, every record is one JSON object, and every line named lies inside the input.
func FuzzRead(f *testing.F) {
	seeds := map[string][]string{
		JSONL:          {"jsonl/mixed.jsonl", "jsonl/pretty_array.json", "jsonl/broken_first_line.jsonl", "azure/function_app_logs_event_hub.json"},
		CloudTrail:     {"cloudtrail/one_line.json", "cloudtrail/pretty.json"},
		CloudWatchLogs: {"cloudwatch/lambda_payload.json", "cloudwatch/kinesis_event.json", "cloudwatch/kinesis_event_malformed.json", "cloudwatch/firehose_event.json", "cloudwatch/awslogs_event.json"},
		Workspace:      {"workspace/activities.jsonl", "workspace/list_response.json", "workspace/events_object_malformed.jsonl"},
		EML:            {"mail/power_automate_forward.eml", "mail/two_messages.mbox"},
		GraphHeaders:   {"mail/graph_messages.json"},
		AzureActivity:  {"azure/rest_list.json", "azure/event_hub.json"},
		AzureResource:  {"azure/function_app_logs_malformed.json", "azure/function_app_logs_pt1h.json"},
	}
	for i, format := range Formats() {
		for _, rel := range seeds[format] {
			data, err := os.ReadFile(filepath.Join(fixtures, rel))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), data)
		}
	}
	f.Add(uint8(0), []byte("{\"a\":\n[1,{\"b\":\n{\"c\":2}\n"))
	f.Add(uint8(2), []byte("H4sIAAAAAAAA/6tWKkktLlGyUlAqS8wpTVWqBQBq2Ij3EwAAAA==\n"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		formats := Formats()
		format := formats[int(which)%len(formats)]
		maxLine := 1 + bytes.Count(data, []byte{'\n'})
		compressed := len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
		opts := Options{MaxRecordBytes: 1 << 16, AcceptedDomains: []string{"contoso.example"}}
		err := ReadWith(format, "fuzz", bytes.NewReader(data), opts, func(r Record) error {
			t := bytes.TrimLeft(r.JSON, " \t\r\n")
			if len(t) == 0 || t[0] != '{' || !json.Valid(r.JSON) {
				panic("record is not one JSON object: " + string(r.JSON))
			}
			if r.Line < 1 || !compressed && r.Line > maxLine || r.Index < 0 {
				panic("record names a line outside the input")
			}
			return nil
		})
		if err == nil {
			return
		}
		var es *Errors
		if !errors.As(err, &es) {
			t.Fatalf("%s: error %T %v, want *Errors", format, err, err)
		}
		if len(es.List) == 0 || len(es.List) > maxErrors {
			t.Fatalf("%s: %d problems listed", format, len(es.List))
		}
		for _, le := range es.List {
			if le.Line < 0 || !compressed && le.Line > maxLine || le.File != "fuzz" {
				t.Fatalf("%s: problem outside the input: %v", format, le)
			}
		}
	})
}

// FuzzValid checks Valid against encoding/json's Valid, which the scan's shortcut relies on.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e-3,true,null,"x\u0041"]}`, `{"a":1,}`, "\"\xff\"", `[`, `01`, `{"a" 1}`, " {} ", "{}\f"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := Valid(data), json.Valid(data); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid %v", data, got, want)
		}
	})
}
