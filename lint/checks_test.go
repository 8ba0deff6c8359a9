package lint

import (
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// validRule passes every check. Its lines are numbered in the comments of the cases.
const validRule = `title: Lambda Function Created By A Human
id: 5b0c7a4e-8f7e-4a57-9b7e-2f1f3c0d9a11
status: experimental
description: A Lambda function was created by an IAM user rather than by automation.
references:
  - https://attack.mitre.org/techniques/T1648/
author: sigmabridge tests
date: 2026-01-02
modified: 2026-02-03
tags:
  - attack.execution
  - attack.t1648
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: lambda.amazonaws.com
    eventName|startswith: CreateFunction
  filter:
    userIdentity.type: AssumedRole
  condition: selection and not filter
falsepositives:
  - Deployments from a workstation
level: medium
`

const ruleFile = "aws/lambda_function_created.yml"

// edit returns validRule (or base) with old replaced by new; old must occur exactly once.
func edit(base, old, new string) string {
	if strings.Count(base, old) != 1 {
		panic("edit: " + old + " does not occur exactly once")
	}
	return strings.Replace(base, old, new, 1)
}

// other is validRule with another id and title, so batch checks do not fire.
func other(title, id string) string {
	return edit(edit(validRule, "title: Lambda Function Created By A Human", "title: "+title),
		"id: 5b0c7a4e-8f7e-4a57-9b7e-2f1f3c0d9a11", "id: "+id)
}

// lintFiles lints in-memory files, in name order, with every check.
func lintFiles(files map[string]string) *Report { return lintFilesWith(files, Config{}) }

// lintFilesWith lints in-memory files, in name order.
func lintFilesWith(files map[string]string, cfg Config) *Report {
	fsys := fstest.MapFS{}
	var names []string
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
		names = append(names, name)
	}
	sort.Strings(names)
	list := make([]ruleset.File, len(names))
	for i, name := range names {
		list[i] = ruleset.File{Path: name, FS: fsys, Name: name}
	}
	return Run(list, cfg)
}

func one(text string) map[string]string { return map[string]string{ruleFile: text} }

func findingsOf(rep *Report, check string) []Finding {
	var out []Finding
	for _, f := range rep.Findings {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

type checkCase struct {
	check string
	// bad must give a finding of check at path:line (path defaults to ruleFile).
	bad  map[string]string
	path string
	line int
	// message, when set, must be part of the first finding's message.
	message string
	// good must give no finding of check.
	good map[string]string
}

const sysmonRule = `title: Process Started From A Temporary Folder
id: 0a6b2f1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b
status: test
description: A process was started from a temporary folder, as droppers often do.
author: sigmabridge tests
date: 2026-01-02
logsource:
  product: windows
  service: sysmon
detection:
  selection:
    EventID: 1
    Image|contains: \Temp\
  condition: selection
falsepositives:
  - Installers
level: low
`

var checkCases = []checkCase{
	{check: "required-field", line: 1, message: "no logsource",
		bad:  one(edit(validRule, "logsource:\n  product: aws\n  service: cloudtrail\n", "")),
		good: one(validRule)},
	{check: "duplicate-key", line: 15, message: "first on line 14",
		bad:  one(edit(validRule, "  product: aws\n", "  product: aws\n  product: gcp\n")),
		good: one(validRule)},
	{check: "legacy-document", line: 1,
		bad:  one("action: global\ntitle: Legacy Rule In Two Documents\ndetection:\n  condition: 1 of sel*\n---\nlogsource:\n  product: aws\ndetection:\n  sel1:\n    eventName: Invoke\n"),
		good: one(validRule)},
	{check: "missing-id", line: 1,
		bad:  one(edit(validRule, "id: 5b0c7a4e-8f7e-4a57-9b7e-2f1f3c0d9a11\n", "")),
		good: one(validRule)},
	{check: "invalid-id", line: 2,
		bad:  one(edit(validRule, "id: 5b0c7a4e-8f7e-4a57-9b7e-2f1f3c0d9a11", "id: 5b0c7a4e-8f7e")),
		good: one(validRule)},
	{check: "duplicate-id", path: "aws/lambda_function_updated.yml", line: 2, message: "aws/lambda_function_created.yml:2",
		bad: map[string]string{
			ruleFile:                          validRule,
			"aws/lambda_function_updated.yml": edit(validRule, "title: Lambda Function Created By A Human", "title: Lambda Function Updated"),
		},
		good: map[string]string{
			ruleFile:                          validRule,
			"aws/lambda_function_updated.yml": other("Lambda Function Updated", "9e1d2c3b-4a5f-4e6d-8c7b-6a5f4e3d2c1b"),
		}},
	{check: "duplicate-title", path: "aws/lambda_function_updated.yml", line: 1,
		bad: map[string]string{
			ruleFile:                          validRule,
			"aws/lambda_function_updated.yml": other("lambda function created by a human", "9e1d2c3b-4a5f-4e6d-8c7b-6a5f4e3d2c1b"),
		},
		good: map[string]string{
			ruleFile:                          validRule,
			"aws/lambda_function_updated.yml": other("Lambda Function Updated", "9e1d2c3b-4a5f-4e6d-8c7b-6a5f4e3d2c1b"),
		}},
	{check: "duplicate-filename", path: "gcp/lambda_function_created.yml", line: 1,
		bad: map[string]string{
			ruleFile:                          validRule,
			"gcp/lambda_function_created.yml": other("Cloud Function Created", "9e1d2c3b-4a5f-4e6d-8c7b-6a5f4e3d2c1b"),
		},
		good: map[string]string{
			ruleFile:                         validRule,
			"gcp/cloud_function_created.yml": other("Cloud Function Created", "9e1d2c3b-4a5f-4e6d-8c7b-6a5f4e3d2c1b"),
		}},
	{check: "filename-length", path: "aws/short.yml", line: 1,
		bad:  map[string]string{"aws/short.yml": validRule},
		good: one(validRule)},
	{check: "missing-status", line: 1,
		bad:  one(edit(validRule, "status: experimental\n", "")),
		good: one(validRule)},
	{check: "status-value", line: 3,
		bad:  one(edit(validRule, "status: experimental", "status: beta")),
		good: one(validRule)},
	{check: "unsupported-status", line: 3,
		bad:  one(edit(validRule, "status: experimental", "status: unsupported")),
		good: one(validRule)},
	{check: "missing-level", line: 1,
		bad:  one(edit(validRule, "level: medium\n", "")),
		good: one(validRule)},
	{check: "level-value", line: 25, message: `must be written medium`,
		bad:  one(edit(validRule, "level: medium", "level: Medium")),
		good: one(validRule)},
	{check: "missing-date", line: 1,
		bad:  one(edit(validRule, "date: 2026-01-02\n", "")),
		good: one(validRule)},
	{check: "date-format", line: 8,
		bad:  one(edit(validRule, "date: 2026-01-02", "date: 2026/01/02")),
		good: one(validRule)},
	{check: "modified-before-date", line: 9,
		bad:  one(edit(validRule, "modified: 2026-02-03", "modified: 2025-12-31")),
		good: one(validRule)},
	{check: "missing-description", line: 1,
		bad:  one(edit(validRule, "description: A Lambda function was created by an IAM user rather than by automation.\n", "")),
		good: one(validRule)},
	{check: "short-description", line: 4,
		bad:  one(edit(validRule, "description: A Lambda function was created by an IAM user rather than by automation.", "description: Lambda.")),
		good: one(validRule)},
	{check: "duplicate-reference", line: 7, message: "already listed on line 6",
		bad:  one(edit(validRule, "  - https://attack.mitre.org/techniques/T1648/\n", "  - https://attack.mitre.org/techniques/T1648/\n  - https://attack.mitre.org/techniques/T1648/\n")),
		good: one(validRule)},
	{check: "related-value", line: 4,
		bad:  one(edit(validRule, "status: experimental\n", "related:\n  - id: not-a-uuid\n    type: derived\nstatus: experimental\n")),
		good: one(edit(validRule, "status: experimental\n", "related:\n  - id: 9e1d2c3b-4a5f-4e6d-8c7b-6a5f4e3d2c1b\n    type: derived\nstatus: experimental\n"))},
	{check: "misspelled-attribute", line: 26, message: `did you mean "falsepositives"`,
		bad:  one(validRule + "falsepositive: a typo\n"),
		good: one(validRule + "simulation: a custom attribute\n")},
	{check: "logsource-field", line: 16,
		bad:  one(edit(validRule, "  service: cloudtrail\n", "  service: cloudtrail\n  eventtype: api\n")),
		good: one(validRule)},
	{check: "generic-logsource", line: 12, message: "process_creation",
		bad:  one(sysmonRule),
		good: one(edit(sysmonRule, "    EventID: 1\n", "    EventID: 27\n"))},
	{check: "tag-format", line: 12, message: `write "attack.t1648"`,
		bad:  one(edit(validRule, "  - attack.t1648", "  - attack.T1648")),
		good: one(validRule)},
	{check: "attack-tag", line: 11, message: `write "attack.defense-evasion"`,
		bad:  one(edit(validRule, "  - attack.execution", "  - attack.defense_evasion")),
		good: one(edit(validRule, "  - attack.t1648", "  - attack.t1059.001"))},
	{check: "tag-namespace", line: 12,
		bad:  one(edit(validRule, "  - attack.t1648", "  - serverless.lambda")),
		good: one(edit(validRule, "  - attack.t1648", "  - detection.threat-hunting"))},
	{check: "tag-value", line: 12,
		bad:  one(edit(validRule, "  - attack.t1648", "  - cve.2021.44228")),
		good: one(edit(validRule, "  - attack.t1648", "  - cve.2021-44228"))},
	{check: "duplicate-tag", line: 13,
		bad:  one(edit(validRule, "  - attack.t1648\n", "  - attack.t1648\n  - attack.t1648\n")),
		good: one(validRule)},
	{check: diag.UnknownIdentifier, line: 22, message: `"filtr"`,
		bad:  one(edit(validRule, "condition: selection and not filter", "condition: selection and not filtr")),
		good: one(validRule)},
	{check: diag.NoMatchingSearch, line: 22, message: `"sel_*"`,
		bad:  one(edit(validRule, "condition: selection and not filter", "condition: selection and not filter and 1 of sel_*")),
		good: one(edit(validRule, "condition: selection and not filter", "condition: 1 of sel* and not filter"))},
	{check: "dangling-search", line: 20, message: `"filter"`,
		bad:  one(edit(validRule, "condition: selection and not filter", "condition: selection")),
		good: one(validRule)},
	{check: "all-of-them", line: 22,
		bad:  one(edit(validRule, "condition: selection and not filter", "condition: all of them")),
		good: one(edit(validRule, "condition: selection and not filter", "condition: 1 of them"))},
	{check: "them-single-search", line: 22, message: `"selection"`,
		bad: one(edit(edit(validRule, "  filter:\n", "  _filter:\n"),
			"condition: selection and not filter", "condition: 1 of them and not _filter")),
		good: one(edit(validRule, "condition: selection and not filter", "condition: 1 of them"))},
	{check: "condition-operator-case", line: 22, message: `"AND"`,
		bad:  one(edit(validRule, "condition: selection and not filter", "condition: selection AND not filter")),
		good: one(validRule)},
	{check: "wildcard-instead-of-modifier", line: 19, message: `"eventName|startswith"`,
		bad:  one(edit(validRule, "eventName|startswith: CreateFunction", "eventName: CreateFunction*")),
		good: one(edit(validRule, "eventName|startswith: CreateFunction", "eventName: Create*Function"))},
	{check: "escaped-wildcard", line: 19,
		bad:  one(edit(validRule, "eventName|startswith: CreateFunction", `eventName: Create\*`)),
		good: one(edit(validRule, "eventName|startswith: CreateFunction", `eventName|re: Create\*`))},
	{check: "double-wildcard", line: 19,
		bad:  one(edit(validRule, "eventName|startswith: CreateFunction", "eventName: Create**Function")),
		good: one(edit(validRule, "eventName|startswith: CreateFunction", `eventName: Create\**Function`))},
	{check: "number-as-string", line: 21,
		bad:  one(edit(validRule, "userIdentity.type: AssumedRole", "responseElements.statusCode: '404'")),
		good: one(edit(validRule, "userIdentity.type: AssumedRole", "responseElements.statusCode: '0404'"))},
	{check: "control-character", line: 18, message: `\t (tab)`,
		bad:  one(edit(validRule, "eventSource: lambda.amazonaws.com", `eventSource: "lambda\tamazonaws.com"`)),
		good: one(edit(validRule, "eventSource: lambda.amazonaws.com", `eventSource: 'lambda\tamazonaws.com'`))},
	{check: "repeated-modifier", line: 19,
		bad:  one(edit(validRule, "eventName|startswith: CreateFunction", "eventName|startswith|cased|cased: CreateFunction")),
		good: one(edit(validRule, "eventName|startswith: CreateFunction", "eventName|base64|base64|startswith: CreateFunction"))},
	{check: "modifier-combination", line: 19,
		bad:  one(edit(validRule, "eventName|startswith: CreateFunction", "requestParameters.code|base64offset: evil")),
		good: one(edit(validRule, "eventName|startswith: CreateFunction", "requestParameters.code|base64offset|contains: evil"))},
	{check: "all-single-value", line: 19,
		bad:  one(edit(validRule, "eventName|startswith: CreateFunction", "eventName|startswith|all: CreateFunction")),
		good: one(validRule)},
	{check: "all-exact-values", line: 19, message: `"eventName|contains|all"`,
		bad:  one(edit(validRule, "eventName|startswith: CreateFunction", "eventName|all:\n      - CreateFunction\n      - UpdateFunctionCode")),
		good: one(edit(validRule, "eventName|startswith: CreateFunction", "eventName|all:\n      - Create*\n      - '*Function'"))},
	{check: "windash-all", line: 19,
		bad:  one(edit(validRule, "eventName|startswith: CreateFunction", "requestParameters.command|windash|contains|all:\n      - -enc\n      - -nop")),
		good: one(edit(validRule, "eventName|startswith: CreateFunction", "requestParameters.command|windash|contains:\n      - -enc\n      - -nop"))},
	{check: "windash-literal-dash", line: 19, message: `"–"`,
		bad:  one(edit(validRule, "eventName|startswith: CreateFunction", "requestParameters.command|windash|contains: ' –enc'")),
		good: one(edit(validRule, "eventName|startswith: CreateFunction", "requestParameters.command|windash|contains: ' -enc /c'"))},
}

func TestValidRuleHasNoFindings(t *testing.T) {
	rep := lintFiles(one(validRule))
	for _, f := range rep.Findings {
		t.Errorf("unexpected finding: %s", f)
	}
	if rep.Documents != 1 || rep.Files != 1 {
		t.Errorf("counted %d documents in %d files, want 1 in 1", rep.Documents, rep.Files)
	}
}

func TestChecks(t *testing.T) {
	for _, tc := range checkCases {
		t.Run(tc.check, func(t *testing.T) {
			c, ok := Lookup(tc.check)
			if !ok {
				t.Fatalf("no check named %s", tc.check)
			}
			rep := lintFiles(tc.bad)
			got := findingsOf(rep, tc.check)
			if len(got) == 0 {
				t.Fatalf("bad rule: no %s finding; all findings:\n%s", tc.check, dump(rep))
			}
			want := tc.path
			if want == "" {
				want = ruleFile
			}
			f := got[0]
			if f.Path != want || f.Line != tc.line {
				t.Errorf("finding at %s:%d, want %s:%d: %s", f.Path, f.Line, want, tc.line, f)
			}
			if f.Severity != c.Severity {
				t.Errorf("severity %s, want the check's %s", f.Severity, c.Severity)
			}
			if !strings.Contains(f.Message, tc.message) {
				t.Errorf("message %q does not contain %q", f.Message, tc.message)
			}
			if wantPrefix := want + ":"; !strings.HasPrefix(f.String(), wantPrefix) || !strings.Contains(f.String(), " "+tc.check+": ") {
				t.Errorf("printed as %q, want path:line: check: message", f.String())
			}
			if got := findingsOf(lintFiles(tc.good), tc.check); len(got) > 0 {
				t.Errorf("good rule: unexpected %s", got[0])
			}
		})
	}
}

// TestEveryCheckHasACase keeps a new check from going untested.
func TestEveryCheckHasACase(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range checkCases {
		covered[tc.check] = true
	}
	for _, c := range registry {
		if !covered[c.Name] {
			t.Errorf("check %s has no case in checkCases", c.Name)
		}
	}
}

func dump(rep *Report) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}
