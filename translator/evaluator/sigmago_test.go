package evaluator

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bradleyjkemp/sigma-go"
	sigmaeval "github.com/bradleyjkemp/sigma-go/evaluator"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// loadRuleText lowers one Sigma rule with the project's loader.
func loadRuleText(t testing.TB, name, text string) *ir.Rule {
	t.Helper()
	rules, diags := translator.LoadBytes(name, []byte(text))
	if diags.HasErrors() || len(rules) != 1 {
		t.Fatalf("%s: loader: %v\n%s", name, diags, text)
	}
	return rules[0]
}

func sigmaGoRule(t testing.TB, text string) *sigmaeval.RuleEvaluator {
	t.Helper()
	r, err := sigma.ParseRule([]byte(text))
	if err != nil {
		t.Fatalf("sigma-go cannot parse:\n%s\n%v", text, err)
	}
	return sigmaeval.ForRule(r)
}

// sigmaGoMatch runs sigma-go's evaluator, turning a panic into an error.
func sigmaGoMatch(ev *sigmaeval.RuleEvaluator, event map[string]any) (match bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	res, err := ev.Matches(context.Background(), event)
	return res.Match, err
}

// TestDifferentialSigmaGo evaluates random CloudTrail-style rules over random events with
// both engines, restricted to the subset where sigma-go is known to be right (plain
// equality, contains, startswith, endswith on wildcard-free ASCII values that are never a
// substring of "<nil>", lists, and/or/not, `1 of`/`all of` patterns without digits or `_`
// identifiers). sigma-go reads nested fields from a flattened copy of each event.
func TestDifferentialSigmaGo(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	const nrules, nevents = 120, 400
	var texts []string
	var ours []*ir.Rule
	var theirs []*sigmaeval.RuleEvaluator
	for i := 0; i < nrules; i++ {
		text := cloudTrailRule(r, i)
		texts = append(texts, text)
		ours = append(ours, loadRuleText(t, fmt.Sprintf("gen%d.yml", i), text))
		theirs = append(theirs, sigmaGoRule(t, text))
	}
	prog, errs := Compile(ours)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	matches, disagreements := 0, 0
	for e := 0; e < nevents; e++ {
		line := cloudTrailEvent(r)
		ms, err := prog.MatchJSON(line)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]bool, nrules)
		for _, m := range ms {
			got[m.RuleIndex] = true
		}
		var decoded map[string]any
		if err := json.Unmarshal(line, &decoded); err != nil {
			t.Fatal(err)
		}
		flat := flatten("", decoded, map[string]any{})
		for i, ev := range theirs {
			want, err := sigmaGoMatch(ev, flat)
			if err != nil {
				t.Fatalf("sigma-go failed on rule %d: %v", i, err)
			}
			if want {
				matches++
			}
			if got[i] != want {
				disagreements++
				if disagreements <= 5 {
					t.Errorf("rule %d: sigmabridge %v, sigma-go %v\nrule:\n%s\nevent: %s", i, got[i], want, texts[i], line)
				}
			}
		}
	}
	// the comparison only means something if both outcomes occur often
	if total := nrules * nevents; matches < total/200 || matches > total/2 {
		t.Errorf("%d of %d rule evaluations matched: the generators no longer exercise both outcomes", matches, total)
	}
	t.Logf("%d rule evaluations, %d matches, %d disagreements", nrules*nevents, matches, disagreements)
}

// sigmaGoDivergences lists every known place where sigma-go v0.6.6's evaluator and
// sigmabridge's differ (docs/peers.md, sigma-go evaluator). Each row runs both engines on the same rule and
// event and pins both answers, so an upgrade of sigma-go or a change here cannot go
// unnoticed. sigma-go gets the event decoded by encoding/json, not flattened, unless the
// row says otherwise.
var sigmaGoDivergences = []struct {
	name        string
	rule        string // the detection block
	event       string
	sigmaGo     string // "match", "no match", or the start of its error
	sigmabridge string // "match", "no match", or "rejected: <diagnostic code>"
}{
	{"wildcards compared literally (leading *)", "sel:\n    Image: '*\\cmd.exe'\n  condition: sel",
		`{"Image":"C:\\Windows\\System32\\cmd.exe"}`, "no match", "match"},
	{"? compared literally", "sel:\n    Image: 'cm?.exe'\n  condition: sel",
		`{"Image":"cmd.exe"}`, "no match", "match"},
	{"inner * compared literally", "sel:\n    CommandLine: 'net user * /add'\n  condition: sel",
		`{"CommandLine":"net user eve /add"}`, "no match", "match"},
	{"escaped star kept with its backslash", "sel:\n    a: 'a\\*b'\n  condition: sel",
		`{"a":"a*b"}`, "no match", "match"},
	{"missing field stringified <nil> (contains nil)", "sel:\n    a|contains: 'nil'\n  condition: sel",
		`{"b":"x"}`, "match", "no match"},
	{"missing field stringified <nil> (startswith <)", "sel:\n    a|startswith: '<'\n  condition: sel",
		`{"b":"x"}`, "match", "no match"},
	{"empty contains matches a missing field", "sel:\n    a|contains: ''\n  condition: sel",
		`{"b":"x"}`, "match", "no match"},
	{"string null matches a missing field", "sel:\n    a: 'null'\n  condition: sel",
		`{"b":"x"}`, "match", "no match"},
	{"them includes _ identifiers", "sel:\n    a: 'x'\n  _helper:\n    b: 'y'\n  condition: 1 of them",
		`{"b":"y"}`, "match", "no match"},
	{"arrays compared as their Go text", "sel:\n    a: 'x'\n  condition: sel",
		`{"a":["x","y"]}`, "no match", "match"},
	{"nested fields need a mapping", "sel:\n    requestParameters.functionName: 'evil'\n  condition: sel",
		`{"requestParameters":{"functionName":"evil"}}`, "no match", "match"},
	{"keywords unsupported", "keywords:\n    - 'mimikatz'\n  condition: keywords",
		`{"a":"mimikatz.exe"}`, "error evaluating search keywords: keywords unsupported", "match"},
	{"field: null unsupported", "sel:\n    a: null\n  condition: sel",
		`{"b":"x"}`, "error evaluating search sel: expected scalar field matching value", "match"},
	{"exists unsupported", "sel:\n    a|exists: true\n  condition: sel",
		`{"a":"x"}`, "error evaluating search sel: unknown modifier exists", "match"},
	{"cased unsupported", "sel:\n    a|cased: 'X'\n  condition: sel",
		`{"a":"X"}`, "error evaluating search sel: unknown modifier cased", "match"},
	{"re flags unsupported", "sel:\n    a|re|i: '^X'\n  condition: sel",
		`{"a":"xyz"}`, "error evaluating search sel: comparator modifier re must be the last modifier", "match"},
	{"windash unsupported", "sel:\n    a|windash|contains: ' -c '\n  condition: sel",
		`{"a":"cmd /c whoami"}`, "error evaluating search sel: unknown modifier windash", "match"},
	{"fieldref unsupported", "sel:\n    a|fieldref: b\n  condition: sel",
		`{"a":"x","b":"x"}`, "error evaluating search sel: unknown modifier fieldref", "match"},
	{"percent value expanded without expand", "sel:\n    a|contains: '%COMSPEC%'\n  condition: sel",
		`{"a":"x %COMSPEC% y"}`, "error evaluating search sel: can't expand %COMSPEC%", "match"},
	{"bad regex silently false", "sel:\n    a|re: '(x'\n  condition: sel",
		`{"a":"(x"}`, "no match", "rejected: invalid-value"},
	{"gt panics on json.Number", "sel:\n    n|gt: 5\n  condition: sel",
		`{"n":6}`, "panic", "match"},
	{"gt false on int64", "sel:\n    n|gt: 5\n  condition: sel",
		`{"n":6}`, "no match", "match"},
	{"base64offset unsupported", "sel:\n    a|base64offset|contains: 'http://'\n  condition: sel",
		`{"a":"x aHR0cDovL2V2aWwuZXhhbXBsZS94"}`, "error evaluating search sel: unknown modifier base64offset", "match"},
	{"wide unsupported", "sel:\n    a|wide|base64: 'ab'\n  condition: sel",
		`{"a":"YQBiAA=="}`, "error evaluating search sel: unknown modifier wide", "match"},
	{"expand unsupported", "sel:\n    a|expand: '%users%'\n  condition: sel",
		`{"a":"%users%"}`, "error evaluating search sel: unknown modifier expand", "rejected: unresolved-placeholder"},
	{"1 of <identifier> panics", "sel:\n    a: 'x'\n  condition: 1 of sel",
		`{"a":"x"}`, "panic", "match"},
	{"an unused unsupported search fails the rule", "sel:\n    a: 'x'\n  unused:\n    b|exists: true\n  condition: sel",
		`{"a":"x"}`, "error evaluating search unused: unknown modifier exists", "match"},
	{"hex text compared as a number", "sel:\n    n|gt: 255\n  condition: sel",
		`{"n":"0x100"}`, "match", "no match"},
	{"any of does not parse", "sel:\n    a: 'x'\n  condition: any of sel*",
		`{"a":"x"}`, "parse:", "match"},
	{"identifiers with a dash do not parse", "sel-1:\n    a: 'x'\n  condition: sel-1",
		`{"a":"x"}`, "parse:", "match"},
	{"a digit before * does not parse", "sel1:\n    a: 'x'\n  condition: 1 of sel1*",
		`{"a":"x"}`, "parse:", "match"},
	{"equality on a number value uses Go's %v text", "sel:\n    n: 1000000\n  condition: sel",
		`{"n":1000000}`, "no match", "match"},
}

func TestSigmaGoDivergences(t *testing.T) {
	for _, d := range sigmaGoDivergences {
		t.Run(d.name, func(t *testing.T) {
			text := "title: divergence\nlogsource:\n  product: test\ndetection:\n  " + d.rule + "\n"
			sr, err := sigma.ParseRule([]byte(text))
			if d.sigmaGo == "parse:" {
				if err == nil {
					t.Errorf("sigma-go now parses the rule, pinned a parse error: update docs/peers.md and this table")
				}
			} else if err != nil {
				t.Fatalf("sigma-go parse: %v", err)
			}
			var event map[string]any
			switch d.name {
			case "gt panics on json.Number":
				dec := json.NewDecoder(strings.NewReader(d.event))
				dec.UseNumber()
				if err := dec.Decode(&event); err != nil {
					t.Fatal(err)
				}
			case "gt false on int64":
				event = map[string]any{"n": int64(6)}
			default:
				if err := json.Unmarshal([]byte(d.event), &event); err != nil {
					t.Fatal(err)
				}
			}
			var match bool
			if err == nil {
				match, err = sigmaGoMatch(sigmaeval.ForRule(sr), event)
			} else {
				err = fmt.Errorf("parse: %v", err)
			}
			var got string
			switch {
			case err != nil && strings.HasPrefix(err.Error(), "panic"):
				got = "panic"
			case err != nil:
				got = err.Error()
			case match:
				got = "match"
			default:
				got = "no match"
			}
			if !strings.HasPrefix(got, d.sigmaGo) {
				t.Errorf("sigma-go now says %q, pinned %q: update docs/peers.md and this table", got, d.sigmaGo)
			}

			rules, diags := translator.LoadBytes("divergence.yml", []byte(text))
			var codes []string
			for _, d := range diags.Errors() {
				codes = append(codes, string(d.Code))
			}
			var prog *Program
			if len(codes) == 0 {
				var errs []RuleError
				prog, errs = Compile(rules)
				for _, e := range errs {
					for _, d := range e.Diags {
						codes = append(codes, string(d.Code))
					}
				}
			}
			ours := ""
			if len(codes) > 0 {
				ours = "rejected: " + strings.Join(codes, ", ")
			} else {
				ms, err := prog.MatchJSON([]byte(d.event))
				if err != nil {
					t.Fatal(err)
				}
				ours = map[bool]string{true: "match", false: "no match"}[len(ms) > 0]
			}
			if ours != d.sigmabridge {
				t.Errorf("sigmabridge: %s, want %s", ours, d.sigmabridge)
			}
		})
	}
}
