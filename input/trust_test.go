package input

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// readTrusted reads data as a caller of TrustObjects does, with encoding/json standing for
// its parser: an unchecked record it rejects goes to Check, and the problems found so are
// added with AddProblems. It returns the records and the problems, as text.
func readTrusted(t *testing.T, data []byte, opts Options) (records []string, unchecked int, errs string) {
	t.Helper()
	opts.TrustObjects = true
	var found []*LineError
	err := ReadWith(JSONL, "f", bytes.NewReader(data), opts, func(rec Record) error {
		if rec.Unchecked {
			unchecked++
			if !json.Valid(rec.JSON) {
				if p := Check(rec.File, rec.Line, rec.JSON); p != nil {
					found = append(found, p)
					return nil
				}
			}
		}
		records = append(records, fmt.Sprintf("%d#%d %s", rec.Line, rec.Index, rec.JSON))
		return nil
	})
	return records, unchecked, fmt.Sprint(AddProblems(err, found))
}

func readChecked(data []byte, opts Options) (records []string, errs string) {
	err := ReadWith(JSONL, "f", bytes.NewReader(data), opts, func(rec Record) error {
		records = append(records, fmt.Sprintf("%d#%d %s", rec.Line, rec.Index, rec.JSON))
		return nil
	})
	return records, fmt.Sprint(err)
}

// TestTrustObjectsAgreesWithRead: with TrustObjects, Check and AddProblems, a caller gets
// the records and problems Read gives, in the same order and within the same bound, while
// object lines after the first are handed on unchecked.
func TestTrustObjectsAgreesWithRead(t *testing.T) {
	ev := `{"eventName":"CreateFunction","a":[1,2]}`
	var many strings.Builder
	many.WriteString(ev + "\n")
	for i := range 150 {
		fmt.Fprintf(&many, "{bad %d\n[1,{\"a\":%d}]\n%s\n", i, i, ev)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(ev + "\n{\"a\":01}\n" + ev + "\n"))
	zw.Close()
	for _, c := range []struct {
		name      string
		data      string
		opts      Options
		unchecked int
	}{
		{"bad lines", ev + "\n{broken\n{\"a\":1,}  \r\n{\"a\":1} {}\n\t{\"a\":tru}\n{\"a\":\"\x01\"}\n" + ev + "\n", Options{}, 6},
		{"wrappers and escapes are read as without", ev + "\n{\"Records\":[{\"b\":1}]}\n{\"a\":\"\\u0041\"}\n{\"b\":[1}\n", Options{}, 1},
		{"more problems than Read keeps", many.String(), Options{}, 300},
		{"gzip", gz.String(), Options{}, 2},
		{"a line over the record limit", ev + "\n{\"pad\":\"" + strings.Repeat("x", 100) + "\"}\n" + ev + "\n", Options{MaxRecordBytes: 64}, 1},
		{"a line over 256 KiB", ev + "\n{\"pad\":\"" + strings.Repeat("x", 300<<10) + "\"}\n{x\n", Options{}, 1},
		{"documents", "{\n\"a\": 1}\n" + ev + "\n", Options{}, 0},
	} {
		want, wantErrs := readChecked([]byte(c.data), c.opts)
		got, unchecked, gotErrs := readTrusted(t, []byte(c.data), c.opts)
		if strings.Join(got, "\n") != strings.Join(want, "\n") || gotErrs != wantErrs {
			t.Errorf("%s:\nRead: %q\n%s\nTrustObjects: %q\n%s", c.name, want, wantErrs, got, gotErrs)
		}
		if unchecked != c.unchecked {
			t.Errorf("%s: %d records unchecked, want %d", c.name, unchecked, c.unchecked)
		}
	}
}

// TestCheckValidLine: a valid line has no problem; an invalid one has the one Read reports
// for it, at its line.
func TestCheckValidLine(t *testing.T) {
	if p := Check("f", 3, []byte(`{"a":1}`)); p != nil {
		t.Errorf("valid line: %v", p)
	}
	_, want := readChecked([]byte("{}\n\n\n\n\n\n  {\"a\":tru}\n"), Options{})
	if p := Check("f", 7, []byte(`{"a":tru}`)); p == nil || p.Error() != want || !strings.HasPrefix(want, "f:7: not valid JSON") {
		t.Errorf("invalid line: Check gives %v, Read %s", p, want)
	}
}
