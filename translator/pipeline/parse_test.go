package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
)

const fixtures = "../../testdata/pipelines"

func TestMalformedPipelinesNameFileAndLine(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "bad_*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad_*.yml fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# expect: ")
			if !ok {
				t.Fatalf("fixture has no '# expect:' first line")
			}
			p, err := ParseFile(f)
			if err == nil {
				t.Fatalf("loaded a malformed pipeline: %+v", p)
			}
			if !strings.Contains(err.Error(), f+":") || !strings.Contains(err.Error(), strings.TrimSpace(want)) {
				t.Errorf("error:\n%v\nwant it to contain %s and %q", err, f, want)
			}
			// Load reads files the same way when the name is not a built-in.
			if _, err2 := Load(f); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("Load(%s) = %v, want the same error", f, err2)
			}
		})
	}
}

func TestAllErrorsReportedAtOnce(t *testing.T) {
	_, err := Parse("many.yml", []byte(`
name: many
transformations:
  - type: nope
  - type: set_state
    key: a
  - type: field_name_prefix
    prefix: x
    extra: 1
`))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		`many.yml:4: pipeline-error: transformation: unknown transformation type "nope"`,
		`many.yml:5: pipeline-error: transformation set_state: missing parameter "val"`,
		`many.yml:9: pipeline-error: transformation field_name_prefix: unknown parameter "extra"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d errors:\n%v", len(lines), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d = %q, want prefix %q", i, lines[i], w)
		}
	}
}

func TestParseEmptyAndOddDocuments(t *testing.T) {
	for src, want := range map[string]string{
		"":                             "x.yml: pipeline-error: the pipeline file is empty",
		"- a\n- b\n":                   "x.yml:1: pipeline-error: a pipeline must be a mapping",
		"name: a\n---\nname: b\n":      "x.yml:2: pipeline-error: a pipeline file holds one YAML document",
		"transformations: {a: b}\n":    "x.yml:1: pipeline-error: pipeline: transformations must be a list",
		"priority: high\n":             `x.yml:1: pipeline-error: pipeline: priority must be an integer, not "high"`,
		"transformations: [42]\n":      "x.yml:1: pipeline-error: a transformation must be a mapping with a type",
		"transformations: [{id: x}]\n": `x.yml:1: pipeline-error: transformation: missing parameter "type"`,
	} {
		_, err := Parse("x.yml", []byte(src))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error %v, want prefix %q", src, err, want)
		}
	}
}

func TestGoodFixtureLoads(t *testing.T) {
	p, err := ParseFile(filepath.Join(fixtures, "good_mapping.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "good_mapping" || p.Priority != 20 || len(p.Items) != 6 {
		t.Errorf("name %q priority %d items %d", p.Name, p.Priority, len(p.Items))
	}
	if p.Items[0].ID != "map_fields" || p.Items[0].Type != "field_name_mapping" || p.Items[0].Line != 8 {
		t.Errorf("first item = %+v", p.Items[0])
	}
	if !reflect.DeepEqual(p.Vars, map[string]any{"admins": []any{"root", "adm*"}, "port": 443}) {
		t.Errorf("vars = %#v", p.Vars)
	}
	// postprocessing and finalizers are read but ignored, and the pipeline says so.
	if len(p.Notes) != 2 || p.Notes[0].Severity != diag.Warning || p.Notes[0].Line != 36 ||
		!strings.Contains(p.Notes[0].Message, "postprocessing is ignored") || !strings.Contains(p.Notes[1].Message, "finalizers is ignored") {
		t.Errorf("notes = %v", p.Notes)
	}
	r := mustRule(t, ruleWith(winLogsource, "sel: {Image|endswith: '.exe', user.name|expand: '%admins%', x|expand: '%other%'}", "condition: sel"))
	out := apply(t, p, r)
	wantConds(t, out, `and(match(event.kind, "event"), or(match(process.executable, "*.exe"), match(process.name, "*.exe")), or(match(actor.name, "root"), match(actor.name, "adm*")), match(x, "*"))`)
	if out.Deployment.Map()["index"] != "logs-endpoint-*" {
		t.Errorf("state = %v", out.Deployment.Map())
	}
}

func TestChainOrdersByPriorityAndMergesVars(t *testing.T) {
	var ps []*Pipeline
	for _, n := range []string{"good_high_priority", "good_mapping", "good_low_priority"} {
		p, err := Load(filepath.Join(fixtures, n+".yml"))
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	c := Chain(ps...)
	if c.Name != "good_low_priority+good_mapping+good_high_priority" || c.Priority != 5 {
		t.Errorf("chain name %q priority %d", c.Name, c.Priority)
	}
	var ids []string
	for _, it := range c.Items {
		ids = append(ids, it.ID)
	}
	if want := []string{"first", "map_fields", "prefix_user", "index", "resolve_vars", "other_placeholders", "mark", "last"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("item order %v, want %v", ids, want)
	}
	// Later (higher-priority) pipelines override variables of earlier ones.
	if !reflect.DeepEqual(c.Vars["admins"], []any{"root", "toor"}) || c.Vars["port"] != 443 {
		t.Errorf("vars = %v", c.Vars)
	}
	r := mustRule(t, ruleWith(winLogsource, "sel: {User|expand: '%admins%'}", "condition: sel"))
	out := apply(t, c, r)
	wantConds(t, out, `and(match(event.kind, "event"), or(match(User, "root"), match(User, "toor")))`)
	if out.Deployment.Map()["order"] != "high" {
		t.Errorf("state order = %v: the last pipeline must run last", out.Deployment.Map()["order"])
	}
	// Equal priorities keep the given order.
	a := mustParse(t, "name: a\ntransformations: [{type: set_state, key: k, val: a}]")
	b := mustParse(t, "name: b\ntransformations: [{type: set_state, key: k, val: b}]")
	if got := apply(t, Chain(b, a), r).Deployment.Map()["k"]; got != "a" {
		t.Errorf("equal priority: got %v, want the later pipeline (a) to win", got)
	}
}

func TestLoadBuiltinOrFile(t *testing.T) {
	p, err := Load("splunk_t1648")
	if err != nil || p.Source != "builtin:splunk_t1648" {
		t.Fatalf("Load(splunk_t1648) = %v, %v", p, err)
	}
	if _, err := Load("no_such_pipeline"); err == nil || !strings.Contains(err.Error(), "no_such_pipeline: read-error") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := Builtin("nope"); err == nil || !strings.Contains(err.Error(), "ecs_t1648") {
		t.Errorf("Builtin(nope) should list the built-ins: %v", err)
	}
	c, err := LoadChain("splunk_t1648_azure_audit", "splunk_t1648")
	if err != nil || c.Items[0].Pipeline != "splunk_t1648" {
		t.Errorf("LoadChain must order by priority: %v %v", err, c.Items[0].Pipeline)
	}
}

// TestSetStateTypedKeyChecked checks that set_state of a key the backends read is checked when
// the pipeline is parsed, with its file and line, rather than when a backend reads it.
func TestSetStateTypedKeyChecked(t *testing.T) {
	for _, tt := range []struct{ key, val string }{
		{"ip_fields", "[a, 5]"}, {"index", "[]"}, {"event_category", "''"}, {"flattened_fields", "['']"},
	} {
		_, err := Parse("p.yml", []byte("transformations:\n  - type: set_state\n    key: "+tt.key+"\n    val: "+tt.val+"\n"))
		if err == nil || !strings.Contains(err.Error(), "p.yml:4:") || !strings.Contains(err.Error(), "state "+tt.key) {
			t.Errorf("set_state %s: %s: error %v, want one at p.yml:4 naming the key", tt.key, tt.val, err)
		}
	}
	if _, err := Parse("p.yml", []byte("transformations:\n  - type: set_state\n    key: table\n    val: [1, {a: b}]\n")); err != nil {
		t.Errorf("a third-party key takes any value: %v", err)
	}
}
