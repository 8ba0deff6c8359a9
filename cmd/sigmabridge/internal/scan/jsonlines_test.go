package scan

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
)

// readOutcome is what a reader made of an input: the records a scan matches, in order, and
// the problems it reports.
type readOutcome struct {
	records []string // file:line#index json
	errs    string
	// unchecked counts the records the fast path handed on unvalidated.
	unchecked int
}

func recordString(rec input.Record) string {
	return fmt.Sprintf("%s:%d#%d %s", rec.File, rec.Line, rec.Index, rec.JSON)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	var ie *input.Errors
	if !errors.As(err, &ie) {
		return "not an *input.Errors: " + err.Error()
	}
	return fmt.Sprintf("%s\n(%d listed, %d dropped)", ie.Error(), len(ie.List), ie.Dropped)
}

// viaInput is the reference: input.Read.
func viaInput(data []byte, r io.Reader) readOutcome {
	if r == nil {
		r = bytes.NewReader(data)
	}
	var out readOutcome
	err := input.Read(input.JSONL, "f.jsonl", r, func(rec input.Record) error {
		out.records = append(out.records, recordString(rec))
		return nil
	})
	out.errs = errString(err)
	return out
}

// viaFastPath reads as localMatcher does: with input.Options.TrustObjects, unchecked
// object lines are parsed by the evaluator, and only when it rejects one is input.Check
// asked. A line Check finds valid stays, as the record input.Read would have emitted.
func viaFastPath(t testing.TB, m *evaluator.Matcher, data []byte, r io.Reader) readOutcome {
	if r == nil {
		r = bytes.NewReader(data)
	}
	var out readOutcome
	var found []*input.LineError
	err := input.ReadWith(input.JSONL, "f.jsonl", r, input.Options{TrustObjects: true}, func(rec input.Record) error {
		if rec.Unchecked {
			out.unchecked++
		}
		if _, err := m.MatchJSON(rec.JSON); err != nil && rec.Unchecked {
			if p := input.Check(rec.File, rec.Line, rec.JSON); p != nil {
				found = append(found, p)
				return nil
			}
		}
		out.records = append(out.records, recordString(rec))
		return nil
	})
	var ie *input.Errors
	if err != nil && !errors.As(err, &ie) {
		t.Fatalf("input.ReadWith: %v", err)
	}
	out.errs = errString(input.AddProblems(err, found))
	return out
}

func testMatcher(t testing.TB) *evaluator.Matcher {
	t.Helper()
	rules, diags := translator.LoadBytes("r.yml", []byte(rule))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	prog, errs := evaluator.Compile(rules)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return prog.NewMatcher()
}

func checkSame(t testing.TB, name string, m *evaluator.Matcher, data []byte) {
	t.Helper()
	want, got := viaInput(data, nil), viaFastPath(t, m, data, nil)
	if strings.Join(want.records, "\n") != strings.Join(got.records, "\n") || want.errs != got.errs {
		t.Errorf("%s: input %q\ninput.Read: %d records\n%s\nerrors:\n%s\nfast path: %d records\n%s\nerrors:\n%s", name, data,
			len(want.records), strings.Join(want.records, "\n"), want.errs,
			len(got.records), strings.Join(got.records, "\n"), got.errs)
	}
}

const ctLine = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::381492046617:user/ops-alice"},"eventSource":"lambda.amazonaws.com","eventName":"CreateFunction20150331","requestParameters":{"functionName":"fn-1","layers":["arn:aws:lambda:eu-west-1:999988887777:layer:x:3"],"memorySize":10240,"timeout":900.5e0},"responseElements":null,"readOnly":false,"note":"caf\u00e9 \"quoted\" \\ tab\t"}`

// TestFastPathAgreesWithInput checks that the scan's JSON-lines shortcut yields exactly
// the records and problems of input.Read, on hand-written edge cases and on thousands of
// randomly damaged CloudTrail lines.
func TestFastPathAgreesWithInput(t *testing.T) {
	m := testMatcher(t)
	cases := map[string]string{
		"plain":                ctLine + "\n" + ctLine + "\n",
		"no final newline":     ctLine + "\n" + ctLine,
		"blank lines and CRLF": "\n  \r\n" + ctLine + "\r\n\r\n\t" + ctLine + "  \r\n\n",
		"lines cut off before CRLF and blanks": ctLine + "\r\n" + `{"a":1, ` + "\r\n" + `{"a":"x  ` + "\r\n" + `{"a":[1 ` + "\n" +
			`{"a":"x` + "\r\r\n" + `{"a": tr ` + "\r\n" + `{"a":"\u12 ` + "\n" + `{"a":"\ ` + "\n" + "{\"a\":\"x\t \r\n" + ctLine + "\r\n",
		"leading blanks":      ctLine + "\n   {\"a\" 1}\n\t{\"a\":tru}\n \t [1,{\"a\":1},x]\n" + ctLine + "\n",
		"BOM":                 "\xef\xbb\xbf" + ctLine + "\n" + ctLine + "\n",
		"BOM on a blank line": "\xef\xbb\xbf\n" + ctLine + "\n",
		"BOM later is kept":   ctLine + "\n\xef\xbb\xbf" + ctLine + "\n",
		"bad lines": ctLine + "\n{broken\n" + `{"a":1,}` + "\n" + `{"a":01}` + "\n" + "{\"a\":\"\x01\"}\n" +
			`{"a":1} {"b":2}` + "\n" + `{"a":1}x` + "\n" + `{"a":tru}` + "\n" + `{"a":"\u12"}` + "\n" + `{"a":1e}` + "\n" +
			`{"a":-}` + "\n" + `{"a":"\q"}` + "\n" + `{"a" 1}` + "\n" + `{"a":[1,]}` + "\n" + `{` + "\n" + `{}}` + "\n" + ctLine + "\n",
		"invalid UTF-8 is valid JSON": "{\"a\":\"\xff\xfe\"}\n" + ctLine + "\n",
		"arrays and scalars": ctLine + "\n" + `[{"eventName":"CreateFunction"},{"b":2}]` + "\n" + `[1,{"a":1},"x"]` + "\n" +
			`"x"` + "\n42\nnull\ntrue\n[]\n" + ctLine + "\n",
		"CloudTrail files": ctLine + "\n" + `{"Records":[{"eventName":"CreateFunction"},{"b":2},3]}` + "\n" +
			`{"x":"Records"}` + "\n" + `{"Records":{"a":1}}` + "\n" + `{"Records":[1,}` + "\n" + ctLine + "\n",
		"first line a CloudTrail file": `{"Records":[{"a":1},{"b":2}]}` + "\n" + ctLine + "\n",
		"records batches and CloudWatch payloads": ctLine + "\n" + `{"records":[{"category":"FunctionAppLogs"},7]}` + "\n" +
			`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","message":"m"}]}` + "\n" + `{"Records":[{"kinesis":{"data":"H4sI"}}]}` + "\n" +
			`{"a":"\u0072ecords","\u0072ecords":[{"b":1}]}` + "\n" + `{"records" : [{"c":1}]} x` + "\n" + ctLine + "\n",
		"long lines later":              ctLine + "\n" + strings.Repeat(`{"pad":"`+strings.Repeat("y", 300<<10)+`"}`+"\n{broken\n", 3) + ctLine + "\n",
		"long first line":               `{"pad":"` + strings.Repeat("z", 300<<10) + `"}` + "\n{broken\n" + ctLine + "\n",
		"first line an array":           `[{"a":1},{"b":2}]` + "\n" + ctLine + "\n",
		"first line invalid, documents": "{\n  \"a\": 1\n}\n{\"b\":\n 2}\n" + ctLine + "\n",
		"first line invalid, array doc": "[\n" + ctLine + ",\n" + ctLine + "\n]\n",
		"first line invalid, garbage":   "{broken\n" + ctLine + "\n{also broken\n",
		"only blank lines":              "\n \n\t\r\n",
		"empty":                         "",
		"deep nesting":                  ctLine + "\n" + strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001) + "\n" + strings.Repeat(`{"a":`, 9999) + "1" + strings.Repeat("}", 9999) + "\n",
		"long line":                     ctLine + "\n" + `{"pad":"` + strings.Repeat("x", 700<<10) + `","eventName":"CreateFunction"}` + "\n" + ctLine + "\n",
	}
	var many strings.Builder
	many.WriteString(ctLine + "\n")
	for i := range 150 {
		fmt.Fprintf(&many, "{bad %d\n[1,{\"a\":%d}]\n", i, i)
	}
	cases["more problems than input keeps"] = many.String()
	for name, data := range cases {
		checkSame(t, name, m, []byte(data))
	}
	// The fast path is taken from the second line on, for object lines without a \u
	// escape or a wrapper array, and not for a line longer than 256 KiB.
	// ("{broken" leaves the layout undecided: the line after it decides it.)
	plain := `{"eventName":"CreateFunction","a":[1]}` + "\n"
	for data, want := range map[string]int{
		plain + plain + plain: 2, cases["bad lines"]: 14, cases["first line invalid, garbage"]: 1,
		plain + `{"pad":"` + strings.Repeat("x", 300<<10) + `"}` + "\n" + plain: 1,
		plain + `{"records":[{"a":1}]}` + "\n" + ctLine + "\n" + plain:          1,
	} {
		checkSame(t, "fast path", m, []byte(data))
		if got := viaFastPath(t, m, []byte(data), nil).unchecked; got != want {
			t.Errorf("%.40q...: %d lines handed on unchecked, want %d", data, got, want)
		}
	}

	// Gzip goes through input.Read.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(cases["bad lines"]))
	zw.Close()
	checkSame(t, "gzip", m, gz.Bytes())

	// Random damage to CloudTrail lines: every byte edit JSON cares about.
	rng := rand.New(rand.NewPCG(9, 27))
	edits := []byte("{}[]\",:\\ 0e-+.tfnu\x01\xff\n\r\t")
	var fuzz bytes.Buffer
	fuzz.WriteString(ctLine + "\n")
	for range 4000 {
		line := []byte(ctLine)
		for range 1 + rng.IntN(2) {
			i := rng.IntN(len(line))
			switch rng.IntN(3) {
			case 0:
				line[i] = edits[rng.IntN(len(edits))]
			case 1:
				line = append(line[:i], line[i+1:]...)
			default:
				line = append(line[:i], append([]byte{edits[rng.IntN(len(edits))]}, line[i:]...)...)
			}
		}
		fuzz.Write(line)
		fuzz.WriteByte('\n')
	}
	want, got := viaInput(fuzz.Bytes(), nil), viaFastPath(t, m, fuzz.Bytes(), nil)
	if len(want.records) < 500 || !strings.Contains(want.errs, "dropped") {
		t.Fatalf("the damaged lines should give both records and problems: %d records, errors %q", len(want.records), want.errs)
	}
	if strings.Join(want.records, "\n") != strings.Join(got.records, "\n") || want.errs != got.errs {
		for i := range min(len(want.records), len(got.records)) {
			if want.records[i] != got.records[i] {
				t.Fatalf("damaged lines: record %d differs:\ninput.Read: %s\nfast path: %s", i, want.records[i], got.records[i])
			}
		}
		t.Fatalf("damaged lines: %d records and errors\n%s\nfrom input.Read, %d and\n%s\nfrom the fast path",
			len(want.records), want.errs, len(got.records), got.errs)
	}
}

// failingReader returns its data, then an error.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestFastPathReadErrorAsInput(t *testing.T) {
	m := testMatcher(t)
	for _, data := range []string{"", "\n", ctLine + "\n{bad\n" + ctLine, ctLine + "\n" + ctLine + "\n"} {
		boom := errors.New("disk on fire")
		want := viaInput(nil, &failingReader{[]byte(data), boom})
		got := viaFastPath(t, m, nil, &failingReader{[]byte(data), boom})
		if strings.Join(want.records, "\n") != strings.Join(got.records, "\n") || want.errs != got.errs {
			t.Errorf("%q then a read error: input.Read %v %q, fast path %v %q", data, want.records, want.errs, got.records, got.errs)
		}
		if !strings.Contains(got.errs, "disk on fire") {
			t.Errorf("%q: the read error is not reported: %q", data, got.errs)
		}
	}
}

// TestScanShortcutSameInBothModes runs a file with every kind of line through scan with the
// detector plugin, where rejected object lines are checked once their batch comes back,
// and in process: the output and the messages must be the same, and problems reported in
// input order.
func TestScanShortcutSameInBothModes(t *testing.T) {
	r, _ := setup(t)
	var data strings.Builder
	data.WriteString(`{"eventName":"CreateFunction"}` + "\n")
	for i := range 200 {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&data, "{broken %d\n", i)
		case 1:
			fmt.Fprintf(&data, "[1,{\"eventName\":\"CreateFunction%d\"}]\n", i)
		case 2:
			fmt.Fprintf(&data, "{\"eventName\":\"CreateFunction%d\"}\n", i)
		default:
			fmt.Fprintf(&data, "{\"Records\":[{\"eventName\":\"CreateFunction%d\"},\"x\"]}\n", i)
		}
	}
	logs := filepath.Join(t.TempDir(), "mixed.jsonl")
	if err := os.WriteFile(logs, []byte(data.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var outs, errs []string
	modes(t, func(t *testing.T, o Options) {
		o.Rules, o.Files = []string{r}, []string{logs}
		code, out, stderr := runScan(t, o)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		outs, errs = append(outs, out), append(errs, stderr)
	})
	if len(outs) != 2 {
		t.Fatal("a mode did not run")
	}
	if outs[0] != outs[1] || errs[0] != errs[1] {
		t.Errorf("plugin and in-process differ:\nplugin stdout:\n%s\nstderr:\n%s\nin-process stdout:\n%s\nstderr:\n%s", outs[0], errs[0], outs[1], errs[1])
	}
	// 1 + 3 * 50 records; 150 problems: 100 listed in line order, the rest counted.
	if n := strings.Count(outs[1], "\n"); n != 151 {
		t.Errorf("%d matches, want 151", n)
	}
	first := strings.Index(errs[1], logs+":2: not valid JSON")
	second := strings.Index(errs[1], logs+":3: event: expected a JSON object")
	if first < 0 || second < first || !strings.Contains(errs[1], "more problems") {
		t.Errorf("problems not reported in input order:\n%s", errs[1])
	}
}

// FuzzFastPathAgreesWithInput: on any input, the scan's JSON-lines shortcut yields the
// records and problems input.Read yields.
func FuzzFastPathAgreesWithInput(f *testing.F) {
	for _, s := range []string{ctLine + "\n{broken\n" + ctLine + "\n", "{\"records\":[{\"a\":1},2]}\n" + ctLine,
		"{\n \"a\": 1\n}\n" + ctLine, "  {\"a\":1, \r\n\t{\"b\":\"x \r\n", "[1,{\"a\":1}]\n{\"logEvents\":[{}],\"messageType\":\"DATA_MESSAGE\"}\n"} {
		f.Add([]byte(s))
	}
	m := testMatcher(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSame(t, "fuzz", m, data)
	})
}
