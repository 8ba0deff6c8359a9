package lint

import (
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// The loader stops at the first unknown identifier of a condition; lint reports every
// one, and the loader's diagnostic for the first is not repeated.
func TestEveryUnknownIdentifierReportedOnce(t *testing.T) {
	for name, cond := range map[string]string{
		"plain":  "condition: selection and not filtr and not filtr2",
		"quoted": `condition: "selection and not filtr and not filtr2"`,
		"list":   "condition:\n    - selection and not filtr and not filtr2",
		"folded": "condition: >\n    selection and\n    not filtr and not filtr2",
	} {
		t.Run(name, func(t *testing.T) {
			rep := lintFiles(one(edit(validRule, "condition: selection and not filter", cond)))
			got := findingsOf(rep, diag.UnknownIdentifier)
			if len(got) != 2 {
				t.Fatalf("%d unknown-identifier findings, want 2 (filtr, filtr2):\n%s", len(got), dump(rep))
			}
			if !strings.Contains(got[0].Message, `"filtr"`) || !strings.Contains(got[1].Message, `"filtr2"`) {
				t.Errorf("findings name the wrong identifiers:\n%s", dump(rep))
			}
		})
	}
}

func TestMissingDetectionReportedOnce(t *testing.T) {
	rep := lintFiles(one(strings.Split(validRule, "detection:")[0]))
	if got := findingsOf(rep, "required-field"); len(got) != 1 || !strings.Contains(got[0].Message, "no detection") {
		t.Errorf("want one required-field finding about the detection:\n%s", dump(rep))
	}
	if got := findingsOf(rep, diag.RuleStructure); len(got) != 0 {
		t.Errorf("the loader's rule-structure diagnostic was not folded into required-field:\n%s", dump(rep))
	}
}

func TestDuplicateSearchReportedOnce(t *testing.T) {
	rep := lintFiles(one(edit(validRule, "  filter:\n", "  selection:\n    eventName: Invoke\n  filter:\n")))
	if got := findingsOf(rep, "duplicate-key"); len(got) != 1 || got[0].Line != 20 {
		t.Errorf("want one duplicate-key finding on line 20:\n%s", dump(rep))
	}
	if got := findingsOf(rep, diag.RuleStructure); len(got) != 0 {
		t.Errorf("the loader's diagnostic for the same key was not folded into duplicate-key:\n%s", dump(rep))
	}
}

// A rule that does not load is reported with the loader's code, its line and the id of
// its document; the other documents of the file and the other files are still checked.
func TestLoaderDiagnosticsAreFindings(t *testing.T) {
	second := other("Lambda Function Invoked", "9e1d2c3b-4a5f-4e6d-8c7b-6a5f4e3d2c1b")
	second = edit(second, "eventName|startswith: CreateFunction", "eventName|startswit: Invoke")
	rep := lintFiles(map[string]string{
		"aws/a_broken_yaml_file.yml": "title: [unclosed\n",
		ruleFile:                     validRule + "---\n" + second,
		"aws/z_last_rule_in_batch.yml": edit(other("Lambda Layer Published", "1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b"),
			"date: 2026-01-02", "date: 02.01.2026"),
	})
	yamlErr := findingsOf(rep, diag.YAMLError)
	if len(yamlErr) != 1 || yamlErr[0].Path != "aws/a_broken_yaml_file.yml" || yamlErr[0].Severity != diag.Error {
		t.Errorf("want one yaml-error in the broken file:\n%s", dump(rep))
	}
	mod := findingsOf(rep, diag.UnknownModifier)
	if len(mod) != 1 {
		t.Fatalf("want one unknown-modifier finding:\n%s", dump(rep))
	}
	if mod[0].Path != ruleFile || mod[0].Line != 26+19 || mod[0].RuleID != "9e1d2c3b-4a5f-4e6d-8c7b-6a5f4e3d2c1b" {
		t.Errorf("unknown-modifier at %s:%d for rule %q, want %s:45 for the second document's id", mod[0].Path, mod[0].Line, mod[0].RuleID, ruleFile)
	}
	if got := findingsOf(rep, "date-format"); len(got) != 1 || got[0].Path != "aws/z_last_rule_in_batch.yml" {
		t.Errorf("the file after the broken ones was not checked:\n%s", dump(rep))
	}
	if rep.Documents != 3 {
		t.Errorf("%d documents, want 3 (two in %s, one in the last file)", rep.Documents, ruleFile)
	}
	if rep.Errors != 3 || rep.Warnings != 0 {
		t.Errorf("%d errors and %d warnings, want 3 and 0:\n%s", rep.Errors, rep.Warnings, dump(rep))
	}
}

func TestDisabledChecks(t *testing.T) {
	text := edit(edit(validRule, "condition: selection and not filter", "condition: selection"),
		"eventName|startswith: CreateFunction", "eventName|startswit: Invoke")
	files := one(text)
	if rep := lintFiles(files); len(findingsOf(rep, "dangling-search")) != 1 || len(findingsOf(rep, diag.UnknownModifier)) != 1 {
		t.Fatalf("want dangling-search and unknown-modifier findings:\n%s", dump(rep))
	}
	rep := lintFilesWith(files, Config{Disabled: map[string]bool{"dangling-search": true, diag.UnknownModifier: true}})
	if len(rep.Findings) != 0 {
		t.Errorf("disabled checks still reported:\n%s", dump(rep))
	}
}

func TestCorrelationRuleMetadataIsChecked(t *testing.T) {
	corr := `title: Many Lambda Functions Created
id: 3c2b1a09-8f7e-4d6c-9b5a-493827161504
status: test
description: One principal created many Lambda functions in a short time.
author: sigmabridge tests
date: 2026-1-2
correlation:
  type: event_count
  rules:
    - 5b0c7a4e-8f7e-4a57-9b7e-2f1f3c0d9a11
  group-by:
    - userIdentity.arn
  timespan: 10m
  condition:
    gte: 10
level: high
`
	rep := lintFiles(map[string]string{ruleFile: validRule, "aws/many_lambda_functions.yml": corr})
	if got := findingsOf(rep, "date-format"); len(got) != 1 || got[0].Line != 6 {
		t.Errorf("want a date-format finding on line 6 of the correlation:\n%s", dump(rep))
	}
	for _, f := range rep.Findings {
		if strings.HasPrefix(string(f.Check), "correlation-") {
			t.Errorf("a valid correlation got a loader finding: %+v", f)
		}
	}
	if got := findingsOf(rep, "required-field"); len(got) != 0 {
		t.Errorf("a correlation needs no logsource or detection:\n%s", dump(rep))
	}
}

func TestUnreadableFileIsAFinding(t *testing.T) {
	rep := Run([]ruleset.File{{Path: t.TempDir() + "/missing_rule_file.yml"}}, Config{})
	got := findingsOf(rep, diag.ReadError)
	if len(got) != 1 || got[0].Severity != diag.Error || rep.Errors != 1 {
		t.Errorf("want one read-error:\n%s", dump(rep))
	}
}

func TestChecksAreListed(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Checks() {
		if c.Name == "" || c.Summary == "" {
			t.Errorf("check %+v lacks a name or summary", c)
		}
		if seen[c.Name] {
			t.Errorf("check %s listed twice", c.Name)
		}
		seen[c.Name] = true
	}
	for _, code := range []string{diag.YAMLError, diag.UnknownModifier, diag.UnknownIdentifier, "dangling-search", "attack-tag"} {
		if !seen[code] {
			t.Errorf("check %s is not listed", code)
		}
	}
}

// The built-in rule pack must lint without errors.
func TestBuiltinPack(t *testing.T) {
	files, err := ruleset.DiscoverFS(rules.FS, "rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("the built-in pack has no rule files")
	}
	rep := Run(files, Config{})
	for _, f := range rep.Findings {
		if f.Severity == diag.Error {
			t.Errorf("%s", f)
		} else {
			t.Logf("%s", f)
		}
	}
	if rep.Documents < len(files) {
		t.Errorf("%d documents in %d files", rep.Documents, len(files))
	}
}
