package sigmabridge

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

func TestConvertItemsKeepsTheDeploymentAndLeavesItToTheMacro(t *testing.T) {
	rules, files, _, err := LoadRules(nil)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := PackProfile()
	if err != nil {
		t.Fatal(err)
	}
	pp.Logs = append(pp.Logs, profile.LogLocation{Logsource: profile.Logsource{Product: "aws", Service: "cloudtrail"},
		Splunk: &profile.SplunkLocation{Index: profile.Strings{"aws"}}})
	s, err := Setup(pp, profile.Splunk, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := backends.Get("splunk")
	sources := RuleSources(nil, files)
	for _, macros := range []bool{false, true} {
		results, items, err := ConvertItems(context.Background(), b, s, rules, sources, macros)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, it := range items {
			if it == nil {
				if !results[i].Failed && len(results[i].Inactive) == 0 {
					t.Errorf("%s converted but has no item", results[i].Rule.Path)
				}
				continue
			}
			if it.Rule.Logsource.Service != "cloudtrail" {
				continue
			}
			n++
			if len(it.Rule.Deployment.Index) != 1 || it.Rule.Deployment.Index[0] != "aws" {
				t.Errorf("%s: the item's rule has index %v, want the profile's", it.Rule.Path, it.Rule.Deployment.Index)
			}
			if it.Source != strings.TrimPrefix(results[i].Rule.Path, "rules/") || !strings.HasPrefix(it.Source, "aws/") {
				t.Errorf("source %q of %s", it.Source, results[i].Rule.Path)
			}
			q := it.Queries[0].Text
			if want := `index="` + formats.MacroIndex + `" AND `; macros != strings.HasPrefix(q, want) || !macros && !strings.HasPrefix(q, `index="aws" AND `) {
				t.Errorf("macros %v: query %s", macros, q)
			}
		}
		if n < 10 {
			t.Errorf("only %d cloudtrail items", n)
		}
	}
}

func TestRuleSources(t *testing.T) {
	dir := filepath.Join("x", "rules")
	files := []ruleset.File{{Path: filepath.Join(dir, "aws", "a.yml")}, {Path: filepath.Join("y", "b.yml")}, {Path: filepath.Join(dir, "c.yml")}}
	got := RuleSources([]string{dir, filepath.Join("y", "b.yml")}, files)
	want := map[string]string{files[0].Path: "aws/a.yml", files[1].Path: "b.yml", files[2].Path: "c.yml"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}
