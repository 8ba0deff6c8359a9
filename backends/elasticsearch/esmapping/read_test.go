package esmapping

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

func readTestdata(t *testing.T, name string) *ir.IndexMapping {
	t.Helper()
	m, err := ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReadTwoIndices(t *testing.T) {
	m := readTestdata(t, "dynamic.json")
	for path, want := range map[string]ir.MappedField{
		// The smaller ignore_above of the two indices holds.
		"eventName":         {Type: "text", Keyword: "eventName.keyword"},
		"eventName.keyword": {Type: "keyword", IgnoreAbove: 256},
		"userAgent":         {Type: "text"},
		"count":             {Type: "long"},
		"short":             {Type: "keyword", IgnoreAbove: 8},
		"alias_of_code":     {Type: "keyword"},
		"userIdentity.arn":  {Type: "text", Keyword: "userIdentity.arn.keyword"},
		"mixed":             {Conflict: "logs-a: keyword, logs-b: long"},
	} {
		if got := m.Fields[path]; got != want {
			t.Errorf("%s: got %+v, want %+v", path, got, want)
		}
	}
	if !strings.Contains(m.Fields["hidden"].Unsearchable, "index: false") {
		t.Errorf("hidden: %+v", m.Fields["hidden"])
	}
	if !strings.Contains(m.Fields["items.name"].Unsearchable, "nested") {
		t.Errorf("items.name: %+v", m.Fields["items.name"])
	}
	if strings.Join(m.IP, ",") != "sourceIPAddress" || strings.Join(m.Flattened, ",") != "requestParameters" || !m.HasText {
		t.Errorf("ip %v flattened %v text %v", m.IP, m.Flattened, m.HasText)
	}
	// logs-a is dynamic: an unmapped field is in none of its documents yet.
	if why, strict := m.Absent("newField"); why != "" || strict {
		t.Errorf("newField: %q %v", why, strict)
	}
	// Below enabled: false nothing is indexed.
	if why, _ := m.Absent("blob.x"); !strings.Contains(why, "enabled: false") {
		t.Errorf("blob.x: %q", why)
	}
	// Below a scalar no field can exist.
	if why, _ := m.Absent("code.x"); why != "" {
		t.Errorf("code.x: %q", why)
	}
}

func TestReadDynamicSettings(t *testing.T) {
	for _, tc := range []struct {
		name, doc, path string
		strict          bool
		why             string
	}{
		{"strict", `{"i":{"mappings":{"dynamic":"strict","properties":{"a":{"type":"keyword"}}}}}`, "b", true, "every index is dynamic: strict"},
		{"strict as one of two", `{"i":{"mappings":{"dynamic":"strict"}},"j":{"mappings":{}}}`, "b", false, ""},
		{"false", `{"i":{"mappings":{"dynamic":false}}}`, "b", false, "dynamic: false keeps unmapped values unindexed"},
		{"false below", `{"i":{"mappings":{"properties":{"o":{"dynamic":"false","properties":{}}}}}}`, "o.x", false, "dynamic: false"},
		{"strict object, dynamic root", `{"i":{"mappings":{"properties":{"o":{"dynamic":"strict","properties":{}}}}}}`, "o.x", true, "strict"},
		{"true below false", `{"i":{"mappings":{"dynamic":"false","properties":{"o":{"dynamic":true,"properties":{}}}}}}`, "o.x", false, ""},
		{"runtime", `{"i":{"mappings":{"dynamic":"runtime"}}}`, "b", false, ""},
	} {
		m, err := Read("t", []byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		why, strict := m.Absent(tc.path)
		if strict != tc.strict || (tc.why == "") != (why == "") || !strings.Contains(why, tc.why) {
			t.Errorf("%s: Absent(%s) = %q %v, want %q %v", tc.name, tc.path, why, strict, tc.why, tc.strict)
		}
	}
}

func TestHostileMappingFiles(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.json")
	if _, err := ReadFile(missing); err == nil || !strings.Contains(err.Error(), "mapping "+missing) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"junk", "{\n\"a\": nope}", "line 2"},
		{"not an object", `[1, 2]`, "not a JSON object"},
		{"two documents", `{"i":{"mappings":{}}} {}`, "more follows"},
		{"empty", `{}`, "no index in it"},
		{"no mappings", `{"i":{"settings":{}}}`, `index "i": no "mappings" object`},
		{"index not an object", `{"i": 3}`, `index "i": not an object`},
		{"properties not an object", `{"i":{"mappings":{"properties":[]}}}`, `"properties" is not an object`},
		{"field not an object", `{"i":{"mappings":{"properties":{"a":"keyword"}}}}`, `field "a": its definition is not an object`},
		{"type not a string", `{"i":{"mappings":{"properties":{"a":{"type":7}}}}}`, `field "a": "type" is not a string`},
		{"bad ignore_above", `{"i":{"mappings":{"properties":{"a":{"type":"keyword","ignore_above":"x"}}}}}`, "ignore_above x is not a number"},
		{"negative ignore_above", `{"i":{"mappings":{"properties":{"a":{"type":"keyword","ignore_above":-1}}}}}`, "not a non-negative integer"},
		{"dangling alias", `{"i":{"mappings":{"properties":{"a":{"type":"alias","path":"b"}}}}}`, `alias of "b"`},
		{"runtime without type", `{"i":{"mappings":{"runtime":{"r":{}}}}}`, `runtime field "r" has no type`},
		{"deep", strings.Repeat(`{"a":`, 20000) + strings.Repeat("}", 20000), "mapping"},
	} {
		p := filepath.Join(dir, tc.name+".json")
		if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(p)
		if err == nil || !strings.Contains(err.Error(), "mapping "+p+": ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming the file and saying %q", tc.name, err, tc.want)
		}
	}
}
