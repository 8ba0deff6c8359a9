package input

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func fixture(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// lineOf returns the 1-based line of data on which the first occurrence of s starts.
func lineOf(t *testing.T, data []byte, s string) int {
	t.Helper()
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		t.Fatalf("fixture lacks %q", s)
	}
	return 1 + bytes.Count(data[:i], []byte{'\n'})
}

func raws(recs []got) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.raw)
	}
	return out
}

// TestCloudWatchPayloadRecordShape pins the record shape rules are written against: the
// envelope on every log event, and a JSON message parsed into "parsed" and lifted to the
// top level where it does not collide.
func TestCloudWatchPayloadRecordShape(t *testing.T) {
	recs, err := readFixture(t, CloudWatchLogs, "cloudwatch/lambda_payload.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("want 4 records (one per log event), got %d", len(recs))
	}
	eventLines := payloadEventLines(t)
	for i, r := range recs {
		for path, want := range map[string]any{
			"owner": "381492046617", "logGroup": "/aws/lambda/q7v2kx9m3t8a1zp", "messageType": "DATA_MESSAGE",
			"logStream": "2025/05/14/[$LATEST]5d0c9e8f7a6b4c3d2e1f0a9b8c7d6e5f",
		} {
			if got := field(r.obj, path); got != want {
				t.Errorf("record %d: %s = %#v, want %#v", i+1, path, got, want)
			}
		}
		if !reflect.DeepEqual(r.obj["subscriptionFilters"], []any{"siem-forwarder"}) {
			t.Errorf("record %d: subscriptionFilters = %v", i+1, r.obj["subscriptionFilters"])
		}
		if _, ok := r.obj["logEvents"]; ok {
			t.Errorf("record %d keeps logEvents", i+1)
		}
		if _, ok := r.obj["timestamp"].(json.Number); !ok {
			t.Errorf("record %d: timestamp %#v is not the log event's number", i+1, r.obj["timestamp"])
		}
		if want := eventLines[i]; r.line != want {
			t.Errorf("record %d: line %d, want %d (where its log event starts)", i+1, r.line, want)
		}
	}
	start := recs[0].obj
	if !strings.HasPrefix(start["message"].(string), "START RequestId: 7c1e9a2b") || start["parsed"] != nil || start["id"] != "38251976401234567890123456789012345678901234567890123456" {
		t.Errorf("text event: %s", recs[0].raw)
	}
	app := recs[1].obj
	if app["level"] != "ERROR" || app["requestId"] != "7c1e9a2b-3d4f-4e5a-8b6c-9d0e1f2a3b4c" {
		t.Errorf("JSON application log not lifted: %s", recs[1].raw)
	}
	if field(app, "parsed.message") != "stratum+tcp://pool.example.net:3333 connected" || field(app, "parsed.timestamp") != "2025-05-14T08:13:22.201Z" {
		t.Errorf("colliding keys of the JSON message must stay reachable under parsed: %s", recs[1].raw)
	}
	if !strings.HasPrefix(app["message"].(string), `{"timestamp"`) || app["timestamp"] != json.Number("1747210402201") {
		t.Errorf("the log event's own message and timestamp must win: %s", recs[1].raw)
	}
	report := recs[3].obj
	if report["type"] != "platform.report" || field(report, "record.status") != "timeout" || field(report, "parsed.type") != "platform.report" ||
		field(report, "record.metrics.memorySizeMB") != json.Number("10240") {
		t.Errorf("platform.report not parsed: %s", recs[3].raw)
	}
	if !strings.Contains(recs[2].obj["message"].(string), "Task timed out after 900.10 seconds") {
		t.Errorf("timeout line: %s", recs[2].raw)
	}
}

func gzipAll(t *testing.T, data []byte) []byte { return gzipped(t, data) }

// payloadEventLines returns the lines on which the log events of the plain payload start:
// the line of each opening brace, the one before its "id".
func payloadEventLines(t *testing.T) []int {
	data := fixture(t, "cloudwatch/lambda_payload.json")
	var out []int
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), `"id": "3825197640`) {
			out = append(out, i) // 1-based line of the brace above
		}
	}
	if len(out) != 4 {
		t.Fatalf("fixture has %d log events", len(out))
	}
	return out
}

// TestCloudWatchGzipAndBase64 reads the same payload as CloudWatch Logs delivers it to
// each destination; every way gives the records of the plain payload.
func TestCloudWatchGzipAndBase64(t *testing.T) {
	plain := fixture(t, "cloudwatch/lambda_payload.json")
	want, err := readBytes(t, CloudWatchLogs, "p.json", plain, Options{})
	if err != nil || len(want) != 4 {
		t.Fatalf("plain payload: %d records, %v", len(want), err)
	}
	compact := new(bytes.Buffer)
	if err := json.Compact(compact, plain); err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(gzipAll(t, compact.Bytes()))
	kinesis := fixture(t, "cloudwatch/kinesis_event.json")
	cases := []struct {
		name  string
		data  []byte
		lines []int
	}{
		{"gzip of the payload", gzipAll(t, plain), payloadEventLines(t)},
		{"Lambda subscription event (awslogs.data)", fixture(t, "cloudwatch/awslogs_event.json"), []int{1, 1, 1, 1}},
		{"Kinesis event, control message first", kinesis, repeat(lineOf(t, kinesis, `"kinesisSchemaVersion": "1.0",
        "partitionKey": "a1b2`)-2, 4)},
		{"Firehose transformation event", fixture(t, "cloudwatch/firehose_event.json"), repeat(6, 4)},
		{"Firehose to S3: concatenated gzip members", fixture(t, "cloudwatch/firehose_s3_object.gz"), repeat(1, 4)},
		{"base64 lines", []byte(b64 + "\n\n" + b64 + "\n"), append(repeat(1, 4), repeat(3, 4)...)},
		{"Kinesis GetRecords output", []byte(`{"Records":[{"SequenceNumber":"4959","ApproximateArrivalTimestamp":"2025-05-14T08:28:23Z","Data":"` + b64 + `","PartitionKey":"a1"}],"MillisBehindLatest":0}`), repeat(1, 4)},
		{"JSON lines of payloads", []byte(compact.String() + "\n" + compact.String() + "\n"), append(repeat(1, 4), repeat(2, 4)...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, err := readBytes(t, CloudWatchLogs, "cw", c.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(lines(recs), c.lines) {
				t.Errorf("lines %v, want %v", lines(recs), c.lines)
			}
			for i, r := range recs {
				if r.raw != want[i%4].raw {
					t.Errorf("record %d differs from the plain payload's:\n got  %s\n want %s", i+1, r.raw, want[i%4].raw)
				}
			}
		})
	}
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestCloudWatchMalformedNamesLines: a record whose data is not base64, a gzip payload
// that is cut off, a payload without log events and a bad JSON line are each reported at
// their line; the rest is read.
func TestCloudWatchMalformedNamesLines(t *testing.T) {
	data := fixture(t, "cloudwatch/kinesis_event_malformed.json")
	recs, err := readBytes(t, CloudWatchLogs, "bad.json", data, Options{})
	if len(recs) != 4 {
		t.Errorf("want the 4 records of the good Kinesis record, got %d", len(recs))
	}
	p := problems(t, err)
	// Each record is named at the line of its opening brace.
	second := lineOf(t, data, `"not base64`) - 2
	third := strings.Count(string(data[:bytes.LastIndex(data, []byte(`"kinesis"`))]), "\n")
	if len(p) != 2 || !strings.Contains(p[second], "not base64") || !strings.Contains(p[third], "data (line 1 of the decoded data): not valid JSON") {
		t.Errorf("problems %v, want line %d not base64 and line %d the cut-off payload", p, second, third)
	}
	if !strings.Contains(err.Error(), "bad.json:"+strconv.Itoa(second)+": record 2 (kinesis.data): data is not base64") {
		t.Errorf("error text %q does not name file, line and record", err)
	}

	src := `{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","logEvents":[{"id":"1","timestamp":1,"message":"ok"}]}
{"messageType":"DATA_MESSAGE","logEvents":"none"}
{"messageType":"DATA_MESSAGE","logEvents":[{"id":"2"
{"just":"an event"}
{"events":[{"logStreamName":"s","timestamp":1,"message":"m","ingestionTime":2,"eventId":"1"}],"searchedLogStreams":[]}
`
	recs, err = readBytes(t, CloudWatchLogs, "lines.json", []byte(src), Options{})
	p = problems(t, err)
	if len(recs) != 1 || len(p) != 4 || !strings.Contains(p[5], "filter-log-events") || !strings.Contains(p[2], `"logEvents" is a string`) || !strings.Contains(p[3], "not valid JSON") || !strings.Contains(p[4], "not a CloudWatch Logs subscription payload") {
		t.Errorf("records %d, problems %v", len(recs), p)
	}
}

// TestJSONLNamesWrappersItCannotRead: the default format never reads a CloudWatch payload
// or a batch of base64 records as events that match nothing; it says which format reads
// them, naming the line.
func TestJSONLNamesWrappersItCannotRead(t *testing.T) {
	for _, c := range []struct{ fixture, want string }{
		{"cloudwatch/lambda_payload.json", "CloudWatch Logs subscription payload (logEvents), not an event: read it with --input cloudwatch-logs"},
		{"cloudwatch/kinesis_event.json", `"Records" holds 2 Kinesis or Firehose records whose data is base64-encoded`},
		{"cloudwatch/firehose_event.json", `"records" holds 1 Kinesis or Firehose records`},
	} {
		recs, err := readFixture(t, JSONL, c.fixture, Options{})
		p := problems(t, err)
		if len(recs) != 0 || len(p) != 1 || !strings.Contains(p[1], c.want) {
			t.Errorf("%s: %d records, problems %v; want none and line 1: %s", c.fixture, len(recs), p, c.want)
		}
	}
}

// TestAzureResourceFunctionAppLogs reads FunctionAppLogs as Event Hubs ({"records": [...]})
// and storage exports (JSON lines) deliver them, in azure-resource and in the default format.
func TestAzureResourceFunctionAppLogs(t *testing.T) {
	eh := fixture(t, "azure/function_app_logs_event_hub.json")
	ehLines := strings.Split(string(eh), "\n")
	for _, format := range []string{AzureResource, JSONL} {
		recs, err := readBytes(t, format, "eh.json", eh, Options{})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !reflect.DeepEqual(lines(recs), []int{2, 3}) {
			t.Fatalf("%s: lines %v, want [2 3]", format, lines(recs))
		}
		if recs[0].raw != strings.TrimSuffix(ehLines[1], ",") || recs[1].raw != ehLines[2] {
			t.Errorf("%s: records must pass through unchanged", format)
		}
		r := recs[1].obj
		for path, want := range map[string]any{"category": "FunctionAppLogs", "operationName": "Microsoft.Web/sites/functions/log",
			"properties.eventName": "FunctionCompleted", "properties.level": "Error", "properties.functionName": "Functions.TimerSync",
			"properties.exceptionType": "Microsoft.Azure.WebJobs.Host.FunctionTimeoutException"} {
			if got := field(r, path); got != want {
				t.Errorf("%s: %s = %#v, want %#v", format, path, got, want)
			}
		}
		if recs[0].line != 2 || recs[0].obj["level"] != "Information" {
			t.Errorf("%s: first record %s", format, recs[0].raw)
		}
	}
	recs, err := readFixture(t, AzureResource, "azure/function_app_logs_pt1h.json", Options{})
	if err != nil || !reflect.DeepEqual(lines(recs), []int{1, 2}) {
		t.Errorf("JSON lines export: lines %v, error %v", lines(recs), err)
	}
	recs, err = readFixture(t, AzureResource, "azure/function_app_logs_malformed.json", Options{})
	p := problems(t, err)
	if !reflect.DeepEqual(lines(recs), []int{1, 3}) || len(p) != 1 || !strings.Contains(p[2], "not valid JSON: the line ends inside") {
		t.Errorf("malformed: lines %v, problems %v; want records of lines 1 and 3 and line 2 named", lines(recs), p)
	}
	if !strings.Contains(err.Error(), "azure/function_app_logs_malformed.json:2: not valid JSON") {
		t.Errorf("error %q does not name file and line", err)
	}
}

// TestWorkspaceEventsAsObject: an activity whose "events" is one object gives one record,
// its parameters flattened (or kept when already an object); a bad "events" is named.
func TestWorkspaceEventsAsObject(t *testing.T) {
	recs, err := readFixture(t, Workspace, "workspace/events_object.jsonl", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lines(recs), []int{1, 2}) {
		t.Fatalf("lines %v, want [1 2]", lines(recs))
	}
	if field(recs[0].obj, "events.name") != "authorize" || field(recs[0].obj, "events.parameters.app_name") != "Invoice Helper" ||
		field(recs[0].obj, "actor.email") != "omar.haddad@example-corp.com" {
		t.Errorf("events object not read as the activity's one event: %s", recs[0].raw)
	}
	if scope, _ := field(recs[0].obj, "events.parameters.scope").([]any); len(scope) != 2 {
		t.Errorf("multiValue not flattened: %s", recs[0].raw)
	}
	if field(recs[1].obj, "events.parameters.num_response_bytes") != json.Number("1187") {
		t.Errorf("parameters already an object must be kept: %s", recs[1].raw)
	}
	recs, err = readFixture(t, Workspace, "workspace/events_object_malformed.jsonl", Options{})
	p := problems(t, err)
	if !reflect.DeepEqual(lines(recs), []int{1, 4}) || len(p) != 2 || !strings.Contains(p[2], "events: expected an array of event objects or one event object, found a string") ||
		!strings.Contains(p[3], "not valid JSON") {
		t.Errorf("malformed: lines %v, problems %v", lines(recs), p)
	}
}

// TestDocumentsLayoutRecovers: in multi-line documents a truncated value is reported at its
// first line and the next value is still read; a document broken in the middle is
// reported at the bad line, and reading goes on.
func TestDocumentsLayoutRecovers(t *testing.T) {
	src := "{\n  \"a\": 1\n}\n{\"b\":\n{\"c\": 3}\n{\n  \"d\": 4\n}\n"
	recs, err := readBytes(t, JSONL, "docs.json", []byte(src), Options{})
	p := problems(t, err)
	if !reflect.DeepEqual(lines(recs), []int{1, 6}) || !strings.Contains(p[4], "cut off at the end of line 5") {
		t.Errorf("lines %v, problems %v", lines(recs), p)
	}
	src = "{\"a\": 1} garbage\n{\"b\": 2}\n"
	recs, err = readBytes(t, JSONL, "two.json", []byte(src), Options{})
	p = problems(t, err)
	if !reflect.DeepEqual(lines(recs), []int{1, 2}) || len(p) != 1 || !strings.Contains(p[1], "unexpected 'g'") {
		t.Errorf("lines %v, problems %v", lines(recs), p)
	}
}

func TestRecordTooLargeIsSkipped(t *testing.T) {
	src := `{"a":1}` + "\n" + `{"pad":"` + strings.Repeat("x", 5000) + `"}` + "\n" + `{"Records":[{"b":2},{"pad":"` + strings.Repeat("y", 5000) + `"},{"c":3}]}` + "\n"
	recs, err := readBytes(t, JSONL, "big.jsonl", []byte(src), Options{MaxRecordBytes: 1000})
	p := problems(t, err)
	if !reflect.DeepEqual(lines(recs), []int{1, 3, 3}) || !strings.Contains(p[2], "more than 1000 bytes") || !strings.Contains(p[3], "CloudTrail record 2: a JSON value of more than 1000 bytes") {
		t.Errorf("lines %v, problems %v", lines(recs), p)
	}
}

// TestWrapperNameOnAField: an array of scalars under a wrapper's name is a field of one
// event, not a batch; an empty array or one of objects is a batch.
func TestWrapperNameOnAField(t *testing.T) {
	src := `{"Records" :
  [ 1, {"a":1}],
 "b":2}
{"user":"x","records":["a","b"]}
{"Records":[]}
{"zone":"example.net","records":[{"type":"A"}]}
`
	recs, err := readBytes(t, JSONL, "f.json", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lines(recs), []int{1, 4, 6}) || recs[0].obj["b"] != json.Number("2") || recs[1].obj["user"] != "x" || recs[2].obj["type"] != "A" {
		t.Errorf("lines %v: %v", lines(recs), raws(recs))
	}
}
