package input

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const fixtures = "../testdata/input"

// got is one emitted record, decoded.
type got struct {
	line int
	raw  string
	obj  map[string]any
}

// readFixture reads a fixture file in format with opts and returns its records and error.
func readFixture(t *testing.T, format, rel string, opts Options) ([]got, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, rel))
	if err != nil {
		t.Fatal(err)
	}
	return readBytes(t, format, rel, data, opts)
}

func readBytes(t *testing.T, format, name string, data []byte, opts Options) ([]got, error) {
	t.Helper()
	var out []got
	err := ReadWith(format, name, bytes.NewReader(data), opts, func(r Record) error {
		if r.File != name {
			t.Errorf("record names file %q, want %q", r.File, name)
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(r.JSON))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			t.Fatalf("%s:%d: record is not a JSON object: %v: %s", r.File, r.Line, err, r.JSON)
		}
		out = append(out, got{line: r.Line, raw: string(r.JSON), obj: obj})
		return nil
	})
	return out, err
}

// problems returns the "line: message" pairs of an *Errors, failing on any other error.
func problems(t *testing.T, err error) map[int]string {
	t.Helper()
	if err == nil {
		return nil
	}
	var es *Errors
	if !errors.As(err, &es) {
		t.Fatalf("error is %T (%v), want *Errors", err, err)
	}
	out := map[int]string{}
	for _, le := range es.List {
		out[le.Line] = le.Msg
	}
	return out
}

// field walks a dotted path through decoded JSON objects.
func field(obj map[string]any, path string) any {
	var cur any = obj
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func lines(recs []got) []int {
	var out []int
	for _, r := range recs {
		out = append(out, r.line)
	}
	return out
}

func TestJSONLinesMixedContent(t *testing.T) {
	recs, err := readFixture(t, "", "jsonl/mixed.jsonl", Options{})
	if want := []int{1, 4, 4, 6, 6, 7}; !reflect.DeepEqual(lines(recs), want) {
		t.Fatalf("record lines %v, want %v", lines(recs), want)
	}
	var ns []string
	for _, r := range recs {
		ns = append(ns, string(r.obj["n"].(json.Number)))
	}
	if want := []string{"1", "2", "3", "4", "5", "6"}; !reflect.DeepEqual(ns, want) {
		t.Errorf("records n = %v, want %v", ns, want)
	}
	if recs[0].raw != `{"eventName": "CreateFunction20150331", "n": 1}` {
		t.Errorf("a JSON line must pass through byte for byte, got %s", recs[0].raw)
	}
	p := problems(t, err)
	if len(p) != 2 || !strings.Contains(p[3], "not valid JSON") || !strings.Contains(p[5], "found a number") {
		t.Errorf("problems %v, want line 3 invalid JSON and line 5 a number", p)
	}
	if msg := err.Error(); !strings.Contains(msg, "jsonl/mixed.jsonl:3: not valid JSON") {
		t.Errorf("error text %q does not name file and line", msg)
	}
}

func TestJSONLinesPrettyArrayKeepsLineNumbers(t *testing.T) {
	recs, err := readFixture(t, JSONL, "jsonl/pretty_array.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 11}; !reflect.DeepEqual(lines(recs), want) {
		t.Errorf("record lines %v, want %v", lines(recs), want)
	}
	if field(recs[0].obj, "nested.a") == nil {
		t.Errorf("nested content lost: %s", recs[0].raw)
	}
}

func TestJSONLinesBrokenFirstLineStillReadsTheRest(t *testing.T) {
	recs, err := readFixture(t, JSONL, "jsonl/broken_first_line.jsonl", Options{})
	if want := []int{2, 3}; !reflect.DeepEqual(lines(recs), want) {
		t.Errorf("record lines %v, want %v", lines(recs), want)
	}
	if p := problems(t, err); len(p) != 1 || p[1] == "" {
		t.Errorf("problems %v, want one on line 1", p)
	}
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCloudTrailLogFiles(t *testing.T) {
	plain, err := os.ReadFile(filepath.Join(fixtures, "cloudtrail/one_line.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, format string
		data         []byte
		lines        []int
	}{
		{"one line, cloudtrail", CloudTrail, plain, []int{1, 1}},
		{"one line, jsonl detects it", JSONL, plain, []int{1, 1}},
		{"gzipped, cloudtrail", CloudTrail, gzipped(t, plain), []int{1, 1}},
		{"gzipped, jsonl", JSONL, gzipped(t, plain), []int{1, 1}},
	}
	pretty, err := os.ReadFile(filepath.Join(fixtures, "cloudtrail/pretty.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct {
		name, format string
		data         []byte
		lines        []int
	}{"pretty-printed", CloudTrail, pretty, []int{3, 14}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, err := readBytes(t, c.format, "ct.json", c.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(lines(recs), c.lines) {
				t.Errorf("record lines %v, want %v", lines(recs), c.lines)
			}
			if len(recs) != 2 || recs[0].obj["eventName"] != "CreateFunction20150331" || field(recs[1].obj, "requestParameters.principal") != "*" {
				t.Errorf("records are not the two CloudTrail records: %v", recs)
			}
			if n, _ := field(recs[0].obj, "requestParameters.memorySize").(json.Number); n != "10240" {
				t.Errorf("number text changed: %v", n)
			}
		})
	}
	// The record starts on its line: the line holds its opening brace.
	prettyLines := strings.Split(string(pretty), "\n")
	for _, l := range []int{3, 14} {
		if strings.TrimSpace(prettyLines[l-1]) != "{" {
			t.Errorf("fixture line %d is %q, expected a record's opening brace", l, prettyLines[l-1])
		}
	}
}

func TestCloudTrailFormatRejectsOtherJSON(t *testing.T) {
	recs, err := readFixture(t, CloudTrail, "cloudtrail/not_cloudtrail.json", Options{})
	if len(recs) != 0 {
		t.Errorf("emitted %d records from a file that is not a CloudTrail log file", len(recs))
	}
	if p := problems(t, err); !strings.Contains(p[1], `"Records"`) {
		t.Errorf("problems %v, want line 1 to say Records is missing", p)
	}
}

func TestWorkspaceActivitiesFlattened(t *testing.T) {
	recs, err := readFixture(t, Workspace, "workspace/activities.jsonl", Options{})
	if want := []int{1, 1, 2}; !reflect.DeepEqual(lines(recs), want) {
		t.Fatalf("record lines %v, want %v", lines(recs), want)
	}
	if p := problems(t, err); len(p) != 1 || !strings.Contains(p[3], `no "events"`) {
		t.Errorf("problems %v, want line 3 without events", p)
	}
	auth := recs[0].obj
	checks := map[string]any{
		"events.name":                          "authorize",
		"events.type":                          "auth",
		"id.applicationName":                   "token",
		"actor.email":                          "omar.haddad@example-corp.com",
		"ipAddress":                            "198.51.100.203",
		"events.parameters.app_name":           "Invoice Helper",
		"events.parameters.num_response_bytes": json.Number("1187"),
	}
	for path, want := range checks {
		if got := field(auth, path); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	scope, _ := field(auth, "events.parameters.scope").([]any)
	if len(scope) != 2 || scope[1] != "https://www.googleapis.com/auth/script.external_request" {
		t.Errorf("scope = %v, want the two scope URLs", scope)
	}
	sd, _ := field(auth, "events.parameters.scope_data").([]any)
	if len(sd) != 2 {
		t.Fatalf("scope_data = %v, want two objects", sd)
	}
	first, _ := sd[0].(map[string]any)
	if !reflect.DeepEqual(first["product_bucket"], []any{"APPS_SCRIPT_RUNTIME"}) || first["scope_name"] == nil {
		t.Errorf("scope_data[0] = %v, want scope_name and product_bucket [APPS_SCRIPT_RUNTIME]", first)
	}
	if field(recs[1].obj, "events.name") != "request" || field(recs[1].obj, "actor.email") == nil {
		t.Errorf("second event of the activity: %s", recs[1].raw)
	}
	drive := recs[2].obj
	if field(drive, "events.parameters.owner_is_team_drive") != false {
		t.Errorf("boolValue not a boolean: %s", recs[2].raw)
	}
	if got := field(drive, "events.parameters.label.field_values"); !reflect.DeepEqual(got, []any{json.Number("3"), json.Number("5")}) {
		t.Errorf("messageValue/multiIntValue flattened to %#v", got)
	}
	if field(drive, "events.parameters.label.id") != "lbl-1" {
		t.Errorf("messageValue not flattened: %s", recs[2].raw)
	}
}

func TestWorkspaceListResponse(t *testing.T) {
	recs, err := readFixture(t, Workspace, "workspace/list_response.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []any
	for _, r := range recs {
		names = append(names, field(r.obj, "events.name"))
	}
	if want := []any{"copy", "authorize", "request"}; !reflect.DeepEqual(names, want) {
		t.Errorf("events %v, want %v", names, want)
	}
	if recs[0].line >= recs[1].line || recs[1].line != recs[2].line {
		t.Errorf("lines %v: items must carry their own start lines, events of one activity share it", lines(recs))
	}
}

var contoso = Options{AcceptedDomains: []string{"contoso.example"}}

func TestEMLHeadersUnfoldedAndNormalised(t *testing.T) {
	recs, err := readFixture(t, EML, "mail/power_automate_forward.eml", contoso)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].line != 1 {
		t.Fatalf("want one record at line 1, got %v", lines(recs))
	}
	m := recs[0].obj
	want := map[string]any{
		"headers.x-ms-mail-application":    "Microsoft Power Automate; User-Agent: azure-logic-apps/1.0 (workflow 5C0E2A7F9B1D4E3C8A6F0B2D4C6E8A1F; version 08584412097735519024) microsoft-flow/1.0",
		"headers.x-ms-mail-operation-type": "Forward",
		"headers.x-ms-mail-environment-id": "default-8d3e5f7a-1b2c-4d4e-9f6a-7b8c9d0e1f2a",
		"headers.x-ms-mail-workflow":       "x-ms-workflow-name: 9a7b5c3d-1e2f-4a6b-8c0d-2e4f6a8b0c1d;\tx-ms-workflow-run-id: 08584412061230456789012345678CU31; x-ms-client-request-id: 4d2c0b9a-8e7f-4a6b-9c5d-3e1f0a2b4c6d;",
		"headers.received":                 "from AM9PR04MB8123.eurprd04.prod.outlook.com (2603:10a6:20b:3e4::11) by AM9PR04MB8124.eurprd04.prod.outlook.com with HTTPS; Tue, 19 Aug 2025 15:02:44 +0000",
		"ms_mail_workflow_id":              "5c0e2a7f9b1d4e3c8a6f0b2d4c6e8a1f",
		"sender":                           "lena.fischer@contoso.example",
		"subject":                          "FW: Q3 board pack – final",
		"timestamp":                        "2025-08-19T15:02:44Z",
		"message_id":                       "<AM9PR04MB81234ABCD5678EF90123456789AB@AM9PR04MB8123.eurprd04.prod.outlook.com>",
		"direction":                        "outbound",
		"has_external_recipient":           true,
	}
	for path, w := range want {
		if g := fieldFlat(m, path); !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", path, g, w)
		}
	}
	if r := m["recipients"]; !reflect.DeepEqual(r, []any{"inbox-drop@protonmail.example", "finance@contoso.example"}) {
		t.Errorf("recipients = %v", r)
	}
	if _, body := m["body"]; body {
		t.Error("the body must not be read")
	}
	// Without accepted domains, direction and external recipients cannot be known.
	recs, err = readFixture(t, EML, "mail/power_automate_forward.eml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"direction", "has_external_recipient"} {
		if _, ok := recs[0].obj[k]; ok {
			t.Errorf("%s set without accepted domains", k)
		}
	}
}

// fieldFlat is field for paths whose last keys contain dots or dashes under "headers".
func fieldFlat(obj map[string]any, path string) any {
	if h, ok := strings.CutPrefix(path, "headers."); ok {
		hs, _ := obj["headers"].(map[string]any)
		return hs[h]
	}
	return field(obj, path)
}

func TestEMLMailbox(t *testing.T) {
	recs, err := readFixture(t, EML, "mail/two_messages.mbox", contoso)
	if want := []int{2, 12}; !reflect.DeepEqual(lines(recs), want) {
		t.Fatalf("record lines %v, want %v", lines(recs), want)
	}
	if p := problems(t, err); len(p) != 1 || !strings.Contains(p[16], "not a header field") {
		t.Errorf("problems %v, want line 16 not a header field", p)
	}
	first, second := recs[0].obj, recs[1].obj
	if first["direction"] != "internal" || first["has_external_recipient"] != false {
		t.Errorf("first message: direction %v, external %v; want internal, false", first["direction"], first["has_external_recipient"])
	}
	if first["ms_mail_workflow_id"] != "0f1e2d3c4b5a69788796a5b4c3d2e1f0" {
		t.Errorf("workflow id from a folded Logic Apps header: %v", first["ms_mail_workflow_id"])
	}
	if second["direction"] != "inbound" || second["sender"] != "partner@fabrikam.example" {
		t.Errorf("second message: %s", recs[1].raw)
	}
}

func TestGraphHeaders(t *testing.T) {
	recs, err := readFixture(t, GraphHeaders, "mail/graph_messages.json", contoso)
	if len(recs) != 1 {
		t.Fatalf("want 1 record (the second message has no headers), got %d", len(recs))
	}
	p := problems(t, err)
	if len(p) != 1 {
		t.Fatalf("problems %v, want one", p)
	}
	for line, msg := range p {
		if !strings.Contains(msg, "internetMessageHeaders") || line <= recs[0].line {
			t.Errorf("problem at line %d %q: want the second message's line and the missing headers", line, msg)
		}
	}
	m := recs[0].obj
	if fieldFlat(m, "headers.x-ms-mail-environment-id") != "default-8d3e5f7a-1b2c-4d4e-9f6a-7b8c9d0e1f2a" {
		t.Errorf("header names must be lower-cased: %s", recs[0].raw)
	}
	if !reflect.DeepEqual(fieldFlat(m, "headers.received"), []any{"from a.example by b.example", "from c.example by a.example"}) {
		t.Errorf("repeated header must become an array: %v", fieldFlat(m, "headers.received"))
	}
	want := map[string]any{"sender": "lena.fischer@contoso.example", "direction": "outbound", "has_external_recipient": true,
		"subject": "Expense report approved", "timestamp": "2025-08-19T15:20:01Z",
		"message_id": "<PA4PR04MB92115C3E@PA4PR04MB9211.eurprd04.prod.outlook.com>"}
	for k, w := range want {
		if m[k] != w {
			t.Errorf("%s = %v, want %v", k, m[k], w)
		}
	}
	if _, ok := m["ms_mail_workflow_id"]; ok {
		t.Error("Power Apps mail has no workflow id")
	}
}

func TestAzureRESTShapeNormalised(t *testing.T) {
	recs, err := readFixture(t, AzureActivity, "azure/rest_list.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("want 2 records, got %d", len(recs))
	}
	done, started := recs[0].obj, recs[1].obj
	want := map[string]any{
		"operationName":                 "MICROSOFT.WEB/SITES/FUNCTIONS/WRITE",
		"resultType":                    "Success",
		"resultSignature":               "Created",
		"callerIpAddress":               "203.0.113.78",
		"category":                      "Administrative",
		"level":                         "Information",
		"time":                          "2025-06-02T12:00:05.1234567Z",
		"correlationId":                 "9b1d4c2a-6e7f-4a8b-9c0d-1e2f3a4b5c6d",
		"resourceId":                    "/SUBSCRIPTIONS/6F2A9C41-7B3D-4E8A-9C05-1D2E3F4A5B6C/RESOURCEGROUPS/RG-BILLING/PROVIDERS/MICROSOFT.WEB/SITES/FUNC-INVOICE-EXPORT/FUNCTIONS/TIMERSYNC",
		"identity.authorization.action": "Microsoft.Web/sites/functions/write",
		"identity.claims.name":          "Ravi Menon",
		"properties.statusCode":         "Created",
		"properties.eventName":          "EndRequest",
		"properties.eventCategory":      "Administrative",
		"properties.operationId":        "04e575f8-48d0-4c43-a8b3-78c4eb01d287",
	}
	for path, w := range want {
		if g := field(done, path); g != w {
			t.Errorf("%s = %#v, want %#v", path, g, w)
		}
	}
	for _, k := range []string{"caller", "status", "subStatus", "eventTimestamp", "claims", "authorization", "submissionTimestamp"} {
		if _, ok := done[k]; ok {
			t.Errorf("REST key %s left in the normalised record", k)
		}
	}
	if started["resultType"] != "Start" || started["callerIpAddress"] != "203.0.113.77" {
		t.Errorf("Started record: resultType %v, callerIpAddress %v; want Start and the claims ipaddr", started["resultType"], started["callerIpAddress"])
	}
	if recs[0].line >= recs[1].line {
		t.Errorf("lines %v must follow the elements of the value array", lines(recs))
	}
}

func TestAzureExportShapePassesThrough(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixtures, "azure/event_hub.json"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := readBytes(t, AzureActivity, "eh.json", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 1, 2}; !reflect.DeepEqual(lines(recs), want) {
		t.Fatalf("record lines %v, want %v", lines(recs), want)
	}
	second := strings.SplitN(string(data), "\n", 3)[1]
	if recs[2].raw != second {
		t.Errorf("an export-shape record must pass through unchanged:\n got  %s\n want %s", recs[2].raw, second)
	}
	if recs[1].obj["resultType"] != "Start" {
		t.Errorf("records array order lost: %s", recs[1].raw)
	}
}

func TestEmitErrorStopsReading(t *testing.T) {
	stop := errors.New("enough")
	calls := 0
	err := Read(JSONL, "x.jsonl", strings.NewReader("{\"a\":1}\n{\"a\":2}\n"), func(Record) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Read returned %v after %d calls, want the emit error after 1", err, calls)
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Read("syslog", "x.log", strings.NewReader(""), func(Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `unknown input format "syslog"`) {
		t.Errorf("got %v", err)
	}
}

func TestEmptyInputHasNoRecordsAndNoErrors(t *testing.T) {
	for _, f := range Formats() {
		n := 0
		err := Read(f, "empty", strings.NewReader("\n  \n"), func(Record) error { n++; return nil })
		if err != nil || n != 0 {
			t.Errorf("%s: %d records, error %v", f, n, err)
		}
	}
}

func TestErrorListIsBounded(t *testing.T) {
	bad := strings.Repeat("{\"a\":1}\nnot json\n", maxErrors+20)
	n := 0
	err := Read(JSONL, "bad.jsonl", strings.NewReader(bad), func(Record) error { n++; return nil })
	var es *Errors
	if !errors.As(err, &es) || len(es.List) != maxErrors || es.Dropped != 20 || n != maxErrors+20 {
		t.Fatalf("records %d, error %T; want %d records, %d kept problems and 20 dropped", n, err, maxErrors+20, maxErrors)
	}
	if !strings.HasSuffix(es.Error(), "... and 20 more problems") || es.List[0].Line != 2 {
		t.Errorf("error text or first line wrong: first line %d", es.List[0].Line)
	}
}

func TestRecordIndex(t *testing.T) {
	src := "{\"a\":1}\n[{\"b\":1},{\"b\":2}]\n{\"Records\":[{\"c\":1}]}\n{\"d\":1}\n"
	var got []Record
	if err := Read(JSONL, "x", strings.NewReader(src), func(r Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []struct{ line, index int }{{1, 0}, {2, 1}, {2, 2}, {3, 1}, {4, 0}}
	if len(got) != len(want) {
		t.Fatalf("got %d records", len(got))
	}
	for i, w := range want {
		if got[i].Line != w.line || got[i].Index != w.index {
			t.Errorf("record %d: line %d index %d, want line %d index %d", i, got[i].Line, got[i].Index, w.line, w.index)
		}
	}
}
