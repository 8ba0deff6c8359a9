package splfields

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The types Read gives a field (ir.MappedField.Type).
const (
	// Numeric: every value of the field is a number (see row.isNumeric).
	Numeric = "splunk-numeric"
	// Text: some value is not a number.
	Text = "splunk-text"
)

// MaxFileBytes bounds a description file: fieldsummary over thousands of fields, with
// their top values, is a few megabytes.
const MaxFileBytes = 64 << 20

// ReadFile reads a fieldsummary description from a file. Every error names the file.
func ReadFile(path string) (*ir.IndexMapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fields %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fields %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("fields %s: larger than %d MiB", path, MaxFileBytes>>20)
	}
	m, err := Read(path, data)
	if err != nil {
		return nil, fmt.Errorf("fields %s: %w", path, err)
	}
	return m, nil
}

// row is one field of the description.
type row struct {
	field          string
	count, numeric int64
	// values is the values column as written ("" when absent), exact the is_exact column
	// ("1" when the distinct count is exact), distinct the distinct_count column.
	values, exact, distinct string
	where                   string // "row 3", "line 4", for errors
}

// isNumeric decides whether every value of the field is a number. fieldsummary's count is
// the number of events holding the field, numeric_count a count of its numeric values,
// and values its most common values with their counts (at most maxvals of them).
//
//   - When values lists every distinct value (is_exact is 1 and it holds distinct_count
//     of them, as | fieldsummary maxvals=0 writes), the field is numeric when each of them
//     is a number: this holds for a multivalue field too.
//   - Otherwise, for a name without {} (taken to hold one value per event), when
//     numeric_count equals count.
//   - Otherwise (an array's elements, a{}, whose values are not all listed) it is not
//     taken as numeric: numeric_count and count cannot tell an event holding [5, "x"]
//     from one holding [5].
func (r row) isNumeric() bool {
	if r.count == 0 || r.numeric == 0 {
		return false
	}
	if vals, ok := r.allValues(); ok {
		for _, v := range vals {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return false
			}
		}
		return len(vals) > 0
	}
	return !strings.Contains(r.field, "{}") && r.numeric == r.count
}

// allValues returns the field's distinct values when the values column lists all of them.
func (r row) allValues() ([]string, bool) {
	if r.values == "" || strings.TrimSpace(r.exact) != "1" {
		return nil, false
	}
	distinct, err := strconv.ParseInt(strings.TrimSpace(r.distinct), 10, 64)
	if err != nil {
		return nil, false
	}
	var list []struct {
		Value *string `json:"value"`
	}
	if err := json.Unmarshal([]byte(r.values), &list); err != nil || int64(len(list)) != distinct {
		return nil, false
	}
	out := make([]string, len(list))
	for i, e := range list {
		if e.Value == nil {
			return nil, false
		}
		out[i] = *e.Value
	}
	return out, true
}

// Read reads the output of `| fieldsummary` in one of the forms Splunk exports it:
//
//   - JSON: an array of result objects; an object with a "results" array (the REST
//     search/jobs results, output_mode=json); or JSON objects one after another, each a
//     result or a {"result": {...}} wrapper (the export endpoint, output_mode=json);
//   - CSV with a header row (the web interface's export, outputcsv).
//
// Each result needs field, count and numeric_count (numbers, or strings holding them, as
// Splunk writes them); values, is_exact and distinct_count are read when present (see
// row.isNumeric), other columns (max, mean, ...) are ignored.
// source names where it came from, for diagnostics; the error does not repeat it.
func Read(source string, data []byte) (*ir.IndexMapping, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	trimmed = bytes.TrimPrefix(trimmed, []byte("\ufeff"))
	var rows []row
	var err error
	if len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{') {
		rows, err = readJSON(trimmed)
	} else {
		rows, err = readCSV(trimmed)
	}
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("no field in it (is this the output of | fieldsummary?)")
	}
	m := &ir.IndexMapping{Source: source, Fields: make(map[string]ir.MappedField, len(rows))}
	for _, r := range rows {
		if r.field == "" {
			return nil, fmt.Errorf("%s: the field name is empty", r.where)
		}
		if _, dup := m.Fields[r.field]; dup {
			return nil, fmt.Errorf("%s: field %q is listed twice", r.where, r.field)
		}
		typ := Text
		if r.isNumeric() {
			typ = Numeric
		}
		m.Fields[r.field] = ir.MappedField{Type: typ}
	}
	return m, nil
}

// readJSON reads the JSON forms.
func readJSON(data []byte) ([]row, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var objs []map[string]any
	for n := 1; ; n++ {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not JSON as Splunk exports search results: %v", jsonError(data, err))
		}
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				o, ok := e.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("value %d: an array element is not a result object", n)
				}
				objs = append(objs, o)
			}
		case map[string]any:
			if res, ok := v["results"]; ok {
				list, ok := res.([]any)
				if !ok {
					return nil, fmt.Errorf("value %d: \"results\" is not an array", n)
				}
				for _, e := range list {
					o, ok := e.(map[string]any)
					if !ok {
						return nil, fmt.Errorf("value %d: a \"results\" element is not an object", n)
					}
					objs = append(objs, o)
				}
				continue
			}
			if res, ok := v["result"]; ok {
				o, ok := res.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("value %d: \"result\" is not an object", n)
				}
				objs = append(objs, o)
				continue
			}
			if _, ok := v["field"]; !ok {
				// The export endpoint also streams messages and preview flags.
				if _, msg := v["messages"]; msg || v["preview"] != nil || v["lastrow"] != nil {
					continue
				}
			}
			objs = append(objs, v)
		default:
			return nil, fmt.Errorf("value %d: not an array or object of search results", n)
		}
	}
	rows := make([]row, 0, len(objs))
	for i, o := range objs {
		r := row{where: fmt.Sprintf("result %d", i+1)}
		s, ok := o["field"].(string)
		if !ok {
			return nil, fmt.Errorf("%s: no \"field\" string (is this the output of | fieldsummary?)", r.where)
		}
		r.field = s
		var err error
		if r.count, err = jsonCount(o, "count"); err != nil {
			return nil, fmt.Errorf("%s: field %q: %v", r.where, s, err)
		}
		if r.numeric, err = jsonCount(o, "numeric_count"); err != nil {
			return nil, fmt.Errorf("%s: field %q: %v", r.where, s, err)
		}
		r.values, r.exact, r.distinct = jsonText(o["values"]), jsonText(o["is_exact"]), jsonText(o["distinct_count"])
		rows = append(rows, r)
	}
	return rows, nil
}

// jsonCount reads a count written as a JSON number or a string holding one.
func jsonCount(o map[string]any, key string) (int64, error) {
	switch v := o[key].(type) {
	case json.Number:
		return parseCount(key, v.String())
	case string:
		return parseCount(key, v)
	case nil:
		return 0, fmt.Errorf("no %q (fieldsummary writes it; keep it when selecting columns)", key)
	}
	return 0, fmt.Errorf("%q is not a count", key)
}

func parseCount(key, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is %q, not a count", key, s)
	}
	return n, nil
}

// jsonText is a column written as a string, a number, or (values) a JSON array.
func jsonText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case []any:
		b, _ := json.Marshal(v)
		return string(b)
	}
	return ""
}

// jsonError adds the line of a syntax error.
func jsonError(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 && se.Offset <= int64(len(data)) {
		return fmt.Sprintf("line %d: %v", bytes.Count(data[:se.Offset], []byte("\n"))+1, err)
	}
	return err.Error()
}

// readCSV reads CSV with a header row naming field, count and numeric_count.
func readCSV(data []byte) ([]row, error) {
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = -1
	header, err := rd.Read()
	if err == io.EOF {
		return nil, errors.New("empty: no header row (is this the output of | fieldsummary?)")
	}
	if err != nil {
		return nil, fmt.Errorf("not CSV: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, k := range []string{"field", "count", "numeric_count"} {
		if _, ok := col[k]; !ok {
			return nil, fmt.Errorf("line 1: the header has no %q column (neither JSON nor the CSV of | fieldsummary)", k)
		}
	}
	var rows []row
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("not CSV: %v", err)
		}
		line, _ := rd.FieldPos(0)
		r := row{where: fmt.Sprintf("line %d", line)}
		get := func(k string) (string, error) {
			if col[k] >= len(rec) {
				return "", fmt.Errorf("%s: no %q value", r.where, k)
			}
			return rec[col[k]], nil
		}
		if r.field, err = get("field"); err != nil {
			return nil, err
		}
		for _, c := range []struct {
			key string
			to  *int64
		}{{"count", &r.count}, {"numeric_count", &r.numeric}} {
			s, err := get(c.key)
			if err != nil {
				return nil, err
			}
			if *c.to, err = parseCount(c.key, s); err != nil {
				return nil, fmt.Errorf("%s: field %q: %v", r.where, r.field, err)
			}
		}
		opt := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		r.values, r.exact, r.distinct = opt("values"), opt("is_exact"), opt("distinct_count")
		rows = append(rows, r)
	}
}
