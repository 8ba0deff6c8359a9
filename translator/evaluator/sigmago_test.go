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
// sigmabridge's differ (PEERS.md 3.3). Each row runs both engines on the same rule and
// event and pins both answers, so an upgrade of sigma-go or a change here cannot go
// unnoticed. sigma-go gets the event decoded by encoding/json, not flattened, unless the
// row says otherwise.
var sigmaGoDivergences = []struct {
	name        string
	rule        string // the detection block
	event       string
	sigmaGo     string // "match", "no match", or the start of its error
	sigmabridge bool
}{
	{"wildcards compared literally (leading *)", "sel:\n    Image: '*\\cmd.exe'\n  condition: sel",
		`{"Image":"C:\\Windows\\System32\\cmd.exe"}`, "no match", true},
	{"? compared literally", "sel:\n    Image: 'cm?.exe'\n  condition: sel",
		`{"Image":"cmd.exe"}`, "no match", true},
	{"inner * compared literally", "sel:\n    CommandLine: 'net user * /add'\n  condition: sel",
		`{"CommandLine":"net user eve /add"}`, "no match", true},
	{"escaped star kept with its backslash", "sel:\n    a: 'a\\*b'\n  condition: sel",
		`{"a":"a*b"}`, "no match", true},
	{"missing field stringified <nil> (contains nil)", "sel:\n    a|contains: 'nil'\n  condition: sel",
		`{"b":"x"}`, "match", false},
	{"missing field stringified <nil> (startswith <)", "sel:\n    a|startswith: '<'\n  condition: sel",
		`{"b":"x"}`, "match", false},
	{"empty contains matches a missing field", "sel:\n    a|contains: ''\n  condition: sel",
		`{"b":"x"}`, "match", false},
	{"string null matches a missing field", "sel:\n    a: 'null'\n  condition: sel",
		`{"b":"x"}`, "match", false},
	{"them includes _ identifiers", "sel:\n    a: 'x'\n  _helper:\n    b: 'y'\n  condition: 1 of them",
		`{"b":"y"}`, "match", false},
	{"arrays compared as their Go text", "sel:\n    a: 'x'\n  condition: sel",
		`{"a":["x","y"]}`, "no match", true},
	{"nested fields need a mapping", "sel:\n    requestParameters.functionName: 'evil'\n  condition: sel",
		`{"requestParameters":{"functionName":"evil"}}`, "no match", true},
	{"keywords unsupported", "keywords:\n    - 'mimikatz'\n  condition: keywords",
		`{"a":"mimikatz.exe"}`, "error evaluating search keywords: keywords unsupported", true},
	{"field: null unsupported", "sel:\n    a: null\n  condition: sel",
		`{"b":"x"}`, "error evaluating search sel: expected scalar field matching value", true},
	{"exists unsupported", "sel:\n    a|exists: true\n  condition: sel",
		`{"a":"x"}`, "error evaluating search sel: unknown modifier exists", true},
	{"cased unsupported", "sel:\n    a|cased: 'X'\n  condition: sel",
		`{"a":"X"}`, "error evaluating search sel: unknown modifier cased", true},
	{"re flags unsupported", "sel:\n    a|re|i: '^X'\n  condition: sel",
		`{"a":"xyz"}`, "error evaluating search sel: comparator modifier re must be the last modifier", true},
	{"windash unsupported", "sel:\n    a|windash|contains: ' -c '\n  condition: sel",
		`{"a":"cmd /c whoami"}`, "error evaluating search sel: unknown modifier windash", true},
	{"fieldref unsupported", "sel:\n    a|fieldref: b\n  condition: sel",
		`{"a":"x","b":"x"}`, "error evaluating search sel: unknown modifier fieldref", true},
	{"percent value expanded without expand", "sel:\n    a|contains: '%COMSPEC%'\n  condition: sel",
		`{"a":"x %COMSPEC% y"}`, "error evaluating search sel: can't expand %COMSPEC%", true},
	{"bad regex silently false", "sel:\n    a|re: '(x'\n  condition: sel",
		`{"a":"(x"}`, "no match", false},
	{"gt panics on json.Number", "sel:\n    n|gt: 5\n  condition: sel",
		`{"n":6}`, "panic", true},
	{"gt false on int64", "sel:\n    n|gt: 5\n  condition: sel",
		`{"n":6}`, "no match", true},
	{"equality on a number value uses Go's %v text", "sel:\n    n: 1000000\n  condition: sel",
		`{"n":1000000}`, "no match", true},
}

func TestSigmaGoDivergences(t *testing.T) {
	for _, d := range sigmaGoDivergences {
		t.Run(d.name, func(t *testing.T) {
			text := "title: divergence\nlogsource:\n  product: test\ndetection:\n  " + d.rule + "\n"
			sr, err := sigma.ParseRule([]byte(text))
			if err != nil {
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
			match, err := sigmaGoMatch(sigmaeval.ForRule(sr), event)
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
				t.Errorf("sigma-go now says %q, pinned %q: update PEERS.md and this table", got, d.sigmaGo)
			}

			rules, diags := translator.LoadBytes("divergence.yml", []byte(text))
			if d.name == "bad regex silently false" {
				// sigmabridge rejects the rule with a named diagnostic (the loader already
				// checks the regex; Compile would too, see TestCompileErrorsNameTheRule)
				if !diags.HasErrors() || !strings.Contains(diags.Err().Error(), "invalid regular expression") {
					t.Errorf("sigmabridge must reject the bad regex when loading, got %v", diags)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("loader: %v", diags)
			}
			prog, errs := Compile(rules)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			ms, err := prog.MatchJSON([]byte(d.event))
			if err != nil {
				t.Fatal(err)
			}
			if (len(ms) > 0) != d.sigmabridge {
				t.Errorf("sigmabridge matched=%v, want %v", len(ms) > 0, d.sigmabridge)
			}
		})
	}
}
