package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// report renders the results as Markdown.
type report struct {
	o                              *runOptions
	ms                             map[string]*measurement
	subset                         subsetResult
	cmp                            matchComparison
	avgBytes                       float64
	packMatches, packMatchedEvents int
	loadBefore, loadAfter          string
	startPinned, startUnpinned     time.Duration
	problems                       []string
}

func (r *report) ran(name string) bool {
	m := r.ms[name]
	return m != nil && len(m.walls) > 0
}

func eps(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

func secs(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f s", d.Seconds())
}

func millis(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func (r *report) packRules() int {
	n := 0
	filepath.WalkDir(filepath.Join(r.o.repo, "rules"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
			n++
		}
		return nil
	})
	return n
}

func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	kept := len(r.subset.Kept)
	total := kept + len(r.subset.Excluded)
	w("\n## sigmabridge scan, end to end (bench/scan.sh)\n\n")
	w("%d CloudTrail JSON lines (%.0f bytes on average), %d of them (%.1f%%) matched by the pack (%d matches); "+
		"built-in pack of %d rules with `-p testdata/rules/placeholders.yml`, `-f jsonl`, output to a file. "+
		"Times are medians of %d runs (sigma-go %d, check %d), measured in interleaved rounds; \"1 core\" is `taskset -c %s` "+
		"(the plugin process inherits it). CPU is user + system time of the process and the children it waited for "+
		"(the detector plugin). %d CPUs, %s, load average %s before and %s after.\n\n",
		r.o.events, r.avgBytes, r.packMatchedEvents, 100*float64(r.packMatchedEvents)/float64(max(r.o.events, 1)), r.packMatches,
		r.packRules(), r.o.runs, r.o.sigmaGoRuns, r.o.checkRuns, r.o.pinCPU, runtime.NumCPU(), runtime.Version(), r.loadBefore, r.loadAfter)
	w("Ratio rows give the ratio of events/s, and in the CPU column the inverse ratio of CPU time (both: higher is better for the first).\n\n")
	w("| measurement | events/s | wall | CPU | target | |\n|---|---|---|---|---|---|\n")
	row := func(label, name, target string, ok *bool) {
		m := r.ms[name]
		if !r.ran(name) {
			return
		}
		v := ""
		if ok != nil {
			v = verdict(*ok)
		}
		w("| %s | %s | %s | %s | %s | %s |\n", label, eps(m.eventsPerSecond()), secs(m.medianWall()), secs(m.medianCPU()), target, v)
	}
	// ratioRow: events/s of a over b, and b's CPU time over a's (both: higher is better
	// for a).
	ratioRow := func(label string, a, bname string, target float64, unit string) {
		if !r.ran(a) || !r.ran(bname) {
			return
		}
		ra := r.ms[a].eventsPerSecond() / r.ms[bname].eventsPerSecond()
		cpu := r.ms[bname].medianCPU().Seconds() / r.ms[a].medianCPU().Seconds()
		w("| %s | **%.2f%s** | | %.2f%s | >= %g%s | %s |\n", label, ra, unit, cpu, unit, target, unit, verdict(ra >= target))
	}
	inprocOK := r.ran("inproc-pinned") && r.ms["inproc-pinned"].eventsPerSecond() >= 200000
	row("1. scan `--in-process`, whole pack, 1 core", "inproc-pinned", ">= 200000", &inprocOK)
	row(fmt.Sprintf("scan `--in-process`, the %d rules sigma-go evaluates, 1 core", kept), "subset-inproc-pinned", "", nil)
	row(fmt.Sprintf("sigma-go v0.6.6, the same %d rules (encoding/json + flatten), 1 core", kept), "sigmago-pinned", "", nil)
	ratioRow(fmt.Sprintf("ratio sigmabridge / sigma-go, %d rules", kept), "subset-inproc-pinned", "sigmago-pinned", 10, "x")
	row("2. scan through the detector plugin, whole pack, 1 core", "plugin-pinned", "", nil)
	ratioRow("plugin / in-process, 1 core", "plugin-pinned", "inproc-pinned", 0.9, "")
	row("scan through the plugin, batches through the connection (`SIGMABRIDGE_NO_SHARED_MEMORY=1`), 1 core", "plugin-inline-pinned", "", nil)
	row("scan `--in-process`, whole pack, unpinned", "inproc-unpinned", "", nil)
	row("scan through the plugin, whole pack, unpinned", "plugin-unpinned", "", nil)
	ratioRow("plugin / in-process, unpinned", "plugin-unpinned", "inproc-unpinned", 0.9, "")
	row(fmt.Sprintf("scan through the plugin, the %d sigma-go rules, 1 core", kept), "subset-plugin-pinned", "", nil)
	if r.startPinned > 0 {
		w("| 3. plugin start (exec, handshake, gRPC, Describe), 1 core | | %s | | < 50 ms | %s |\n", millis(r.startPinned), verdict(r.startPinned < 50*time.Millisecond))
		w("| plugin start, unpinned | | %s | | < 50 ms | %s |\n", millis(r.startUnpinned), verdict(r.startUnpinned < 50*time.Millisecond))
	}
	if r.ran("empty-inproc-pinned") && r.ran("empty-plugin-pinned") {
		a, p := r.ms["empty-inproc-pinned"], r.ms["empty-plugin-pinned"]
		w("| scan of empty input: `--in-process` / plugin (whole CLI run, 1 core) | | %s / %s | %s / %s | | |\n",
			millis(a.medianWall()), millis(p.medianWall()), millis(a.medianCPU()), millis(p.medianCPU()))
	}
	for _, c := range []struct{ name, label string }{{"check-unpinned", "`sigmabridge check`, whole pack, unpinned"}, {"check-pinned", "`sigmabridge check`, whole pack, 1 core"}} {
		if !r.ran(c.name) {
			continue
		}
		m := r.ms[c.name]
		ok := m.medianWall() < 2*time.Second
		exits := ""
		for _, e := range m.exits {
			if e != 0 {
				exits = fmt.Sprintf(" (exit status %d)", e)
			}
		}
		w("| %s%s | | %s | %s | < 2 s | %s |\n", c.label, exits, secs(m.medianWall()), secs(m.medianCPU()), verdict(ok))
	}
	w("\nsigma-go evaluates %d of the %d pack rules without error on these events", kept, total)
	if kept > 0 {
		w(" (%s)", strings.Join(r.subset.Kept, ", "))
	}
	w(". Excluded, with the first error:\n\n")
	reasons := map[string][]string{}
	for f, why := range r.subset.Excluded {
		short := why
		if i := strings.Index(short, ": "); i >= 0 && strings.HasPrefix(short, "line ") {
			short = short[i+2:]
		}
		if i := strings.Index(short, "error evaluating search "); i >= 0 {
			rest := short[i+len("error evaluating search "):]
			if j := strings.Index(rest, ": "); j >= 0 {
				short = rest[j+2:]
			}
		}
		reasons[short] = append(reasons[short], strings.TrimSuffix(filepath.Base(f), ".yml"))
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return len(reasons[keys[i]]) > len(reasons[keys[j]]) || (len(reasons[keys[i]]) == len(reasons[keys[j]]) && keys[i] < keys[j])
	})
	for _, k := range keys {
		sort.Strings(reasons[k])
		w("- %d: `%s` (%s)\n", len(reasons[k]), k, strings.Join(reasons[k], ", "))
	}
	if r.cmp.err == nil && r.ran("sigmago-pinned") {
		w("\nOn those %d rules sigmabridge reports %d matches and sigma-go %d; %d are reported by both.\n", kept, r.cmp.ours, r.cmp.theirs, r.cmp.both)
	}
	if r.ran("plugin-pinned") && r.ran("inproc-pinned") {
		agree := "identical"
		if r.ms["plugin-pinned"].outHash != r.ms["inproc-pinned"].outHash {
			agree = "DIFFERENT"
		}
		w("The plugin and in-process scans printed %s output.\n", agree)
	}
	for _, p := range r.problems {
		w("\n**Problem:** %s\n", p)
	}
	return b.String()
}
