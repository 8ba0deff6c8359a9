package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/input"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// placeholderPipeline gives the pack's %placeholders% the values the samples assume.
const placeholderPipeline = samplesRoot + "/placeholders.yml"

// TestSamplesAgainstEvaluator runs every sample of every single-event rule through the
// loader, the placeholder pipeline, the input adapters and the evaluator, and checks the
// verdict the manifest expects: a match sample has at least one record the rule matches, a
// no_match sample has none.
func TestSamplesAgainstEvaluator(t *testing.T) {
	pl, err := pipeline.ParseFile(placeholderPipeline)
	if err != nil {
		t.Fatal(err)
	}
	for _, pf := range loadPack(t) {
		if pf.isCorrelationFile() {
			continue
		}
		t.Run(pf.path, func(t *testing.T) {
			prog := compileRule(t, pf.path, pl)
			if prog == nil {
				return
			}
			dir := sampleDir(pf.path)
			m, err := readManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range m.Samples {
				records, matched, err := runSample(prog, filepath.Join(dir, s.File), s.Format)
				switch {
				case err != nil:
					t.Errorf("%s: %v", s.File, err)
				case records == 0:
					t.Errorf("%s: the file yields no records", s.File)
				case s.Expect == "match" && matched == 0:
					t.Errorf("%s: expected a match, none of its %d records matched", s.File, records)
				case s.Expect == "no_match" && matched > 0:
					t.Errorf("%s: expected no match, %d of its %d records matched", s.File, matched, records)
				}
			}
		})
	}
}

// compileRule loads one rule file of the pack, resolves its placeholders and compiles it.
func compileRule(t *testing.T, rulePath string, pl *pipeline.Pipeline) *evaluator.Program {
	t.Helper()
	data, err := fs.ReadFile(FS, rulePath)
	if err != nil {
		t.Fatal(err)
	}
	rules, diags := translator.LoadBytes(rulePath, data)
	if diags.HasErrors() || len(rules) != 1 {
		t.Errorf("load: %d rules, diagnostics:\n%v", len(rules), diags)
		return nil
	}
	processed, diags := pl.Apply(rules[0])
	if diags.HasErrors() {
		t.Errorf("placeholder pipeline:\n%v", diags)
		return nil
	}
	prog, errs := evaluator.Compile([]*ir.Rule{processed})
	if len(errs) > 0 || prog.Len() != 1 {
		t.Errorf("compile: %v", errs)
		return nil
	}
	return prog
}

// runSample reads a sample file in its input format and counts its records and the records
// the program matches.
func runSample(prog *evaluator.Program, file, format string) (records, matched int, err error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	err = input.Read(format, file, f, func(rec input.Record) error {
		records++
		ms, err := prog.MatchJSON(rec.JSON)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", rec.File, rec.Line, err)
		}
		if len(ms) > 0 {
			matched++
		}
		return nil
	})
	return records, matched, err
}

// TestMailAdaptersFeedTheMailRules reads the raw-message fixtures of translator/input with the
// eml and graph-headers adapters (contoso.example as the accepted domain) and checks which
// mail rules fire, so the adapters and the rules agree on the message_headers record.
func TestMailAdaptersFeedTheMailRules(t *testing.T) {
	pl, err := pipeline.ParseFile(placeholderPipeline)
	if err != nil {
		t.Fatal(err)
	}
	opts := input.Options{AcceptedDomains: []string{"contoso.example"}}
	cases := []struct {
		fixture, format string
		// want maps a rule file to the number of the fixture's records it must match.
		want map[string]int
	}{
		{"power_automate_forward.eml", input.EML, map[string]int{
			"m365/flow_mail_to_external_recipient.yml":        1,
			"m365/power_automate_forwarding_to_external.yml":  1,
			"m365/flow_mail_default_environment_external.yml": 1,
			"m365/logic_app_mail_to_external_recipient.yml":   0,
		}},
		{"two_messages.mbox", input.EML, map[string]int{
			"m365/flow_mail_to_external_recipient.yml":      0,
			"m365/logic_app_mail_to_external_recipient.yml": 0, // the Logic Apps message is internal
		}},
		{"graph_messages.json", input.GraphHeaders, map[string]int{
			"m365/flow_mail_to_external_recipient.yml":        1, // Power Apps to a partner
			"m365/power_automate_forwarding_to_external.yml":  0, // operation Send
			"m365/flow_mail_default_environment_external.yml": 1,
		}},
	}
	for _, c := range cases {
		for rule, want := range c.want {
			prog := compileRule(t, rule, pl)
			if prog == nil {
				continue
			}
			f, err := os.Open(filepath.Join("../testdata/input/mail", c.fixture))
			if err != nil {
				t.Fatal(err)
			}
			matched := 0
			err = input.ReadWith(c.format, c.fixture, f, opts, func(rec input.Record) error {
				ms, err := prog.MatchJSON(rec.JSON)
				if len(ms) > 0 {
					matched++
				}
				return err
			})
			f.Close()
			var problems *input.Errors
			if err != nil && !errors.As(err, &problems) {
				t.Errorf("%s: %v", c.fixture, err)
			}
			if matched != want {
				t.Errorf("%s with %s: %d records matched, want %d", c.fixture, rule, matched, want)
			}
		}
	}
}
