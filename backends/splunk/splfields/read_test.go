package splfields

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The same fieldsummary output in each form Splunk exports it.
var forms = map[string]string{
	"json array": `[{"field":"eventName","count":"12","distinct_count":"3","is_exact":"1","numeric_count":"0","values":"[]"},
		{"field":"resources{}.ARN","count":12,"numeric_count":0},
		{"field":"responseElements.size","count":"4","numeric_count":"4"}]`,
	"rest results": `{"preview":false,"init_offset":0,"messages":[],"fields":[{"name":"field"}],"results":[
		{"field":"eventName","count":"12","numeric_count":"0"},
		{"field":"resources{}.ARN","count":"12","numeric_count":"0"},
		{"field":"responseElements.size","count":"4","numeric_count":"4"}]}`,
	"export stream": `{"preview":false,"offset":0,"result":{"field":"eventName","count":"12","numeric_count":"0"}}
{"preview":false,"offset":1,"result":{"field":"resources{}.ARN","count":"12","numeric_count":"0"}}
{"preview":false,"offset":2,"lastrow":true,"result":{"field":"responseElements.size","count":"4","numeric_count":"4"}}`,
	"csv": "\ufefffield,count,distinct_count,is_exact,max,mean,min,numeric_count,mode,stdev,values\r\n" +
		"eventName,12,3,1,,,,0,CreateFunction,,\"[{\"\"value\"\":\"\"CreateFunction\"\",\"\"count\"\":12}]\"\r\n" +
		"resources{}.ARN,12,12,1,,,,0,,,[]\r\n" +
		"responseElements.size,4,2,1,9,5.5,2,4,2,1.2,[]\r\n",
}

func TestReadForms(t *testing.T) {
	for name, body := range forms {
		m, err := Read("f", []byte(body))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := map[string]string{"eventName": Text, "resources{}.ARN": Text, "responseElements.size": Numeric}
		if len(m.Fields) != len(want) || m.Source != "f" {
			t.Errorf("%s: %d fields %v, source %q", name, len(m.Fields), m.Fields, m.Source)
		}
		for f, typ := range want {
			if m.Fields[f].Type != typ {
				t.Errorf("%s: %s is %q, want %q", name, f, m.Fields[f].Type, typ)
			}
		}
	}
}

// A field some of whose values are not numbers, or that has no value counted, is text.
func TestReadMixedIsText(t *testing.T) {
	m, err := Read("f", []byte(`[{"field":"a","count":3,"numeric_count":2},{"field":"b","count":0,"numeric_count":0}]`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Fields["a"].Type != Text || m.Fields["b"].Type != Text {
		t.Errorf("%v", m.Fields)
	}
}

// Numeric types: from the complete values list when there is one, else from the counts
// for a name without {}, else text.
func TestReadNumericFromValues(t *testing.T) {
	body := `[
		{"field":"a{}","count":"2","numeric_count":"4","is_exact":"1","distinct_count":"2","values":"[{\"value\":\"5\",\"count\":3},{\"value\":\"1e1\",\"count\":1}]"},
		{"field":"b{}","count":"2","numeric_count":"2"},
		{"field":"c{}","count":"1","numeric_count":"1","is_exact":"1","distinct_count":"2","values":[{"value":"5","count":1},{"value":"x","count":1}]},
		{"field":"d","count":"1","numeric_count":"1","is_exact":"1","distinct_count":"2","values":"[{\"value\":\"5\",\"count\":1},{\"value\":\"x\",\"count\":1}]"},
		{"field":"e","count":"9","numeric_count":"9","is_exact":"0","distinct_count":"500","values":"[{\"value\":\"5\",\"count\":1}]"},
		{"field":"f{}","count":"9","numeric_count":"9","is_exact":"1","distinct_count":"500","values":"[{\"value\":\"5\",\"count\":1}]"},
		{"field":"g","count":"2","numeric_count":"2","is_exact":"1","distinct_count":"1","values":"[{\"value\":\"NaN\",\"count\":2}]"}]`
	m, err := Read("f", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a{}": Numeric, // every value listed, every one a number, though numeric_count exceeds count
		"b{}": Text,    // an array's elements without their values: the counts cannot tell
		"c{}": Text,    // a listed value is not a number
		"d":   Text,    // likewise, though numeric_count equals count
		"e":   Numeric, // values cut short: the counts of a one-value field decide
		"f{}": Text,    // values cut short on an array's elements
		"g":   Text,    // NaN is not a number Sigma compares
	}
	for f, typ := range want {
		if m.Fields[f].Type != typ {
			t.Errorf("%s: %q, want %q", f, m.Fields[f].Type, typ)
		}
	}
	csv := "field,count,distinct_count,is_exact,numeric_count,values\n" +
		"\"a{}\",2,2,1,4,\"[{\"\"value\"\":\"\"5\"\",\"\"count\"\":3},{\"\"value\"\":\"\"6\"\",\"\"count\"\":1}]\"\n"
	if m, err := Read("f.csv", []byte(csv)); err != nil || m.Fields["a{}"].Type != Numeric {
		t.Errorf("csv: %v %v", m, err)
	}
}

func TestHostileRead(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"junk json", `[{"field": nope`, "not JSON as Splunk exports search results: line 1"},
		{"junk json line", "[\n{\"field\":\"a\",\"count\":1,\"numeric_count\":0},\n{oops", "line 3"},
		{"scalar", `"field"`, ""},
		{"not objects", `[1,2]`, "not a result object"},
		{"results not array", `{"results":{}}`, `"results" is not an array`},
		{"no field key", `[{"name":"a","count":1,"numeric_count":0}]`, `result 1: no "field" string`},
		{"no numeric_count", `[{"field":"a","count":1}]`, `no "numeric_count"`},
		{"bad count", `[{"field":"a","count":"many","numeric_count":0}]`, `"count" is "many", not a count`},
		{"negative count", `[{"field":"a","count":-1,"numeric_count":0}]`, "not a count"},
		{"duplicate", `[{"field":"a","count":1,"numeric_count":0},{"field":"a","count":1,"numeric_count":0}]`, `result 2: field "a" is listed twice`},
		{"empty name", `[{"field":"","count":1,"numeric_count":0}]`, "the field name is empty"},
		{"empty array", `[]`, "no field in it"},
		{"empty file", ``, "empty: no header row"},
		{"csv without columns", "name,value\na,1\n", `line 1: the header has no "field" column`},
		{"csv short row", "field,count,numeric_count\na,1\n", `line 2: no "numeric_count" value`},
		{"csv bad count", "field,count,numeric_count\na,1,x\n", `line 2: field "a": "numeric_count" is "x"`},
		{"csv bad quote", "field,count,numeric_count\n\"a,1,0\n", "not CSV"},
		{"header only", "field,count,numeric_count\n", "no field in it"},
	} {
		m, err := Read("f", []byte(tc.body))
		if err == nil {
			t.Errorf("%s: read %v", tc.name, m.Fields)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestReadFileNamesFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	if _, err := ReadFile(missing); err == nil || !strings.HasPrefix(err.Error(), "fields "+missing+": open ") {
		t.Errorf("missing: %v", err)
	}
	junk := filepath.Join(dir, "junk.csv")
	if err := os.WriteFile(junk, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(junk); err == nil || !strings.HasPrefix(err.Error(), "fields "+junk+": line 1") {
		t.Errorf("junk: %v", err)
	}
	good := filepath.Join(dir, "good.csv")
	if err := os.WriteFile(good, []byte(forms["csv"]), 0o600); err != nil {
		t.Fatal(err)
	}
	if m, err := ReadFile(good); err != nil || m.Source != good || len(m.Fields) != 3 {
		t.Errorf("good: %v, %v", m, err)
	}
}
