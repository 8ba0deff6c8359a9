package plugin_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/sigmabridge/sigmabridge/plugin/builtin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestMain lets the test binary serve the built-in plugins (`TEST plugin serve NAME`), as
// the sigmabridge executable does.
func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == "plugin" && os.Args[2] == "serve" {
		if path := os.Getenv("SIGMABRIDGE_PLUGIN_CPUPROFILE"); path != "" {
			// Profiles the plugin side of a benchmark: go test -bench ... with this set.
			f, err := os.Create(path)
			if err == nil && pprof.StartCPUProfile(f) == nil {
				defer f.Close()
				defer pprof.StopCPUProfile()
			}
		}
		if err := builtin.Serve(os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// packRules loads the embedded T1648 rule pack.
func packRules(tb testing.TB) []*ir.Rule {
	tb.Helper()
	files, err := ruleset.DiscoverFS(rules.FS, "rules")
	if err != nil {
		tb.Fatal(err)
	}
	rs, _ := ruleset.Load(files)
	if len(rs) == 0 {
		tb.Fatal("the rule pack loaded no rules")
	}
	return rs
}

// cloudTrailEvents generates n CloudTrail-like JSON lines, deterministically; about one in
// twenty is a Lambda management call of the kind the pack watches.
func cloudTrailEvents(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	sources := []string{"s3.amazonaws.com", "ec2.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com", "kms.amazonaws.com"}
	names := []string{"GetObject", "DescribeInstances", "AssumeRole", "Decrypt", "ListBuckets", "PutObject"}
	lambda := []string{"CreateFunction20150331", "UpdateFunctionCode20150331v2", "AddPermission20150331v2",
		"CreateFunctionUrlConfig20211031", "PublishLayerVersion20181031", "UpdateFunctionConfiguration20150331v2"}
	var buf bytes.Buffer
	for i := range n {
		src, name := sources[rng.IntN(len(sources))], names[rng.IntN(len(names))]
		params := map[string]any{"bucketName": fmt.Sprintf("bucket-%d", rng.IntN(50)), "key": fmt.Sprintf("logs/%d.gz", i)}
		if rng.IntN(20) == 0 {
			src, name = "lambda.amazonaws.com", lambda[rng.IntN(len(lambda))]
			params = map[string]any{"functionName": fmt.Sprintf("fn-%d", rng.IntN(100)), "authType": "NONE",
				"principal": "*", "action": "lambda:InvokeFunctionUrl", "role": "arn:aws:iam::123456789012:role/admin"}
		}
		userType := "AssumedRole"
		if rng.IntN(3) == 0 {
			userType = "IAMUser"
		}
		ev := map[string]any{
			"eventVersion": "1.08", "eventTime": time.Date(2025, 1, 1, 0, 0, i%3600, 0, time.UTC).Format(time.RFC3339),
			"eventSource": src, "eventName": name, "awsRegion": "eu-west-1",
			"sourceIPAddress": fmt.Sprintf("203.0.113.%d", rng.IntN(255)), "userAgent": "aws-cli/2.15.0 Python/3.11",
			"userIdentity": map[string]any{"type": userType, "principalId": "AIDAEXAMPLE", "accountId": "123456789012",
				"arn":            fmt.Sprintf("arn:aws:iam::123456789012:user/user%d", rng.IntN(40)),
				"sessionContext": map[string]any{"sessionIssuer": map[string]any{"userName": "deploy"}}},
			"requestParameters": params, "responseElements": nil, "readOnly": rng.IntN(2) == 0,
			"eventType": "AwsApiCall", "recipientAccountId": "123456789012", "requestID": fmt.Sprintf("req-%08d", i),
		}
		line, _ := json.Marshal(ev)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func quietManager(tb testing.TB) *host.Manager {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	m, err := host.New(host.Config{Builtins: builtin.Specs(exe),
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: os.Stderr})})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

const benchEvents = 20000

// scanInProcess reads the same JSON lines and matches them with the evaluator in this
// process, one Matcher, as `scan` does without plugins. It returns the number of matches.
func scanInProcess(tb testing.TB, prog *evaluator.Program, input []byte) int {
	m := prog.NewMatcher()
	sc := bufio.NewScanner(bytes.NewReader(input))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	matches := 0
	for sc.Scan() {
		ms, err := m.MatchJSON(sc.Bytes())
		if err != nil {
			tb.Fatal(err)
		}
		matches += len(ms)
	}
	return matches
}

func scanPlugin(tb testing.TB, d *host.Detector, input []byte, opts host.ScanOptions) int {
	matches := 0
	err := d.Scan(context.Background(), bytes.NewReader(input), opts, func(b *host.ScanBatch) error {
		matches += len(b.Matches)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return matches
}

// TestScanThroughPluginAgrees checks the benchmark's two paths find the same matches.
func TestScanThroughPluginAgrees(t *testing.T) {
	rs := packRules(t)
	prog, _ := evaluator.Compile(rs)
	input := cloudTrailEvents(3000)
	m := quietManager(t)
	defer m.Close()
	d, err := m.Detector(context.Background(), builtin.DetectorName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	want := scanInProcess(t, prog, input)
	got := scanPlugin(t, d, input, host.ScanOptions{})
	if want == 0 || got != want {
		t.Fatalf("plugin found %d matches, in process %d", got, want)
	}
	t.Logf("%d rules, %d matches in 3000 events", prog.Len(), want)
}

func reportEventsPerSecond(b *testing.B, events int) {
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkScanInProcess is the baseline: the evaluator in the host process.
func BenchmarkScanInProcess(b *testing.B) {
	rs := packRules(b)
	prog, _ := evaluator.Compile(rs)
	input := cloudTrailEvents(benchEvents)
	b.SetBytes(int64(len(input)))
	b.ResetTimer()
	for range b.N {
		scanInProcess(b, prog, input)
	}
	reportEventsPerSecond(b, benchEvents)
}

func benchmarkScanPlugin(b *testing.B, opts host.ScanOptions) {
	rs := packRules(b)
	input := cloudTrailEvents(benchEvents)
	m := quietManager(b)
	defer m.Close()
	d, err := m.Detector(context.Background(), builtin.DetectorName)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.Load(context.Background(), rs); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(input)))
	b.ResetTimer()
	for range b.N {
		scanPlugin(b, d, input, opts)
	}
	reportEventsPerSecond(b, benchEvents)
}

// BenchmarkScanPlugin sends the same events to the built-in detector plugin in batches of
// 1,000 events / 1 MiB with two batches in flight (the defaults).
func BenchmarkScanPlugin(b *testing.B) { benchmarkScanPlugin(b, host.ScanOptions{}) }

// BenchmarkScanPluginOneInFlight waits for each batch before sending the next.
func BenchmarkScanPluginOneInFlight(b *testing.B) {
	benchmarkScanPlugin(b, host.ScanOptions{InFlight: 1})
}

// BenchmarkScanPluginVsInProcess alternates the two paths over the same events in every
// iteration, so that load from other processes hits both alike. It reports the plugin's
// throughput as a fraction of the in-process one ("plugin/inproc"; the target is >= 0.9),
// and the CPU time per event of each path, for the plugin path split into the host's and
// the plugin process's ("cpu-ns/event"; Linux only), which load on a shared machine
// disturbs less than wall time.
func BenchmarkScanPluginVsInProcess(b *testing.B) {
	rs := packRules(b)
	prog, _ := evaluator.Compile(rs)
	input := cloudTrailEvents(benchEvents)
	m := quietManager(b)
	defer m.Close()
	info := m.Describe(context.Background(), builtin.DetectorName)
	if info.Err != nil {
		b.Fatal(info.Err)
	}
	d, err := m.Detector(context.Background(), builtin.DetectorName)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.Load(context.Background(), rs); err != nil {
		b.Fatal(err)
	}
	var inproc, plugin, inprocCPU, hostCPU, pluginCPU time.Duration
	b.ResetTimer()
	for range b.N {
		start, cpu := time.Now(), selfCPU()
		want := scanInProcess(b, prog, input)
		inproc += time.Since(start)
		inprocCPU += selfCPU() - cpu

		start, cpu, pcpu := time.Now(), selfCPU(), processCPU(info.PID)
		got := scanPlugin(b, d, input, host.ScanOptions{})
		plugin += time.Since(start)
		hostCPU += selfCPU() - cpu
		pluginCPU += processCPU(info.PID) - pcpu
		if got != want {
			b.Fatalf("plugin found %d matches, in process %d", got, want)
		}
	}
	events := float64(benchEvents) * float64(b.N)
	b.ReportMetric(events/inproc.Seconds(), "inproc-events/s")
	b.ReportMetric(events/plugin.Seconds(), "plugin-events/s")
	b.ReportMetric(inproc.Seconds()/plugin.Seconds(), "plugin/inproc")
	if inprocCPU > 0 && pluginCPU > 0 {
		b.ReportMetric(float64(inprocCPU.Nanoseconds())/events, "inproc-cpu-ns/event")
		b.ReportMetric(float64(hostCPU.Nanoseconds())/events, "host-cpu-ns/event")
		b.ReportMetric(float64(pluginCPU.Nanoseconds())/events, "plugin-cpu-ns/event")
	}
}

// BenchmarkPluginStart measures exec, handshake, gRPC dial and the first call (Describe)
// of the built-in detector.
func BenchmarkPluginStart(b *testing.B) {
	for range b.N {
		m := quietManager(b)
		if _, err := m.Detector(context.Background(), builtin.DetectorName); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		m.Close()
		b.StartTimer()
	}
}
