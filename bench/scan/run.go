package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/sigmabridge/sigmabridge/plugin/builtin"
	"github.com/sigmabridge/sigmabridge/plugin/host"
)

// generatorVersion names the event generator's output; bump it when events.go changes so
// that cached event files are regenerated.
const generatorVersion = 1

// runOptions are the flags of `scanbench run`.
type runOptions struct {
	bin          string // the sigmabridge executable
	repo         string // the repository root (rules/, testdata/rules/placeholders.yml)
	work         string // directory for events, outputs and the sigma-go subset
	events       int
	runs         int
	sigmaGoRuns  int
	checkRuns    int
	startRuns    int
	pinCPU       string
	only         string // comma-separated measurement names (empty: all)
	markdownFile string
}

// measurement is one command line measured several times.
type measurement struct {
	name    string
	pinned  bool
	args    []string // after the executable
	env     []string // added to the environment
	exe     string
	events  int // events per run, for events/s (0: report time only)
	walls   []time.Duration
	cpus    []time.Duration
	outHash string // sha256 of stdout of the first run
	outFile string
	exits   []int
}

func (m *measurement) medianWall() time.Duration { return median(m.walls) }
func (m *measurement) medianCPU() time.Duration  { return median(m.cpus) }

func (m *measurement) eventsPerSecond() float64 {
	w := m.medianWall()
	if w <= 0 || m.events == 0 {
		return 0
	}
	return float64(m.events) / w.Seconds()
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// runOnce runs the measurement's command once: wall time from start to exit, and the CPU
// time (user + system) of the process and of every descendant it waited for, which
// includes the detector plugin (sigmabridge waits for it before exiting).
func (m *measurement) runOnce(o *runOptions, keepOutput bool) error {
	argv := append([]string{m.exe}, m.args...)
	if m.pinned {
		argv = append([]string{"taskset", "-c", o.pinCPU}, argv...)
	}
	out, err := os.Create(m.outFile)
	if err != nil {
		return err
	}
	defer out.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), m.env...)
	cmd.Stdout, cmd.Stderr = out, &stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			return fmt.Errorf("%s: %v", m.name, err)
		}
		code = ee.ExitCode()
	}
	if code != 0 && !strings.HasPrefix(m.name, "check") {
		return fmt.Errorf("%s: exit status %d\n%s", m.name, code, stderr.String())
	}
	m.exits = append(m.exits, code)
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(0)
	if ru != nil {
		// taskset execs the command in place, so the rusage is the command's.
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	m.walls = append(m.walls, wall)
	m.cpus = append(m.cpus, cpu)
	if keepOutput && m.outHash == "" {
		h := sha256.New()
		if _, err := out.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.Copy(h, out); err != nil {
			return err
		}
		m.outHash = hex.EncodeToString(h.Sum(nil))
	}
	return nil
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func runMain(args []string) error {
	o := &runOptions{}
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	fs.StringVar(&o.bin, "bin", "", "sigmabridge executable (required)")
	fs.StringVar(&o.repo, "repo", ".", "repository root")
	fs.StringVar(&o.work, "work", "", "work directory (default: a new temporary directory)")
	fs.IntVar(&o.events, "events", 200000, "CloudTrail events to scan (at least 100,000 for the issue's targets)")
	fs.IntVar(&o.runs, "runs", 7, "runs of each sigmabridge scan measurement")
	fs.IntVar(&o.sigmaGoRuns, "sigmago-runs", 3, "runs of the sigma-go scan")
	fs.IntVar(&o.checkRuns, "check-runs", 5, "runs of sigmabridge check")
	fs.IntVar(&o.startRuns, "start-runs", 21, "plugin starts timed")
	fs.StringVar(&o.pinCPU, "cpu", "0", "the CPU pinned runs use (taskset -c)")
	fs.StringVar(&o.only, "only", "", "run only these measurements (comma-separated names; default all)")
	fs.StringVar(&o.markdownFile, "md", "", "also write the Markdown table to this file")
	_ = fs.Parse(args)
	if o.bin == "" {
		return fmt.Errorf("run: -bin is required")
	}
	var err error
	if o.bin, err = filepath.Abs(o.bin); err != nil {
		return err
	}
	if o.repo, err = filepath.Abs(o.repo); err != nil {
		return err
	}
	if o.work == "" {
		if o.work, err = os.MkdirTemp("", "scanbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.work) // the events alone are a few hundred MB
	}
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// No external plugins: every detector and backend is the built-in one.
	pluginDir := filepath.Join(o.work, "plugins")
	if err := os.MkdirAll(pluginDir, 0o755); err != nil {
		return err
	}
	os.Setenv("SIGMABRIDGE_PLUGIN_DIR", pluginDir)

	loadBefore := loadAverage()
	logf("load average before: %s; %d CPUs; %s", loadBefore, runtime.NumCPU(), o.work)

	// 1. The events.
	eventsFile := filepath.Join(o.work, fmt.Sprintf("cloudtrail-%d-v%d.jsonl", o.events, generatorVersion))
	if _, err := os.Stat(eventsFile); err != nil {
		logf("generating %d events into %s", o.events, eventsFile)
		if err := genFile(eventsFile, o.events); err != nil {
			return err
		}
	}
	st, err := os.Stat(eventsFile)
	if err != nil {
		return err
	}
	avgBytes := float64(st.Size()) / float64(o.events)

	// 2. The pack rules sigma-go evaluates without error on these events.
	subsetDir := filepath.Join(o.work, "sigmago-subset")
	os.RemoveAll(subsetDir)
	logf("finding the pack rules sigma-go evaluates without error on every event")
	subsetJSON, err := exec.Command(self, "subset", "-rules", filepath.Join(o.repo, "rules"), "-o", subsetDir, eventsFile).Output()
	if err != nil {
		return fmt.Errorf("subset: %w", err)
	}
	var subset subsetResult
	if err := json.Unmarshal(subsetJSON, &subset); err != nil {
		return fmt.Errorf("subset output: %w", err)
	}
	logf("sigma-go evaluates %d of %d pack rules", len(subset.Kept), len(subset.Kept)+len(subset.Excluded))

	placeholders := filepath.Join(o.repo, "testdata", "rules", "placeholders.yml")
	scanArgs := func(extra ...string) []string {
		a := []string{"scan", "-f", "jsonl", "-p", placeholders}
		a = append(a, extra...)
		return append(a, "--logs", eventsFile)
	}
	out := func(name string) string { return filepath.Join(o.work, name+".out") }
	ms := []*measurement{
		{name: "inproc-pinned", pinned: true, exe: o.bin, args: scanArgs("--in-process"), events: o.events},
		{name: "plugin-pinned", pinned: true, exe: o.bin, args: scanArgs(), events: o.events},
		{name: "plugin-inline-pinned", pinned: true, exe: o.bin, args: scanArgs(), events: o.events, env: []string{"SIGMABRIDGE_NO_SHARED_MEMORY=1"}},
		{name: "inproc-unpinned", exe: o.bin, args: scanArgs("--in-process"), events: o.events},
		{name: "plugin-unpinned", exe: o.bin, args: scanArgs(), events: o.events},
		{name: "subset-inproc-pinned", pinned: true, exe: o.bin, args: scanArgs("--in-process", subsetDir), events: o.events},
		{name: "subset-plugin-pinned", pinned: true, exe: o.bin, args: scanArgs(subsetDir), events: o.events},
		{name: "sigmago-pinned", pinned: true, exe: self, args: []string{"sigmago", "-rules", subsetDir, eventsFile}, events: o.events},
		{name: "empty-inproc-pinned", pinned: true, exe: o.bin, args: []string{"scan", "-f", "jsonl", "-p", placeholders, "--in-process", "--logs", os.DevNull}},
		{name: "empty-plugin-pinned", pinned: true, exe: o.bin, args: []string{"scan", "-f", "jsonl", "-p", placeholders, "--logs", os.DevNull}},
		{name: "check-unpinned", exe: o.bin, args: []string{"check"}},
		{name: "check-pinned", pinned: true, exe: o.bin, args: []string{"check"}},
	}
	selected := map[string]bool{}
	for _, n := range strings.Split(o.only, ",") {
		if n != "" {
			selected[n] = true
		}
	}
	var active []*measurement
	byName := map[string]*measurement{}
	for _, m := range ms {
		m.outFile = out(m.name)
		byName[m.name] = m
		if len(selected) == 0 || selected[m.name] {
			active = append(active, m)
		}
	}
	runsOf := func(m *measurement) int {
		switch {
		case strings.HasPrefix(m.name, "sigmago"):
			return o.sigmaGoRuns
		case strings.HasPrefix(m.name, "check"):
			return o.checkRuns
		}
		return o.runs
	}
	// 3. Rounds: every measurement once per round, so that the load of the machine,
	// which changes over a minute, falls on all of them alike.
	maxRuns := 0
	for _, m := range active {
		maxRuns = max(maxRuns, runsOf(m))
	}
	for round := range maxRuns {
		for _, m := range active {
			if round >= runsOf(m) {
				continue
			}
			if err := m.runOnce(o, true); err != nil {
				return err
			}
			logf("round %d %-22s %8.3fs wall %8.3fs cpu", round+1, m.name, m.walls[round].Seconds(), m.cpus[round].Seconds())
		}
	}

	// 4. Plugin start, timed through the host library on the same executable.
	var startPinned, startUnpinned time.Duration
	if len(selected) == 0 || selected["start"] {
		if startPinned, err = pluginStartChild(self, o, true); err != nil {
			return err
		}
		if startUnpinned, err = pluginStartChild(self, o, false); err != nil {
			return err
		}
	}
	loadAfter := loadAverage()

	// 5. The same matches on both paths, and how sigma-go's compare.
	var problems []string
	same := func(a, b string) {
		ma, mb := byName[a], byName[b]
		if ma.outHash != "" && mb.outHash != "" && ma.outHash != mb.outHash {
			problems = append(problems, fmt.Sprintf("%s and %s printed different matches", a, b))
		}
	}
	same("inproc-pinned", "plugin-pinned")
	same("inproc-pinned", "inproc-unpinned")
	same("plugin-pinned", "plugin-unpinned")
	same("subset-inproc-pinned", "subset-plugin-pinned")
	same("plugin-pinned", "plugin-inline-pinned")
	cmp := compareMatches(byName["subset-inproc-pinned"].outFile, byName["sigmago-pinned"].outFile)
	packMatches, packEvents := countMatches(byName["inproc-pinned"].outFile)

	r := report{o: o, ms: byName, subset: subset, cmp: cmp, avgBytes: avgBytes,
		packMatches: packMatches, packMatchedEvents: packEvents,
		loadBefore: loadBefore, loadAfter: loadAfter, startPinned: startPinned, startUnpinned: startUnpinned,
		problems: problems}
	md := r.markdown()
	fmt.Print(md)
	if o.markdownFile != "" {
		if err := os.WriteFile(o.markdownFile, []byte(md), 0o644); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "scanbench: "+format+"\n", args...)
}

// pluginStartChild runs `scanbench pluginstart` (pinned or not) and returns its median.
func pluginStartChild(self string, o *runOptions, pinned bool) (time.Duration, error) {
	argv := []string{self, "pluginstart", "-bin", o.bin, "-n", fmt.Sprint(o.startRuns)}
	if pinned {
		argv = append([]string{"taskset", "-c", o.pinCPU}, argv...)
	}
	outb, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		return 0, fmt.Errorf("pluginstart: %w", err)
	}
	d, err := time.ParseDuration(strings.TrimSpace(string(outb)))
	if err != nil {
		return 0, fmt.Errorf("pluginstart printed %q", outb)
	}
	logf("plugin start (pinned=%v): median %v of %d", pinned, d, o.startRuns)
	return d, nil
}

// pluginStartMain is `scanbench pluginstart -bin SIGMABRIDGE -n N`: it starts the built-in
// detector plugin of the executable N times through plugin/host, as sigmabridge does
// (exec, go-plugin handshake, gRPC connection, Describe), and prints the median time.
func pluginStartMain(args []string) error {
	fs := flag.NewFlagSet("pluginstart", flag.ExitOnError)
	bin := fs.String("bin", "", "sigmabridge executable")
	n := fs.Int("n", 21, "starts")
	_ = fs.Parse(args)
	if *bin == "" {
		return fmt.Errorf("pluginstart: -bin is required")
	}
	var times []time.Duration
	for range *n {
		m, err := host.New(host.Config{Builtins: builtin.Specs(*bin),
			Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: os.Stderr})})
		if err != nil {
			return err
		}
		start := time.Now()
		_, err = m.Detector(context.Background(), builtin.DetectorName)
		elapsed := time.Since(start)
		m.Close()
		if err != nil {
			return err
		}
		times = append(times, elapsed)
	}
	fmt.Println(median(times))
	return nil
}

// matchKey is one match: an input line and a rule id.
type matchKey struct {
	line int
	rule string
}

// readMatches reads a JSON-lines match output (sigmabridge's or scanbench sigmago's).
func readMatches(path string) (map[matchKey]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[matchKey]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var m struct {
			Line   int    `json:"line"`
			RuleID string `json:"rule_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		out[matchKey{m.Line, m.RuleID}] = true
	}
	return out, sc.Err()
}

// countMatches returns the number of matches and of distinct matched lines in an output.
func countMatches(path string) (matches, lines int) {
	ms, err := readMatches(path)
	if err != nil {
		return 0, 0
	}
	seen := map[int]bool{}
	for k := range ms {
		seen[k.line] = true
	}
	return len(ms), len(seen)
}

// matchComparison compares sigmabridge's and sigma-go's matches on the same rules.
type matchComparison struct {
	ours, theirs, both int
	err                error
}

func compareMatches(oursFile, theirsFile string) matchComparison {
	ours, err := readMatches(oursFile)
	if err != nil {
		return matchComparison{err: err}
	}
	theirs, err := readMatches(theirsFile)
	if err != nil {
		return matchComparison{err: err}
	}
	c := matchComparison{ours: len(ours), theirs: len(theirs)}
	for k := range ours {
		if theirs[k] {
			c.both++
		}
	}
	return c
}
