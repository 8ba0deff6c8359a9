package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

const winLogsource = "{category: process_creation, product: windows}"

func TestFieldNameMappingOneToOneAndOneToMany(t *testing.T) {
	p := mustParse(t, `
transformations:
  - id: m
    type: field_name_mapping
    mapping:
      CommandLine: process.command_line
      Image: [process.executable, process.name]
      ParentImage: []
`)
	r := mustRule(t, ruleWith(winLogsource,
		"sel:",
		"  CommandLine|contains: whoami",
		"  Image|endswith: '\\cmd.exe'",
		"  User|exists: true",
		"drop:",
		"  ParentImage: x",
		"condition: sel and not drop")+"fields: [CommandLine, Image, Other]\n")
	out := apply(t, p, r)
	wantConds(t, out, `and(match(process.command_line, "*whoami*"), or(match(process.executable, "*\\\\cmd.exe"), match(process.name, "*\\\\cmd.exe")), exists(User))`)
	if want := []string{"process.command_line", "process.executable", "process.name", "Other"}; !reflect.DeepEqual(out.Fields, want) {
		t.Errorf("fields = %v, want %v", out.Fields, want)
	}
	if r.Fields[0] != "CommandLine" {
		t.Errorf("the input rule's fields list was changed: %v", r.Fields)
	}
}

func TestFieldNameMappingFieldRefAndKeyword(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: field_name_mapping
    mapping:
      a: x
      b: [y, z]
      null: [message, msg]
`)
	r := mustRule(t, ruleWith(winLogsource,
		"sel:",
		"  a|fieldref: b",
		"kw: [evil]",
		"condition: sel and kw"))
	out := apply(t, p, r)
	wantConds(t, out, `and(or(fieldref(x exact y), fieldref(x exact z)), or(match(message, "*evil*"), match(msg, "*evil*")))`)
}

func TestFieldNamePrefixMappingFirstPrefixWins(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: field_name_prefix_mapping
    mapping:
      requestParameters.policy.bindings.members: req.bindings{}.members{}
      requestParameters.: req.
      requestParameters.policy.: never.
`)
	r := mustRule(t, ruleWith(winLogsource,
		"sel:",
		"  requestParameters.policy.bindings.members: allUsers",
		"  requestParameters.policy.etag: x",
		"  requestParametersX: y",
		"condition: sel"))
	out := apply(t, p, r)
	wantConds(t, out, `and(match(req.bindings{}.members{}, "allUsers"), match(req.policy.etag, "x"), match(requestParametersX, "y"))`)
}

func TestFieldNamePrefixAndSuffix(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: field_name_prefix
    prefix: 'records{}.'
  - type: field_name_suffix
    suffix: .keyword
    field_name_conditions:
      - type: exclude_fields
        fields: ['records{}.level']
`)
	r := mustRule(t, ruleWith(winLogsource, "sel:", "  operationName: X", "  level: Error", "kw: [free]", "condition: sel or kw"))
	out := apply(t, p, r)
	wantConds(t, out, `or(and(match(records{}.operationName.keyword, "X"), match(records{}.level, "Error")), keyword("free"))`)
}

func TestAddCondition(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: add_condition
    conditions:
      sourcetype: ['aws:cloudtrail', 'aws:cloudtrail:lake']
      index|startswith: aws
      eventVersion|exists: true
      size|gte: 10
      retries: 3
      managed: false
      optional: null
      src|cidr: 10.0.0.0/8
      ua|re|i: '^curl/'
      ref|expand: '%env%'
`)
	r := mustRule(t, ruleWith("{product: aws, service: cloudtrail}", "a: {eventName: X}", "b: {eventName: Y}", "condition: [a, b]"))
	out := apply(t, p, r)
	added := `or(match(sourcetype, "aws:cloudtrail"), match(sourcetype, "aws:cloudtrail:lake")), match(index, "aws*"), exists(eventVersion), cmp(size >= 10), num(retries, "3"), bool(managed, "false"), null(optional), cidr(src, 10.0.0.0/8), re[i](ua, "^curl/"), match(ref, "%env%")`
	wantConds(t, out, "and("+added+`, match(eventName, "X"))`+"\n"+"and("+added+`, match(eventName, "Y"))`)
	if len(r.Conditions) != 2 || r.Conditions[0].String() != `match(eventName, "X")` {
		t.Errorf("the input rule changed: %s", conds(r))
	}
}

func TestAddConditionNegatedAndTemplate(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: add_condition
    negated: true
    conditions:
      source|contains: test
  - type: add_condition
    template: true
    conditions:
      sourcetype: '$product:${service}'
      tag: '$category-$$-$unknown'
`)
	r := mustRule(t, ruleWith("{product: aws, service: cloudtrail}", "a: {eventName: X}", "condition: a"))
	out := apply(t, p, r)
	wantConds(t, out, `and(match(sourcetype, "aws:cloudtrail"), match(tag, "None-$-$unknown"), not(match(source, "*test*")), match(eventName, "X"))`)
}

func TestChangeLogsource(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: change_logsource
    product: windows
    service: sysmon
    rule_conditions: [{type: logsource, category: process_creation}]
  - id: after
    type: set_state
    key: seen
    val: sysmon
    rule_conditions: [{type: logsource, service: sysmon}]
`)
	r := mustRule(t, ruleWith("{category: process_creation, product: windows, definition: d}", "a: {Image: x}", "condition: a"))
	out := apply(t, p, r)
	if want := (ir.Logsource{Product: "windows", Service: "sysmon"}); out.Logsource != want {
		t.Errorf("logsource = %+v, want %+v", out.Logsource, want)
	}
	if out.Deployment.Map()["seen"] != "sysmon" {
		t.Errorf("a later item did not see the new logsource: state %v", out.Deployment.Map())
	}
	if r.Logsource.Category != "process_creation" {
		t.Errorf("input rule changed: %+v", r.Logsource)
	}
}

func TestDropDetectionItem(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: drop_detection_item
    field_name_conditions:
      - type: include_fields
        fields: [EventID, Provider_Name]
`)
	r := mustRule(t, ruleWith(winLogsource,
		"a: {EventID: 1, Image: x}",
		"b: {Provider_Name: y}",
		"c: {Image: z}",
		"condition: (a or b) and not b and c"))
	out := apply(t, p, r)
	wantConds(t, out, `and(match(Image, "x"), match(Image, "z"))`)

	r2 := mustRule(t, ruleWith(winLogsource, "a: {EventID: 1}", "condition: a"))
	out2, ds := p.Apply(r2)
	if !ds.HasErrors() || !strings.Contains(ds[0].Message, "every detection item was dropped") {
		t.Errorf("dropping every item must fail the rule, got %v", ds)
	}
	if out2.Conditions[0] != nil {
		t.Errorf("condition should be gone, got %s", out2.Conditions[0])
	}
}

func TestValuePlaceholders(t *testing.T) {
	p := mustParse(t, `
vars:
  admins: [root, 'adm*']
  port: 443
  ids: [1, 2]
transformations:
  - type: value_placeholders
    include: [admins, port, ids, missing]
`)
	r := mustRule(t, ruleWith(winLogsource,
		"sel:",
		"  User|expand: '%admins%'",
		"  Url|contains|expand: ':%port%/%ids%'",
		"  Other|expand: '%not_included%'",
		"condition: sel"))
	out := apply(t, p, r)
	wantConds(t, out, `and(or(match(User, "root"), match(User, "adm*")), or(match(Url, "*:443/1*"), match(Url, "*:443/2*")), match(Other, "%not_included%"))`)

	r2 := mustRule(t, ruleWith(winLogsource, "sel: {User|expand: '%missing%'}", "condition: sel"))
	_, ds := p.Apply(r2)
	if got := codes(ds, diag.Error); !reflect.DeepEqual(got, []string{diag.UnresolvedPlaceholder}) {
		t.Errorf("a missing variable: codes %v (%v)", got, ds)
	}
}

func TestWildcardAndQueryExpressionPlaceholders(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: wildcard_placeholders
    exclude: [keep]
`)
	r := mustRule(t, ruleWith(winLogsource, "sel:", "  A|expand: 'x%a%y'", "  B|expand: '%keep%'", "condition: sel"))
	wantConds(t, apply(t, p, r), `and(match(A, "x*y"), match(B, "%keep%"))`)

	q := mustParse(t, `
transformations:
  - type: query_expression_placeholders
    expression: "[| inputlookup {id}]"
`)
	_, ds := q.Apply(r)
	if got := codes(ds, diag.Error); len(got) != 2 || got[0] != diag.Unsupported {
		t.Errorf("query_expression_placeholders must be reported unsupported per item, got %v", ds)
	}
}

func TestSetStateAndCustomAttribute(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: set_state
    key: index
    val: [logs-a-*, logs-b-*]
  - type: set_custom_attribute
    attribute: splunk.schedule
    value: {cron: '*/5 * * * *'}
`)
	r := mustRule(t, ruleWith(winLogsource, "sel: {A: x}", "condition: sel"))
	out := apply(t, p, r)
	if want := []any{"logs-a-*", "logs-b-*"}; !reflect.DeepEqual(out.Deployment.Map()["index"], want) {
		t.Errorf("state index = %#v", out.Deployment.Map()["index"])
	}
	if want := map[string]any{"cron": "*/5 * * * *"}; !reflect.DeepEqual(out.Custom["splunk.schedule"], want) {
		t.Errorf("custom = %#v", out.Custom)
	}
	if len(r.Deployment.Map()) != 0 || r.Custom["splunk.schedule"] != nil {
		t.Errorf("input rule changed: state %v custom %v", r.Deployment.Map(), r.Custom)
	}
	// Each rule gets its own copy of a list value.
	out2 := apply(t, p, r)
	out.Deployment.Index[0] = "changed"
	if out2.Deployment.Index[0] != "logs-a-*" {
		t.Error("two rules share one state list")
	}
}

func TestFieldListTransformations(t *testing.T) {
	p := mustParse(t, `
transformations:
  - {type: add_field, field: [c, d]}
  - {type: remove_field, field: a}
`)
	r := mustRule(t, ruleWith(winLogsource, "sel: {A: x}", "condition: sel")+"fields: [a, b]\n")
	out := apply(t, p, r)
	if want := []string{"b", "c", "d"}; !reflect.DeepEqual(out.Fields, want) {
		t.Errorf("fields = %v, want %v", out.Fields, want)
	}
	s := mustParse(t, "transformations: [{type: set_field, fields: [x]}]")
	if out := apply(t, s, r); !reflect.DeepEqual(out.Fields, []string{"x"}) || !reflect.DeepEqual(r.Fields, []string{"a", "b"}) {
		t.Errorf("set_field: got %v, input now %v", out.Fields, r.Fields)
	}
}

func TestRuleFailureStopsProcessing(t *testing.T) {
	p := mustParse(t, `
transformations:
  - id: no_win
    type: rule_failure
    message: Windows rules are not supported by this pipeline
    rule_conditions: [{type: logsource, product: windows}]
  - id: after
    type: set_state
    key: reached
    val: true
`)
	r := mustRule(t, ruleWith(winLogsource, "sel: {A: x}", "condition: sel"))
	out, ds := p.Apply(r)
	if len(ds) != 1 || ds[0].Code != diag.PipelineUnsupported || ds[0].Severity != diag.Error ||
		!strings.Contains(ds[0].Message, "Windows rules are not supported") || ds[0].Line != 1 || ds[0].Path != "rule.yml" {
		t.Fatalf("diagnostics = %v", ds)
	}
	if _, ok := out.Deployment.Map()["reached"]; ok {
		t.Error("items after a rule_failure ran")
	}
	aws := mustRule(t, ruleWith("{product: aws}", "sel: {A: x}", "condition: sel"))
	if out := apply(t, p, aws); out.Deployment.Map()["reached"] != true {
		t.Errorf("the failure must only hit matching rules: %v", out.Deployment.Map())
	}
}

func TestDetectionItemFailureNamesTheItem(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: detection_item_failure
    message: no regular expressions on this field
    code: unsupported-regex
    field_name_conditions: [{type: include_fields, fields: [CommandLine]}]
    detection_item_conditions: [{type: match_string, pattern: '.*evil', cond: any}]
`)
	r := mustRule(t, ruleWith(winLogsource,
		"sel:",
		"  CommandLine: good",
		"  Image: evil",
		"bad:",
		"  CommandLine: very evil",
		"condition: sel and bad"))
	_, ds := p.Apply(r)
	if len(ds) != 1 || ds[0].Code != diag.UnsupportedRegex || ds[0].Line != 9 ||
		!strings.Contains(ds[0].Message, `match(CommandLine, "very evil")`) {
		t.Errorf("diagnostics = %v", ds)
	}
}

func TestMapStringAndConvertType(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: convert_type
    target_type: str
    field_name_conditions: [{type: include_fields, fields: [RecordType]}]
  - type: map_string
    mapping:
      '30': MicrosoftFlow
      Success: [Succeeded, 'Succeeded*']
  - type: convert_type
    target_type: num
    field_name_conditions: [{type: include_fields, fields: [Port]}]
`)
	r := mustRule(t, ruleWith(winLogsource, "sel:", "  RecordType: 30", "  Status: Success", "  Other: success", "  Port: '443'", "condition: sel"))
	wantConds(t, apply(t, p, r), `and(match(RecordType, "MicrosoftFlow"), or(match(Status, "Succeeded"), match(Status, "Succeeded*")), match(Other, "success"), num(Port, "443"))`)

	bad := mustRule(t, ruleWith(winLogsource, "sel: {Port: 'https'}", "condition: sel"))
	if _, ds := p.Apply(bad); !reflect.DeepEqual(codes(ds, diag.Error), []string{diag.InvalidValue}) {
		t.Errorf("converting a non-number: %v", ds)
	}
}

func TestStrictFieldMapping(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: field_name_mapping
    mapping: {a: x, same: same}
  - type: strict_field_mapping_failure
`)
	ok := mustRule(t, ruleWith(winLogsource, "sel: {a: 1, same: 2}", "condition: sel"))
	apply(t, p, ok)
	bad := mustRule(t, ruleWith(winLogsource, "sel: {a: 1, b: 2, c|fieldref: a}", "condition: sel"))
	_, ds := p.Apply(bad)
	if len(ds) != 1 || ds[0].Code != diag.UnsupportedFieldName || !strings.Contains(ds[0].Message, "b, c") {
		t.Errorf("diagnostics = %v", ds)
	}
}

func TestApplyNeverEditsSharedNodes(t *testing.T) {
	p := mustParse(t, `
transformations:
  - type: field_name_mapping
    mapping: {a: x, b: [y, z]}
  - type: value_placeholders
  - type: add_condition
    conditions: {idx: main}
vars: {v: [1, 2]}
`)
	r := mustRule(t, ruleWith(winLogsource, "s1: {a: 1, c: 2}", "s2: {b|expand: '%v%'}", "condition: s1 and not s2"))
	before := conds(r)
	var leaves []ir.Node
	ir.Inspect(r.Conditions[0], func(n ir.Node) bool {
		if isLeaf(n) {
			leaves = append(leaves, n)
		}
		return true
	})
	out := apply(t, p, r)
	if conds(r) != before {
		t.Fatalf("input rule changed:\n%s\nwas\n%s", conds(r), before)
	}
	// The untouched leaf c is shared, not copied; the mapped ones are new nodes.
	shared := false
	ir.Inspect(out.Conditions[0], func(n ir.Node) bool {
		for _, l := range leaves {
			if n == l {
				if ir.Field(l) != "c" {
					t.Errorf("changed leaf %s is shared with the input", l)
				}
				shared = true
			}
		}
		return true
	})
	if !shared {
		t.Error("unchanged leaf c was copied instead of shared")
	}
}

func TestApplyIsSafeForConcurrentUse(t *testing.T) {
	p, err := Builtin("ecs_t1648")
	if err != nil {
		t.Fatal(err)
	}
	r := mustRule(t, ruleWith("{product: aws, service: cloudtrail}", "sel: {eventName: X, requestParameters.role|contains: Admin}", "condition: sel"))
	want, _ := p.Apply(r)
	done := make(chan string)
	for range 8 {
		go func() {
			var last string
			for range 50 {
				out, _ := p.Apply(r)
				last = conds(out)
			}
			done <- last
		}()
	}
	for range 8 {
		if got := <-done; got != conds(want) {
			t.Errorf("concurrent apply gave %s, want %s", got, conds(want))
		}
	}
}
