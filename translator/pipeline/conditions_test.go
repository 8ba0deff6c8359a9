package pipeline

import (
	"fmt"
	"strings"
	"testing"
)

// stateWhen returns a pipeline that sets state "hit" when the given item-level condition keys
// (rule_conditions etc., as YAML lines) select the rule.
func stateWhen(t *testing.T, condYAML string) *Pipeline {
	t.Helper()
	return mustParse(t, "transformations:\n  - id: probe\n    type: set_state\n    key: hit\n    val: yes\n"+indent(condYAML, "    "))
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestRuleConditions(t *testing.T) {
	ct := mustRule(t, ruleWith("{product: aws, service: cloudtrail}", "sel: {eventName: CreateFunction, n: 3}", "condition: sel")+
		"level: high\nstatus: test\ntags: [attack.execution, attack.t1648]\ndate: 2025-01-02\nauthor: someone\nx-team: blue\n")
	win := mustRule(t, ruleWith("{category: process_creation, product: windows}", "sel: {Image: x}", "condition: sel")+"level: low\n")
	cases := []struct {
		name    string
		cond    string
		ct, win bool
	}{
		{"logsource product", "rule_conditions: [{type: logsource, product: aws}]", true, false},
		{"logsource all three", "rule_conditions: [{type: logsource, product: aws, service: cloudtrail, category: x}]", false, false},
		{"logsource is case-sensitive", "rule_conditions: [{type: logsource, product: AWS}]", false, false},
		{"and by default", "rule_conditions: [{type: logsource, product: aws}, {type: logsource, category: process_creation}]", false, false},
		{"or", "rule_cond_op: or\nrule_conditions: [{type: logsource, product: aws}, {type: logsource, category: process_creation}]", true, true},
		{"not", "rule_cond_not: true\nrule_conditions: [{type: logsource, product: aws}]", false, true},
		{"no conditions ignore not", "rule_cond_not: true", true, true},
		{"expression", "rule_conditions:\n  a: {type: logsource, product: aws}\n  w: {type: logsource, product: windows}\n  t: {type: tag, tag: attack.t1648}\nrule_cond_expr: (a and t) or not (w or a)", true, false},
		{"contains_field", "rule_conditions: [{type: contains_field, field: Image}]", false, true},
		{"contains_detection_item string", "rule_conditions: [{type: contains_detection_item, field: eventName, value: CreateFunction}]", true, false},
		{"contains_detection_item number", "rule_conditions: [{type: contains_detection_item, field: n, value: 3}]", true, false},
		{"contains_detection_item exact case", "rule_conditions: [{type: contains_detection_item, field: eventName, value: createfunction}]", false, false},
		{"tag", "rule_conditions: [{type: tag, tag: attack.execution}]", true, false},
		{"is_sigma_rule", "rule_conditions: [{type: is_sigma_rule}]", true, true},
		{"is_sigma_correlation_rule", "rule_conditions: [{type: is_sigma_correlation_rule}]", false, false},
		{"level gte medium", "rule_conditions: [{type: rule_attribute, attribute: level, value: medium, op: gte}]", true, false},
		{"status eq", "rule_conditions: [{type: rule_attribute, attribute: status, value: test}]", true, false},
		{"date lt", "rule_conditions: [{type: rule_attribute, attribute: date, value: '2025-06-01', op: lt}]", true, false},
		{"tags in", "rule_conditions: [{type: rule_attribute, attribute: tags, value: attack.t1648, op: in}]", true, false},
		{"tags not_in", "rule_conditions: [{type: rule_attribute, attribute: tags, value: attack.t1648, op: not_in}]", false, true},
		{"author ne", "rule_conditions: [{type: rule_attribute, attribute: author, value: someone, op: ne}]", false, true},
		{"custom attribute", "rule_conditions: [{type: rule_attribute, attribute: x-team, value: blue}]", true, false},
		{"processing_item_applied", "rule_conditions: [{type: processing_item_applied, processing_item_id: never}]", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := stateWhen(t, c.cond)
			for _, rc := range []struct {
				label string
				want  bool
				out   bool
			}{{"cloudtrail", c.ct, apply(t, p, ct).Deployment.Map()["hit"] != nil}, {"windows", c.win, apply(t, p, win).Deployment.Map()["hit"] != nil}} {
				if rc.out != rc.want {
					t.Errorf("%s rule: applied = %v, want %v", rc.label, rc.out, rc.want)
				}
			}
		})
	}
}

func TestProcessingItemAppliedAndStateConditions(t *testing.T) {
	p := mustParse(t, `
transformations:
  - id: ct
    type: set_state
    key: sourcetype
    val: aws:cloudtrail
    rule_conditions: [{type: logsource, service: cloudtrail}]
  - id: after_ct
    type: set_state
    key: chained
    val: 1
    rule_conditions: [{type: processing_item_applied, processing_item_id: ct}]
  - id: by_state
    type: set_state
    key: by_state
    val: 2
    rule_conditions: [{type: processing_state, key: sourcetype, val: 'aws:cloudtrail'}]
  - id: by_state_ne
    type: set_state
    key: by_state_ne
    val: 3
    rule_conditions: [{type: processing_state, key: chained, val: 0, op: gt}]
`)
	r := mustRule(t, ruleWith("{product: aws, service: cloudtrail}", "sel: {a: b}", "condition: sel"))
	out := apply(t, p, r)
	if fmt.Sprint(out.Deployment.Map()) != "map[by_state:2 by_state_ne:3 chained:1 sourcetype:aws:cloudtrail]" {
		t.Errorf("state = %v", out.Deployment.Map())
	}
	other := apply(t, p, mustRule(t, ruleWith("{product: gcp}", "sel: {a: b}", "condition: sel")))
	if len(other.Deployment.Map()) != 0 {
		t.Errorf("state of a non-matching rule = %v", other.Deployment.Map())
	}
}

func TestFieldNameConditions(t *testing.T) {
	p := mustParse(t, `
transformations:
  - id: up
    type: field_name_suffix
    suffix: _up
    field_name_conditions:
      - {type: include_fields, mode: re, fields: ['proc\.', 'Image$']}
  - id: low
    type: field_name_prefix
    prefix: low.
    field_name_cond_not: true
    field_name_conditions:
      - {type: processing_item_applied, processing_item_id: up}
  - id: ex
    type: field_name_suffix
    suffix: .kw
    field_name_cond_op: or
    field_name_conditions:
      - {type: exclude_fields, fields: [low.other]}
      - {type: include_fields, fields: [low.other]}
`)
	r := mustRule(t, ruleWith(winLogsource, "sel: {proc.name: a, ParentImage: b, xproc.name: c, other: d}", "condition: sel"))
	wantConds(t, apply(t, p, r),
		`and(match(proc.name_up.kw, "a"), match(low.ParentImage.kw, "b"), match(low.xproc.name.kw, "c"), match(low.other.kw, "d"))`)
}

func TestDetectionItemConditions(t *testing.T) {
	p := mustParse(t, `
transformations:
  - id: tag_wild
    type: field_name_prefix
    prefix: wild.
    detection_item_conditions: [{type: contains_wildcard, cond: any}]
  - id: tag_null
    type: field_name_prefix
    prefix: null.
    detection_item_conditions: [{type: is_null, cond: all}]
  - id: tag_value
    type: field_name_prefix
    prefix: v.
    detection_item_conditions: [{type: match_value, value: 4624, cond: any}]
  - id: tag_string
    type: field_name_prefix
    prefix: s.
    detection_item_cond_not: true
    detection_item_conditions: [{type: match_string, pattern: '^[a-z]+$', cond: any}]
  - id: after
    type: field_name_suffix
    suffix: .seen
    detection_item_conditions:
      ok: {type: processing_item_applied, processing_item_id: tag_wild}
      st: {type: processing_state, key: nope, val: 1}
    detection_item_cond_expr: ok and not st
`)
	r := mustRule(t, ruleWith(winLogsource, "sel: {A|contains: x, B: null, C: 4624, D: lower, E: Upper}", "condition: sel"))
	wantConds(t, apply(t, p, r), `and(match(s.wild.A.seen, "*x*"), null(s.null.B), num(s.v.C, "4624"), match(D, "lower"), match(s.E, "Upper"))`)
}

func TestConditionExpressionErrors(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{"a and", "ends where a search identifier was expected"},
		{"a and b", `condition "b" is not defined`},
		{"a", `does not use condition "c"`},
		{"(a or c", "expected `)` to close the `(` at column 1"},
		{"a or or c", `unexpected operator "or"`},
		{"a $ c", `column 3: unexpected character "$"`},
		{strings.Repeat("(", MaxExprDepth+1) + "a and c" + strings.Repeat(")", MaxExprDepth+1), "pipeline.MaxExprDepth"},
		{strings.Repeat("not ", MaxExprDepth+1) + "a and c", "pipeline.MaxExprDepth"},
		{"a and c" + strings.Repeat(" and a", MaxExprBytes/6), "pipeline.MaxExprBytes"},
	} {
		_, err := parseBoolExpr(c.expr, []string{"a", "c"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.80q: error %.200v, want it to contain %q", c.expr, err, c.want)
		}
	}
	long := "a" + strings.Repeat(" or c", (MaxExprBytes-1)/5) // at the limit: n-ary, no depth
	if _, err := parseBoolExpr(long, []string{"a", "c"}); err != nil {
		t.Errorf("a chain of %d bytes: %v", len(long), err)
	}
	nested := strings.Repeat("(", MaxExprDepth) + "a and c" + strings.Repeat(")", MaxExprDepth)
	if _, err := parseBoolExpr(nested, []string{"a", "c"}); err != nil {
		t.Errorf("MaxExprDepth levels: %v", err)
	}
	e, err := parseBoolExpr("not a or a and not c", []string{"a", "c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct{ a, c, want bool }{{false, false, true}, {true, false, true}, {true, true, false}, {false, true, true}} {
		got := e.eval(func(i int) bool { return []bool{v.a, v.c}[i] })
		if got != v.want {
			t.Errorf("a=%v c=%v: %v, want %v (not binds tightest, and before or)", v.a, v.c, got, v.want)
		}
	}
}
